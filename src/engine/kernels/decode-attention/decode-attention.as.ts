// decodeAttention: attention of the newest query rows of each sequence over its KV cache (incremental
// decoding). One parameter block in memory (layout: the PARAM_* word offsets below, written by
// decode-attention.ts) instead of positional arguments; parallel dimension bh = b·NH + h in
// [start, end). A (b, h) writes only its own output columns and its own scratch slot.
// Per query row r of sequence b (its slot s = lens[b] − nq + r, position qpos = pos[b, s]), keys
// j = 0…s:  logit_j = scale·q·k_j + bias(h, qpos, pos[b, j])  (−∞ where qpos − pos[b, j] ≥ window > 0)
//           out = Σ_j softmax(logit)_j · v_j
// CoPE (bias mode 3) replaces the bias by the contextual position term (cope.ts conventions).
// Conventions, layouts and the summation order are documented in decode-attention.ts.

import { expf1, expf4, sigmoidf1 } from "../mathf4/mathf4.as";

// @ts-ignore: decorator
@inline const PARAM_OUT = 0;
// @ts-ignore: decorator
@inline const PARAM_OUT_STRIDE = 1;
// @ts-ignore: decorator
@inline const PARAM_Q = 2;
// @ts-ignore: decorator
@inline const PARAM_Q_STRIDE = 3;
// @ts-ignore: decorator
@inline const PARAM_K = 4;
// @ts-ignore: decorator
@inline const PARAM_V = 5;
// @ts-ignore: decorator
@inline const PARAM_LENS = 6;
// @ts-ignore: decorator
@inline const PARAM_POS = 7;
// @ts-ignore: decorator
@inline const PARAM_SLOTS = 8;
// @ts-ignore: decorator
@inline const PARAM_NH = 9;
// @ts-ignore: decorator
@inline const PARAM_HS = 10;
// @ts-ignore: decorator
@inline const PARAM_NQ = 11;
// @ts-ignore: decorator
@inline const PARAM_SCALE = 12;
// @ts-ignore: decorator
@inline const PARAM_BIAS_MODE = 13;
// @ts-ignore: decorator
@inline const PARAM_BIAS = 14;
// @ts-ignore: decorator
@inline const PARAM_BIAS_ARG = 15;
// @ts-ignore: decorator
@inline const PARAM_WINDOW = 16;
// @ts-ignore: decorator
@inline const PARAM_SCRATCH = 17;
// @ts-ignore: decorator
@inline const PARAM_SCRATCH_STRIDE = 18;

// @ts-ignore: decorator
@inline const BIAS_TOEPLITZ = 1;
// @ts-ignore: decorator
@inline const BIAS_DENSE = 2;
// @ts-ignore: decorator
@inline const BIAS_COPE = 3;

// @ts-ignore: decorator
@inline
function word(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline
function dot(x: usize, y: usize, n: i32): f32 {
  let a = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= n; d += 4) a = f32x4.add(a, f32x4.mul(v128.load(x + (<usize>d << 2)), v128.load(y + (<usize>d << 2))));
  const s = f32x4.add(a, v128.shuffle<f32>(a, a, 2, 3, 0, 1));
  let r = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
  for (; d < n; d++) r += load<f32>(x + (<usize>d << 2)) * load<f32>(y + (<usize>d << 2));
  return r;
}

// y[0..n) += a·x[0..n)
// @ts-ignore: decorator
@inline
function axpy(y: usize, a: f32, x: usize, n: i32): void {
  const av = f32x4.splat(a);
  let d = 0;
  for (; d + 4 <= n; d += 4) {
    const o = <usize>d << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(av, v128.load(x + o))));
  }
  for (; d < n; d++) store<f32>(y + (<usize>d << 2), load<f32>(y + (<usize>d << 2)) + a * load<f32>(x + (<usize>d << 2)));
}

