/**
 * Float64 reference of copeForward / copeBackward (naive per-row loops, conventions of cope.ts).
 * The backward differentiates the same formulas by hand (checked by finite differences in the test).
 */
import type { AttentionShape } from "../attention/attention.js";

interface RowState { s: Float64Array; g: Float64Array; pc: Float64Array; clamped: boolean[]; z: Float64Array; logit: Float64Array }

function row(q: ArrayLike<number>, k: ArrayLike<number>, emb: ArrayLike<number>, base: number, i: number, HS: number, P: number, scale: number): RowState {
  const dot = (a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number) => { let x = 0; for (let d = 0; d < HS; d++) x += a[ao + d]! * b[bo + d]!; return x; };
  const s = new Float64Array(i + 1), g = new Float64Array(i + 1), pc = new Float64Array(i + 1), logit = new Float64Array(i + 1);
  const clamped: boolean[] = [];
  const z = Float64Array.from({ length: P }, (_, p) => dot(q, (base + i) * HS, emb, p * HS));
  let acc = 0;
  for (let j = i; j >= 0; j--) {
    s[j] = scale * dot(q, (base + i) * HS, k, (base + j) * HS);
    g[j] = 1 / (1 + Math.exp(-s[j]!));
    acc += g[j]!;
    clamped[j] = acc > P - 1;
    pc[j] = Math.min(acc, P - 1);
    const fl = Math.floor(pc[j]!), ce = Math.ceil(pc[j]!), w = pc[j]! - fl;
    logit[j] = s[j]! + z[fl]! * (1 - w) + z[ce]! * w;
  }
  return { s, g, pc, clamped, z, logit };
}

export function copeForwardRef(
  q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, emb: ArrayLike<number>,
  shape: AttentionShape, P: number, scale: number,
): { out: Float64Array; lse: Float64Array } {
  const { B, T, NH, HS } = shape, C = NH * HS;
  const out = new Float64Array(B * T * C), lse = new Float64Array(B * NH * T);
  for (let b = 0; b < B; b++) for (let h = 0; h < NH; h++) for (let i = 0; i < T; i++) {
    const base = (b * NH + h) * T;
    const { logit } = row(q, k, emb, base, i, HS, P, scale);
    const m = Math.max(...logit);
    let sum = 0;
    for (let j = 0; j <= i; j++) sum += Math.exp(logit[j]! - m);
    lse[base + i] = m + Math.log(sum);
    for (let j = 0; j <= i; j++) for (let d = 0; d < HS; d++) out[(b * T + i) * C + h * HS + d]! += (Math.exp(logit[j]! - m) / sum) * v[(base + j) * HS + d]!;
  }
  return { out, lse };
}

export function copeBackwardRef(
  dout: ArrayLike<number>, q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, emb: ArrayLike<number>,
  shape: AttentionShape, P: number, scale: number,
): { dq: Float64Array; dk: Float64Array; dv: Float64Array; dEmb: Float64Array } {
  const { B, T, NH, HS } = shape, C = NH * HS;
  const dq = new Float64Array(B * NH * T * HS), dk = new Float64Array(dq.length), dv = new Float64Array(dq.length);
  const dEmb = new Float64Array(B * NH * P * HS);
  for (let b = 0; b < B; b++) for (let h = 0; h < NH; h++) for (let i = 0; i < T; i++) {
    const base = (b * NH + h) * T, eb = (b * NH + h) * P * HS;
    const st = row(q, k, emb, base, i, HS, P, scale);
    const m = Math.max(...st.logit);
    const e = st.logit.map((x) => Math.exp(x - m));
    const sum = e.reduce((a, x) => a + x, 0);
    const a = e.map((x) => x / sum);
    const go = (d: number) => dout[(b * T + i) * C + h * HS + d]!;
    const dA = Float64Array.from({ length: i + 1 }, (_, j) => { let x = 0; for (let d = 0; d < HS; d++) x += go(d) * v[(base + j) * HS + d]!; return x; });
    const aDotDa = a.reduce((acc, x, j) => acc + x * dA[j]!, 0);
    const dl = a.map((x, j) => x * (dA[j]! - aDotDa));
    const dz = new Float64Array(P), dpc = new Float64Array(i + 1);
    for (let j = 0; j <= i; j++) {
      for (let d = 0; d < HS; d++) dv[(base + j) * HS + d]! += a[j]! * go(d);
      const fl = Math.floor(st.pc[j]!), ce = Math.ceil(st.pc[j]!), w = st.pc[j]! - fl;
      dz[fl]! += dl[j]! * (1 - w); dz[ce]! += dl[j]! * w;
      dpc[j] = st.clamped[j] ? 0 : dl[j]! * (st.z[ce]! - st.z[fl]!);
    }
    const ds = Float64Array.from(dl);
    for (let t = 0; t <= i; t++) {
      let dg = 0;
      for (let j = 0; j <= t; j++) dg += dpc[j]!;
      ds[t]! += dg * st.g[t]! * (1 - st.g[t]!);
    }
    for (let d = 0; d < HS; d++) {
      for (let j = 0; j <= i; j++) {
        dq[(base + i) * HS + d]! += scale * ds[j]! * k[(base + j) * HS + d]!;
        dk[(base + j) * HS + d]! += scale * ds[j]! * q[(base + i) * HS + d]!;
      }
      for (let p = 0; p < P; p++) {
        dq[(base + i) * HS + d]! += dz[p]! * emb[p * HS + d]!;
        dEmb[eb + p * HS + d]! += dz[p]! * q[(base + i) * HS + d]!;
      }
    }
  }
  return { dq, dk, dv, dEmb };
}
