/**
 * Randomized positions (Ruoss et al. 2023) on the engine: with explicit sorted position ids the
 * training loss equals the float64 reference at those positions (sinusoidal, learned, rope, alibi),
 * the learned table's gradient equals a finite difference; without ids the model draws them
 * reproducibly from (seed, step, micro-batch); evaluation uses 0…T−1.
 * Tolerance: loss abs 1e-5 (float32 per-row losses summed in float64 vs a float64 reference; measured
 * ≤ 1e-6); gradients as encodings.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../../pe/errors.js";
import { Rng } from "../../pe/random.js";
import { randomizedPositions } from "../../pe/randomized.js";
import { assertClose, gradientsAndReferenceLoss, paramDifference, randomIds, randomParams, referenceLoss, tinyConfig, tinyModel } from "./testing.js";

const B = 2, T = 12, V = 256, MAX = 40;
const ids = randomIds(B * T, V, 21), targets = randomIds(B * T, V, 22);
/** Sorted distinct ids in [0, 40), the same row for both sequences (the reference shares positions). */
const row = [0, 3, 4, 9, 13, 17, 18, 25, 29, 33, 36, 39];
const positions = Int32Array.from([...row, ...row]);

for (const pe of ["sinusoidal", "learned", "rope", "alibi"]) {
  test(`randomized ${pe}: loss at explicit position ids = float64 reference at those positions`, () => {
    const cfg = tinyConfig({ kind: pe, randomized: { max_length: MAX } });
    const model = tinyModel(cfg, randomParams(cfg, 1));
    const params = model.snapshot();
    const loss = model.forwardBackward({ B, T, inputs: ids, targets, positions }, 1);
    const ref = referenceLoss(model, params, ids, targets, B, T, row);
    assert.ok(Math.abs(loss - ref) <= 1e-5, `${pe}: engine ${loss}, reference ${ref}`);
    const atDefault = referenceLoss(model, params, ids, targets, B, T);
    assert.ok(Math.abs(atDefault - ref) > 1e-3, `${pe}: the positions matter (${atDefault} vs ${ref})`);
  });
}

test("randomized learned: the table's gradient at the used rows = finite difference; unused rows get none", () => {
  const cfg = tinyConfig({ kind: "learned", randomized: { max_length: MAX } });
  const { params, grads, loss } = gradientsAndReferenceLoss(tinyModel(cfg, randomParams(cfg, 2)), { B, T, inputs: ids, targets, positions }, row);
  const g = grads.get("pos_emb.weight")!;
  const d = cfg.dModel;
  const coords = [row[1]! * d + 3, row[6]! * d + 10, row[11]! * d + 15, 39 * d];
  const fd = coords.map((i) => paramDifference(params, "pos_emb.weight", i, loss));
  assertClose("d loss / d pos_emb", coords.map((i) => g[i]!), fd, 2e-5, 5e-3);
  assert.ok(fd.some((x) => Math.abs(x) > 1e-3));
  for (const unused of [1, 2, 20, 38]) assert.ok(g.subarray(unused * d, (unused + 1) * d).every((x) => x === 0), `row ${unused} is unused`);
});

test("randomized: ids drawn at training are reproducible, beyond T, and change with the step; evaluation uses 0…T−1", () => {
  const cfg = tinyConfig({ kind: "learned", randomized: { max_length: MAX } });
  const params = randomParams(cfg, 3);
  const usedRows = (m: ReturnType<typeof tinyModel>): number[] => {
    m.zeroGrad();
    m.forwardBackward({ B, T, inputs: ids, targets }, 1);
    const g = m.gradients().find((x) => x.name === "pos_emb.weight")!.data, d = cfg.dModel;
    return Array.from({ length: MAX }, (_, r) => r).filter((r) => g.subarray(r * d, (r + 1) * d).some((x) => x !== 0));
  };
  const a = tinyModel(cfg, params), b = tinyModel(cfg, params);
  const first = usedRows(a);
  assert.deepEqual(usedRows(b), first, "same seed → same ids");
  assert.ok(first.some((r) => r >= T), `ids reach beyond T: ${first}`);
  assert.ok(first.length <= B * T && first.length >= T);
  a.optimizerStep(1e-3, 1);
  assert.notDeepEqual(usedRows(a), first, "a new step draws new ids");
  const plain = tinyModel(tinyConfig({ kind: "learned", table_size: MAX }), params);
  assert.deepEqual(b.nll({ B, T, inputs: ids, targets }), plain.nll({ B, T, inputs: ids, targets }), "evaluation = positions 0…T−1");
});

test("explicit positions are refused for encodings that cannot take them", () => {
  const cfg = tinyConfig("kerple-log");
  const model = tinyModel(cfg, randomParams(cfg, 4));
  assert.throws(() => model.forwardBackward({ B, T, inputs: ids, targets, positions }, 1),
    (e: unknown) => e instanceof ExtraposError && /batch `positions` other than 0…T−1 apply to pe "sinusoidal", "learned", "rope", "alibi"/.test(e.message));
});

test("evaluation with randomPositions {seed} = explicit ids drawn by randomizedPositions(T, max, Rng(seed)) row by row (the reference protocol); plain otherwise; refused for T > max", () => {
  const cfg = tinyConfig({ kind: "rope", randomized: { max_length: MAX } });
  const model = tinyModel(cfg, randomParams(cfg, 5));
  const rng = new Rng(77);
  const drawn = new Int32Array(B * T);
  for (let b = 0; b < B; b++) drawn.set(randomizedPositions(T, MAX, rng), b * T);
  const viaOption = model.nll({ B, T, inputs: ids, targets }, { randomPositions: { seed: 77 } });
  const viaIds = model.nll({ B, T, inputs: ids, targets, positions: drawn });
  assert.deepEqual(viaOption, viaIds);
  const plain = model.nll({ B, T, inputs: ids, targets });
  assert.notDeepEqual(viaOption, plain, "random positions change the loss");
  assert.notDeepEqual(model.nll({ B, T, inputs: ids, targets }, { randomPositions: { seed: 78 } }), viaOption, "another seed, other positions");
  // a model without pe.randomized ignores the request
  const rope = tinyModel(tinyConfig("rope"), model.snapshot());
  assert.deepEqual(rope.nll({ B, T, inputs: ids, targets }, { randomPositions: { seed: 77 } }), plain);
  const long = randomIds(MAX + 1, V, 23);
  assert.throws(() => model.nll({ B: 1, T: MAX + 1, inputs: long, targets: long }, { randomPositions: { seed: 1 } }), /T ≤ pe\.randomized\.max_length \(40\)/);
});