export function decodeAttention(p: usize, start: i32, end: i32): void {
  const out = <usize>word(p, PARAM_OUT), outStride = word(p, PARAM_OUT_STRIDE);
  const q = <usize>word(p, PARAM_Q), qStride = word(p, PARAM_Q_STRIDE);
  const K = <usize>word(p, PARAM_K), V = <usize>word(p, PARAM_V);
  const lens = <usize>word(p, PARAM_LENS), pos = <usize>word(p, PARAM_POS), S = word(p, PARAM_SLOTS);
  const NH = word(p, PARAM_NH), HS = word(p, PARAM_HS), nq = word(p, PARAM_NQ);
  const scale = load<f32>(p + (<usize>PARAM_SCALE << 2));
  const mode = word(p, PARAM_BIAS_MODE), bias = <usize>word(p, PARAM_BIAS), biasArg = word(p, PARAM_BIAS_ARG);
  const window = word(p, PARAM_WINDOW);
  const scratch = <usize>word(p, PARAM_SCRATCH), scratchStride = word(p, PARAM_SCRATCH_STRIDE);
  const hsBytes = <usize>HS << 2;
  for (let bh = start; bh < end; bh++) {
    const b = bh / NH, h = bh % NH;
    const len = load<i32>(lens + (<usize>b << 2));
    const posRow = pos + ((<usize>b * <usize>S) << 2);
    const kBase = K + <usize>(b * NH + h) * <usize>S * hsBytes;
    const vBase = V + <usize>(b * NH + h) * <usize>S * hsBytes;
    const s = scratch + ((<usize>bh * <usize>scratchStride) << 2);
    for (let r = 0; r < nq; r++) {
      const slot = len - nq + r, n = slot + 1;
      const qp = q + ((<usize>(b * nq + r) * <usize>qStride + <usize>h * <usize>HS) << 2);
      const qpos = load<i32>(posRow + (<usize>slot << 2));
      for (let j = 0; j < n; j++) store<f32>(s + (<usize>j << 2), scale * dot(qp, kBase + <usize>j * hsBytes, HS));
      if (mode == BIAS_TOEPLITZ) {
        const D = biasArg, row = bias + ((<usize>h * <usize>(D + 1)) << 2);
        for (let j = 0; j < n; j++) {
          const d = min(qpos - load<i32>(posRow + (<usize>j << 2)), D);
          store<f32>(s + (<usize>j << 2), load<f32>(s + (<usize>j << 2)) + load<f32>(row + (<usize>d << 2)));
        }
      } else if (mode == BIAS_DENSE) {
        const row = bias + ((<usize>(h * nq + r) * <usize>biasArg) << 2);
        for (let j = 0; j < n; j++) store<f32>(s + (<usize>j << 2), load<f32>(s + (<usize>j << 2)) + load<f32>(row + (<usize>j << 2)));
      } else if (mode == BIAS_COPE) {
        // z[c] = q·e[c] (unscaled q), in the slot after the logits; gates from the newest key back
        const P = biasArg, z = s + ((<usize>S) << 2);
        for (let c = 0; c < P; c++) store<f32>(z + (<usize>c << 2), dot(qp, bias + <usize>c * hsBytes, HS));
        let acc: f32 = 0;
        const top = <f32>(P - 1);
        for (let j = slot; j >= 0; j--) {
          const sj = load<f32>(s + (<usize>j << 2));
          acc += sigmoidf1(sj);
          const pc = min(acc, top), fl = Mathf.floor(pc), w = pc - fl;
          const lo = load<f32>(z + (<usize>(<i32>fl) << 2)), hi = load<f32>(z + (<usize>(<i32>Mathf.ceil(pc)) << 2));
          store<f32>(s + (<usize>j << 2), sj + lo * (1 - w) + hi * w);
        }
      }
      if (window > 0) {
        for (let j = 0; j < n; j++) {
          if (qpos - load<i32>(posRow + (<usize>j << 2)) >= window) store<f32>(s + (<usize>j << 2), -Infinity);
        }
      }
      // softmax: max, e_j = exp(logit_j − max) in place (4 lanes, then the tail), z = Σ e_j in lane order
      let m: f32 = -Infinity;
      for (let j = 0; j < n; j++) m = max(m, load<f32>(s + (<usize>j << 2)));
      const mv = f32x4.splat(m);
      let zv = f32x4.splat(0);
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        const e = expf4(f32x4.sub(v128.load(s + (<usize>j << 2)), mv));
        v128.store(s + (<usize>j << 2), e);
        zv = f32x4.add(zv, e);
      }
      const zh = f32x4.add(zv, v128.shuffle<f32>(zv, zv, 2, 3, 0, 1));
      let zsum = f32x4.extract_lane(zh, 0) + f32x4.extract_lane(zh, 1);
      for (; j < n; j++) {
        const e = expf1(load<f32>(s + (<usize>j << 2)) - m);
        store<f32>(s + (<usize>j << 2), e);
        zsum += e;
      }
      const o = out + ((<usize>(b * nq + r) * <usize>outStride + <usize>h * <usize>HS) << 2);
      memory.fill(o, 0, hsBytes);
      for (let jj = 0; jj < n; jj++) {
        const e = load<f32>(s + (<usize>jj << 2));
        if (e != 0) axpy(o, e, vBase + <usize>jj * hsBytes, HS);
      }
      const inv: f32 = 1 / zsum;
      for (let c = 0; c < HS; c++) store<f32>(o + (<usize>c << 2), load<f32>(o + (<usize>c << 2)) * inv);
    }
  }
}
