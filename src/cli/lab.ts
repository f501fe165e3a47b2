/**
 * `extrapos lab [--port P] [--runs DIR] [--no-isolation]`: serves the lab (dist/lab/static, built by
 * `npm run build`) on 127.0.0.1 with the COOP/COEP headers that give its engine worker threads
 * (docs/browser.md); with --runs, the Runs view lists and opens the runs in DIR. Stops on Ctrl-C.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ExtraposError } from "../pe/errors.js";
import { serveStatic } from "../lab/serve.js";
import { formatOptions, getFlag, getNumber, getString, parseArgs, type OptionSpecs } from "./args.js";
import type { Command } from "./command.js";
import { SUMMARIES } from "./summaries.js";

export const LAB_OPTIONS: OptionSpecs = {
  port: { type: "int", metavar: "P", help: "port on 127.0.0.1 (0 = any free port)", default: "8377" },
  runs: { type: "string", metavar: "DIR", help: "a folder of runs (extrapos train --out) for the Runs view" },
  "no-isolation": { type: "boolean", help: "omit COOP/COEP (to see the single-threaded fallback)" },
  help: { type: "boolean", help: "show this help" },
};

/** The built lab: dist/lab/static beside this file's dist/cli. */
export const LAB_STATIC = join(dirname(fileURLToPath(import.meta.url)), "..", "lab", "static");

async function runLab(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`Usage: extrapos lab [--port P] [--runs DIR]\n\nServes the lab page (encodings, training, runs, generation in the browser).\n\n${formatOptions(LAB_OPTIONS)}\n`);
    return 0;
  }
  const args = parseArgs(argv, LAB_OPTIONS);
  if (args.positionals.length > 0) throw new ExtraposError("invalid_argument", `unexpected argument ${JSON.stringify(args.positionals[0])}`, "see `extrapos lab --help`");
  const port = getNumber(args, "port") ?? 8377;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ExtraposError("invalid_argument", `--port must be an integer in [0, 65535], got ${port}`);
  const runs = getString(args, "runs");
  if (runs !== undefined && !existsSync(runs)) throw new ExtraposError("invalid_argument", `--runs ${JSON.stringify(runs)} does not exist`, "pass a folder that holds run folders");
  const server = await serveStatic({ root: LAB_STATIC, port, isolate: !getFlag(args, "no-isolation"), ...(runs !== undefined ? { runs } : {}) });
  process.stdout.write(`extrapos lab: ${server.url}  (Ctrl-C stops it)\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => { process.off("SIGINT", stop); process.off("SIGTERM", stop); resolve(); };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await server.close();
  return 0;
}

export const labCommand: Command = { summary: SUMMARIES.lab, run: runLab };
