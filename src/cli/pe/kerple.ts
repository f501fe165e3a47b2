/**
 * `extrapos pe kerple [--kernel log|power] (--heads H [--seed S] | --r1 LIST --r2 LIST | --a LIST --p LIST)
 *  [--distance 0:32]` → {"variant", "params", "distance", "bias"}: bias[h][k] for each listed distance.
 * Without explicit parameters they are drawn with the reference's init (seeded).
 */
import { invalid } from "../../pe/errors.js";
import { kerpleDistanceTable, kerpleInit, KERPLE_EPS, KERPLE_MAX_P, KERPLE_SPEC, type KerpleParams, type KerpleVariant } from "../../pe/kerple.js";
import { getNumber, getNumbers, getString, type ParsedArgs } from "../args.js";
import type { PeCliMethod } from "./index.js";
import { intOption, listOption, stringOption } from "./options.js";
import { distanceTablePlot } from "./plot-spec.js";
import { specOptions } from "./spec-options.js";

const PARAMS = { log: ["r1", "r2"], power: ["a", "p"] } as const;

function params(a: ParsedArgs): KerpleParams {
  const kernel = getString(a, "kernel"), old = getString(a, "variant");
  if (kernel !== undefined && old !== undefined && kernel !== old) throw invalid(`--variant is the old name of --kernel; give one of them, got --kernel ${kernel} and --variant ${old}`);
  const variant = (kernel ?? old ?? KERPLE_SPEC.params.kernel.default) as KerpleVariant;
  const other = PARAMS[variant === "log" ? "power" : "log"].find((k) => getNumbers(a, k) !== undefined);
  if (other) throw invalid(`--${other} applies to --kernel ${variant === "log" ? "power" : "log"} only`);
  const [x, y] = PARAMS[variant];
  const given = [x, y].filter((k) => getNumbers(a, k) !== undefined);
  if (given.length === 0) return kerpleInit(variant, intOption(a, "heads", 1), intOption(a, "seed", 0, 0));
  if (given.length === 1) throw invalid(`--${x} and --${y} must be given together`);
  if (getNumber(a, "seed") !== undefined) throw invalid(`--seed applies only when the parameters are drawn (no --${x}/--${y})`);
  const vx = listOption(a, x, (v) => Number.isFinite(v) && v >= KERPLE_EPS, `numbers ≥ ${KERPLE_EPS} (the reference clamps there)`);
  const maxY = variant === "power" ? KERPLE_MAX_P : Infinity;
  const vy = listOption(a, y, (v) => Number.isFinite(v) && v >= KERPLE_EPS && v <= maxY, variant === "power" ? `numbers in [${KERPLE_EPS}, ${KERPLE_MAX_P}]` : `numbers ≥ ${KERPLE_EPS}`);
  if (vx.length !== vy.length) throw invalid(`--${x} and --${y} must list one value per head, got ${vx.length} and ${vy.length}`);
  const heads = getNumber(a, "heads");
  if (heads !== undefined && heads !== vx.length) throw invalid(`--heads ${heads} does not match the ${vx.length} values of --${x}`);
  return variant === "log" ? { variant, r1: Float64Array.from(vx), r2: Float64Array.from(vy) } : { variant, a: Float64Array.from(vx), p: Float64Array.from(vy) };
}

export const kerpleCli: PeCliMethod = {
  summary: "KERPLE log (−r1·ln(1 + r2·k)) or power (−a·k^p) bias per head vs distance k (Chi et al. 2022)",
  options: {
    ...specOptions("kerple", { kernel: undefined }),
    variant: { type: "string", help: "old name of --kernel", choices: KERPLE_SPEC.params.kernel.choices },
    heads: { type: "int", help: "heads when the parameters are drawn (reference init)", metavar: "H" },
    seed: { type: "int", help: "seed of the drawn parameters", metavar: "S", default: "0" },
    r1: { type: "numbers", help: "log: r1 per head (≥ 0.01)", metavar: "LIST" },
    r2: { type: "numbers", help: "log: r2 per head (≥ 0.01)", metavar: "LIST" },
    a: { type: "numbers", help: "power: a per head (≥ 0.01)", metavar: "LIST" },
    p: { type: "numbers", help: "power: p per head (in [0.01, 2])", metavar: "LIST" },
    distance: { type: "ints", help: "distances k = |i − j| (integers ≥ 0)", metavar: "A:B", default: "0:32" },
  },
  specParams: { takes: ["kernel"] },
  compute(a) {
    const p = params(a);
    const distance = listOption(a, "distance", (v) => Number.isInteger(v) && v >= 0, "integers ≥ 0", Array.from({ length: 33 }, (_, i) => i));
    const maxD = Math.max(...distance);
    const t = kerpleDistanceTable(p, maxD);
    const H = t.length / (maxD + 1);
    const bias = Array.from({ length: H }, (_, h) => distance.map((k) => t[h * (maxD + 1) + k]!));
    const out = p.variant === "log" ? { r1: Array.from(p.r1), r2: Array.from(p.r2) } : { a: Array.from(p.a), p: Array.from(p.p) };
    return { variant: p.variant, params: out, distance, bias };
  },
  plot(a, r) {
    const p = params(a);
    const t = kerpleDistanceTable(p, r.maxDistance);
    return distanceTablePlot(`KERPLE-${p.variant}`, t, t.length / (r.maxDistance + 1), r);
  },
};
