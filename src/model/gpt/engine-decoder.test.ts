/**
 * The float32 engine decoder (engine-decoder.ts) against its references, for EVERY encoding and RoPE
 * scaling scheme (DECODE_CASES), past the training length (context 8, 14 tokens):
 * - after each fed token its logits equal the last row of the engine's full forward over the prefix
 *   (float32 vs float32 in another order: abs 1e-4 + rel 1e-4);
 * - greedy generation gives the same tokens as the float64 decoder (decoder.ts);
 * - a prompt fed in chunks (nq > 1 rows per attention call) equals the same prompt fed token by token;
 * - a batch sharing its prompt's prefill: each sequence equals a batch-1 decoder fed that sequence.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../../pe/errors.js";
import { SerialEngine } from "../../engine/engine.js";
import { SplitEngine } from "../../engine/kernels/testing.js";
import { assertClose, DECODE_CASES, randomIds, randomParams, tinyConfig, tinyModel } from "./testing.js";

const CTX = 8, STEPS = 14, V = 256, TOL = 1e-4;
const tokens = randomIds(STEPS, V, 41);

function argmax(x: ArrayLike<number>, from = 0, n = x.length): number {
  let best = 0;
  for (let v = 1; v < n; v++) if (x[from + v]! > x[from + best]!) best = v;
  return best;
}

for (const c of DECODE_CASES) {
  test(`engine decoder = full forward, greedy = float64 decoder, chunked = stepwise, batch = single: ${c.name}`, () => {
    const cfg = tinyConfig(c.pe, { context_length: CTX, ...c.extra });
    const model = tinyModel(cfg, randomParams(cfg, 42));
    const opts = c.eval ?? {};
    const lastRow = (n: number): Float32Array => model.logits(tokens.subarray(0, n), 1, n, opts).subarray((n - 1) * V, n * V);
    // small capacity: the cache grows (and copies) on the way
    const dec = model.startEngineDecoding(opts, { capacity: 5 });
    assertClose(`${c.name} after a 3-token prompt`, dec.feed(tokens.subarray(0, 3)), lastRow(3), TOL, TOL);
    for (let n = 4; n <= STEPS; n++) assertClose(`${c.name} at length ${n}`, dec.feed(tokens.subarray(n - 1, n)), lastRow(n), TOL, TOL);
    assert.equal(dec.length, STEPS);
    assert.ok(dec.capacity >= STEPS);
    dec.dispose();

    // greedy continuation of a 2-token prompt: same ids as the float64 decoder
    const greedy = (d: { feed(t: Int32Array): Float32Array }): number[] => {
      const ids: number[] = [];
      let l = d.feed(tokens.subarray(0, 2));
      for (let i = 0; i < STEPS - 2; i++) {
        ids.push(argmax(l));
        l = d.feed(Int32Array.of(ids[i]!));
      }
      return ids;
    };
    assert.deepEqual(greedy(model.startDecoding(opts)), greedy(model.startFloat64Decoding(opts)), `${c.name}: greedy ids`);

    // a prompt in chunks of 4 rows, then steps = token by token
    const chunked = model.startEngineDecoding(opts, { chunk: 4, capacity: 16 });
    const stepwise = model.startEngineDecoding(opts, { capacity: 16 });
    let a: Float32Array = chunked.feed(tokens.subarray(0, 11)), b: Float32Array = new Float32Array(0);
    for (let n = 0; n < 11; n++) b = stepwise.feed(tokens.subarray(n, n + 1));
    assertClose(`${c.name} chunked prompt`, a, b, TOL, TOL);
    a = chunked.feed(tokens.subarray(11, 12));
    b = stepwise.feed(tokens.subarray(11, 12));
    assertClose(`${c.name} step after a chunked prompt`, a, b, TOL, TOL);

    // batch of 3 sharing a 4-token prompt, then different tokens per sequence
    const B = 3, batch = model.startEngineDecoding(opts, { batch: B, capacity: 6 });
    batch.feed(tokens.subarray(0, 4));
    const seqs = [0, 1, 2].map((b) => Array.from(randomIds(STEPS - 4, V, 50 + b)));
    const singles = seqs.map(() => { const d = model.startDecoding(opts); d.feed(tokens.subarray(0, 4)); return d; });
    for (let i = 0; i < STEPS - 4; i++) {
      const got = batch.feedBatch(Int32Array.from(seqs, (s) => s[i]!));
      for (let bb = 0; bb < B; bb++) {
        assertClose(`${c.name} batch sequence ${bb} step ${i}`, got.subarray(bb * V, (bb + 1) * V), singles[bb]!.feed(Int32Array.of(seqs[bb]![i]!)), TOL, TOL);
      }
    }
    // feed() after divergence appends to every sequence
    const same = batch.feed(Int32Array.of(7));
    assertClose(`${c.name} batch feed after divergence`, same, singles[0]!.feed(Int32Array.of(7)), TOL, TOL);
  });
}

test("engine decoder: same logits bytes on a split (threaded) engine; refusals name the problem", () => {
  const cfg = tinyConfig("alibi", { context_length: CTX });
  const params = randomParams(cfg, 3);
  const run = (engine: SerialEngine | SplitEngine): Float32Array => {
    const d = tinyModel(cfg, params, engine).startEngineDecoding({}, { batch: 2 });
    d.feed(tokens.subarray(0, 5));
    return d.feedBatch(Int32Array.of(1, 2));
  };
  assert.deepEqual(run(new SplitEngine(3)), run(new SerialEngine()));
  const d = tinyModel(cfg, params).startEngineDecoding({}, { batch: 2 });
  assert.throws(() => d.feed(Int32Array.of(256)), /decoder token must be an integer in \[0, 256\), got 256/);
  assert.throws(() => d.feed(new Int32Array(0)), /at least one token/);
  assert.throws(() => d.feedBatch(Int32Array.of(1)), /one token per sequence \(2\), got 1/);
  assert.throws(() => tinyModel(cfg, params).startEngineDecoding({}, { batch: 0 }), (e: unknown) => e instanceof ExtraposError && /`batch` must be an integer ≥ 1, got 0/.test(e.message));
  d.dispose();
  assert.throws(() => d.feed(Int32Array.of(1)), /disposed/);
  const learned = tinyConfig({ kind: "learned", beyond_table: "refuse" }, { context_length: CTX });
  const ld = tinyModel(learned, randomParams(learned, 44)).startDecoding();
  ld.feed(tokens.subarray(0, CTX));
  assert.throws(() => ld.feed(tokens.subarray(CTX, CTX + 1)), /learned position 8 is beyond the table of 8 positions/);
  // the failed feed left the decoder usable at its previous length
  assert.equal(ld.length, CTX);
});

test("engine decoder memory: released on dispose; the cache is linear in the capacity", () => {
  const cfg = tinyConfig("rope", { context_length: CTX });
  const engine = new SerialEngine();
  const model = tinyModel(cfg, randomParams(cfg, 5), engine);
  const before = engine.mark();
  const sizes = [64, 128, 256].map((capacity) => {
    const d = model.startEngineDecoding({}, { capacity });
    const bytes = engine.mark() - before;
    d.dispose();
    assert.equal(engine.mark(), before, "disposed decoder's memory returned");
    return bytes;
  });
  // bytes = fixed + capacity · per-token: equal increments for equal capacity steps (up to alignment)
  const perToken = (sizes[2]! - sizes[1]!) / 128;
  assert.ok(Math.abs((sizes[1]! - sizes[0]!) / 64 - perToken) < 8, `per-token bytes ${(sizes[1]! - sizes[0]!) / 64} vs ${perToken}`);
  const C = cfg.dModel, L = cfg.nLayers;
  assert.ok(perToken >= 2 * L * C * 4 && perToken < 2 * L * C * 4 + 64, `per-token bytes ${perToken} ≈ K and V of every layer (${2 * L * C * 4})`);
});
