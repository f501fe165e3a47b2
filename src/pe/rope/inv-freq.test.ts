import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Rng } from "../random.js";
import { defaultInvFreq, ropeAngle, tensorRound } from "./inv-freq.js";

// Goldens: test/fixtures/rope/hf-goldens.json, written by test/fixtures/rope/gen_fixtures.py
// (python3 + torch 1.13, HF's formulas step by step; see that file's docstring).
const G = JSON.parse(readFileSync(new URL("../../../test/fixtures/rope/hf-goldens.json", import.meta.url), "utf8"));
const golden = (name: string) => G.cases.find((c: { name: string }) => c.name === name);

/** Distance in float32 units in the last place. */
function ulps32(a: number, b: number): number {
  const i = new Int32Array(new Float32Array([a, b]).buffer);
  return Math.abs(i[0]! - i[1]!);
}

test("float64 inv_freq equals the plain formula 1/θ^(2i/d) at odd pair counts and random θ", () => {
  const rng = new Rng(11);
  for (const pairs of [1, 3, 17, 129]) {
    const theta = 2 + rng.float() * 1e6;
    const got = defaultInvFreq(theta, 2 * pairs);
    assert.equal(got.length, pairs);
    for (let i = 0; i < pairs; i++) {
      const ref = 1 / Math.pow(theta, (2 * i) / (2 * pairs)); // reference loop: the formula as written
      assert.ok(Math.abs(got[i]! - ref) <= 1e-15 + 1e-15 * Math.abs(ref), `pairs ${pairs} i ${i}: ${got[i]} vs ${ref}`);
    }
  }
});

test("float32 mode is bit-identical to torch's float32 inv_freq (Llama-2 d=128, partial rotary d=32)", () => {
  for (const [name, theta, d] of [["llama2_default", 10000, 128], ["partial_rotary_default", 10000, 32]] as const) {
    const g = golden(name);
    // input sanity: if these change, the goldens change too
    assert.equal(g.config.rope_theta, theta);
    assert.equal(g.inv_freq_f32.length, d / 2);
    const got = defaultInvFreq(theta, d, "float32");
    g.inv_freq_f32.forEach((v: number, i: number) => assert.equal(got[i], v, `${name} i=${i}`));
    const got64 = defaultInvFreq(theta, d, "float64");
    g.inv_freq_f64.forEach((v: number, i: number) => assert.ok(Math.abs(got64[i]! - v) <= 1e-15 * v, `${name} f64 i=${i}`));
  }
});

test("float32 angles stay within the float32 rounding bound of the float64 angles", () => {
  // |a32 − a64| ≤ |pos|·|inv32 − inv64| (inv_freq rounding) + ulp(a32)/2 (product rounding) + |inv|·|f32(pos) − pos|.
  const inv64 = defaultInvFreq(10000, 128), inv32 = defaultInvFreq(10000, 128, "float32");
  let worstAt9000 = 0;
  for (const pos of [0, 1, 7, 4095, 8191, 9000, 32767, 100000, 1_000_003]) {
    for (let i = 0; i < 64; i++) {
      const a64 = pos * inv64[i]!, a32 = ropeAngle(pos, inv32[i]!, "float32");
      const ulp = Math.abs(Math.fround(a32 * (1 + 2 ** -23)) - a32) || 2 ** -149;
      const bound = Math.abs(pos) * Math.abs(inv32[i]! - inv64[i]!) + ulp / 2 + inv64[i]! * Math.abs(Math.fround(pos) - pos) + 1e-12;
      assert.ok(Math.abs(a32 - a64) <= bound, `pos ${pos} i ${i}: drift ${Math.abs(a32 - a64)} > bound ${bound}`);
      if (pos === 9000) worstAt9000 = Math.max(worstAt9000, Math.abs(a32 - a64));
    }
  }
  // The two modes really differ at large positions (otherwise the float32 mode would be pointless):
  assert.ok(worstAt9000 > 1e-4 && worstAt9000 < 1e-3, `drift at 9000 = ${worstAt9000}`);
});

test("ropeAngle float32 rounds both operands and the product; tensorRound picks the rounding", () => {
  // θ_1 for d = 128, θ = 1e4; values computed by hand: f32(9000 · f32(θ_1)) vs the double product.
  const inv1 = Math.pow(10000, -2 / 128);
  assert.equal(ropeAngle(9000, inv1, "float32"), Math.fround(9000 * Math.fround(inv1)));
  assert.equal(ropeAngle(9000, inv1, "float32"), 7793.67919921875);
  assert.equal(ropeAngle(9000, inv1), 9000 * inv1);
  assert.ok(Math.abs(ropeAngle(9000, inv1) - 7793.67919921875) > 2e-4);
  assert.equal(tensorRound("float32")(0.1), Math.fround(0.1));
  assert.equal(tensorRound("float64")(0.1), 0.1);
});

test("bad θ or rotary dim is refused with the field named", () => {
  assert.throws(() => defaultInvFreq(10000, 3), /`rotaryDim` must be an even integer ≥ 2, got 3/);
  assert.throws(() => defaultInvFreq(10000, 0), /`rotaryDim`/);
  assert.throws(() => defaultInvFreq(1, 4), /`theta` must be a finite number > 1, got 1/);
  assert.throws(() => defaultInvFreq(NaN, 4), /`theta`.*NaN/);
});
