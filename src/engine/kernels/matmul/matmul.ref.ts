/**
 * Float64 reference of the matrix products (slow, obviously correct): C[M,N] (+)= op(A)·op(B) + bias.
 * Sizes: M rows of C, K inner, N columns of C; matrices row-major; "T" means the operand is stored
 * transposed (A as [K,M], B as [N,K]).
 */
import type { Transpose } from "./matmul.js";

export interface MatmulRefInput {
  a: ArrayLike<number>;
  b: ArrayLike<number>;
  /** [N] or undefined */
  bias?: ArrayLike<number>;
  /** C before the call (used when accumulating) [M, N] */
  c0?: ArrayLike<number>;
  m: number;
  k: number;
  n: number;
  transpose: Transpose;
  accumulate: boolean;
}

/** @example matmulRef({ a: [1, 2], b: [3, 4], m: 1, k: 2, n: 1, transpose: "NN", accumulate: false }) // → [11] */
export function matmulRef(x: MatmulRefInput): Float64Array {
  const { a, b, m, k, n } = x;
  const ta = x.transpose[0] === "T", tb = x.transpose[1] === "T";
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = x.accumulate && x.c0 ? x.c0[i * n + j]! : 0;
      if (x.bias) s += x.bias[j]!;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i]! : a[i * k + p]!) * (tb ? b[j * k + p]! : b[p * n + j]!);
      out[i * n + j] = s;
    }
  }
  return out;
}

/** dBias[j] (+)= Σ_r dOut[r, j] in float64. dOut [rows, cols]. */
export function biasGradRef(dOut: ArrayLike<number>, rows: number, cols: number, dBias0?: ArrayLike<number>): Float64Array {
  const out = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let s = dBias0 ? dBias0[j]! : 0;
    for (let r = 0; r < rows; r++) s += dOut[r * cols + j]!;
    out[j] = s;
  }
  return out;
}
