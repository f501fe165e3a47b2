import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Rng } from "../random.js";
import { defaultInvFreq } from "./inv-freq.js";
import { applyRope, ropeCosSin, rotateHalfSplit, rotateInterleaved, type RopeLayout } from "./apply.js";
import { ropeScore, ropeScoreCurve } from "./score.js";
import { ropeParamsFromHfConfig } from "./hf-config.js";
import { computeRope } from "./compute.js";

// Goldens from test/fixtures/rope/gen_fixtures.py (python3 + torch 1.13, HF's rotary forward).
const G = JSON.parse(readFileSync(new URL("../../../test/fixtures/rope/hf-goldens.json", import.meta.url), "utf8"));

/** Distance in float32 units in the last place. */
function ulps32(a: number, b: number): number {
  const i = new Int32Array(new Float32Array([a, b]).buffer);
  return Math.abs(i[0]! - i[1]!);
}
const close = (a: number, b: number, abs: number, rel: number) => Math.abs(a - b) <= abs + rel * Math.abs(b);
const randVec = (rng: Rng, n: number) => Float64Array.from({ length: n }, () => rng.gaussian());

/** Reference rotation: explicit 2×2 rotation of pair (x[a], x[b]) by angle pos·θ_j, no tables. */
function referenceRotate(x: Float64Array, pos: number, inv: Float64Array, layout: RopeLayout, att = 1): Float64Array {
  const out = Float64Array.from(x);
  const h = inv.length;
  for (let j = 0; j < h; j++) {
    const [a, b] = layout === "half" ? [j, j + h] : [2 * j, 2 * j + 1];
    const t = pos * inv[j]!;
    out[a] = att * (x[a]! * Math.cos(t) - x[b]! * Math.sin(t));
    out[b] = att * (x[b]! * Math.cos(t) + x[a]! * Math.sin(t));
  }
  return out;
}

test("ropeCosSin float64 equals the cat(freqs, freqs) formula, including positions up to 1e9", () => {
  const rng = new Rng(3);
  for (const pairs of [1, 3, 17, 129]) {
    const inv = defaultInvFreq(10000, 2 * pairs);
    const positions = [0, 1, 2, 4095, 9000, 123457, 1e9, -77, Math.floor(rng.float() * 1e6)];
    const t = ropeCosSin(inv, positions, 1.25);
    assert.equal(t.width, 2 * pairs);
    positions.forEach((p, r) => {
      for (let i = 0; i < 2 * pairs; i++) {
        const a = p * inv[i % pairs]!; // reference: double product, Math.cos
        // tolerance: our angle also carries the product's rounding error (≤ ulp(a)/2)
        const tol = 1e-15 + Math.abs(a) * 2 ** -52;
        assert.ok(close(t.cos[r * t.width + i]!, 1.25 * Math.cos(a), tol, 1e-15), `cos p=${p} i=${i}`);
        assert.ok(close(t.sin[r * t.width + i]!, 1.25 * Math.sin(a), tol, 1e-15), `sin p=${p} i=${i}`);
      }
    });
  }
});

test("cos/sin tables match torch: float32 mode within 1 ulp (2 with an attention factor) given torch's inv_freq", () => {
  for (const tab of G.tables) {
    const c = G.cases.find((x: { name: string }) => x.name === tab.name);
    const invTorch = Float64Array.from(c.inv_freq_f32 as number[]);
    const t32 = ropeCosSin(invTorch, tab.positions, c.attention_factor, "float32");
    let off = 0;
    tab.positions.forEach((_: number, r: number) => {
      for (let i = 0; i < t32.width; i++) {
        for (const [got, want] of [[t32.cos[r * t32.width + i]!, tab.cos_f32[r][i]], [t32.sin[r * t32.width + i]!, tab.sin_f32[r][i]]]) {
          const u = ulps32(got!, want);
          // cos/sin 1 ulp apart, then × f32(attention factor) > 1 can round to 2 ulps apart.
          assert.ok(u <= (c.attention_factor === 1 ? 1 : 2), `${tab.name} pos ${tab.positions[r]} i ${i}: ${got} vs torch ${want} (${u} ulp)`);
          off += u;
        }
      }
    });
    // torch's vectorised cosf/sinf (Sleef, ≤ 1 ulp) is not always correctly rounded; ours is. Measured: ≤ 5% differ.
    assert.ok(off <= 0.05 * 2 * tab.positions.length * t32.width, `${tab.name}: ${off} values 1 ulp off`);
    // float64 end to end from the config: torch's double product has error ≤ |angle|·2^-53 ≈ 1e-11 at 1e5.
    const r64 = computeRope(ropeParamsFromHfConfig(c.config), { positions: tab.positions });
    tab.positions.forEach((p: number, r: number) => {
      for (let i = 0; i < r64.rotaryDim; i++) {
        assert.ok(close(r64.cos![r * r64.rotaryDim + i]!, tab.cos_f64[r][i], 2e-16 * Math.max(1, p) + 1e-15, 0), `${tab.name} f64 cos p=${p} i=${i}`);
        assert.ok(close(r64.sin![r * r64.rotaryDim + i]!, tab.sin_f64[r][i], 2e-16 * Math.max(1, p) + 1e-15, 0), `${tab.name} f64 sin p=${p} i=${i}`);
      }
    });
  }
});

