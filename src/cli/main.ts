#!/usr/bin/env node
/**
 * `extrapos <command> [options]`. Errors in user input print exactly one line (the problem, then any hint)
 * on stderr and exit with code 2, with nothing on stdout and no stack trace. Anything else is a bug:
 * exit 1 with the message (the stack only with EXTRAPOS_DEBUG=1).
 */
import { ExtraposError } from "../pe/errors.js";
import type { Command } from "./command.js";
import { COMMANDS } from "./commands.js";

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
  const cmd: Command | undefined = COMMANDS[name];
  if (!cmd) throw new ExtraposError("unknown_method", `unknown command ${JSON.stringify(name)}`, `commands: ${Object.keys(COMMANDS).join(", ")}`);
  return await cmd.run(rest);
}

export function reportError(e: unknown): number {
  if (e instanceof ExtraposError) {
    // One line, always: the problem, then the hint after a "—".
    process.stderr.write(`extrapos: ${e.message.replace(/\s*\n\s*/g, " ")}${e.hint ? ` — hint: ${e.hint}` : ""}\n`);
    return 2;
  }
  const err = e as Error;
  process.stderr.write(`extrapos: internal error: ${err?.message ?? String(e)}\n`);
  if (process.env.EXTRAPOS_DEBUG === "1" && err?.stack) process.stderr.write(err.stack + "\n");
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.exitCode = reportError(e);
  },
);
