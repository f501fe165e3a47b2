/**
 * Transformer-XL's position term (BD) of one batch row as SIMD kernels (relative-bd.as.ts), used by the
 * relative attention (relative.ts): the dense bias that the attention kernel adds, and its two gradients.
 *
 * Size legend: K key rows (memory M + segment S), NH heads, HS head size, D = maxDistance.
 * Layouts: x [NH, K, HS] (the queries, zero on the M memory rows); r, dr [NH, D+1, HS]; vb [NH, HS]; bias,
 * dBias [NH, K, K]; acc [NH, K, HS].
 * Math: bias[h][i][j] = scale·(x_hi + vb_h)·r[h][min(i − j, D)] for j ≤ i (j > i untouched: masked);
 *   acc[h][i] = Σ_{j ≤ i} scale·dBias[h][i][j]·r[h][min(i − j, D)] (the BD part of dq);
 *   dr[h][d] = Σ_{i ≥ M, j ≤ i: min(i − j, D) = d} scale·dBias[h][i][j]·(x_hi + vb_h).
 * Accumulate rule: every output `=`. Parallel split: rows (h, i) for bias and acc, rows (h, d) for dr — each
 * output row is summed by one thread in a fixed order (deterministic for any thread count).
 * Float64 reference: relative-bd.ref.ts (tested on odd sizes, relative-bd.test.ts).
 *
 * Example: `relativeBdForward(engine, bias, x, r, vb, { K: 16, M: 8, NH: 2, HS: 4, D: 15 }, 0.5)`.
 */
import { workGrain, type Engine } from "../../engine.js";
import { RELATIVE_BD_BACKWARD_QUERY, RELATIVE_BD_BACKWARD_R, RELATIVE_BD_FORWARD } from "../names.js";
import { checkFiniteScalar } from "../checks.js";
import { requireBuffer, requireInt } from "./checks.js";

export interface BdShape { K: number; M: number; NH: number; HS: number; D: number }

function check(engine: Engine, op: string, s: BdShape, scale: number, bufs: [string, number, number][]): void {
  for (const [n, v] of [["K", s.K], ["NH", s.NH], ["HS", s.HS]] as const) requireInt(op, n, v, 1);
  requireInt(op, "M", s.M, 0, s.K - 1);
  requireInt(op, "D", s.D, 0);
  checkFiniteScalar(op, "scale", scale);
  for (const [name, ptr, count] of bufs) requireBuffer(engine, op, name, ptr, count);
}

/** bias [NH, K, K] (j ≤ i) ← x, r, vb. */
export function relativeBdForward(engine: Engine, bias: number, x: number, r: number, vb: number, s: BdShape, scale: number): void {
  const { K, NH, HS, D } = s;
  check(engine, "relativeBdForward", s, scale, [["bias", bias, NH * K * K], ["x", x, NH * K * HS], ["r", r, NH * (D + 1) * HS], ["vb", vb, NH * HS]]);
  engine.parallelFor(RELATIVE_BD_FORWARD, NH * K, [bias, x, r, vb, K, NH, HS, D, scale], workGrain(engine, K * HS));
}

/** acc [NH, K, HS] ← dBias, r. */
export function relativeBdBackwardQuery(engine: Engine, acc: number, dBias: number, r: number, s: BdShape, scale: number): void {
  const { K, NH, HS, D } = s;
  check(engine, "relativeBdBackwardQuery", s, scale, [["acc", acc, NH * K * HS], ["dBias", dBias, NH * K * K], ["r", r, NH * (D + 1) * HS]]);
  engine.parallelFor(RELATIVE_BD_BACKWARD_QUERY, NH * K, [acc, dBias, r, K, NH, HS, D, scale], workGrain(engine, K * HS));
}

/** dr [NH, D+1, HS] ← dBias, x, vb (query rows ≥ M only). */
export function relativeBdBackwardR(engine: Engine, dr: number, dBias: number, x: number, vb: number, s: BdShape, scale: number): void {
  const { K, M, NH, HS, D } = s;
  check(engine, "relativeBdBackwardR", s, scale, [["dr", dr, NH * (D + 1) * HS], ["dBias", dBias, NH * K * K], ["x", x, NH * K * HS], ["vb", vb, NH * HS]]);
  engine.parallelFor(RELATIVE_BD_BACKWARD_R, NH * (D + 1), [dr, dBias, x, vb, K, M, NH, HS, D, scale], workGrain(engine, K * HS));
}
