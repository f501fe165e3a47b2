import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../random.js";
import { defaultInvFreq } from "../inv-freq.js";
import { makeRopeParams } from "../params.js";
import { computeRopeFrequencies } from "../compute.js";
import {
  dynamicBase, longropeAttentionFactor, longropeUsesLongFactors, proportionalRopeAngles,
  yarnCorrectionRange, yarnFindCorrectionDim, yarnGetMscale, yarnRamp, yarnAttentionFactor,
} from "./index.js";

const relClose = (a: number, b: number, rel = 1e-15) => Math.abs(a - b) <= rel * Math.abs(b) + 1e-300;

test("YaRN anchors: correction range [20, 46] (L = 4096) and [16, 41] (L = 2048), mscale values", () => {
  // §6 of the reference notes; by hand: fcd(32) = 128·ln(4096/(64π))/(2·ln 1e4) = 20.94 → floor 20; fcd(1) = 45.03 → ceil 46.
  assert.deepEqual(yarnCorrectionRange(32, 1, 128, 10000, 4096, true), [20, 46]);
  assert.deepEqual(yarnCorrectionRange(32, 1, 128, 10000, 2048, true), [16, 41]);
  assert.ok(Math.abs(yarnFindCorrectionDim(32, 128, 10000, 4096) - 20.94) < 0.01);
  const [lo, hi] = yarnCorrectionRange(32, 1, 128, 10000, 4096, false);
  assert.ok(lo > 20 && lo < 21 && hi > 45 && hi < 46, `untruncated ${lo}, ${hi}`);
  // mscale(s) = 0.1 ln s + 1 (YaRN paper's sqrt(1/t)); 4-decimal anchors from the reference notes
  for (const [s, m] of [[2, 1.0693], [4, 1.1386], [8, 1.2079], [16, 1.2773], [32, 1.3466]]) {
    assert.ok(Math.abs(yarnGetMscale(s!) - m!) < 5e-5, `s=${s}: ${yarnGetMscale(s!)}`);
  }
  assert.equal(yarnGetMscale(1), 1);
  assert.equal(yarnGetMscale(0.5), 1);
  const base = { factor: 40, originalMaxPositionEmbeddings: 4096, betaFast: 32, betaSlow: 1, truncate: true, type: "yarn" as const };
  // DeepSeek: equal mscale and mscale_all_dim → factor exactly 1; unequal → ratio; one of them 0 → get_mscale(s)
  assert.equal(yarnAttentionFactor({ ...base, mscale: 0.707, mscaleAllDim: 0.707, attentionFactor: null }), 1);
  assert.ok(relClose(yarnAttentionFactor({ ...base, mscale: 1, mscaleAllDim: 0.707, attentionFactor: null }), (0.1 * Math.log(40) + 1) / (0.0707 * Math.log(40) + 1)));
  assert.equal(yarnAttentionFactor({ ...base, mscale: 1, mscaleAllDim: 0, attentionFactor: null }), 0.1 * Math.log(40) + 1);
  assert.equal(yarnAttentionFactor({ ...base, mscale: 1, mscaleAllDim: 1, attentionFactor: 0.5 }), 0.5);
});

test("YaRN: ramp within [0, 1] and monotone; inv_freq between inv/s and inv, equal at both ends", () => {
  const rng = new Rng(4);
  for (let trial = 0; trial < 20; trial++) {
    const d = 2 * (2 + Math.floor(rng.float() * 100)), theta = 1000 + rng.float() * 1e6, s = 1 + rng.float() * 40;
    const L = 512 + Math.floor(rng.float() * 60000);
    const p = makeRopeParams({ headDim: d, theta, scaling: { type: "yarn", factor: s, originalMaxPositionEmbeddings: L } });
    const inv = defaultInvFreq(theta, d);
    const got = computeRopeFrequencies(p).invFreq;
    const [lo, hi] = yarnCorrectionRange(32, 1, d, theta, L, true);
    const ramp = yarnRamp(lo, hi, d / 2);
    for (let i = 0; i < d / 2; i++) {
      assert.ok(ramp[i]! >= 0 && ramp[i]! <= 1 && (i === 0 || ramp[i]! >= ramp[i - 1]!), `ramp ${i}`);
      assert.ok(got[i]! <= inv[i]! * (1 + 1e-15) && got[i]! >= (inv[i]! / s) * (1 - 1e-15), `i=${i}: ${got[i]} ∉ [${inv[i]! / s}, ${inv[i]}]`);
      if (i < lo) assert.ok(relClose(got[i]!, inv[i]!), `i=${i} < low should be extrapolated (unchanged)`);
      if (i > hi) assert.ok(relClose(got[i]!, inv[i]! / s, 1e-14), `i=${i} > high should be interpolated (÷ s)`);
    }
  }
  assert.deepEqual(Array.from(yarnRamp(1, 3, 5)), [0, 0, 0.5, 1, 1]);
  assert.equal(yarnRamp(2, 2, 4)[3], 1); // high += 0.001 when equal
});

