/** Float64 reference of the bias add (used only by tests). */

/** out[r, c] = x[r, c] + bias[c]. */
export function biasAddForwardRef(x: ArrayLike<number>, bias: ArrayLike<number>, N: number, C: number): Float64Array {
  const out = new Float64Array(N * C);
  for (let r = 0; r < N; r++) for (let c = 0; c < C; c++) out[r * C + c] = x[r * C + c]! + bias[c]!;
  return out;
}

/** dBias[c] = Σ_r dOut[r, c] (fresh array). */
export function biasAddBackwardRef(dOut: ArrayLike<number>, N: number, C: number): Float64Array {
  const d = new Float64Array(C);
  for (let r = 0; r < N; r++) for (let c = 0; c < C; c++) d[c]! += dOut[r * C + c]!;
  return d;
}
