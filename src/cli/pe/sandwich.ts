/** `extrapos pe sandwich --dim d --heads H [--distance 0:64]` → {"distance", "bias"}: bias[h][k] (NeMo Sandwich). */
import { invalid } from "../../pe/errors.js";
import { sandwichDistanceTable } from "../../pe/sandwich.js";
import type { ParsedArgs } from "../args.js";
import type { PeCliMethod } from "./index.js";
import { intOption, listOption } from "./options.js";
import { distanceTablePlot } from "./plot-spec.js";

function sizes(a: ParsedArgs): { dim: number; heads: number } {
  const dim = intOption(a, "dim", 2);
  if (dim % 2 !== 0) throw invalid(`--dim must be even for Sandwich, got ${dim}`);
  return { dim, heads: intOption(a, "heads", 1) };
}

export const sandwichCli: PeCliMethod = {
  summary: "Sandwich bias (Σ cos(k·ω_i) − d/2)/(h·8/H) per head vs distance k (Chi et al. 2023)",
  options: {
    dim: { type: "int", help: "head dimension d (even, required)", metavar: "D" },
    heads: { type: "int", help: "number of heads H (required)", metavar: "H" },
    distance: { type: "ints", help: "distances k = |i − j| (integers ≥ 0)", metavar: "A:B", default: "0:64" },
  },
  specParams: { takes: [] },
  compute(a) {
    const { dim, heads } = sizes(a);
    const distance = listOption(a, "distance", (v) => Number.isInteger(v) && v >= 0, "integers ≥ 0", Array.from({ length: 65 }, (_, i) => i));
    const maxD = Math.max(...distance);
    const t = sandwichDistanceTable(dim, heads, maxD);
    return { distance, bias: Array.from({ length: heads }, (_, h) => distance.map((k) => t[h * (maxD + 1) + k]!)) };
  },
  plot(a, r) {
    const { dim, heads } = sizes(a);
    return distanceTablePlot("Sandwich", sandwichDistanceTable(dim, heads, r.maxDistance), heads, r);
  },
};
