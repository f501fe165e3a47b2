/**
 * Float64 reference of qkvRopeForward / qkvRopeBackward (slow loops, same layouts as qkv-rope.ts).
 * Tables are [P, R/2]; `positions` is [B·T] (or null → t).
 */
import type { QkvShape, RopeLayout } from "./qkv-rope.js";

export interface RefRotation {
  layout: RopeLayout;
  rotaryDim: number;
  cosQ: ArrayLike<number>;
  sinQ: ArrayLike<number>;
  cosK: ArrayLike<number>;
  sinK: ArrayLike<number>;
}

/** Index pair (first, second) of rotated pair i in a head of rotary size R. */
export function pairIndices(layout: RopeLayout, R: number, i: number): [number, number] {
  return layout === "half" ? [i, i + R / 2] : [2 * i, 2 * i + 1];
}

/** Rotates x[0..R) in place-free fashion: returns the rotated head vector (sign −1 = transpose). */
export function rotateHeadRef(
  x: ArrayLike<number>, cos: ArrayLike<number>, sin: ArrayLike<number>, row: number,
  layout: RopeLayout, R: number, sign: number,
): Float64Array {
  const out = Float64Array.from(x);
  for (let i = 0; i < R / 2; i++) {
    const [a, b] = pairIndices(layout, R, i);
    const c = cos[row * (R / 2) + i]!, s = sign * sin[row * (R / 2) + i]!;
    out[a] = x[a]! * c - x[b]! * s;
    out[b] = x[a]! * s + x[b]! * c;
  }
  return out;
}

/** Returns q, k, v [B, NH, T, HS] from qkv [B, T, 3C]. */
export function qkvRopeForwardRef(
  qkv: ArrayLike<number>, shape: QkvShape, rot: RefRotation | null, positions: ArrayLike<number> | null,
): { q: Float64Array; k: Float64Array; v: Float64Array } {
  const { B, T, NH, HS } = shape;
  const C = NH * HS;
  const q = new Float64Array(B * T * C), k = new Float64Array(B * T * C), v = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let h = 0; h < NH; h++) {
    const src = (b * T + t) * 3 * C + h * HS;
    const dst = ((b * NH + h) * T + t) * HS;
    const row = positions ? positions[b * T + t]! : t;
    const head = (off: number) => Array.from({ length: HS }, (_, d) => qkv[src + off + d]!);
    const qh = rot ? rotateHeadRef(head(0), rot.cosQ, rot.sinQ, row, rot.layout, rot.rotaryDim, 1) : head(0);
    const kh = rot ? rotateHeadRef(head(C), rot.cosK, rot.sinK, row, rot.layout, rot.rotaryDim, 1) : head(C);
    const vh = head(2 * C);
    for (let d = 0; d < HS; d++) { q[dst + d] = qh[d]!; k[dst + d] = kh[d]!; v[dst + d] = vh[d]!; }
  }
  return { q, k, v };
}

/** Returns dqkv [B, T, 3C] from dq, dk, dv [B, NH, T, HS]. */
export function qkvRopeBackwardRef(
  dq: ArrayLike<number>, dk: ArrayLike<number>, dv: ArrayLike<number>,
  shape: QkvShape, rot: RefRotation | null, positions: ArrayLike<number> | null,
): Float64Array {
  const { B, T, NH, HS } = shape;
  const C = NH * HS;
  const dqkv = new Float64Array(B * T * 3 * C);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let h = 0; h < NH; h++) {
    const src = ((b * NH + h) * T + t) * HS;
    const dst = (b * T + t) * 3 * C + h * HS;
    const row = positions ? positions[b * T + t]! : t;
    const head = (x: ArrayLike<number>) => Array.from({ length: HS }, (_, d) => x[src + d]!);
    const gq = rot ? rotateHeadRef(head(dq), rot.cosQ, rot.sinQ, row, rot.layout, rot.rotaryDim, -1) : head(dq);
    const gk = rot ? rotateHeadRef(head(dk), rot.cosK, rot.sinK, row, rot.layout, rot.rotaryDim, -1) : head(dk);
    const gv = head(dv);
    for (let d = 0; d < HS; d++) { dqkv[dst + d] = gq[d]!; dqkv[dst + C + d] = gk[d]!; dqkv[dst + 2 * C + d] = gv[d]!; }
  }
  return dqkv;
}
