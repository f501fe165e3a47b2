/**
 * Transformer-XL's segment memory on the float32 engine decoder (engine-segment-cache.ts, with the relative
 * attention of xl-decode.ts) against its reference, the float64 rolling decoder with `cache.segment`
 * (rolling-cache.ts, itself checked against full forwards over the held tokens in rolling-cache.test.ts):
 * (1) for Transformer-XL and the encodings segment evaluation reads token by token, segments of S with
 *     memory M (and sinks), a prompt fed at once in chunks across several segment boundaries, then token by
 *     token far past M + S: logits equal after every token (float32 vs float64: abs/rel 1e-4), greedy ids equal;
 * (2) `generate` on a Transformer-XL model with mem_len M (startDecoding(), segments of T): the engine decoder,
 *     = the float64 reference past M + T, at most M + T positions cached; a batch sharing its prefill = single
 *     decoders; the arena is allocated once and does not move over 200 tokens (memory bounded);
 * (3) Transformer-XL without mem_len decodes on the engine too (engine-decoder.test.ts: = the full forward).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine } from "../../engine/engine.js";
import type { Decoder } from "../lm.js";
import { assertClose, randomIds, randomParams, tinyConfig, tinyModel } from "./testing.js";

const V = 256, TOL = 1e-4;
const tokens = randomIds(80, V, 81);

function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let v = 1; v < x.length; v++) if (x[v]! > x[best]!) best = v;
  return best;
}

/** Greedy continuation of a 3-token prompt. */
function greedy(d: Decoder, steps: number): number[] {
  const ids: number[] = [];
  let l = d.feed(tokens.subarray(0, 3));
  for (let i = 0; i < steps; i++) {
    ids.push(argmax(l));
    l = d.feed(Int32Array.of(ids[i]!));
  }
  return ids;
}

const CASES: { name: string; pe: unknown; extra?: Record<string, unknown> }[] = [
  { name: "transformer-xl", pe: "transformer-xl" },
  { name: "transformer-xl, attention only (mlp false)", pe: "transformer-xl", extra: { mlp: false } },
  { name: "rope, attention only (mlp false)", pe: "rope", extra: { mlp: false } },
  { name: "transformer-xl (untie_r, clamp_len 4)", pe: { kind: "transformer-xl", untie_r: true, clamp_len: 4 } },
  { name: "rope", pe: "rope" },
  { name: "xpos", pe: { kind: "xpos", scale_base: 16 } },
  { name: "alibi", pe: "alibi" },
  { name: "t5", pe: { kind: "t5", num_buckets: 8, max_distance: 6 } },
  { name: "fire (dense beyond L = 6)", pe: { kind: "fire", hidden: 8, init_l: 6 } },
  { name: "none", pe: "none" },
];

for (const c of CASES) {
  test(`engine segment cache = float64 segment decoder after every token, greedy ids equal: ${c.name}`, () => {
    const cfg = tinyConfig(c.pe, { context_length: 8, ...c.extra });
    const model = tinyModel(cfg, randomParams(cfg, 82));
    for (const [S, M, sinks] of [[5, 3, 0], [4, 0, 0], [3, 7, 0], [4, 3, 2]] as const) {
      const cache = { sinks, recent: M, segment: S }, what = `${c.name} S ${S} M ${M} sinks ${sinks}`;
      const dec = model.startEngineDecoding({}, { rolling: cache, chunk: 2 });
      const ref = model.startFloat64RollingDecoding({}, cache);
      assert.equal(dec.capacity, sinks + M + S);
      // an 11-token prompt at once: chunks never cross a segment boundary, the memory shifts at each one
      assertClose(`${what}: 11-token prompt`, dec.feed(tokens.subarray(0, 11)), ref.feed(tokens.subarray(0, 11)), TOL, TOL);
      for (let n = 11; n < 40; n++) {
        assertClose(`${what}: token ${n}`, dec.feed(tokens.subarray(n, n + 1)), ref.feed(tokens.subarray(n, n + 1)), TOL, TOL);
        // held: the sinks, the M tokens before the segment and the segment so far
        const held = Math.min(sinks, n + 1) + n + 1 - Math.max(sinks, n - (n % S) - M);
        assert.equal(dec.cached, held, `${what}: positions held after ${n + 1} tokens`);
      }
      dec.dispose();
      assert.deepEqual(greedy(model.startDecoding({ cache }), 25), greedy(model.startFloat64RollingDecoding({}, cache), 25), `${what}: greedy ids`);
    }
  });
}

test("generate with mem_len M (Transformer-XL, 3 layers): the engine decoder = the float64 reference past M + T; bounded; batch = single", () => {
  for (const [T, M, clamp] of [[6, 4, 0], [4, 9, 5]] as const) {
    const cfg = tinyConfig({ kind: "transformer-xl", mem_len: M, clamp_len: clamp }, { context_length: T, n_layers: 3 });
    const engine = new SerialEngine();
    const model = tinyModel(cfg, randomParams(cfg, 83), engine);
    const what = `T ${T} M ${M} clamp ${clamp}`;
    const before = engine.mark();
    const dec = model.startDecoding();
    const arena = engine.mark();
    assert.equal(dec.constructor.name, "EngineDecoder", `${what}: on the engine`);
    const ref = model.startFloat64RollingDecoding({}, { sinks: 0, recent: M, segment: T });
    assertClose(`${what}: 7-token prompt`, dec.feed(tokens.subarray(0, 7)), ref.feed(tokens.subarray(0, 7)), TOL, TOL);
    for (let n = 7; n < 200; n++) {
      const got = dec.feed(tokens.subarray(n % 80, n % 80 + 1)), want = ref.feed(tokens.subarray(n % 80, n % 80 + 1));
      assertClose(`${what}: token ${n}`, got, want, TOL, TOL);
      assert.ok((dec as unknown as { cached: number }).cached <= M + T, `${what}: at most M + T positions after ${n + 1} tokens`);
    }
    assert.equal(engine.mark(), arena, `${what}: nothing allocated while generating 200 tokens`);
    assert.equal((dec as unknown as { capacity: number }).capacity, M + T);
    dec.dispose?.();
    assert.equal(engine.mark(), before, `${what}: released on dispose`);
    assert.deepEqual(greedy(model.startDecoding(), 3 * (M + T)), greedy(model.startFloat64RollingDecoding({}, { sinks: 0, recent: M, segment: T }), 3 * (M + T)), `${what}: greedy ids`);

    // a batch of 3 sharing a 5-token prefill, then different tokens across several segments: each = a single decoder
    const B = 3, batch = model.startEngineDecoding({}, { rolling: { sinks: 0, recent: M, segment: T }, batch: B });
    batch.feed(tokens.subarray(0, 5));
    const seqs = [0, 1, 2].map((b) => Array.from(randomIds(2 * (M + T), V, 90 + b)));
    const singles = seqs.map(() => { const d = model.startDecoding(); d.feed(tokens.subarray(0, 5)); return d; });
    for (let i = 0; i < seqs[0]!.length; i++) {
      const got = batch.feedBatch(Int32Array.from(seqs, (s) => s[i]!));
      for (let b = 0; b < B; b++) assertClose(`${what}: batch sequence ${b} step ${i}`, got.subarray(b * V, (b + 1) * V), singles[b]!.feed(Int32Array.of(seqs[b]![i]!)), TOL, TOL);
    }
  }
});
