/**
 * Longformer-style patterns in the whole model (src/model/attention-pattern.ts): per-layer windows,
 * per-head dilation and global tokens (attention sinks). On the tiny config (d 16, 2 layers, 2 heads,
 * T 12, B 2) the engine's logits equal the float64 reference's, the gradient of the loss with respect
 * to the attention weights of every layer equals a central finite difference of the float64 loss,
 * the float64 decoder equals the engine's full forward, and each pattern changes the logits (so the
 * comparisons are of different functions). Tolerances as encodings.test.ts (measured there).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../../pe/errors.js";
import { modelConfigToJson, parseModelConfig } from "../config.js";
import { visibleKey } from "../attention-pattern.js";
import { assertClose, gradientsAndReferenceLoss, paramDifference, maxAbsDiff, randomIds, randomParams, referenceLogits, tinyConfig, tinyModel } from "./testing.js";

const B = 2, T = 12, V = 256;
const ids = randomIds(B * T, V, 21), targets = randomIds(B * T, V, 22);

const CASES: { name: string; pe: string; extra: Record<string, unknown> }[] = [
  { name: "growing windows [2, 5], alibi", pe: "alibi", extra: { window: [2, 5] } },
  { name: "window 3, dilation [1, 2], rope", pe: "rope", extra: { window: 3, dilation: [1, 2] } },
  { name: "windows [2, 4], dilation per layer [[1, 1], [2, 3]], 2 global tokens, kerple-log", pe: "kerple-log", extra: { window: [2, 4], dilation: [[1, 1], [2, 3]], global_tokens: 2 } },
  { name: "window 3 + 4 sinks, rope (window-sinks)", pe: "rope", extra: { window: 3, global_tokens: 4 } },
  { name: "full causal, dilation [2, 1], none", pe: "none", extra: { dilation: [2, 1] } },
];

for (const c of CASES) {
  const cfg = tinyConfig(c.pe, c.extra);

  test(`${c.name}: engine logits = float64 reference; the pattern changes the logits`, () => {
    const params = randomParams(cfg, 5);
    const model = tinyModel(cfg, params);
    const ref = referenceLogits(model, model.snapshot(), ids, B, T);
    assertClose(`${c.name} logits`, model.logits(ids, B, T), ref, 2e-5, 2e-5);
    const plain = tinyModel(tinyConfig(c.pe), params);
    assert.ok(maxAbsDiff(plain.logits(ids, B, T), ref) > 1e-3, `${c.name}: differs from full attention`);
  });

  test(`${c.name}: gradients of both layers' attention weights = finite differences of the float64 loss`, () => {
    const { params, grads, loss } = gradientsAndReferenceLoss(tinyModel(cfg, randomParams(cfg, 6)), { B, T, inputs: ids, targets });
    let largest = 0;
    for (const name of ["blocks.0.attn.qkv.weight", "blocks.1.attn.qkv.weight"]) {
      const g = grads.get(name)!;
      // q, k and v rows of both heads: rows 0, 8 (q), 16, 24 (k), 32, 40 (v) of the [3C, C] weight
      const coords = [0, 8, 16, 24, 32, 40].map((row) => row * 16 + (row % 7));
      const fd = coords.map((i) => paramDifference(params, name, i, loss));
      assertClose(`${c.name} d loss / d ${name}`, coords.map((i) => g[i]!), fd, 2e-5, 5e-3);
      largest = Math.max(largest, ...fd.map(Math.abs));
    }
    assert.ok(largest > 1e-3, `largest |finite difference| ${largest}`);
  });

  test(`${c.name}: float64 decoder = engine forward over each prefix`, () => {
    const model = tinyModel(cfg, randomParams(cfg, 7));
    const dec = model.startDecoding();
    const tokens = ids.subarray(0, T);
    for (let n = 1; n <= T; n++) {
      const got = dec.feed(tokens.subarray(n - 1, n));
      assertClose(`${c.name} at ${n}`, got, model.logits(tokens.subarray(0, n), 1, n).subarray((n - 1) * V, n * V), 2e-5, 2e-5);
    }
  });
}

test("attention pattern config: round trip, per-layer forms, and refusals naming key, constraint and value", () => {
  const cfg = tinyConfig("rope", { window: [2, 5], dilation: [1, 3], global_tokens: 4 });
  assert.deepEqual(cfg.dilation, [[1, 3], [1, 3]]);
  assert.deepEqual(parseModelConfig(modelConfigToJson(cfg)), cfg);
  assert.equal(modelConfigToJson(cfg).global_tokens, 4);
  const refuse = (extra: Record<string, unknown>, re: RegExp) =>
    assert.throws(() => tinyConfig("rope", extra), (e: unknown) => e instanceof ExtraposError && e.code === "invalid_config" && re.test(e.message));
  refuse({ window: [2, 3, 4] }, /`window` must be one integer or a list of n_layers = 2 integers, got 3 entries/);
  refuse({ window: [2, 0] }, /`window\[1\]` must be an integer ≥ 1, got 0/);
  refuse({ dilation: [1, 2, 3] }, /`dilation` must be a list of n_heads = 2 integers, got \[1,2,3\]/);
  refuse({ dilation: [[1, 1]] }, /`dilation` per layer must have n_layers = 2 lists, got 1/);
  refuse({ dilation: [[1, 1], [1, 0]] }, /`dilation\[1\]\[1\]` must be an integer ≥ 1, got 0/);
  refuse({ global_tokens: 4 }, /`global_tokens` needs a `window`.*got 4/);
  refuse({ window: 4, global_tokens: -1 }, /`global_tokens` must be an integer ≥ 0, got -1/);
  assert.throws(() => tinyModel(tinyConfig("cope", { dilation: [1, 2] }), new Map()), /`window` and `dilation` must be null with pe "cope"/);
});

test("visibleKey: dilated windows see i, i − d, …, i − (W − 1)·d; global tokens every earlier key below G", () => {
  const cfg = tinyConfig("rope", { window: [3, 2], dilation: [[1, 2], [3, 1]], global_tokens: 1 });
  const seen = (l: number, h: number, i: number) => [...Array(i + 1).keys()].filter((j) => visibleKey(cfg, l, h, i, j));
  assert.deepEqual(seen(0, 0, 9), [0, 7, 8, 9]);
  assert.deepEqual(seen(0, 1, 9), [0, 5, 7, 9]);
  assert.deepEqual(seen(1, 0, 9), [0, 6, 9]);
  assert.deepEqual(seen(1, 1, 9), [0, 8, 9]);
});