test("rotateHalfSplit / rotateInterleaved equal explicit 2×2 rotations; channels beyond the rotary dim pass through", () => {
  const rng = new Rng(5);
  for (const [pairs, extra] of [[1, 0], [3, 1], [17, 3], [129, 0], [8, 16]] as const) {
    const inv = defaultInvFreq(500000, 2 * pairs);
    const pos = Math.floor(rng.float() * 100000);
    const t = ropeCosSin(inv, [pos], 1.1);
    const x = randVec(rng, 2 * pairs + extra);
    for (const layout of ["half", "interleaved"] as const) {
      const got = (layout === "half" ? rotateHalfSplit : rotateInterleaved)(x, t.cos, t.sin);
      const ref = referenceRotate(x, pos, inv, layout, 1.1);
      for (let i = 0; i < x.length; i++) assert.ok(close(got[i]!, ref[i]!, 1e-9, 1e-9), `${layout} pairs ${pairs} i ${i}`);
      for (let i = 2 * pairs; i < x.length; i++) assert.equal(got[i], x[i], `pass-through ${i}`);
    }
  }
});

test("RoPE scores depend only on m − n, in both layouts, for random q/k and many (m, n)", () => {
  const rng = new Rng(9);
  for (const layout of ["half", "interleaved"] as const) {
    for (const [headDim, rotaryDim] of [[8, 8], [34, 34], [20, 12]] as const) {
      const inv = defaultInvFreq(10000, rotaryDim);
      const q = randVec(rng, headDim), k = randVec(rng, headDim);
      for (let trial = 0; trial < 40; trial++) {
        const n = Math.floor(rng.float() * 5000), delta = Math.floor(rng.float() * 600) - 300, shift = Math.floor(rng.float() * 20000);
        const s1 = ropeScore(q, k, n + delta, n, { invFreq: inv, layout });
        const s2 = ropeScore(q, k, n + delta + shift, n + shift, { invFreq: inv, layout });
        assert.ok(close(s1, s2, 1e-9, 1e-9), `${layout} d=${headDim}/${rotaryDim} Δ=${delta}: ${s1} vs ${s2}`);
      }
      // and it does depend on m − n
      assert.notEqual(ropeScore(q, k, 5, 0, { invFreq: inv, layout }).toFixed(6), ropeScore(q, k, 0, 0, { invFreq: inv, layout }).toFixed(6));
    }
  }
});

test("applyRope rotates every head of every row like the per-vector rotation", () => {
  const rng = new Rng(21);
  const headDim = 6, nHeads = 3, positions = [0, 5, 1000];
  const inv = defaultInvFreq(10000, 4); // partial rotary: 4 of 6 channels
  const t = ropeCosSin(inv, positions);
  const x = randVec(rng, positions.length * nHeads * headDim);
  for (const layout of ["half", "interleaved"] as const) {
    const y = applyRope(x, t, { layout, headDim });
    positions.forEach((p, r) => {
      for (let h = 0; h < nHeads; h++) {
        const o = (r * nHeads + h) * headDim;
        const ref = referenceRotate(x.slice(o, o + headDim), p, inv, layout);
        for (let j = 0; j < headDim; j++) assert.ok(close(y[o + j]!, ref[j]!, 1e-12, 1e-12), `${layout} r${r} h${h} j${j}`);
      }
    });
  }
  assert.throws(() => applyRope(x, t, { layout: "half", headDim: 4.5 }), /`headDim`/);
  assert.throws(() => applyRope(x.subarray(1), t, { layout: "half", headDim }), /not a multiple/);
  assert.throws(() => applyRope(x, t, { layout: "neox" as RopeLayout, headDim }), /`layout` must be "half" or "interleaved"/);
});

test("score curve: constant vectors give Σ 2·cos(Δθ_i) (by hand), random ones average to the same shape", () => {
  const inv = defaultInvFreq(10000, 16);
  const distances = [0, 1, 10, 100, -100, 1000];
  const c = ropeScoreCurve({ invFreq: inv, headDim: 16, layout: "half", distances, vectors: { kind: "constant" } });
  distances.forEach((d, j) => {
    let ref = 0;
    for (let i = 0; i < 8; i++) ref += 2 * Math.cos(d * inv[i]!);
    assert.ok(close(c[j]!, ref, 1e-12, 1e-12), `Δ=${d}: ${c[j]} vs ${ref}`);
  });
  assert.equal(c[0], 16);
  const r = ropeScoreCurve({ invFreq: inv, headDim: 16, layout: "interleaved", distances, vectors: { kind: "random", seed: 1, samples: 400 } });
  distances.forEach((_, j) => assert.ok(Math.abs(r[j]! - c[j]!) < 2.5, `random Δ=${distances[j]}: ${r[j]} vs ${c[j]}`));
  const again = ropeScoreCurve({ invFreq: inv, headDim: 16, layout: "interleaved", distances, vectors: { kind: "random", seed: 1, samples: 400 } });
  assert.deepEqual(again, r);
  assert.throws(() => ropeScoreCurve({ invFreq: inv, headDim: 16, layout: "half", distances, vectors: { kind: "random", seed: 1, samples: 0 } }), /`vectors.samples`/);
});

test("bad inputs are refused", () => {
  assert.throws(() => ropeCosSin([1], [0, NaN]), /positions\[1\] must be a finite number/);
  assert.throws(() => ropeCosSin([1], [0], 0), /`attentionFactor` must be a finite number > 0, got 0/);
  assert.throws(() => rotateHalfSplit([1], [1, 1], [0, 0]), /shorter than the rotary dim 2/);
  assert.throws(() => ropeScore([1, 0], [1], 0, 0, { invFreq: [1], layout: "half" }), /same length/);
});
