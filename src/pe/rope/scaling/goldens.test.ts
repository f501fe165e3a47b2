import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { computeRopeFrequencies } from "../compute.js";
import { ropeParamsFromHfConfig } from "../hf-config.js";
import { makeRopeParams } from "../params.js";
import { defaultInvFreq } from "../inv-freq.js";
import { ROPE_SCHEMES, ROPE_TYPES, ntkScaledBase, resonanceInvFreq } from "./index.js";

// Goldens: test/fixtures/rope/hf-goldens.json from test/fixtures/rope/gen_fixtures.py
// (python3 + torch 1.13 on CPU running HF modeling_rope_utils.py v5's formulas op by op).
const G = JSON.parse(readFileSync(new URL("../../../../test/fixtures/rope/hf-goldens.json", import.meta.url), "utf8"));

function ulps32(a: number, b: number): number {
  const i = new Int32Array(new Float32Array([a, b]).buffer);
  return Math.abs(i[0]! - i[1]!);
}

test("every scheme matches torch: float64 to 1e-15 relative, float32 within 1 ulp (bit-exact in ≥ 99%)", () => {
  let total = 0, offByOne = 0;
  const seen = new Set<string>();
  for (const c of G.cases) {
    const p = ropeParamsFromHfConfig(c.config);
    seen.add(p.scaling.type);
    const seqLen = c.seq_len ?? undefined;
    const f64 = computeRopeFrequencies(p, { seqLen, precision: "float64" });
    const f32 = computeRopeFrequencies(p, { seqLen, precision: "float32" });
    assert.equal(f64.invFreq.length, c.inv_freq_f64.length, c.name);
    assert.equal(f64.attentionFactor, c.attention_factor, `${c.name} attention factor`);
    assert.equal(f32.attentionFactor, c.attention_factor, `${c.name} attention factor (float32 mode)`);
    c.inv_freq_f64.forEach((v: number, i: number) => {
      assert.ok(Math.abs(f64.invFreq[i]! - v) <= 5e-16 * Math.abs(v), `${c.name} f64 i=${i}: ${f64.invFreq[i]} vs ${v}`);
    });
    c.inv_freq_f32.forEach((v: number, i: number) => {
      // torch's float32 pow (Sleef powf, ≤ 1 ulp) is not always correctly rounded; ours is.
      const u = ulps32(f32.invFreq[i]!, v);
      assert.ok(u <= 1, `${c.name} f32 i=${i}: ${f32.invFreq[i]} vs ${v} (${u} ulp)`);
      total++;
      offByOne += u;
    });
  }
  assert.ok(offByOne <= 0.01 * total, `${offByOne} of ${total} float32 values are 1 ulp off`);
  // every HF scheme has a golden (ntk has its own below)
  for (const t of ROPE_TYPES) if (t !== "ntk") assert.ok(seen.has(t), `no golden for ${t}`);
});

test("static NTK: θ' = 82684.62 for θ = 1e4, s = 8, d = 128 (§6 anchor), and inv_freq matches torch", () => {
  const base = ntkScaledBase(10000, 8, 128);
  assert.ok(Math.abs(base - 82684.62) < 0.005, `${base}`);
  assert.equal(base, G.ntk_static_factor8_d128.base);
  const p = makeRopeParams({ headDim: 128, scaling: { type: "ntk", factor: 8 } });
  const f64 = computeRopeFrequencies(p).invFreq, f32 = computeRopeFrequencies(p, { precision: "float32" }).invFreq;
  G.ntk_static_factor8_d128.inv_freq_f64.forEach((v: number, i: number) => assert.ok(Math.abs(f64[i]! - v) <= 5e-16 * v, `f64 i=${i}`));
  G.ntk_static_factor8_d128.inv_freq_f32.forEach((v: number, i: number) => assert.ok(ulps32(f32[i]!, v) <= 1, `f32 i=${i}`));
});

test("Resonance RoPE matches sheryc/resonance_rope's rounding (float32, via torch) and gives integer wavelengths", () => {
  const r32 = resonanceInvFreq(defaultInvFreq(10000, 128, "float32"), "float32");
  G.resonance.default_llama2_f32.forEach((v: number, i: number) => assert.equal(r32[i], v, `i=${i}`));
  const r64 = resonanceInvFreq(defaultInvFreq(10000, 128));
  G.resonance.default_llama2_f64.forEach((v: number, i: number) => assert.ok(Math.abs(r64[i]! - v) <= 5e-16 * v, `f64 i=${i}`));
  for (const f of r64) {
    const wl = (2 * Math.PI) / f;
    assert.ok(Math.abs(wl - Math.round(wl)) < 1e-9, `wavelength ${wl}`);
  }
  // on top of a scheme (Resonance YaRN), through the params option
  const qwen = G.cases.find((c: { name: string }) => c.name === "yarn_qwen25");
  const p = { ...ropeParamsFromHfConfig(qwen.config), resonance: true };
  const ry = computeRopeFrequencies(p, { precision: "float32" }).invFreq;
  G.resonance.yarn_qwen25_f32.forEach((v: number, i: number) => assert.ok(ulps32(ry[i]!, v) <= 1, `yarn i=${i}: ${ry[i]} vs ${v}`));
  assert.deepEqual(resonanceInvFreq([0, 1]), Float64Array.from([0, (2 * Math.PI) / 6]));
});

test("the registry has one complete entry per rope_type", () => {
  assert.deepEqual(Object.keys(ROPE_SCHEMES).sort(), [...ROPE_TYPES].sort());
  for (const [type, s] of Object.entries(ROPE_SCHEMES)) {
    assert.ok(s.summary.length > 10, type);
    for (const k of Object.keys(s.defaults)) assert.ok((s.optionalKeys as readonly string[]).includes(k), `${type}: default for non-optional ${k}`);
    assert.equal(typeof s.compute, "function");
    assert.equal(typeof s.validate, "function");
  }
});
