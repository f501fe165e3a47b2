/** `extrapos pe sinusoidal --positions N --dim d [--layout] [--spacing] [--base]` → {"table": [[...]]}. */
import { sinusoidalTable, type SinusoidalOptions } from "../../pe/sinusoidal.js";
import { type ParsedArgs } from "../args.js";
import type { PeCliMethod } from "./index.js";
import { intOption, positiveOption, stringOption } from "./options.js";
import { specDefault, specOptions } from "./spec-options.js";
import { absoluteTablePlot } from "./plot-spec.js";
import { rows } from "./rows.js";

function options(a: ParsedArgs): SinusoidalOptions {
  return { dim: intOption(a, "dim", 1), base: positiveOption(a, "base", specDefault("sinusoidal", "base")), layout: stringOption(a, "layout", "interleaved"), spacing: stringOption(a, "spacing", "vaswani") };
}

export const sinusoidalCli: PeCliMethod = {
  summary: "sinusoidal table for positions 0..N−1 (Vaswani et al. 2017)",
  options: {
    positions: { type: "int", help: "number of positions N (rows 0..N−1, required)", metavar: "N" },
    dim: { type: "int", help: "model dimension d (required)", metavar: "D" },
    // layout and spacing are options of the math function the model does not have (its table is interleaved, vaswani)
    layout: { type: "string", help: "column order", choices: ["interleaved", "concat"], default: "interleaved" },
    spacing: { type: "string", help: "frequency spacing: base^(−2i/d) or tensor2tensor's log-timescales", choices: ["vaswani", "t2t"], default: "vaswani" },
    ...specOptions("sinusoidal", { base: "B" }),
  },
  specParams: { takes: ["base"] },
  compute(a) {
    const o = options(a);
    const n = intOption(a, "positions", 1);
    return { table: rows(sinusoidalTable(n, o), o.dim) };
  },
  plot(a, r) {
    const o = options(a);
    const n = intOption(a, "positions", 1);
    return absoluteTablePlot("sinusoidal", sinusoidalTable(n, o), n, o.dim, n - 1, r);
  },
};
