// LSTM cell, element-wise part (PyTorch nn.LSTM semantics and gate order i, f, g, o), over batch
// rows [start, end). The matmuls x·W_ihᵀ and h·W_hhᵀ are done by the matmul kernels; see lstm.ts.
// Columns are processed 4 at a time; tail columns (H not a multiple of 4) go one at a time through
// lane 0 of the same vector code, so every element is bit-identical however the rows are split.
import { sigmoidf4, tanhf4 } from "../mathf4/mathf4.as";

/** 4 floats at p + off (or 1 float splatted when `one`); zeros when p = 0 (absent operand). */
// @ts-ignore: decorator
@inline
function ld(p: usize, off: usize, one: bool): v128 {
  if (p == 0) return f32x4.splat(0);
  return one ? f32x4.splat(load<f32>(p + off)) : v128.load(p + off);
}

// @ts-ignore: decorator
@inline
function st(p: usize, off: usize, v: v128, one: bool): void {
  if (one) store<f32>(p + off, f32x4.extract_lane(v, 0));
  else v128.store(p + off, v);
}

// @ts-ignore: decorator
@inline
function preAct(preIh: usize, preHh: usize, biasIh: usize, biasHh: usize, gOff: usize, bOff: usize, one: bool): v128 {
  return f32x4.add(f32x4.add(ld(preIh, gOff, one), ld(biasIh, bOff, one)), f32x4.add(ld(preHh, gOff, one), ld(biasHh, bOff, one)));
}

/**
 * Batch rows [start, end): a = (preIh + biasIh) + (preHh + biasHh) [B, 4H] (preHh, biasIh, biasHh and
 * cPrev may be 0 = absent/zero); i, f, o = sigmoid, g = tanh; c = f·cPrev + i·g; h = o·tanh(c).
 * Saves the activated gates [B, 4H] for the backward. h, c must not alias cPrev's other rows.
 */
export function lstmCellForward(
  h: usize, c: usize, gates: usize, preIh: usize, preHh: usize, cPrev: usize, biasIh: usize, biasHh: usize,
  H: i32, start: i32, end: i32,
): void {
  const H4 = H & ~3;
  const hb = <usize>H << 2;
  for (let b = start; b < end; b++) {
    const gRow = <usize>b * (<usize>H << 4);
    const hRow = <usize>b * hb;
    for (let j = 0; j < H; ) {
      const one = j >= H4;
      const oj = <usize>j << 2;
      const gi = sigmoidf4(preAct(preIh, preHh, biasIh, biasHh, gRow + oj, oj, one));
      const gf = sigmoidf4(preAct(preIh, preHh, biasIh, biasHh, gRow + hb + oj, hb + oj, one));
      const gg = tanhf4(preAct(preIh, preHh, biasIh, biasHh, gRow + 2 * hb + oj, 2 * hb + oj, one));
      const go = sigmoidf4(preAct(preIh, preHh, biasIh, biasHh, gRow + 3 * hb + oj, 3 * hb + oj, one));
      const cn = f32x4.add(f32x4.mul(gf, ld(cPrev, hRow + oj, one)), f32x4.mul(gi, gg));
      const hn = f32x4.mul(go, tanhf4(cn));
      st(gates, gRow + oj, gi, one);
      st(gates, gRow + hb + oj, gf, one);
      st(gates, gRow + 2 * hb + oj, gg, one);
      st(gates, gRow + 3 * hb + oj, go, one);
      st(c, hRow + oj, cn, one);
      st(h, hRow + oj, hn, one);
      j += one ? 1 : 4;
    }
  }
}

/**
 * Batch rows [start, end), given dh = ∂L/∂h_t (total) and dc = ∂L/∂c_t from step t+1 (0 = zero):
 *   tc = tanh(c); dcT = dc + dh·o·(1 − tc²)
 *   dPre_i = dcT·g·i(1−i), dPre_f = dcT·cPrev·f(1−f), dPre_g = dcT·i·(1−g²), dPre_o = dh·tc·o(1−o)
 *   dcPrev = dcT·f
 * dPre [B, 4H] and dcPrev [B, H] are written (`=`); dcPrev may alias dc. cPrev may be 0 (zero).
 */
export function lstmCellBackward(
  dPre: usize, dcPrev: usize, dh: usize, dc: usize, gates: usize, c: usize, cPrev: usize, H: i32, start: i32, end: i32,
): void {
  const H4 = H & ~3;
  const hb = <usize>H << 2;
  const I = f32x4.splat(1);
  for (let b = start; b < end; b++) {
    const gRow = <usize>b * (<usize>H << 4);
    const hRow = <usize>b * hb;
    for (let j = 0; j < H; ) {
      const one = j >= H4;
      const oj = <usize>j << 2;
      const gi = ld(gates, gRow + oj, one), gf = ld(gates, gRow + hb + oj, one);
      const gg = ld(gates, gRow + 2 * hb + oj, one), go = ld(gates, gRow + 3 * hb + oj, one);
      const tc = tanhf4(ld(c, hRow + oj, one));
      const dhv = ld(dh, hRow + oj, one);
      const dct = f32x4.add(ld(dc, hRow + oj, one), f32x4.mul(f32x4.mul(dhv, go), f32x4.sub(I, f32x4.mul(tc, tc))));
      st(dPre, gRow + oj, f32x4.mul(f32x4.mul(dct, gg), f32x4.mul(gi, f32x4.sub(I, gi))), one);
      st(dPre, gRow + hb + oj, f32x4.mul(f32x4.mul(dct, ld(cPrev, hRow + oj, one)), f32x4.mul(gf, f32x4.sub(I, gf))), one);
      st(dPre, gRow + 2 * hb + oj, f32x4.mul(f32x4.mul(dct, gi), f32x4.sub(I, f32x4.mul(gg, gg))), one);
      st(dPre, gRow + 3 * hb + oj, f32x4.mul(f32x4.mul(dhv, tc), f32x4.mul(go, f32x4.sub(I, go))), one);
      st(dcPrev, hRow + oj, f32x4.mul(dct, gf), one);
      j += one ? 1 : 4;
    }
  }
}
