/** Float64 reference of the embedding gather / scatter-add (used only by tests). */

/** out[r] = tok[ids[r]] + (pos ? pos[posIds[r]] : 0). */
export function embeddingForwardRef(ids: ArrayLike<number>, posIds: ArrayLike<number> | null, tok: ArrayLike<number>, pos: ArrayLike<number> | null, N: number, C: number): Float64Array {
  const out = new Float64Array(N * C);
  for (let r = 0; r < N; r++) {
    for (let c = 0; c < C; c++) {
      out[r * C + c] = tok[ids[r]! * C + c]! + (pos && posIds ? pos[posIds[r]! * C + c]! : 0);
    }
  }
  return out;
}

/** Fresh gradients of Σ dOut·out w.r.t. the token table [V, C] and the position table [P, C]. */
export function embeddingBackwardRef(dOut: ArrayLike<number>, ids: ArrayLike<number>, posIds: ArrayLike<number>, N: number, C: number, V: number, P: number): { dTok: Float64Array; dPos: Float64Array } {
  const dTok = new Float64Array(V * C);
  const dPos = new Float64Array(P * C);
  for (let r = 0; r < N; r++) {
    for (let c = 0; c < C; c++) {
      dTok[ids[r]! * C + c]! += dOut[r * C + c]!;
      dPos[posIds[r]! * C + c]! += dOut[r * C + c]!;
    }
  }
  return { dTok, dPos };
}
