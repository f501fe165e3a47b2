/**
 * Incremental decoding (KV cache, decoder.ts) = a full forward over the same prefix: after each fed
 * token the decoder's logits equal the last row of the engine's forward over the whole prefix, for
 * every encoding, past the training length (context 8, generation to 14 tokens), with evaluation-time
 * RoPE scaling included (dynamic NTK and LongRoPE: keys cached before rotation and re-rotated).
 * Tolerance: float32 engine vs float64 decoder, abs 2e-5 + rel 2e-5 (as encodings.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../../pe/errors.js";
import type { EvalOptions } from "../lm.js";
import { Float64Decoder } from "./decoder.js";
import { assertClose, DECODE_CASES, maxAbsDiff, randomIds, randomParams, tinyConfig, tinyModel } from "./testing.js";

const CTX = 8, STEPS = 14, V = 256;
const tokens = randomIds(STEPS, V, 41);


for (const c of DECODE_CASES) {
  test(`decoder = full forward over the prefix, to ${STEPS} > ${CTX} tokens: ${c.name}`, () => {
    const cfg = tinyConfig(c.pe, { context_length: CTX, ...c.extra });
    const model = tinyModel(cfg, randomParams(cfg, 42));
    const opts = c.eval ?? {};
    assert.equal(model.encoding.cachePolicy(opts), c.policy);
    const dec = model.startFloat64Decoding(opts);
    const lastRow = (n: number): Float32Array => model.logits(tokens.subarray(0, n), 1, n, opts).subarray((n - 1) * V, n * V);
    assertClose(`${c.name} after a 3-token prompt`, dec.feed(tokens.subarray(0, 3)), lastRow(3), 2e-5, 2e-5);
    for (let n = 4; n <= STEPS; n++) {
      assertClose(`${c.name} at length ${n}`, dec.feed(tokens.subarray(n - 1, n)), lastRow(n), 2e-5, 2e-5);
    }
    assert.equal(dec.length, STEPS);
  });
}

test("dynamic NTK and LongRoPE: the cache is used while the frequencies hold and recomputed when they change", () => {
  const cfg = tinyConfig("rope", { context_length: CTX });
  const model = tinyModel(cfg, randomParams(cfg, 43));
  const run = (opts: EvalOptions, encoding = model.encoding): { recomputed: number[]; last: Float32Array } => {
    const recomputed: number[] = [];
    const dec = new Float64Decoder(cfg, model.snapshot(), encoding, opts, (ids) => {
      recomputed.push(ids.length);
      return model.logits(ids, 1, ids.length, opts).slice((ids.length - 1) * V);
    });
    let last: Float32Array = new Float32Array(0);
    for (let n = 1; n <= STEPS; n++) last = dec.feed(tokens.subarray(n - 1, n));
    return { recomputed, last };
  };
  const dynamic: EvalOptions = { ropeScaling: { rope_type: "dynamic", factor: 4 } };
  assert.deepEqual(run(dynamic).recomputed, [9, 10, 11, 12, 13, 14], "dynamic: θ' changes at every step past the training length");
  const longrope: EvalOptions = { ropeScaling: { rope_type: "longrope", factor: 2, short_factor: [1, 1, 1, 1], long_factor: [1, 2, 4, 8] } };
  assert.deepEqual(run(longrope).recomputed, [9], "longrope: once, at the switch to the long factors");
  // ignoring the change (a cache that never notices new frequencies) misses the full forward
  const frozen = run(dynamic, { ...model.encoding, frequencyKey: () => "" });
  const full = model.logits(tokens, 1, STEPS, dynamic).subarray((STEPS - 1) * V);
  assert.ok(maxAbsDiff(frozen.last, full) > 1e-3, `frozen frequencies differ by ${maxAbsDiff(frozen.last, full)}`);
});

test("decoder refusals: a learned table that refuses positions beyond it, bad tokens, empty feeds", () => {
  const cfg = tinyConfig({ kind: "learned", beyond_table: "refuse" }, { context_length: CTX });
  const dec = tinyModel(cfg, randomParams(cfg, 44)).startFloat64Decoding();
  dec.feed(tokens.subarray(0, CTX));
  assert.throws(() => dec.feed(tokens.subarray(CTX, CTX + 1)), (e: unknown) => e instanceof ExtraposError && /learned position 8 is beyond the table of 8 positions/.test(e.message));
  const ok = tinyModel(tinyConfig("alibi"), randomParams(tinyConfig("alibi"), 1)).startFloat64Decoding();
  assert.throws(() => ok.feed(Int32Array.of(256)), /decoder token must be an integer in \[0, 256\), got 256/);
  assert.throws(() => ok.feed(new Int32Array(0)), /at least one token/);
});

test("predict (one forward pass, argmax per position) = the argmax of the full-forward logits at every position", () => {
  for (const pe of ["rope", "alibi", "sinusoidal"]) {
    const cfg = tinyConfig(pe, { context_length: CTX });
    const model = tinyModel(cfg, randomParams(cfg, 44));
    const n = STEPS;
    const logits = model.logits(tokens.subarray(0, n), 1, n);
    const predicted = model.predict({ B: 1, T: n, inputs: tokens.subarray(0, n), targets: new Int32Array(n).fill(-1) });
    assert.equal(predicted.length, n);
    for (let t = 0; t < n; t++) {
      const row = logits.subarray(t * V, (t + 1) * V);
      let best = 0;
      for (let v = 1; v < V; v++) if (row[v]! > row[best]!) best = v;
      assert.equal(predicted[t], best, `${pe}: position ${t}`);
    }
    // … and the decoder's step-by-step argmax agrees (what passkey scoring relied on before).
    const dec = model.startFloat64Decoding();
    for (let t = 0; t < n; t++) {
      const l = dec.feed(tokens.subarray(t, t + 1));
      let best = 0;
      for (let v = 1; v < V; v++) if (l[v]! > l[best]!) best = v;
      assert.equal(predicted[t], best, `${pe}: decoder at position ${t}`);
    }
  }
});