test("Llama 3: thresholds 8192 / 2048; keeps high frequencies, divides low ones by the factor, blends between", () => {
  const p = makeRopeParams({ headDim: 128, theta: 500000, maxPositionEmbeddings: 131072,
    scaling: { type: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 } });
  const inv = defaultInvFreq(500000, 128);
  const got = computeRopeFrequencies(p).invFreq;
  let kept = 0, divided = 0, blended = 0;
  for (let i = 0; i < 64; i++) {
    const wl = (2 * Math.PI) / inv[i]!;
    if (wl < 2048) { assert.equal(got[i], inv[i], `high freq ${i} kept`); kept++; }
    else if (wl > 8192) { assert.ok(relClose(got[i]!, inv[i]! / 8), `low freq ${i} ÷ 8`); divided++; }
    else {
      const smooth = (8192 / wl - 1) / 3; // by hand from the formula
      assert.ok(relClose(got[i]!, (1 - smooth) * inv[i]! / 8 + smooth * inv[i]!, 1e-14), `medium ${i}`);
      assert.ok(got[i]! < inv[i]! && got[i]! > inv[i]! / 8);
      blended++;
    }
  }
  assert.ok(kept > 0 && divided > 0 && blended > 0, `${kept}/${blended}/${divided}`);
});

test("linear = default / factor; static NTK and dynamic reduce to default at factor 1 / below max_pos", () => {
  for (const d of [2, 6, 34, 258]) {
    const inv = defaultInvFreq(10000, d);
    const lin = computeRopeFrequencies(makeRopeParams({ headDim: d, scaling: { type: "linear", factor: 3.5 } })).invFreq;
    inv.forEach((v, i) => assert.ok(relClose(lin[i]!, v / 3.5), `linear d=${d} i=${i}`));
  }
  const inv = defaultInvFreq(10000, 128);
  const dyn = makeRopeParams({ headDim: 128, maxPositionEmbeddings: 4096, scaling: { type: "dynamic", factor: 4 } });
  for (const seqLen of [undefined, 1, 100, 4095, 4096]) {
    for (const precision of ["float64", "float32"] as const) {
      const got = computeRopeFrequencies(dyn, { seqLen, precision }).invFreq;
      const ref = precision === "float32" ? defaultInvFreq(10000, 128, "float32") : inv;
      assert.deepEqual(got, ref, `dynamic seqLen ${seqLen} ${precision}`);
    }
  }
  // above max_pos the base grows with seqLen: by hand θ' = 1e4·((4·8192/4096) − 3)^(128/126) = 1e4·5^(64/63)
  assert.ok(relClose(dynamicBase(10000, 4, 4096, 128, 8192, "float64"), 10000 * Math.pow(5, 128 / 126)));
  const longer = computeRopeFrequencies(dyn, { seqLen: 8192 }).invFreq;
  assert.equal(longer[0], 1);
  for (let i = 1; i < 64; i++) assert.ok(longer[i]! < inv[i]!, `dynamic lowers θ_${i}`);
  const ntk1 = computeRopeFrequencies(makeRopeParams({ headDim: 128, scaling: { type: "ntk", factor: 1 } })).invFreq;
  assert.deepEqual(ntk1, inv);
});

test("LongRoPE: attention factor 1.19024 (s = 32, L = 4096); long factors iff seqLen > L", () => {
  // §6 anchor; by hand sqrt(1 + ln 32 / ln 4096) = sqrt(1 + 5/12) = 1.190238…
  const a = longropeAttentionFactor({ factor: 32, originalMaxPositionEmbeddings: 4096, attentionFactor: null });
  assert.ok(Math.abs(a - 1.19024) < 5e-6, `${a}`);
  assert.ok(relClose(a, Math.sqrt(17 / 12)));
  assert.equal(longropeAttentionFactor({ factor: 1, originalMaxPositionEmbeddings: 4096, attentionFactor: null }), 1);
  assert.equal(longropeUsesLongFactors(undefined, 4096), false);
  assert.equal(longropeUsesLongFactors(4096, 4096), false);
  assert.equal(longropeUsesLongFactors(4097, 4096), true);
  const short = [1, 2, 4], long = [8, 16, 32];
  const p = makeRopeParams({ headDim: 6, maxPositionEmbeddings: 16384,
    scaling: { type: "longrope", shortFactor: short, longFactor: long, factor: 4, originalMaxPositionEmbeddings: 4096 } });
  const inv = defaultInvFreq(10000, 6);
  const s = computeRopeFrequencies(p, { seqLen: 4096 }).invFreq, l = computeRopeFrequencies(p, { seqLen: 4097 }).invFreq;
  inv.forEach((v, i) => {
    assert.ok(relClose(s[i]!, v / short[i]!), `short ${i}`);
    assert.ok(relClose(l[i]!, v / long[i]!), `long ${i}`);
  });
});

test("proportional (p-RoPE): floor(p·d/2) rotating pairs with exponent /headDim, zeros after, ÷ factor", () => {
  assert.equal(proportionalRopeAngles(0.25, 256), 32);
  assert.equal(proportionalRopeAngles(0.3, 10), 1);
  for (const [p, d, f] of [[0.25, 256, 1], [0.5, 10, 8], [0, 8, 1], [1, 6, 2]] as const) {
    const params = makeRopeParams({ headDim: d, theta: 1e6, partialRotaryFactor: p, scaling: { type: "proportional", factor: f } });
    assert.equal(params.rotaryDim, d);
    const inv = computeRopeFrequencies(params).invFreq;
    const n = Math.floor((p * d) / 2);
    assert.equal(inv.length, d / 2);
    for (let i = 0; i < d / 2; i++) {
      if (i < n) assert.ok(relClose(inv[i]!, 1 / Math.pow(1e6, (2 * i) / d) / f), `p=${p} i=${i}`);
      else assert.equal(inv[i], 0, `p=${p} i=${i} should be 0`);
    }
  }
});
