/** Float64 reference of LayerNorm (slow loops, obviously correct): used only by tests. */

export interface LayerNormForwardRef { out: Float64Array; mean: Float64Array; rstd: Float64Array }

/** out[r,c] = (x[r,c] − μ_r)/√(σ²_r + eps)·w[c] + b[c], σ² the biased variance (as torch). */
export function layerNormForwardRef(inp: ArrayLike<number>, weight: ArrayLike<number>, bias: ArrayLike<number>, N: number, C: number, eps: number): LayerNormForwardRef {
  const out = new Float64Array(N * C);
  const mean = new Float64Array(N);
  const rstd = new Float64Array(N);
  for (let r = 0; r < N; r++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += inp[r * C + c]!;
    const m = s / C;
    let q = 0;
    for (let c = 0; c < C; c++) q += (inp[r * C + c]! - m) ** 2;
    const rs = 1 / Math.sqrt(q / C + eps);
    mean[r] = m;
    rstd[r] = rs;
    for (let c = 0; c < C; c++) out[r * C + c] = (inp[r * C + c]! - m) * rs * weight[c]! + bias[c]!;
  }
  return { out, mean, rstd };
}

export interface LayerNormBackwardRef { dInp: Float64Array; dWeight: Float64Array; dBias: Float64Array }

/** Gradients of Σ dOut·out (fresh arrays; the kernels add them to existing gradients). */
export function layerNormBackwardRef(dOut: ArrayLike<number>, inp: ArrayLike<number>, weight: ArrayLike<number>, N: number, C: number, eps: number): LayerNormBackwardRef {
  const { mean, rstd } = layerNormForwardRef(inp, weight, new Float64Array(C), N, C, eps);
  const dInp = new Float64Array(N * C);
  const dWeight = new Float64Array(C);
  const dBias = new Float64Array(C);
  for (let r = 0; r < N; r++) {
    const norm = (c: number): number => (inp[r * C + c]! - mean[r]!) * rstd[r]!;
    let k1 = 0;
    let k2 = 0;
    for (let c = 0; c < C; c++) {
      const dn = weight[c]! * dOut[r * C + c]!;
      k1 += dn;
      k2 += dn * norm(c);
      dWeight[c]! += norm(c) * dOut[r * C + c]!;
      dBias[c]! += dOut[r * C + c]!;
    }
    k1 /= C;
    k2 /= C;
    for (let c = 0; c < C; c++) dInp[r * C + c] = (weight[c]! * dOut[r * C + c]! - k1 - norm(c) * k2) * rstd[r]!;
  }
  return { dInp, dWeight, dBias };
}
