/** Float64 reference of the row softmax (used only by tests). */

export function softmaxForwardRef(inp: ArrayLike<number>, N: number, V: number): Float64Array {
  const out = new Float64Array(N * V);
  for (let r = 0; r < N; r++) {
    let m = -Infinity;
    for (let i = 0; i < V; i++) m = Math.max(m, inp[r * V + i]!);
    let s = 0;
    for (let i = 0; i < V; i++) s += Math.exp(inp[r * V + i]! - m);
    for (let i = 0; i < V; i++) out[r * V + i] = Math.exp(inp[r * V + i]! - m) / s;
  }
  return out;
}

/** dInp = out·(dOut − Σ dOut·out) per row. */
export function softmaxBackwardRef(dOut: ArrayLike<number>, out: ArrayLike<number>, N: number, V: number): Float64Array {
  const d = new Float64Array(N * V);
  for (let r = 0; r < N; r++) {
    let s = 0;
    for (let i = 0; i < V; i++) s += dOut[r * V + i]! * out[r * V + i]!;
    for (let i = 0; i < V; i++) d[r * V + i] = out[r * V + i]! * (dOut[r * V + i]! - s);
  }
  return d;
}
