/**
 * `extrapos pe <method> [options]` → JSON on stdout; `extrapos pe plot <method> ... --out f.svg`.
 * One file per method in this folder; this table lists them (order = --help order).
 */
import { ExtraposError } from "../../pe/errors.js";
import { formatOptions, parseArgs, type OptionSpecs, type ParsedArgs } from "../args.js";
import type { Command } from "../command.js";

export interface PeCliMethod {
  summary: string;
  options: OptionSpecs;
  /** Computes the JSON value printed on stdout. Throws ExtraposError on bad input. */
  compute(args: ParsedArgs): unknown | Promise<unknown>;
}

import { PE_CLI_METHODS } from "./methods.js";
export { PE_CLI_METHODS };

export function peHelp(): string {
  const lines = ["Usage: extrapos pe <method> [options]   → JSON on stdout", "       extrapos pe plot <method> [options] --out file.svg", "", "Methods:"];
  for (const [name, m] of Object.entries(PE_CLI_METHODS)) {
    lines.push(`\n${name} — ${m.summary}`, formatOptions(m.options));
  }
  return lines.join("\n") + "\n";
}

export const peCommand: Command = {
  summary: "compute a positional encoding (RoPE from a model config, ALiBi slopes, T5 buckets, ...) as JSON",
  async run(argv) {
    const [method, ...rest] = argv;
    if (method === undefined || method === "--help" || method === "-h") {
      process.stdout.write(peHelp());
      return method === undefined ? 2 : 0;
    }
    const m = PE_CLI_METHODS[method];
    if (!m) {
      throw new ExtraposError("unknown_method", `unknown pe method ${JSON.stringify(method)}`, `methods: ${Object.keys(PE_CLI_METHODS).join(", ")}`);
    }
    if (rest.includes("--help")) {
      process.stdout.write(`${method} — ${m.summary}\n${formatOptions(m.options)}\n`);
      return 0;
    }
    const value = await m.compute(parseArgs(rest, m.options));
    process.stdout.write(JSON.stringify(value) + "\n");
    return 0;
  },
};
