// The 32-channel head's inner loops of decodeAttention (HS = 32: the bench's and the default models'
// head size; other sizes take the general loops of decode-attention.as.ts). Every key's dot product
// and every output channel's sum are the same operations in the same order as the general loops
// (q·k in 4 lanes over channels mod 4, reduced (l0 + l2) + (l1 + l3); Σ e_j·v_j in key order), so
// the bytes are the same whichever loop — and whichever pairing of queries — computed them.
//
// Written for V8's code generator: within a basic block it issues every load before the arithmetic
// that uses it, so a block's loads + the live accumulators must fit the 16 xmm registers, or an
// accumulator is spilled and its chain of multiply-adds goes through memory (≈ 2.5× slower here).
// Hence blocks of ≤ 6 loads beside ≤ 8 accumulators: 4 keys per channel step for q·k, 2 queries ×
// 4 keys when two queries share the keys (a shared prefix), and a branch in the middle of a value
// row (`if (j < 0) break`: never taken, it only ends the block) for Σ e·v over 32 channels.

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
export function scores32(s: usize, q: usize, k: usize, n: i32, scale: f32): void {
  const sv = f32x4.splat(scale);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const kj = k + (<usize>j << 7);
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (let o: usize = 0; o < 128; o += 16) {
      const qv = v128.load(q + o), kk = kj + o;
      a0 = madd(qv, v128.load(kk), a0);
      a1 = madd(qv, v128.load(kk, 128), a1);
      a2 = madd(qv, v128.load(kk, 256), a2);
      a3 = madd(qv, v128.load(kk, 384), a3);
    }
    v128.store(s + (<usize>j << 2), f32x4.mul(sv, reduce4(a0, a1, a2, a3)));
  }
  for (; j < n; j++) store<f32>(s + (<usize>j << 2), scale * dot32(q, k + (<usize>j << 7)));
}

// scores32 for two queries over the same keys (x ↔ q, y ↔ r): each key row loaded once for both.
export function scores32x2(x: usize, y: usize, q: usize, r: usize, k: usize, n: i32, scale: f32): void {
  const sv = f32x4.splat(scale);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const kj = k + (<usize>j << 7);
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
    v128.store(x + (<usize>j << 2), f32x4.mul(sv, reduce4(a0, a1, a2, a3)));
    v128.store(y + (<usize>j << 2), f32x4.mul(sv, reduce4(b0, b1, b2, b3)));
  }
  for (; j < n; j++) {
    const kj = k + (<usize>j << 7);
    store<f32>(x + (<usize>j << 2), scale * dot32(q, kj));
    store<f32>(y + (<usize>j << 2), scale * dot32(r, kj));
  }
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
