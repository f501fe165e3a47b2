/**
 * `extrapos pe fire [--heads 1] [--seed 0] [--hidden 32] [--init-c 0.1] [--init-l 512] [--query-position 0] [--distance 0:64]`
 * → {"threshold", "query_position", "distance", "bias"}: bias[h][k] = b(i, i − k) for the query at position i, with the
 * MLP drawn with PyTorch's default init (seeded). Trained weights: use the API (fireForward).
 * `--width` and `--c` are the old names of `--hidden` and `--init-c` (the spec's `hidden`, `init_c`), still accepted.
 */
import { fireForward, fireInit, fireThreshold, type FireParams } from "../../pe/fire.js";
import { givenFlag, specDefault, specOptions } from "./spec-options.js";
import type { ParsedArgs } from "../args.js";
import type { PeCliMethod } from "./index.js";
import { intOption, listOption, positiveOption } from "./options.js";
import { distanceTablePlot } from "./plot-spec.js";
import { getNumber } from "../args.js";
import { invalid } from "../../pe/errors.js";

function params(a: ParsedArgs): FireParams {
  const cFlag = givenFlag(a, "init-c", "c");
  const initC = getNumber(a, cFlag) ?? specDefault<number>("fire", "init_c");
  // the math takes any non-zero c (ψ uses |c·x|); the model's init_c is > 0
  if (!Number.isFinite(initC) || initC === 0) throw invalid(`--${cFlag} must be a finite non-zero number, got ${initC}`);
  const width = intOption(a, givenFlag(a, "hidden", "width"), 1, specDefault("fire", "hidden"));
  return fireInit(intOption(a, "heads", 1, 1), intOption(a, "seed", 0, 0), { width, initC, initL: positiveOption(a, "init-l", specDefault("fire", "init_l")) });
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
    ...specOptions("fire", { hidden: "W", init_c: "C", init_l: "L" }),
    width: { type: "int", help: "old name of --hidden", metavar: "W" },
    c: { type: "number", help: "old name of --init-c", metavar: "C" },
    "query-position": { type: "number", help: "query position i (below L the bias depends on the distance only)", metavar: "I", default: "0" },
    distance: { type: "ints", help: "distances k = i − j (integers ≥ 0)", metavar: "A:B", default: "0:64" },
  },
  // the math's eps (ψ's floor) is a function option the model does not have: not a flag
  specParams: { takes: ["hidden", "init_c", "init_l"] },
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
