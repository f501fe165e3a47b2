// The 32-channel head's inner loops of decodeAttention (HS = 32: the bench's and the default models'
// head size; other sizes take the general loops of decode-attention.as.ts). Every key's dot product
// and every output channel's sum are the same operations in the same order as the general loops
// (q·k in 4 lanes over channels mod 4, reduced (l0 + l2) + (l1 + l3); Σ e_j·v_j in key order), so
// the bytes are the same whichever loop — and whichever pairing of queries — computed them.
//
// Written for V8's code generator: within a basic block it issues every load before the arithmetic
// that uses it, so a block's loads + the live accumulators must fit the 16 xmm registers, or an
// accumulator is spilled and its chain of multiply-adds goes through the stack (seen in V8's code
// with perf: docs/engine.md). Hence blocks of ≤ 6 loads beside ≤ 8 accumulators: 4 keys per channel
// step for q·k, 2 queries × 4 keys when two queries share the keys (a shared prefix), and a branch in
// the middle of a value row (`if (j < 0) break`: never taken, it only ends the block) for Σ e·v over
// 32 channels; the exp of 4 keys is a block of its own inside the value pass (softmaxSum32).

import { expNeg1, expNeg4, expShiftSum } from "../mathf4/mathf4.as";

/** Test kernel: out[i] = expNeg4(inp[i]) over [start, end), the tail through expNeg1 (decode-attention.test.ts). */
export function expNeg4Map(out: usize, inp: usize, start: i32, end: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) v128.store(out + (<usize>i << 2), expNeg4(v128.load(inp + (<usize>i << 2))));
  for (; i < end; i++) store<f32>(out + (<usize>i << 2), expNeg1(load<f32>(inp + (<usize>i << 2))));
}

// s[j] = exp(s[j] − m) in place for j < n and their sum: mathf4's expShiftSum, as a function of its own
// (not inlined into the pair loop, whose registers it would otherwise share).
export function expShiftSum32(s: usize, n: i32, m: f32): f32 {
  return expShiftSum(s, n, m);
}

// a·b + c: one fused multiply-add in the FMA build (asc --enable relaxed-simd, picked at run time by
// wasm.ts where relaxed_madd is fused), mul + add otherwise.
// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// Lane c of the result = the lanes of a_c reduced as (l0 + l2) + (l1 + l3) (the order of `dot`).
// @ts-ignore: decorator
@inline
export function reduce4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const t01 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
  const t23 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(t01, t23, 0, 1, 4, 5), v128.shuffle<f32>(t01, t23, 2, 3, 6, 7));
}

