/**
 * The transformer with `embedding.scale: "sqrt_d"` (x = √d·E[id] + PE(pos), tied head on the unscaled E):
 * (1) engine logits, training loss and eval NLL = the float64 reference forward (reference.ts) for pe
 *     none, sinusoidal, learned, rope, adaptive; the scale changes the logits (the check can fail);
 * (2) the gradient of `tok_emb.weight` — rows the batch reads (head + s·scatter) and rows it does not
 *     (head only) — and of `pos_emb.weight` = central finite differences of the float64 loss;
 * (3) the float64 KV-cache decoder = the full forward over each prefix.
 * Tolerances as encodings.test.ts (logits abs 2e-5 + rel 2e-5, gradients abs 2e-5 + rel 5e-3); the scale
 * (√16 = 4) multiplies the embeddings of the std-0.3 test weights to std 1.2, still in the measured range.
 * Mutation check (done locally, not committed): dropping the factor s from scaledEmbeddingBackward turned
 * both gradient tests here red (learned: tok_emb backward −0.049 vs finite difference −0.175; sinusoidal:
 * −0.00299 vs −0.00310, the head term dominating that row), and the two gradient tests of embedding.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../pe/random.js";
import { paramTable } from "../params.js";
import { assertClose, assertMatchesReference, GRAD, gradientsAndReferenceLoss, LOGITS, maxAbsDiff, paramDifference, randomIds, randomParams, tinyConfig, tinyModel } from "./testing.js";

const B = 2, T = 12, V = 256;
const ids = randomIds(B * T, V, 31), targets = randomIds(B * T, V, 32);
const scaled = (pe: unknown, extra: Record<string, unknown> = {}) => tinyConfig(pe, { embedding: "sqrt_d", ...extra });

for (const pe of ["none", "sinusoidal", "learned", "rope", "adaptive"]) {
  test(`embedding scale √d, pe ${pe}: logits, training loss and eval NLL = float64 reference`, () => {
    const cfg = scaled(pe);
    assert.deepEqual(paramTable(cfg)[0], { name: "tok_emb.weight", shape: [V, 16], init: { kind: "normal", std: 16 ** -0.5 } });
    const { params, ref } = assertMatchesReference(pe, tinyModel(cfg, randomParams(cfg, 3)), { B, T, inputs: ids, targets });
    // the unscaled model over the same weights computes something else
    const plain = tinyModel(tinyConfig(pe), params);
    assert.ok(maxAbsDiff(plain.logits(ids, B, T), ref) > 1e-2, `${pe}: the scale changes the logits`);
  });
}

for (const pe of ["learned", "sinusoidal"]) {
  test(`embedding scale √d, pe ${pe}: tok_emb (read and unread rows) and pos_emb gradients = finite differences`, () => {
    const cfg = scaled(pe);
    const { params, grads, loss } = gradientsAndReferenceLoss(tinyModel(cfg, randomParams(cfg, 4)), { B, T, inputs: ids, targets });
    const d = cfg.dModel, rng = new Rng(9);
    const read = [...new Set(ids)].slice(0, 5);
    const unread = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((r) => !ids.includes(r)).slice(0, 2);
    const coords: [string, number][] = [...read, ...unread].map((r) => ["tok_emb.weight", r * d + rng.int(d)]);
    if (pe === "learned") for (const r of [0, 5, 11]) coords.push(["pos_emb.weight", r * d + rng.int(d)]);
    let largest = 0;
    for (const [name, i] of coords) {
      const fd = paramDifference(params, name, i, loss);
      const g = grads.get(name)![i]!;
      largest = Math.max(largest, Math.abs(g));
      assert.ok(Math.abs(g - fd) <= GRAD.abs + GRAD.rel * Math.abs(fd), `${name}[${i}]: backward ${g} vs finite difference ${fd}`);
    }
    assert.ok(largest > 1e-3, `the compared gradients are not all ~0 (max ${largest})`);
  });
}

for (const pe of ["none", "sinusoidal", "learned", "rope"]) {
  test(`embedding scale √d, pe ${pe}: decoder = full forward over each prefix (past the context length)`, () => {
    const CTX = 8, STEPS = 12, cfg = scaled(pe, { context_length: CTX });
    const model = tinyModel(cfg, randomParams(cfg, 5));
    const tokens = randomIds(STEPS, V, 33);
    const dec = model.startDecoding();
    for (let n = 1; n <= STEPS; n++) {
      const full = model.logits(tokens.subarray(0, n), 1, n).subarray((n - 1) * V, n * V);
      assertClose(`${pe} at length ${n}`, dec.feed(tokens.subarray(n - 1, n)), full, LOGITS.abs, LOGITS.rel);
    }
  });
}
