// copeForward / copeBackward: causal attention with CoPE (contextual position encoding, Golovneva et
// al. 2024), one query row at a time (O(T + maxPos) scratch per (b, h), O(T²) work per (b, h)).
// Conventions are documented in cope.ts. Parallel dimension: bh = b·NH + h in [start, end); a (b, h)
// writes only its own out columns, lse row, dq/dk/dv slabs, dEmb slab and scratch slot.
import { accumulate, axpy, dot } from "../attention/attention.as";

@inline
function sigmoid(x: f32): f32 {
  return 1 / (1 + Mathf.exp(-x));
}

// For row i: S[j] = scale·q_i·k_j, G[j] = σ(S[j]), PC[j] = min(Σ_{t=j..i} G[t], maxPos − 1),
// Z[p] = q_i·e_p, L[j] = S[j] + interp(Z, PC[j]). Returns max_j L[j].
function copeRow(
  S: usize, G: usize, PC: usize, L: usize, Z: usize, qi: usize, kh: usize, emb: usize,
  i: i32, HS: i32, maxPos: i32, scale: f32,
): f32 {
  const hb = <usize>HS << 2;
  for (let j = 0; j <= i; j++) store<f32>(S + (<usize>j << 2), scale * dot(qi, kh + <usize>j * hb, HS));
  for (let p = 0; p < maxPos; p++) store<f32>(Z + (<usize>p << 2), dot(qi, emb + <usize>p * hb, HS));
  const top = <f32>(maxPos - 1);
  let acc: f32 = 0, m: f32 = -Infinity;
  for (let j = i; j >= 0; j--) {
    const s = load<f32>(S + (<usize>j << 2));
    const g = sigmoid(s);
    acc += g;
    const pc = min(acc, top);
    const fl = Mathf.floor(pc), w = pc - fl, ce = Mathf.ceil(pc);
    const l = s + load<f32>(Z + (<usize><i32>fl << 2)) * (1 - w) + load<f32>(Z + (<usize><i32>ce << 2)) * w;
    store<f32>(G + (<usize>j << 2), g);
    store<f32>(PC + (<usize>j << 2), acc > top ? -1 : pc); // −1 marks "clamped" (no gradient to p)
    store<f32>(L + (<usize>j << 2), l);
    m = max(m, l);
  }
  return m;
}

// Scratch slot per (b, h): S, G, PC, L [T] and Z, dZ [maxPos] (floats).
export function copeForward(
  out: usize, lse: usize, q: usize, k: usize, v: usize, emb: usize, scratch: usize,
  T: i32, NH: i32, HS: i32, maxPos: i32, scale: f32, start: i32, end: i32,
): void {
  const C = NH * HS, hb = <usize>HS << 2;
  const slot = <usize>(4 * T + 2 * maxPos) << 2;
  for (let bh = start; bh < end; bh++) {
    const b = bh / NH, h = bh % NH;
    const off = (<usize>bh * <usize>T * <usize>HS) << 2;
    const S = scratch + <usize>bh * slot, G = S + (<usize>T << 2), PC = G + (<usize>T << 2), L = PC + (<usize>T << 2), Z = L + (<usize>T << 2);
    for (let i = 0; i < T; i++) {
      const m = copeRow(S, G, PC, L, Z, q + off + <usize>i * hb, k + off, emb, i, HS, maxPos, scale);
      let sum: f32 = 0;
      for (let j = 0; j <= i; j++) {
        const a = Mathf.exp(load<f32>(L + (<usize>j << 2)) - m);
        store<f32>(L + (<usize>j << 2), a);
        sum += a;
      }
      const o = out + ((<usize>(b * T + i) * <usize>C + <usize>(h * HS)) << 2);
      for (let d = 0; d < HS; d++) store<f32>(o + (<usize>d << 2), 0);
      accumulate(o, 1 / sum, L, 1, v + off, HS, i + 1, HS);
      store<f32>(lse + (<usize>(bh * T + i) << 2), m + Mathf.log(sum));
    }
  }
}

