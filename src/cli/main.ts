#!/usr/bin/env node
/**
 * `extrapos <command> [options]`. Errors in user input or the environment print exactly one line (the
 * problem, then any hint) on stderr and exit with code 2, with nothing on stdout and no stack trace.
 * A bug or a crashed worker thread: exit 1, one line (the stack only with EXTRAPOS_DEBUG=1); see
 * src/cli/report-error.ts.
 */
import { ExtraposError } from "../pe/errors.js";
import { COMMANDS } from "./commands.js";
import { reportError } from "./report-error.js";

export { reportError };

function topHelp(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length)) + 2;
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(w)}${c.summary}`);
  return [
    "extrapos — positional encodings that extrapolate",
    "",
    "Usage: extrapos <command> [options]     (extrapos <command> --help for its options)",
    "",
    "Commands:",
    ...lines,
    "",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(topHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") {
    const { createRequire } = await import("node:module");
    const pkg = createRequire(import.meta.url)("../../package.json") as { version: string };
    process.stdout.write(pkg.version + "\n");
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) throw new ExtraposError("unknown_method", `unknown command ${JSON.stringify(name)}`, `commands: ${Object.keys(COMMANDS).join(", ")}`);
  return await (await entry.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.exitCode = reportError(e);
  },
);
