/**
 * `extrapos pe fire [--heads 1] [--seed 0] [--width 32] [--c 0.1] [--init-l 512] [--query-position 0] [--distance 0:64]`
 * → {"threshold", "query_position", "distance", "bias"}: bias[h][k] = b(i, i − k) for the query at position i, with the
 * MLP drawn with PyTorch's default init (seeded). Trained weights: use the API (fireForward).
 */
import { fireForward, fireInit, fireThreshold, DEFAULT_FIRE, type FireParams } from "../../pe/fire.js";
import type { ParsedArgs } from "../args.js";
import type { PeCliMethod } from "./index.js";
import { intOption, listOption, positiveOption } from "./options.js";
import { distanceTablePlot } from "./plot-spec.js";
import { getNumber } from "../args.js";
import { invalid } from "../../pe/errors.js";

function params(a: ParsedArgs): FireParams {
  const initC = getNumber(a, "c") ?? DEFAULT_FIRE.initC;
  if (!Number.isFinite(initC) || initC === 0) throw invalid(`--c must be a finite non-zero number, got ${initC}`);
  return fireInit(intOption(a, "heads", 1, 1), intOption(a, "seed", 0, 0), { width: intOption(a, "width", 1, DEFAULT_FIRE.width), initC, initL: positiveOption(a, "init-l", DEFAULT_FIRE.initL) });
}

function bias(p: FireParams, query: number, distance: number[]): number[][] {
  const b = fireForward(p, [query], distance.map((k) => query - k));
  const H = b.length / distance.length;
  return Array.from({ length: H }, (_, h) => Array.from(b.subarray(h * distance.length, (h + 1) * distance.length)));
}

export const fireCli: PeCliMethod = {
  summary: "FIRE bias f(ψ(i − j)/ψ(max(L, i))) per head for one query vs distance (Li et al. 2024)",
  options: {
    heads: { type: "int", help: "number of heads H", metavar: "H", default: "1" },
    seed: { type: "int", help: "seed of the MLP weights (PyTorch default init)", metavar: "S", default: "0" },
    width: { type: "int", help: "MLP hidden width", metavar: "W", default: "32" },
    c: { type: "number", help: "c of ψ(x) = ln(|c·x| + 1)", metavar: "C", default: "0.1" },
    "init-l": { type: "number", help: "threshold L", metavar: "L", default: "512" },
    "query-position": { type: "number", help: "query position i (below L the bias depends on the distance only)", metavar: "I", default: "0" },
    distance: { type: "ints", help: "distances k = i − j (integers ≥ 0)", metavar: "A:B", default: "0:64" },
  },
  compute(a) {
    const p = params(a);
    const query = getNumber(a, "query-position") ?? 0;
    if (query < 0) throw invalid(`--query-position must be ≥ 0, got ${query}`);
    const distance = listOption(a, "distance", (v) => Number.isInteger(v) && v >= 0, "integers ≥ 0", Array.from({ length: 65 }, (_, i) => i));
    return { threshold: fireThreshold(p), query_position: query, distance, bias: bias(p, query, distance) };
  },
  plot(a, r) {
    const p = params(a);
    const query = Math.max(getNumber(a, "query-position") ?? 0, r.maxDistance);
    const distance = Array.from({ length: r.maxDistance + 1 }, (_, k) => k);
    const b = bias(p, query, distance);
    return distanceTablePlot(`FIRE (query at ${query}, L = ${fireThreshold(p)})`, Float64Array.from(b.flat()), b.length, r);
  },
};
