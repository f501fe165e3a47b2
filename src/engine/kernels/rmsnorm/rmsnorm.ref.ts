/** Float64 reference of RMSNorm (slow loops, obviously correct): used only by tests. */

/** out[r,c] = x[r,c]/√(mean_c x² + eps)·w[c]; also returns rstd per row. */
export function rmsNormForwardRef(inp: ArrayLike<number>, weight: ArrayLike<number>, N: number, C: number, eps: number): { out: Float64Array; rstd: Float64Array } {
  const out = new Float64Array(N * C);
  const rstd = new Float64Array(N);
  for (let r = 0; r < N; r++) {
    let q = 0;
    for (let c = 0; c < C; c++) q += inp[r * C + c]! ** 2;
    const rs = 1 / Math.sqrt(q / C + eps);
    rstd[r] = rs;
    for (let c = 0; c < C; c++) out[r * C + c] = inp[r * C + c]! * rs * weight[c]!;
  }
  return { out, rstd };
}

/** Gradients of Σ dOut·out (fresh arrays). */
export function rmsNormBackwardRef(dOut: ArrayLike<number>, inp: ArrayLike<number>, weight: ArrayLike<number>, N: number, C: number, eps: number): { dInp: Float64Array; dWeight: Float64Array } {
  const { rstd } = rmsNormForwardRef(inp, weight, N, C, eps);
  const dInp = new Float64Array(N * C);
  const dWeight = new Float64Array(C);
  for (let r = 0; r < N; r++) {
    const rs = rstd[r]!;
    let k = 0;
    for (let c = 0; c < C; c++) {
      const norm = inp[r * C + c]! * rs;
      k += weight[c]! * dOut[r * C + c]! * norm;
      dWeight[c]! += norm * dOut[r * C + c]!;
    }
    k /= C;
    for (let c = 0; c < C; c++) dInp[r * C + c] = (weight[c]! * dOut[r * C + c]! - inp[r * C + c]! * rs * k) * rs;
  }
  return { dInp, dWeight };
}
