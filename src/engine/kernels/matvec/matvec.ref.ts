/** Float64 reference of matvecRows: y[r, o] = bias[o] + Σ_i x[r, i]·w[o, i]. */
export function matvecRowsRef(x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | null, R: number, IN: number, OUT: number): Float64Array {
  const y = new Float64Array(R * OUT);
  for (let r = 0; r < R; r++) {
    for (let o = 0; o < OUT; o++) {
      let s = bias === null ? 0 : bias[o]!;
      for (let i = 0; i < IN; i++) s += x[r * IN + i]! * w[o * IN + i]!;
      y[r * OUT + o] = s;
    }
  }
  return y;
}