// q·k of one 32-channel key (the tail keys), in `dot`'s order.
// @ts-ignore: decorator
@inline
function dot32(q: usize, k: usize): f32 {
  let a = f32x4.splat(0);
  for (let o: usize = 0; o < 128; o += 16) a = madd(v128.load(q + o), v128.load(k + o), a);
  const s = f32x4.add(a, v128.shuffle<f32>(a, a, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

// s[j] = scale·q·k_j, j in [0, n), key rows 128 bytes apart from k: 4 keys per channel step (4 chains).
// With a Toeplitz row (`row` ≠ 0, key j at distance top − j ≤ D: the caller checks), the bias
// row[top − j] is added as logits() would (4 entries read backwards per block, then key by key).
// Returns the max of what it stored (−∞ for n = 0): the logits' max when nothing is masked after.
export function scores32(s: usize, q: usize, k: usize, n: i32, scale: f32, row: usize, top: i32): f32 {
  const sv = f32x4.splat(scale);
  let mx = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const kj = k + (<usize>j << 7);
    // the rows' second cache lines requested now, not 4 channel steps later (the loop reads the
    // first line of each row, then the second): all 8 lines of the block in flight at once
    load<i32>(kj, 64);
    load<i32>(kj, 192);
    load<i32>(kj, 320);
    load<i32>(kj, 448);
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (let o: usize = 0; o < 128; o += 16) {
      const qv = v128.load(q + o), kk = kj + o;
      a0 = madd(qv, v128.load(kk), a0);
      a1 = madd(qv, v128.load(kk, 128), a1);
      a2 = madd(qv, v128.load(kk, 256), a2);
      a3 = madd(qv, v128.load(kk, 384), a3);
    }
    let v = f32x4.mul(sv, reduce4(a0, a1, a2, a3));
    if (row != 0) {
      const t = v128.load(row + (<usize>(top - j - 3) << 2));
      v = f32x4.add(v, v128.shuffle<f32>(t, t, 3, 2, 1, 0));
    }
    mx = f32x4.pmax(mx, v);
    v128.store(s + (<usize>j << 2), v);
  }
  let m: f32 = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
  for (; j < n; j++) {
    let x = scale * dot32(q, k + (<usize>j << 7));
    if (row != 0) x = x + load<f32>(row + (<usize>(top - j) << 2));
    store<f32>(s + (<usize>j << 2), x);
    m = max(m, x);
  }
  return m;
}

// scores32 for two queries over the same keys (x ↔ q, y ↔ r): each key row loaded once for both.
// With a Toeplitz row, the biases row[topX − j], resp. row[topY − j]. Returns both maxes packed:
// the bits of x's in the low 32, y's in the high 32 (unpackMax).
export function scores32x2(x: usize, y: usize, q: usize, r: usize, k: usize, n: i32, scale: f32, row: usize, topX: i32, topY: i32): u64 {
  const sv = f32x4.splat(scale);
  let mx = f32x4.splat(-Infinity), my = mx;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const kj = k + (<usize>j << 7);
    load<i32>(kj, 64); // the rows' second cache lines requested now (as in scores32)
    load<i32>(kj, 192);
    load<i32>(kj, 320);
    load<i32>(kj, 448);
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    for (let o: usize = 0; o < 128; o += 16) {
      const qv = v128.load(q + o), rv = v128.load(r + o), kk = kj + o;
      const k0 = v128.load(kk), k1 = v128.load(kk, 128), k2 = v128.load(kk, 256), k3 = v128.load(kk, 384);
      a0 = madd(qv, k0, a0);
      b0 = madd(rv, k0, b0);
      a1 = madd(qv, k1, a1);
      b1 = madd(rv, k1, b1);
      a2 = madd(qv, k2, a2);
      b2 = madd(rv, k2, b2);
      a3 = madd(qv, k3, a3);
      b3 = madd(rv, k3, b3);
    }
    let u = f32x4.mul(sv, reduce4(a0, a1, a2, a3)), w = f32x4.mul(sv, reduce4(b0, b1, b2, b3));
    if (row != 0) {
      const t = v128.load(row + (<usize>(topX - j - 3) << 2)), z = v128.load(row + (<usize>(topY - j - 3) << 2));
      u = f32x4.add(u, v128.shuffle<f32>(t, t, 3, 2, 1, 0));
      w = f32x4.add(w, v128.shuffle<f32>(z, z, 3, 2, 1, 0));
    }
    mx = f32x4.pmax(mx, u);
    my = f32x4.pmax(my, w);
    v128.store(x + (<usize>j << 2), u);
    v128.store(y + (<usize>j << 2), w);
  }
  let m: f32 = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
  let l: f32 = max(max(f32x4.extract_lane(my, 0), f32x4.extract_lane(my, 1)), max(f32x4.extract_lane(my, 2), f32x4.extract_lane(my, 3)));
  for (; j < n; j++) {
    const kj = k + (<usize>j << 7);
    let u = scale * dot32(q, kj), w = scale * dot32(r, kj);
    if (row != 0) {
      u = u + load<f32>(row + (<usize>(topX - j) << 2));
      w = w + load<f32>(row + (<usize>(topY - j) << 2));
    }
    store<f32>(x + (<usize>j << 2), u);
    store<f32>(y + (<usize>j << 2), w);
    m = max(m, u);
    l = max(l, w);
  }
  return <u64>reinterpret<u32>(m) | (<u64>reinterpret<u32>(l) << 32);
}

// The max of x (half = 0) or y (half = 1) from scores32x2's result.
// @ts-ignore: decorator
@inline
export function unpackMax(packed: u64, half: i32): f32 {
  return reinterpret<f32>(<u32>(packed >> (<u64>half << 5)));
}

// o[0..32) (+)= Σ_{j<n} e_j·v_j (value rows 128 bytes apart from v; `acc`: continue from o's values —
// the same chains as one call over both key ranges). 8 accumulators, a block per half row.
export function weightedSum32(o: usize, e: usize, v: usize, n: i32, acc: bool): void {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  if (acc) {
    a0 = v128.load(o); a1 = v128.load(o, 16); a2 = v128.load(o, 32); a3 = v128.load(o, 48);
    a4 = v128.load(o, 64); a5 = v128.load(o, 80); a6 = v128.load(o, 96); a7 = v128.load(o, 112);
  }
  for (let j = 0; j < n; j++) {
    const vj = v + (<usize>j << 7), w = v128.load32_splat(e + (<usize>j << 2));
    a0 = madd(w, v128.load(vj), a0);
    a1 = madd(w, v128.load(vj, 16), a1);
    a2 = madd(w, v128.load(vj, 32), a2);
    a3 = madd(w, v128.load(vj, 48), a3);
    if (j < 0) break; // never: ends V8's basic block (its loads are issued first: ≤ 16 registers)
    a4 = madd(w, v128.load(vj, 64), a4);
    a5 = madd(w, v128.load(vj, 80), a5);
    a6 = madd(w, v128.load(vj, 96), a6);
    a7 = madd(w, v128.load(vj, 112), a7);
  }
  v128.store(o, a0);
  v128.store(o, a1, 16);
  v128.store(o, a2, 32);
  v128.store(o, a3, 48);
  v128.store(o, a4, 64);
  v128.store(o, a5, 80);
  v128.store(o, a6, 96);
  v128.store(o, a7, 112);
}

// weightedSum32 for two queries over the same value rows (o ↔ e, p ↔ f), acc = false: per half row
// (16 channels) one pass over the keys with 2 × 4 accumulators, each row half loaded once for both.
export function weightedSum32x2(o: usize, p: usize, e: usize, f: usize, v: usize, n: i32): void {
  for (let c: usize = 0; c < 128; c += 64) {
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    for (let j = 0; j < n; j++) {
      const vj = v + (<usize>j << 7) + c;
      const w = v128.load32_splat(e + (<usize>j << 2)), u = v128.load32_splat(f + (<usize>j << 2));
      const v0 = v128.load(vj), v1 = v128.load(vj, 16), v2 = v128.load(vj, 32), v3 = v128.load(vj, 48);
      a0 = madd(w, v0, a0);
      b0 = madd(u, v0, b0);
      a1 = madd(w, v1, a1);
      b1 = madd(u, v1, b1);
      a2 = madd(w, v2, a2);
      b2 = madd(u, v2, b2);
      a3 = madd(w, v3, a3);
      b3 = madd(u, v3, b3);
    }
    v128.store(o + c, a0);
    v128.store(o + c, a1, 16);
    v128.store(o + c, a2, 32);
    v128.store(o + c, a3, 48);
    v128.store(p + c, b0);
    v128.store(p + c, b1, 16);
    v128.store(p + c, b2, 32);
    v128.store(p + c, b3, 48);
  }
}

// softmax weights and Σ e_j·v_j of one query in ONE pass over the values (the exp's arithmetic runs
// while the value rows stream in): per 4 keys e = exp(s − m) (stored back into s, as every e_j), z += e lane-wise,
// then the 4 keys' value rows into 8 accumulators in key order; the n mod 4 tail key by key. Returns
// z = (z0 + z2) + (z1 + z3) + tail and leaves Σ e_j·v_j in o: the operations and order of expShiftSum
// + weightedSum32, so the same bytes. Keys j < nS are read at vS + j·128, the others at vO + j·128
// (a shared prefix and the sequence's own keys; a 4-key block across nS goes key by key).
export function softmaxSum32(o: usize, s: usize, vS: usize, vO: usize, nS: i32, n: i32, m: f32): f32 {
  const mv = f32x4.splat(m);
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, zv = a0;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const sj = s + (<usize>j << 2);
    const e = expNeg4(f32x4.sub(v128.load(sj), mv));
    zv = f32x4.add(zv, e);
    v128.store(sj, e);
    if (j < nS && j + 4 > nS) {
      for (let i = j; i < j + 4; i++) {
        const w = v128.load32_splat(s + (<usize>i << 2)), vi = (i < nS ? vS : vO) + (<usize>i << 7);
        a0 = madd(w, v128.load(vi, 0), a0);
        a1 = madd(w, v128.load(vi, 16), a1);
        a2 = madd(w, v128.load(vi, 32), a2);
        a3 = madd(w, v128.load(vi, 48), a3);
        if (i < 0) break;
        a4 = madd(w, v128.load(vi, 64), a4);
        a5 = madd(w, v128.load(vi, 80), a5);
        a6 = madd(w, v128.load(vi, 96), a6);
        a7 = madd(w, v128.load(vi, 112), a7);
      }
      continue;
    }
    const vb = (j < nS ? vS : vO) + (<usize>j << 7);
    let w: v128;
    w = v128.load32_splat(sj, 0);
    a0 = madd(w, v128.load(vb, 0), a0);
    a1 = madd(w, v128.load(vb, 16), a1);
    a2 = madd(w, v128.load(vb, 32), a2);
    a3 = madd(w, v128.load(vb, 48), a3);
    if (j < 0) break;
    a4 = madd(w, v128.load(vb, 64), a4);
    a5 = madd(w, v128.load(vb, 80), a5);
    a6 = madd(w, v128.load(vb, 96), a6);
    a7 = madd(w, v128.load(vb, 112), a7);
    if (j < 0) break;
    w = v128.load32_splat(sj, 4);
    a0 = madd(w, v128.load(vb, 128), a0);
    a1 = madd(w, v128.load(vb, 144), a1);
    a2 = madd(w, v128.load(vb, 160), a2);
    a3 = madd(w, v128.load(vb, 176), a3);
    if (j < 0) break;
    a4 = madd(w, v128.load(vb, 192), a4);
    a5 = madd(w, v128.load(vb, 208), a5);
    a6 = madd(w, v128.load(vb, 224), a6);
    a7 = madd(w, v128.load(vb, 240), a7);
    if (j < 0) break;
    w = v128.load32_splat(sj, 8);
    a0 = madd(w, v128.load(vb, 256), a0);
    a1 = madd(w, v128.load(vb, 272), a1);
    a2 = madd(w, v128.load(vb, 288), a2);
    a3 = madd(w, v128.load(vb, 304), a3);
    if (j < 0) break;
    a4 = madd(w, v128.load(vb, 320), a4);
    a5 = madd(w, v128.load(vb, 336), a5);
    a6 = madd(w, v128.load(vb, 352), a6);
    a7 = madd(w, v128.load(vb, 368), a7);
    if (j < 0) break;
    w = v128.load32_splat(sj, 12);
    a0 = madd(w, v128.load(vb, 384), a0);
    a1 = madd(w, v128.load(vb, 400), a1);
    a2 = madd(w, v128.load(vb, 416), a2);
    a3 = madd(w, v128.load(vb, 432), a3);
    if (j < 0) break;
    a4 = madd(w, v128.load(vb, 448), a4);
    a5 = madd(w, v128.load(vb, 464), a5);
    a6 = madd(w, v128.load(vb, 480), a6);
    a7 = madd(w, v128.load(vb, 496), a7);
  }
  const zh = f32x4.add(zv, v128.shuffle<f32>(zv, zv, 2, 3, 0, 1));
  let z = f32x4.extract_lane(zh, 0) + f32x4.extract_lane(zh, 1);
  for (; j < n; j++) {
    const e = expNeg1(load<f32>(s + (<usize>j << 2)) - m);
    z += e;
    store<f32>(s + (<usize>j << 2), e);
    const w = f32x4.splat(e), vb = (j < nS ? vS : vO) + (<usize>j << 7);
    a0 = madd(w, v128.load(vb, 0), a0);
    a1 = madd(w, v128.load(vb, 16), a1);
    a2 = madd(w, v128.load(vb, 32), a2);
    a3 = madd(w, v128.load(vb, 48), a3);
    if (j < 0) break;
    a4 = madd(w, v128.load(vb, 64), a4);
    a5 = madd(w, v128.load(vb, 80), a5);
    a6 = madd(w, v128.load(vb, 96), a6);
    a7 = madd(w, v128.load(vb, 112), a7);
  }
  v128.store(o, a0);
  v128.store(o, a1, 16);
  v128.store(o, a2, 32);
  v128.store(o, a3, 48);
  v128.store(o, a4, 64);
  v128.store(o, a5, 80);
  v128.store(o, a6, 96);
  v128.store(o, a7, 112);
  return z;
}
