/**
 * `extrapos pe <method> [options]` → JSON on stdout; `extrapos pe plot <method> ... --out f.svg`.
 * One file per method in this folder; this table lists them (order = --help order).
 */
import { ExtraposError } from "../../pe/errors.js";
import { formatOptions, parseArgs, wantsHelp, type OptionSpecs, type ParsedArgs } from "../args.js";
import { genericPeSize, refuseLargePe, type PeRequestSize } from "./bounds.js";
import type { Command } from "../command.js";
import type { PlotRange, PlotSpec } from "./plot-spec.js";

export interface PeCliMethod {
  summary: string;
  options: OptionSpecs;
  /**
   * The encoding's spec parameters (file-form keys) this method takes as options, derived by `specOptions`
   * (spec-options.ts), and those it does not take, each with the reason. Together they list every parameter
   * of the spec (tested), so a new parameter cannot be forgotten.
   */
  specParams: { takes: readonly string[]; not?: Readonly<Record<string, string>> };
  /** Computes the JSON value printed on stdout. Throws ExtraposError on bad input. */
  compute(args: ParsedArgs): unknown | Promise<unknown>;
  /** The heatmap and curve for `extrapos pe plot <method>` (absent: the method has no plot). */
  plot?(args: ParsedArgs, range: PlotRange): PlotSpec;
  /** Size of the request when the generic estimate (src/cli/pe/bounds.ts) does not fit the method. */
  size?(args: ParsedArgs): PeRequestSize;
}

import { ENCODING_ALIASES } from "../../pe/encodings.js";
import { PE_CLI_METHODS, peCliMethod } from "./methods.js";
import { plotHelp, runPlot } from "./plot.js";
import { SUMMARIES } from "../summaries.js";
export { PE_CLI_METHODS };

export function peHelp(): string {
  const lines = ["Usage: extrapos pe <method> [options]   → JSON on stdout", "       extrapos pe plot <method> [options] --out file.svg", "", "Methods:"];
  for (const [name, m] of Object.entries(PE_CLI_METHODS) as [string, PeCliMethod][]) {
    const aliases = [...ENCODING_ALIASES].filter(([, [n]]) => n === name).map(([a]) => a);
    lines.push(`\n${name}${aliases.length > 0 ? ` (alias: ${aliases.join(", ")})` : ""} — ${m.summary}`, formatOptions(m.options));
  }
  lines.push("", "plot — an SVG heatmap of the encoding and its curve vs relative distance", plotHelp());
  return lines.join("\n") + "\n";
}

export const peCommand: Command = {
  summary: SUMMARIES.pe,
  async run(argv) {
    const [method, ...rest] = argv;
    if (method === "--help" || method === "-h") {
      process.stdout.write(peHelp());
      return 0;
    }
    if (method === undefined) {
      throw new ExtraposError("invalid_argument", "`extrapos pe` needs a method (see `extrapos pe --help`)", `methods: ${Object.keys(PE_CLI_METHODS).join(", ")}, plot`);
    }
    if (method === "plot") return runPlot(rest);
    const m = peCliMethod(method);
    if (!m) {
      throw new ExtraposError("unknown_method", `unknown pe method ${JSON.stringify(method)}`, `methods: ${Object.keys(PE_CLI_METHODS).join(", ")}`);
    }
    if (wantsHelp(rest, m.options)) {
      process.stdout.write(`${method} — ${m.summary}\n${formatOptions(m.options)}\n`);
      return 0;
    }
    const args = parseArgs(rest, m.options);
    if (args.positionals.length > 0) throw new ExtraposError("invalid_argument", `unexpected argument ${JSON.stringify(args.positionals[0])}`);
    refuseLargePe(method, m.size?.(args) ?? genericPeSize(args)); // before computing anything
    const value = await m.compute(args);
    process.stdout.write(JSON.stringify(value) + "\n");
    return 0;
  },
};
