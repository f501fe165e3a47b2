import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ExtraposError } from "../pe/errors.js";
import { Rng } from "../pe/random.js";
import { modelConfigToJson, parseModelConfig, type ModelConfig } from "./config.js";
import { paramTable, type Params } from "./params.js";
import { alibiSlopesReference, builtinHooks, crossEntropy, referenceForward, referenceLstmForward, type ReferenceOptions } from "./reference.js";
import { readTorchDebugState } from "./torch-debug-state.js";
import { assertClose, maxAbsDiff } from "../testing/assert-close.js";

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/torch/${name}.safetensors`, import.meta.url));

// Tolerances against PyTorch (float32 on the CPU) — how they were chosen:
// logits: |logit| ≤ 0.43 in these fixtures; PyTorch's float32 forward (d 32, 2 layers, sums of ≤ 128 terms)
// rounds each op at ~6e-8 relative, and the measured max |ours − torch| is 4e-8 … 1.1e-7 for all six
// fixtures. 1e-6 leaves ~10× headroom, while a wrong encoding moves logits by ≥ 2e-4 (see the "can fail"
// test below), a 1e-3 relative error in any layer by ≥ 4e-4.
// loss: PyTorch's loss is the float32 log-sum-exp of float32 logits (5.5 nats, 8192 terms); measured
// |ours − torch| ≤ 6.4e-7, so 2e-6.
const LOGITS_ABS = 1e-6;
const LOSS_ABS = 2e-6;

for (const pe of ["rope", "alibi", "sinusoidal", "learned", "none", "lstm"]) {
  test(`reference forward reproduces PyTorch's logits and loss: ${pe}`, () => {
    const s = readTorchDebugState(fixture(pe));
    assert.equal(s.settings.torch, "1.13.0a0");
    const forward = s.config.model === "lstm" ? referenceLstmForward : referenceForward;
    const logits = forward(s.config, s.params, s.inputIds, s.B, s.T);
    assertClose(`${pe} logits`, logits, s.logits, LOGITS_ABS, 0);
    const loss = crossEntropy(logits, s.targets, s.config.vocabSize);
    assert.ok(Math.abs(loss - s.loss) <= LOSS_ABS, `${pe} loss ${loss} vs torch ${s.loss}`);
    assert.ok(Math.abs(s.losses[0]! - s.loss) < 1e-6, "losses[0] is the initial loss");
  });
}

test("the fixture comparison can fail: a wrong encoding misses PyTorch's logits by ≫ the tolerance", () => {
  const wrong = (name: string, pe: unknown): number => {
    const s = readTorchDebugState(fixture(name));
    const cfg = parseModelConfig({ ...modelConfigToJson(s.config), pe }, {});
    return maxAbsDiff(referenceForward(cfg, s.params, s.inputIds, s.B, s.T), s.logits);
  };
  // measured: 6.6e-4, 4.9e-4, 6.7e-3, 2.1e-4 — each ≥ 200× LOGITS_ABS
  assert.ok(wrong("rope", { kind: "rope", layout: "interleaved" }) > 100 * LOGITS_ABS);
  assert.ok(wrong("rope", "none") > 100 * LOGITS_ABS);
  assert.ok(wrong("rope", "alibi") > 100 * LOGITS_ABS);
  assert.ok(wrong("rope", { kind: "rope", theta: 1000 }) > 100 * LOGITS_ABS);
});

/** Random parameters with a large std (so attention is sharp and positions matter), LN weights ≈ 1. */
function randomParams(cfg: ModelConfig, seed: number, std = 0.3): Params {
  const rng = new Rng(seed);
  const out: Params = new Map();
  for (const p of paramTable(cfg)) {
    const a = Float32Array.from({ length: p.shape.reduce((x, y) => x * y, 1) }, () => rng.gaussian() * std);
    if (/ln(1|2|_f)\.weight$/.test(p.name)) for (let i = 0; i < a.length; i++) a[i]! += 1;
    out.set(p.name, a);
  }
  return out;
}

function randomIds(n: number, V: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(V));
}

const small = (pe: unknown, extra: Record<string, unknown> = {}): ModelConfig =>
  parseModelConfig({ d_model: 12, n_layers: 2, n_heads: 2, context_length: 7, ...extra, pe });

