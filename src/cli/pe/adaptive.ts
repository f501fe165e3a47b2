/**
 * `extrapos pe adaptive --positions T --dim d [--length-mode sequence|fixed|window] [--length L] [--window W]
 *  [--min-period 4] [--layout interleaved|concat]` → {"L", "positions", "periods", "table"}:
 * L used, the (window-relative) position of each token 0..T−1, the period of each sin/cos pair in tokens, the table.
 */
import { adaptiveFractions, adaptivePositions, adaptiveTableAt, type AdaptiveLength, type AdaptiveOptions } from "../../pe/adaptive.js";
import { invalid } from "../../pe/errors.js";
import { getNumber, type ParsedArgs } from "../args.js";
import type { PeCliMethod } from "./index.js";
import { intOption, positiveOption, stringOption } from "./options.js";
import { specDefault, specOptions } from "./spec-options.js";
import { absoluteTablePlot } from "./plot-spec.js";
import { rows } from "./rows.js";

function parse(a: ParsedArgs): { T: number; opts: AdaptiveOptions & { length: AdaptiveLength } } {
  const T = intOption(a, "positions", 1);
  const dim = intOption(a, "dim", 2);
  if (dim % 2 !== 0) throw invalid(`--dim must be even for the adaptive encoding (sin/cos pairs), got ${dim}`);
  const mode = stringOption<"sequence" | "fixed" | "window">(a, "length-mode", specDefault("adaptive", "length_mode"));
  if (mode !== "fixed" && getNumber(a, "length") !== undefined) throw invalid(`--length applies to --length-mode fixed only`);
  if (mode !== "window" && getNumber(a, "window") !== undefined) throw invalid(`--window applies to --length-mode window only`);
  const length: AdaptiveLength =
    mode === "fixed" ? { kind: "fixed", length: intOption(a, "length", 1) } : mode === "window" ? { kind: "window", window: intOption(a, "window", 1) } : { kind: "sequence" };
  const minPeriod = positiveOption(a, "min-period", specDefault("adaptive", "min_period"), 2);
  return { T, opts: { dim, minPeriod, layout: stringOption(a, "layout", "interleaved"), length } };
}

function compute(a: ParsedArgs) {
  const { T, opts } = parse(a);
  const { positions, L } = adaptivePositions(T, opts.length);
  const f = adaptiveFractions(opts.dim, L, opts.minPeriod);
  return { T, dim: opts.dim, L, positions, periods: Array.from(f, (v) => v * L), table: adaptiveTableAt(positions, L, opts) };
}

export const adaptiveCli: PeCliMethod = {
  summary: "the seed's length-adaptive periodic encoding for a sequence of T tokens (see docs/encodings.md)",
  options: {
    positions: { type: "int", help: "sequence length T (tokens 0..T−1, required)", metavar: "T" },
    dim: { type: "int", help: "model dimension d (even, required)", metavar: "D" },
    ...specOptions("adaptive", { length_mode: undefined, length: "L", window: "W", min_period: "M" }),
    // a math-function option the model does not have (the model's table is interleaved)
    layout: { type: "string", help: "column order", choices: ["interleaved", "concat"], default: "interleaved" },
  },
  specParams: { takes: ["length_mode", "length", "window", "min_period"] },
  compute(a) {
    const r = compute(a);
    return { L: r.L, positions: Array.from(r.positions), periods: r.periods, table: rows(r.table, r.dim) };
  },
  plot(a, range) {
    const r = compute(a);
    return absoluteTablePlot(`adaptive (L = ${r.L})`, r.table, r.T, r.dim, r.T - 1, range);
  },
};
