/**
 * Attention-only blocks (`mlp: false`: ln1 → attention → proj + residual, no ln2 and no MLP; Zoology's
 * associative-recall recipe) on the engine, on odd sizes (d 18, 3 heads of 6, 2 layers, B 3, T 11):
 * (1) engine logits, training loss and eval NLL = the float64 reference forward (reference.ts; CoPE and
 *     Transformer-XL: the float64 decoder) for rope, alibi, transformer-xl, cope and a window; and the
 *     engine's training pass allocates no MLP buffer;
 * (2) the gradient of EVERY parameter tensor (every element up to 64, 8 spread elements of larger ones)
 *     = central finite differences of the float64 loss (rope, alibi, transformer-xl);
 * (3) the decode step's program has 5 ops per layer (no ln2, fc, mlp proj) and 8 with MLPs; AdamW
 *     lowers the loss. (Memory estimates: src/train/memory.test.ts.)
 * Tolerances as encodings.test.ts (logits abs 2e-5 + rel 2e-5; gradients abs 2e-5 + rel 5e-3).
 * The decoders (engine, float64, rolling and segment caches) are compared in DECODE_CASES and the cache
 * tests; PyTorch in vs-torch.test.ts; checkpoints in checkpoint.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { initParams, paramTable } from "../params.js";
import { stepProgramOps } from "./decode-step.js";
import { trainingTable } from "./acts.js";
import { assertGradientsMatchDifferences, assertMatchesReference, trainRepeated, gradientsAndReferenceLoss, maxAbsDiff, randomIds, randomParams, tinyConfig, tinyModel } from "./testing.js";

const B = 3, T = 11, V = 256;
const ids = randomIds(B * T, V, 91), targets = randomIds(B * T, V, 92);
const attnOnly = (pe: unknown, extra: Record<string, unknown> = {}) => tinyConfig(pe, { d_model: 18, n_heads: 3, context_length: T, mlp: false, ...extra });

const CASES: { name: string; pe: unknown; extra?: Record<string, unknown>; grads?: true }[] = [
  { name: "rope", pe: "rope", grads: true },
  { name: "alibi", pe: "alibi", grads: true },
  { name: "transformer-xl", pe: "transformer-xl", grads: true },
  { name: "cope", pe: { kind: "cope", max_pos: 5 } },
  { name: "rope, window 4", pe: "rope", extra: { window: 4 } },
];

for (const c of CASES) {
  test(`attention only (mlp false), ${c.name}: engine logits, training loss and eval NLL = float64 reference`, () => {
    const cfg = attnOnly(c.pe, c.extra);
    assert.ok(!paramTable(cfg).some((p) => /\.(ln2|mlp)\./.test(p.name)), "no ln2 / mlp tensors");
    const { params, ref } = assertMatchesReference(c.name, tinyModel(cfg, randomParams(cfg, 1)), { B, T, inputs: ids, targets });
    // the same attention weights with (random) MLPs compute something else: the reference follows `mlp`
    const full = tinyConfig(c.pe, { d_model: 18, n_heads: 3, context_length: T, ...c.extra });
    const withMlp = new Map([...randomParams(full, 1)].map(([n, a]) => [n, params.get(n) ?? a]));
    assert.ok(maxAbsDiff(tinyModel(full, withMlp).logits(ids, B, T), ref) > 1e-2, `${c.name}: the MLP sublayer changes the logits`);
  });

  if (c.grads) {
    test(`attention only (mlp false), ${c.name}: gradient of every parameter tensor = finite difference of the float64 loss`, () => {
      const cfg = attnOnly(c.pe, c.extra);
      const r = gradientsAndReferenceLoss(tinyModel(cfg, randomParams(cfg, 2)), { B, T, inputs: ids, targets });
      assert.deepEqual([...r.grads.keys()].sort(), paramTable(cfg).map((p) => p.name).sort(), "one gradient per parameter");
      assertGradientsMatchDifferences(c.name, paramTable(cfg).map((p) => p.name), r);
    });
  }
}

test("attention only: the training plan has no MLP buffers; the decode program has 5 ops per layer (8 with MLPs)", () => {
  const cfg = attnOnly("rope"), full = tinyConfig("rope", { d_model: 18, n_heads: 3, context_length: T });
  const shape = { B, T, span: T, training: true, queryChunk: T };
  const names = trainingTable(cfg, shape, []).map((t) => t.name);
  assert.ok(!names.some((n) => /(^|\.)(ln2|fch|res3)(\.|$)/.test(n)), `no ln2 / fch / res3 buffers: ${names.filter((n) => /ln2|fch|res3/.test(n)).join(", ")}`);
  assert.ok(trainingTable(full, shape, []).some((t) => t.name === "1.res3"), "with MLPs the plan has res3");
  assert.equal(stepProgramOps(cfg), 5 * cfg.nLayers + 2);
  assert.equal(stepProgramOps(full), 8 * full.nLayers + 2);
});

test("attention only: AdamW on a repeated batch lowers the loss (every tensor trained)", () => {
  const cfg = attnOnly("rope");
  const model = tinyModel(cfg, initParams(paramTable(cfg), 3));
  const { before, losses } = trainRepeated(model, { B, T, inputs: ids, targets });
  assert.ok(losses[7]! < losses[0]! - 0.05, `losses ${losses.map((l) => l.toFixed(4)).join(", ")}`);
  for (const p of model.parameters()) assert.ok(maxAbsDiff(p.data, before.get(p.name)!) > 0, `${p.name} was updated`);
});