test("RoPE layouts agree after permuting q/k rows (half-split ↔ interleaved), partial rotary included", () => {
  const half = small({ kind: "rope", layout: "half", rotary_dim: 4 });
  const inter = small({ kind: "rope", layout: "interleaved", rotary_dim: 4 });
  const params = randomParams(half, 1);
  const d = 12, hs = 6, r = 4;
  // interleaved channel 2i ← half channel i, 2i+1 ← i + r/2 (i < r/2); channels ≥ r unchanged
  const perm = [0, 2, 1, 3, 4, 5];
  const permuted: Params = new Map(params);
  for (let l = 0; l < 2; l++) {
    const w = params.get(`blocks.${l}.attn.qkv.weight`)!, b = params.get(`blocks.${l}.attn.qkv.bias`)!;
    const w2 = w.slice(), b2 = b.slice();
    for (const part of [0, 1]) { // q and k; v keeps its rows
      for (let h = 0; h < 2; h++) {
        for (let c = 0; c < hs; c++) {
          const to = part * d + h * hs + c, from = part * d + h * hs + perm[c]!;
          w2.set(w.subarray(from * d, (from + 1) * d), to * d);
          b2[to] = b[from]!;
        }
      }
    }
    permuted.set(`blocks.${l}.attn.qkv.weight`, w2);
    permuted.set(`blocks.${l}.attn.qkv.bias`, b2);
  }
  assert.equal(r, (half.pe as { rotaryDim: number }).rotaryDim);
  const ids = randomIds(14, 256, 2);
  const a = referenceForward(half, params, ids, 2, 7);
  assertClose("interleaved(permuted) vs half", referenceForward(inter, permuted, ids, 2, 7), a, 1e-12, 1e-12);
  assert.ok(maxAbsDiff(referenceForward(inter, params, ids, 2, 7), a) > 1e-3, "without the permutation the layouts differ");
});

test("relative encodings (none, rope, alibi) are invariant to shifting all positions; absolute ones are not", () => {
  const ids = randomIds(7, 256, 3);
  const shifted: ReferenceOptions = { positions: [1000, 1001, 1002, 1003, 1004, 1005, 1006] };
  for (const pe of ["none", "rope", { kind: "rope", layout: "interleaved", theta: 500 }, "alibi"]) {
    const cfg = small(pe);
    const params = randomParams(cfg, 4);
    assertClose(`shift ${JSON.stringify(pe)}`, referenceForward(cfg, params, ids, 1, 7, shifted), referenceForward(cfg, params, ids, 1, 7), 1e-9, 1e-9);
  }
  for (const pe of ["sinusoidal", { kind: "learned", table_size: 2000 }]) {
    const cfg = small(pe);
    const params = randomParams(cfg, 4);
    assert.ok(maxAbsDiff(referenceForward(cfg, params, ids, 1, 7, shifted), referenceForward(cfg, params, ids, 1, 7)) > 1e-3, JSON.stringify(pe));
  }
});

test("built-in encodings match values computed by hand from their formulas", () => {
  // RoPE half layout, rotary_dim 4 of head dim 6, theta 10000: pair i rotates by pos·10000^(−2i/4)
  const rope = small({ kind: "rope", rotary_dim: 4 });
  const v = Float64Array.from([1, 0.5, 0, 2, 7, 8]);
  builtinHooks(rope, randomParams(rope, 0)).rotate!(v, 3, "q", 0, 0);
  const a0 = 3, a1 = 3 * 0.01;
  assertClose("rope half", v, [Math.cos(a0), 0.5 * Math.cos(a1) - 2 * Math.sin(a1), Math.sin(a0), 0.5 * Math.sin(a1) + 2 * Math.cos(a1), 7, 8], 1e-15, 1e-15);
  const w = Float64Array.from([1, 0, 0.5, 2, 7, 8]);
  builtinHooks(small({ kind: "rope", layout: "interleaved", rotary_dim: 4 }), randomParams(rope, 0)).rotate!(w, 3, "k", 0, 0);
  assertClose("rope interleaved", w, [Math.cos(a0), Math.sin(a0), 0.5 * Math.cos(a1) - 2 * Math.sin(a1), 0.5 * Math.sin(a1) + 2 * Math.cos(a1), 7, 8], 1e-15, 1e-15);
  // sinusoidal (interleaved, Vaswani, base 10000), d = 12: channel 2i = sin(pos·10000^(−2i/12)), 2i+1 = cos
  const sin = small("sinusoidal");
  const x = new Float64Array(12);
  builtinHooks(sin, randomParams(sin, 0)).absolute!(5, x);
  const expect = Array.from({ length: 12 }, (_, k) => (k % 2 === 0 ? Math.sin : Math.cos)(5 / 10000 ** ((2 * Math.floor(k / 2)) / 12)));
  assertClose("sinusoidal", x, expect, 1e-15, 0);
  // ALiBi slopes: the reference's values (pe-methods-and-anchors.md §1.3 / §6, from ofirpress get_slopes)
  assert.deepEqual(alibiSlopesReference(8), [1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 64, 1 / 128, 1 / 256]);
  assertClose("alibi 12 heads", alibiSlopesReference(12).slice(8), [0.707107, 0.353553, 0.176777, 0.088388], 1e-6, 0);
  const alibi = small("alibi");
  assert.equal(builtinHooks(alibi, randomParams(alibi, 0)).bias!(1, 1, 10, 4), -(1 / 256) * 6); // 2 heads: slopes 2^(−8k/2) = 1/16, 1/256
});

