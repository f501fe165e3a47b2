/**
 * Evaluation-time RoPE scaling (`nll(batch, {ropeScaling})`): the engine's per-token NLL equals the
 * float64 reference forward with a rotation written out by hand from each scheme's formula (linear,
 * dynamic) or from src/pe's frequencies (yarn, llama3, ntk, longrope), the attention factor applied to
 * BOTH q and k (as HF multiplies cos and sin), with `original_max_position_embeddings` = the model's
 * context length (8 here) and evaluation at T = 12 > 8.
 * Tolerance: per-token NLL abs 3e-5 (float32 engine vs float64; measured ≤ 4e-6).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { computeRopeFrequencies, yarnGetMscale } from "../../pe/index.js";
import { ExtraposError } from "../../pe/errors.js";
import type { PositionHooks } from "../reference.js";
import { referenceForward } from "../reference.js";
import { modelRopeParams } from "./encodings/rope.js";
import { randomIds, randomParams, tinyConfig, tinyModel } from "./testing.js";

const B = 1, T = 12, V = 256, CTX = 8, R = 8, THETA = 10000;
const cfg = tinyConfig({ kind: "rope" }, { context_length: CTX });
const params = randomParams(cfg, 31);
const ids = randomIds(B * T, V, 32), targets = randomIds(B * T, V, 33);
const NLL_ABS = 3e-5;

/** Half-split rotation of the first R channels by angle(pos, i), cos/sin times factor (q) or factorK (k). */
function handRope(angle: (pos: number, i: number) => number, factorQ = 1, factorK = factorQ): PositionHooks {
  return {
    rotate: (v, pos, which) => {
      const f = which === "q" ? factorQ : factorK;
      for (let i = 0; i < R / 2; i++) {
        const a = angle(pos, i), c = Math.cos(a) * f, s = Math.sin(a) * f;
        const x1 = v[i]!, x2 = v[i + R / 2]!;
        v[i] = x1 * c - x2 * s;
        v[i + R / 2] = x1 * s + x2 * c;
      }
    },
  };
}

function referenceNll(hooks: PositionHooks): Float64Array {
  const logits = referenceForward(cfg, params, ids, B, T, { hooks });
  return Float64Array.from({ length: B * T }, (_, n) => {
    const row = logits.subarray(n * V, (n + 1) * V);
    let m = -Infinity;
    for (const x of row) m = Math.max(m, x);
    let z = 0;
    for (const x of row) z += Math.exp(x - m);
    return m + Math.log(z) - row[targets[n]!]!;
  });
}

function assertNll(what: string, got: Float64Array, ref: Float64Array): void {
  for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(got[i]! - ref[i]!) <= NLL_ABS, `${what}: token ${i}: engine ${got[i]}, reference ${ref[i]}`);
}

const model = tinyModel(cfg, params);
const nll = (ropeScaling?: Record<string, unknown>): Float64Array => model.nll({ B, T, inputs: ids, targets }, ropeScaling ? { ropeScaling } : {});
const inv = (i: number): number => THETA ** (-(2 * i) / R);

test("no scaling = plain RoPE; linear factor 2 = the reference with inv_freq / 2", () => {
  assertNll("default", nll(), referenceNll(handRope((p, i) => p * inv(i))));
  const linear = nll({ rope_type: "linear", factor: 2 });
  assertNll("linear 2", linear, referenceNll(handRope((p, i) => (p * inv(i)) / 2)));
  assert.ok(Math.max(...linear.map((x, i) => Math.abs(x - nll()[i]!))) > 1e-3, "the scaling changes the NLL");
});

test("dynamic NTK factor 2 at T = 12 > 8: base θ·((s·T/L) − (s − 1))^(R/(R−2)) for seq_len = T", () => {
  const base = THETA * ((2 * T) / CTX - 1) ** (R / (R - 2));
  assertNll("dynamic 2", nll({ rope_type: "dynamic", factor: 2 }), referenceNll(handRope((p, i) => p * base ** (-(2 * i) / R))));
});

test("yarn factor 4: attention factor 0.1·ln 4 + 1 multiplies BOTH the q and the k tables (logits × factor²)", () => {
  const p = modelRopeParams(cfg, { rope_type: "yarn", factor: 4 });
  const f = computeRopeFrequencies(p);
  assert.ok(Math.abs(f.attentionFactor - (0.1 * Math.log(4) + 1)) < 1e-15 && f.attentionFactor === yarnGetMscale(4), "input sanity: HF's get_mscale(4)");
  assert.equal((p.scaling as { originalMaxPositionEmbeddings: number }).originalMaxPositionEmbeddings, CTX, "the training length is original_max_position_embeddings");
  const yarn = nll({ rope_type: "yarn", factor: 4 });
  const angle = (pos: number, i: number): number => pos * f.invFreq[i]!;
  assertNll("yarn 4", yarn, referenceNll(handRope(angle, f.attentionFactor)));
  const qOnly = referenceNll(handRope(angle, f.attentionFactor, 1));
  assert.ok(Math.max(...yarn.map((x, i) => Math.abs(x - qOnly[i]!))) > 100 * NLL_ABS, "a factor on q only is detectably different");
});

test("llama3, ntk and longrope (short factors up to the training length, long beyond) use src/pe's frequencies", () => {
  const long = Array.from({ length: R / 2 }, (_, i) => 1 + i), short = Array.from({ length: R / 2 }, () => 1.5);
  const cases: Record<string, unknown>[] = [
    { rope_type: "llama3", factor: 4, low_freq_factor: 1, high_freq_factor: 4 },
    { rope_type: "ntk", factor: 3 },
    { rope_type: "longrope", factor: 2, short_factor: short, long_factor: long },
  ];
  for (const s of cases) {
    const f = computeRopeFrequencies(modelRopeParams(cfg, s), { seqLen: T });
    assertNll(String(s.rope_type), nll(s), referenceNll(handRope((p, i) => p * f.invFreq[i]!, f.attentionFactor)));
  }
  const lr = computeRopeFrequencies(modelRopeParams(cfg, cases[2]!), { seqLen: T });
  assert.ok(Math.abs(lr.invFreq[1]! - inv(1) / 2) < 1e-15, "T = 12 > 8: long factors");
});

test("refusals: scaling on a non-RoPE model, unknown or unsupported types, bad factors", () => {
  const refuses = (f: () => unknown, re: RegExp): void => assert.throws(f, (e: unknown) => e instanceof ExtraposError && re.test(e.message));
  const alibi = tinyModel(tinyConfig("alibi"), randomParams(tinyConfig("alibi"), 1));
  refuses(() => alibi.nll({ B, T, inputs: ids, targets }, { ropeScaling: { rope_type: "linear", factor: 2 } }), /`ropeScaling` applies to RoPE models only, this model's pe is "alibi"/);
  refuses(() => nll({ rope_type: "proportional", factor: 2 }), /`ropeScaling.rope_type` must be one of default, linear, dynamic, ntk, yarn, longrope, llama3, got "proportional"/);
  refuses(() => nll({ rope_type: "linear", factor: 0.5 }), /factor/);
  refuses(() => nll({ rope_type: "yarn", factor: 4, original_max_position_embeddings: 16 }), /disagree/);
  refuses(() => model.startDecoding({ ropeScaling: { rope_type: "nope" } }), /must be one of/);
});