export function copeBackward(
  dq: usize, dk: usize, dv: usize, dEmb: usize, dout: usize, out: usize, lse: usize,
  q: usize, k: usize, v: usize, emb: usize, scratch: usize,
  T: i32, NH: i32, HS: i32, maxPos: i32, scale: f32, start: i32, end: i32,
): void {
  const C = NH * HS, hb = <usize>HS << 2, cb = <usize>C << 2;
  const slot = <usize>(4 * T + 2 * maxPos) << 2;
  for (let bh = start; bh < end; bh++) {
    const b = bh / NH, h = bh % NH;
    const off = (<usize>bh * <usize>T * <usize>HS) << 2;
    const S = scratch + <usize>bh * slot, G = S + (<usize>T << 2), PC = G + (<usize>T << 2), L = PC + (<usize>T << 2);
    const Z = L + (<usize>T << 2), dZ = Z + (<usize>maxPos << 2);
    const dE = dEmb == 0 ? <usize>0 : dEmb + (<usize>bh * <usize>(maxPos * HS) << 2);
    for (let x = 0; x < T * HS; x++) {
      store<f32>(dq + off + (<usize>x << 2), 0); store<f32>(dk + off + (<usize>x << 2), 0); store<f32>(dv + off + (<usize>x << 2), 0);
    }
    if (dE != 0) for (let x = 0; x < maxPos * HS; x++) store<f32>(dE + (<usize>x << 2), 0);
    for (let i = 0; i < T; i++) {
      const qi = q + off + <usize>i * hb;
      copeRow(S, G, PC, L, Z, qi, k + off, emb, i, HS, maxPos, scale);
      const gi = dout + <usize>(b * T + i) * cb + (<usize>(h * HS) << 2);
      const Di = dot(gi, out + <usize>(b * T + i) * cb + (<usize>(h * HS) << 2), HS);
      const lseI = load<f32>(lse + (<usize>(bh * T + i) << 2));
      for (let p = 0; p < maxPos; p++) store<f32>(dZ + (<usize>p << 2), 0);
      // dL_j (stored in S), dPC_j (stored in L), dv_j += a_j·dout_i, dZ
      for (let j = 0; j <= i; j++) {
        const a = Mathf.exp(load<f32>(L + (<usize>j << 2)) - lseI);
        const dl = a * (dot(gi, v + off + <usize>j * hb, HS) - Di);
        axpy(dv + off + <usize>j * hb, a, gi, HS);
        const pc = load<f32>(PC + (<usize>j << 2));
        let dpc: f32 = 0;
        if (pc >= 0) {
          const fl = Mathf.floor(pc), w = pc - fl, ce = Mathf.ceil(pc);
          const zf = Z + (<usize><i32>fl << 2), zc = Z + (<usize><i32>ce << 2);
          store<f32>(dZ + (<usize><i32>fl << 2), load<f32>(dZ + (<usize><i32>fl << 2)) + dl * (1 - w));
          store<f32>(dZ + (<usize><i32>ce << 2), load<f32>(dZ + (<usize><i32>ce << 2)) + dl * w);
          dpc = dl * (load<f32>(zc) - load<f32>(zf));
        } else {
          const zt = dZ + (<usize>(maxPos - 1) << 2);
          store<f32>(zt, load<f32>(zt) + dl);
        }
        store<f32>(S + (<usize>j << 2), dl);
        store<f32>(L + (<usize>j << 2), dpc);
      }
      // p_j = Σ_{t ≥ j} g_t  ⇒  dg_t = Σ_{j ≤ t} dp_j; ds_t = dL_t + dg_t·g_t(1 − g_t)
      let run: f32 = 0;
      for (let t = 0; t <= i; t++) {
        run += load<f32>(L + (<usize>t << 2));
        const g = load<f32>(G + (<usize>t << 2));
        store<f32>(S + (<usize>t << 2), load<f32>(S + (<usize>t << 2)) + run * g * (1 - g));
      }
      const dqi = dq + off + <usize>i * hb;
      accumulate(dqi, scale, S, 1, k + off, HS, i + 1, HS);
      accumulate(dqi, 1, dZ, 1, emb, HS, maxPos, HS);
      for (let j = 0; j <= i; j++) axpy(dk + off + <usize>j * hb, scale * load<f32>(S + (<usize>j << 2)), qi, HS);
      if (dE != 0) for (let p = 0; p < maxPos; p++) axpy(dE + <usize>p * hb, load<f32>(dZ + (<usize>p << 2)), qi, HS);
    }
  }
}
