/**
 * Float64 reference of relative-bd.ts: the three formulas of its header evaluated directly, same layouts.
 * `bias` entries above the diagonal are NaN (the kernel leaves them untouched).
 */
import type { BdShape } from "./relative-bd.js";

const row = (a: ArrayLike<number>, at: number, n: number): number[] => Array.from({ length: n }, (_, c) => a[at + c]!);

export function relativeBdRef(x: ArrayLike<number>, r: ArrayLike<number>, vb: ArrayLike<number>, dBias: ArrayLike<number>, s: BdShape, scale: number): { bias: Float64Array; acc: Float64Array; dr: Float64Array } {
  const { K, M, NH, HS, D } = s;
  const bias = new Float64Array(NH * K * K).fill(NaN), acc = new Float64Array(NH * K * HS), dr = new Float64Array(NH * (D + 1) * HS);
  for (let h = 0; h < NH; h++) for (let i = 0; i < K; i++) {
    const xv = row(x, (h * K + i) * HS, HS).map((v, c) => v + vb[h * HS + c]!);
    for (let j = 0; j <= i; j++) {
      const d = Math.min(i - j, D), rv = row(r, (h * (D + 1) + d) * HS, HS), g = dBias[(h * K + i) * K + j]!;
      bias[(h * K + i) * K + j] = scale * xv.reduce((z, v, c) => z + v * rv[c]!, 0);
      for (let c = 0; c < HS; c++) {
        acc[(h * K + i) * HS + c]! += scale * g * rv[c]!;
        if (i >= M) dr[(h * (D + 1) + d) * HS + c]! += scale * g * xv[c]!;
      }
    }
  }
  return { bias, acc, dr };
}
