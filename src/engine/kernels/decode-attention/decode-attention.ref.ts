/**
 * Float64 reference of decodeAttention (decode-attention.ts conventions): plain loops over the
 * same layouts (q/out rows with strides, K/V [B, NH, S, HS], pos [B, S], lens [B]); with a shared
 * prefix P, key j < P of any sequence is read from sequence 0's slabs.
 */
import type { DecodeBias } from "./decode-attention.js";

export interface DecodeAttentionRefInput {
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
  window: number;
  /** Per-head dilation [NH] (default 1) and global tokens G (default 0). */
  dilation?: ArrayLike<number>;
  globalTokens?: number;
  /** Shared prefix P: keys j < P of every sequence are sequence 0's (default 0). */
  shared?: number;
  /** Bias data by mode: toeplitz table [NH, D+1], dense rows [NH, nq, stride], cope emb [P, HS]. */
  bias: { kind: DecodeBias["kind"]; data?: ArrayLike<number>; arg?: number };
}

/** out [B·nq, NH·HS]. */
export function decodeAttentionRef(a: DecodeAttentionRefInput): Float64Array {
  const { B, NH, HS, nq, slots: S } = a, C = NH * HS, scale = 1 / Math.sqrt(HS);
  const out = new Float64Array(B * nq * C);
  const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
  for (let b = 0; b < B; b++) for (let h = 0; h < NH; h++) for (let r = 0; r < nq; r++) {
    const slot = a.lens[b]! - nq + r, qpos = a.pos[b * S + slot]!;
    const qOff = (b * nq + r) * a.qStride + h * HS;
    const kv = (j: number): number => (((j < (a.shared ?? 0) ? 0 : b) * NH + h) * S + j) * HS;
    const s = new Float64Array(slot + 1);
    for (let j = 0; j <= slot; j++) {
      let d = 0;
      for (let c = 0; c < HS; c++) d += a.q[qOff + c]! * a.k[kv(j) + c]!;
      s[j] = scale * d;
    }
    const data = a.bias.data ?? [], arg = a.bias.arg ?? 0;
    if (a.bias.kind === "toeplitz") for (let j = 0; j <= slot; j++) s[j]! += data[h * (arg + 1) + Math.min(qpos - a.pos[b * S + j]!, arg)]!;
    if (a.bias.kind === "dense") for (let j = 0; j <= slot; j++) s[j]! += data[(h * nq + r) * arg + j]!;
    if (a.bias.kind === "cope") {
      const z = Array.from({ length: arg }, (_, p) => { let d = 0; for (let c = 0; c < HS; c++) d += a.q[qOff + c]! * data[p * HS + c]!; return d; });
      let acc = 0;
      for (let j = slot; j >= 0; j--) {
        acc += sigmoid(s[j]!);
        const pc = Math.min(acc, arg - 1), fl = Math.floor(pc), w = pc - fl;
        s[j] = s[j]! + z[fl]! * (1 - w) + z[Math.ceil(pc)]! * w;
      }
    }
    const d = a.dilation?.[h] ?? 1, G = a.globalTokens ?? 0;
    for (let j = 0; j <= slot; j++) {
      const kpos = a.pos[b * S + j]!, dist = qpos - kpos;
      const visible = (a.window > 0 && kpos < G) || ((a.window === 0 || dist <= (a.window - 1) * d) && dist % d === 0);
      if (!visible) s[j] = -Infinity;
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