test("window: W ≥ T is full attention; W = 1 makes each position see only itself", () => {
  const ids = randomIds(7, 256, 5);
  const full = small("alibi");
  const params = randomParams(full, 6);
  assertClose("W = T", referenceForward(small("alibi", { window: 7 }), params, ids, 1, 7), referenceForward(full, params, ids, 1, 7), 0, 0);
  const changed = ids.slice();
  changed[3] = (ids[3]! + 1) % 256;
  const V = 256;
  const row = (l: Float64Array, t: number): Float64Array => l.subarray(t * V, (t + 1) * V);
  const w1 = small("none", { window: 1 });
  const before = referenceForward(w1, params, ids, 1, 7), after = referenceForward(w1, params, changed, 1, 7);
  assert.equal(maxAbsDiff(row(before, 4), row(after, 4)), 0, "W = 1: position 4 ignores token 3");
  assert.ok(maxAbsDiff(row(before, 3), row(after, 3)) > 1e-3, "but position 3 sees its own token");
  const w2 = small("none", { window: 2 });
  const b2 = referenceForward(w2, params, ids, 1, 7), a2 = referenceForward(w2, params, changed, 1, 7);
  assert.ok(maxAbsDiff(row(b2, 4), row(a2, 4)) > 1e-3, "W = 2: position 4 sees token 3");
  assert.equal(maxAbsDiff(row(b2, 6), row(a2, 6)), 0, "W = 2 over 2 layers: position 6 reaches back to 5 and 4 only");
});

test("bias hook (per layer and head, for encodings without a built-in): a per-head constant changes nothing, a self-only mask equals W = 1", () => {
  const cfg = small("t5"); // t5 has no built-in: hooks supply the bias
  const params = randomParams(cfg, 7);
  const ids = randomIds(14, 256, 8);
  const noneParams = new Map(params);
  noneParams.delete("pe.t5.bias");
  const none = referenceForward(small("none"), noneParams, ids, 2, 7);
  assertClose("constant bias", referenceForward(cfg, params, ids, 2, 7, { hooks: { bias: (_l, h) => 3 * h - 1 } }), none, 1e-12, 1e-12);
  const selfOnly = referenceForward(cfg, params, ids, 2, 7, { hooks: { bias: (_l, _h, i, j) => (i === j ? 0 : -Infinity) } });
  assertClose("self-only bias", selfOnly, referenceForward(small("none", { window: 1 }), noneParams, ids, 2, 7), 1e-12, 1e-12);
});

test("refusals: encodings without a built-in, bad ids, wrong sizes, positions beyond a refusing learned table", () => {
  const refuses = (f: () => unknown, message: RegExp): void => {
    assert.throws(f, (e: unknown) => e instanceof ExtraposError && message.test(e.message));
  };
  const t5 = small("t5");
  refuses(() => referenceForward(t5, randomParams(t5, 0), randomIds(7, 256, 0), 1, 7), /the reference forward has no built-in `pe` "t5"/);
  const cfg = small("none");
  const p = randomParams(cfg, 0);
  refuses(() => referenceForward(cfg, p, [1, 2, 256, 0, 0, 0, 0], 1, 7), /token id at index 2 must be in \[0, 256\), got 256/);
  refuses(() => referenceForward(cfg, p, [1, 2, 3], 1, 7), /input ids have 3 entries, expected B·T = 1·7 = 7/);
  refuses(() => referenceForward(cfg, p, randomIds(7, 256, 0), 1, 7, { positions: [0, 1] }), /`positions` has 2 entries, expected T = 7/);
  refuses(() => referenceLstmForward(cfg, p, randomIds(7, 256, 0), 1, 7), /referenceLstmForward is the LSTM's/);
  const refusing = small({ kind: "learned", beyond_table: "refuse" });
  const lp = randomParams(refusing, 0);
  refuses(() => referenceForward(refusing, lp, randomIds(8, 256, 0), 1, 8), /position 7 is beyond the learned table of 7 rows/);
  // clamp: positions past the table use its last row
  const clamping = small("learned");
  const ids = randomIds(9, 256, 1);
  assertClose("clamp", referenceForward(clamping, lp, ids, 1, 9), referenceForward(clamping, lp, ids, 1, 9, { positions: [0, 1, 2, 3, 4, 5, 6, 6, 6] }), 0, 0);
});

test("crossEntropy: values by hand", () => {
  // two classes, logits [0, ln 3], target 0: −log(1/(1+3)) = ln 4
  assert.ok(Math.abs(crossEntropy(Float64Array.from([0, Math.log(3)]), [0], 2) - Math.log(4)) < 1e-15);
  // uniform logits over V: ln V, independent of the shift; mean over rows
  assert.ok(Math.abs(crossEntropy(new Float64Array(2 * 256).fill(1e3), [5, 9], 256) - Math.log(256)) < 1e-12);
  assert.throws(() => crossEntropy(new Float64Array(4), [2, 0], 2), /target at index 0 must be in \[0, 2\), got 2/);
});
