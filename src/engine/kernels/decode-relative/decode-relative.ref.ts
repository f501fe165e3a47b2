/**
 * Float64 reference of decodeRelativeAttention (decode-relative.ts conventions): plain loops over the same
 * layouts (q/out rows with strides, K/V [B, NH, S, HS], pos [B, S], lens [B], r [NH, D+1, HS], u/vb [NH, HS]);
 * with a shared prefix P, key j < P of any sequence is read from sequence 0's slabs.
 */
export interface DecodeRelativeRefInput {
  q: ArrayLike<number>;
  qStride: number;
  k: ArrayLike<number>;
  v: ArrayLike<number>;
  lens: ArrayLike<number>;
  pos: ArrayLike<number>;
  slots: number;
  B: number;
  NH: number;
  HS: number;
  nq: number;
  r: ArrayLike<number>;
  u: ArrayLike<number>;
  vb: ArrayLike<number>;
  maxDistance: number;
  shared?: number;
}

/** out [B·nq, NH·HS]. */
export function decodeRelativeRef(a: DecodeRelativeRefInput): Float64Array {
  const { B, NH, HS, nq, slots: S, maxDistance: D } = a, C = NH * HS, scale = 1 / Math.sqrt(HS);
  const out = new Float64Array(B * nq * C);
  for (let b = 0; b < B; b++) for (let h = 0; h < NH; h++) for (let r = 0; r < nq; r++) {
    const slot = a.lens[b]! - nq + r, qpos = a.pos[b * S + slot]!;
    const qOff = (b * nq + r) * a.qStride + h * HS;
    const kv = (j: number): number => (((j < (a.shared ?? 0) ? 0 : b) * NH + h) * S + j) * HS;
    const s = new Float64Array(slot + 1);
    for (let j = 0; j <= slot; j++) {
      const d = qpos - a.pos[b * S + j]!;
      if (d < 0) { s[j] = -Infinity; continue; }
      const rr = (h * (D + 1) + Math.min(d, D)) * HS;
      let x = 0;
      for (let c = 0; c < HS; c++) {
        const qc = a.q[qOff + c]!;
        x += (qc + a.u[h * HS + c]!) * a.k[kv(j) + c]! + (qc + a.vb[h * HS + c]!) * a.r[rr + c]!;
      }
      s[j] = scale * x;
    }
    let m = -Infinity;
    for (const x of s) m = Math.max(m, x);
    let z = 0;
    const e = s.map((x) => { const y = Math.exp(x - m); z += y; return y; });
    const o = (b * nq + r) * C + h * HS;
    for (let j = 0; j <= slot; j++) for (let c = 0; c < HS; c++) out[o + c]! += (e[j]! / z) * a.v[kv(j) + c]!;
  }
  return out;
}
