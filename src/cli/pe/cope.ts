/**
 * `extrapos pe cope --gates 1,0.2,0.9,... [--max-pos 16]` → {"positions"}: for one query at index i = n − 1 whose
 * gates over keys 0..i are given, the contextual positions p_j = min(Σ_{k=j..i} g_k, maxPos − 1), j = 0..i.
 */
import { copePositions } from "../../pe/cope.js";
import { getNumbers, type ParsedArgs } from "../args.js";
import type { PeCliMethod } from "./index.js";
import { intOption, listOption } from "./options.js";

function matrix(a: ParsedArgs): { gates: Float64Array; T: number; maxPos: number } {
  const g = listOption(a, "gates", (v) => v >= 0 && v <= 1, "numbers in [0, 1]");
  const T = g.length;
  // row i holds the prefix g_0..g_i: query i sees keys 0..i with the given gates
  const gates = new Float64Array(T * T);
  for (let i = 0; i < T; i++) for (let j = 0; j <= i; j++) gates[i * T + j] = g[j]!;
  return { gates, T, maxPos: intOption(a, "max-pos", 1, 16) };
}

export const copeCli: PeCliMethod = {
  summary: "CoPE contextual positions of one query from its gates (Golovneva et al. 2024)",
  options: {
    gates: { type: "numbers", help: "gate values g_0..g_i in [0, 1] of the query over keys 0..i (required)", metavar: "LIST" },
    "max-pos": { type: "int", help: "number of position embeddings (positions clamp at max-pos − 1)", metavar: "P", default: "16" },
  },
  size(a) {
    const T = getNumbers(a, "gates")?.length ?? 0;
    return { numbers: T * T, what: `${T} gates → ${T} × ${T} positions` };
  },
  compute(a) {
    const { gates, T, maxPos } = matrix(a);
    const p = copePositions(gates, { T, dim: 1, maxPos });
    return { positions: Array.from(p.subarray((T - 1) * T, T * T)) };
  },
  plot(a, r) {
    const { gates, T, maxPos } = matrix(a);
    const p = copePositions(gates, { T, dim: 1, maxPos });
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) p[i * T + j] = NaN;
    const x = Array.from({ length: T }, (_, k) => k);
    return {
      heatmap: { title: "CoPE: position p_ij of key j for query i (gates g_0..g_i)", xLabel: "key j", yLabel: "query i", values: p, rows: T, cols: T },
      curve: {
        title: `CoPE: contextual position vs distance for the last query (clamped at ${maxPos - 1})`, xLabel: "relative distance i − j", yLabel: "position", xScale: r.logX ? "log" : "linear",
        series: [
          { name: "CoPE p", x, y: x.map((k) => p[(T - 1) * T + (T - 1 - k)]!) },
          { name: "token count k + 1", x, y: x.map((k) => k + 1) },
        ],
      },
    };
  },
};
