/**
 * The engine's rolling cache (engine-rolling-cache.ts, through `startDecoding({ cache })`) against its
 * references, for every encoding the rolling cache supports (2 layers, so deeper layers read keys and
 * values computed from hidden states that themselves attended through the rolling cache):
 * (1) while nothing is evicted (n ≤ sinks + recent) the logits after each token equal the last row of
 *     the engine's full forward over the prefix (float32 vs float32 in another order: abs/rel 1e-4, as
 *     engine-decoder.test.ts), prompt fed in chunks included;
 * (2) far past it (5× the cache, so the ring wraps and the rotation offset moves several times) the
 *     logits equal the float64 rolling decoder's (rolling-cache.ts) after every token, and greedy
 *     continuations give the same ids;
 * (3) a prompt longer than the cache fed at once (chunks up to the cache, then token by token) equals
 *     the float64 decoder; a batch sharing its prefill equals single decoders; sinks 0 and recent 1;
 * (4) memory: the engine arena is allocated once (sinks + recent slots) and does not move while 200
 *     tokens stream through; refusals are the float64 decoder's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../../pe/errors.js";
import { SerialEngine } from "../../engine/engine.js";
import type { EvalOptions } from "../lm.js";
import { assertClose, randomIds, randomParams, tinyConfig, tinyModel } from "./testing.js";

const V = 256, TOL = 1e-4;
const tokens = randomIds(80, V, 61);

const CASES: { name: string; pe: unknown; extra?: Record<string, unknown>; eval?: EvalOptions }[] = [
  { name: "rope", pe: "rope" },
  { name: "rope + yarn 2 (static)", pe: "rope", eval: { ropeScaling: { rope_type: "yarn", factor: 2 } } },
  { name: "rope + linear 2", pe: "rope", eval: { ropeScaling: { rope_type: "linear", factor: 2 } } },
  { name: "xpos", pe: { kind: "xpos", scale_base: 16 } },
  { name: "alibi", pe: "alibi" },
  { name: "t5", pe: { kind: "t5", num_buckets: 8, max_distance: 6 } },
  { name: "kerple-log", pe: "kerple-log" },
  { name: "kerple-power", pe: "kerple-power" },
  { name: "fire (dense beyond L = 6)", pe: { kind: "fire", hidden: 8, init_l: 6 } },
  { name: "sandwich", pe: "sandwich" },
  { name: "dynamic-bias", pe: { kind: "dynamic-bias", hidden: 8 } },
  { name: "none", pe: "none" },
  { name: "transformer-xl", pe: "transformer-xl" },
  { name: "transformer-xl (untie_r, clamp_len 5)", pe: { kind: "transformer-xl", untie_r: true, clamp_len: 5 } },
  { name: "rope, window 5 + 2 global tokens", pe: "rope", extra: { window: 5, global_tokens: 2 } },
  { name: "alibi, window 4, dilation", pe: "alibi", extra: { window: 4, dilation: [[1, 2], [2, 1]] } },
  { name: "rope, attention only (mlp false)", pe: "rope", extra: { mlp: false } },
  { name: "alibi, attention only (mlp false)", pe: "alibi", extra: { mlp: false } },
  { name: "transformer-xl, attention only (mlp false)", pe: "transformer-xl", extra: { mlp: false } },
];

function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let v = 1; v < x.length; v++) if (x[v]! > x[best]!) best = v;
  return best;
}

for (const c of CASES) {
  test(`engine rolling cache = full forward (n ≤ sinks + recent), = float64 rolling decoder far past it: ${c.name}`, () => {
    const cfg = tinyConfig(c.pe, { context_length: 8, ...c.extra });
    const model = tinyModel(cfg, randomParams(cfg, 62));
    const opts = c.eval ?? {};
    const sinks = 3, recent = 9, cap = sinks + recent;

    // (1) no eviction: the full forward; a 5-token prompt in chunks of 2
    const last = (n: number) => model.logits(tokens.subarray(0, n), 1, n, opts).subarray((n - 1) * V, n * V);
    const dec = model.startEngineDecoding(opts, { rolling: { sinks, recent }, chunk: 2 });
    assert.equal(dec.capacity, cap);
    assertClose(`${c.name} prompt of 5`, dec.feed(tokens.subarray(0, 5)), last(5), TOL, TOL);
    for (let n = 6; n <= cap; n++) assertClose(`${c.name} at ${n}`, dec.feed(tokens.subarray(n - 1, n)), last(n), TOL, TOL);

    // (2) far past it: the float64 rolling decoder, token by token
    const ref = model.startFloat64RollingDecoding(opts, { sinks, recent });
    ref.feed(tokens.subarray(0, cap));
    for (let n = cap + 1; n <= 5 * cap; n++) {
      const t = tokens.subarray((n - 1) % tokens.length, ((n - 1) % tokens.length) + 1);
      assertClose(`${c.name} after ${n} tokens`, dec.feed(t), ref.feed(t), TOL, TOL);
    }
    assert.equal(dec.length, 5 * cap);
    assert.equal(dec.capacity, cap, "the cache never grows");
    dec.dispose();

    // greedy continuation of a 4-token prompt, 4× the cache: same ids
    const greedy = (d: { feed(t: Int32Array): Float32Array }): number[] => {
      const ids: number[] = [];
      let l = d.feed(tokens.subarray(0, 4));
      for (let i = 0; i < 4 * cap; i++) {
        ids.push(argmax(l));
        l = d.feed(Int32Array.of(ids[i]!));
      }
      return ids;
    };
    assert.deepEqual(greedy(model.startDecoding({ ...opts, cache: { sinks, recent } })), greedy(model.startFloat64RollingDecoding(opts, { sinks, recent })), `${c.name}: greedy ids`);
  });
}

for (const c of CASES.filter((x) => ["rope", "xpos", "alibi", "fire (dense beyond L = 6)", "transformer-xl", "rope, window 5 + 2 global tokens"].includes(x.name))) {
  test(`engine rolling cache: long prompt at once, batch = single, sinks 0 and recent 1: ${c.name}`, () => {
    const cfg = tinyConfig(c.pe, { context_length: 8, ...c.extra });
    const model = tinyModel(cfg, randomParams(cfg, 63));
    for (const [sinks, recent] of [[4, 6], [0, 7], [2, 1]] as const) {
      const cache = { sinks, recent }, what = `${c.name} sinks ${sinks} recent ${recent}`;
      // (3) a 30-token prompt at once (chunks of 4 up to the cache, then one token at a time)
      const dec = model.startEngineDecoding({}, { rolling: cache, chunk: 4 });
      const ref = model.startFloat64RollingDecoding({}, cache);
      assertClose(`${what}: 30-token prompt`, dec.feed(tokens.subarray(0, 30)), ref.feed(tokens.subarray(0, 30)), TOL, TOL);
      for (let n = 30; n < 45; n++) assertClose(`${what}: token ${n}`, dec.feed(tokens.subarray(n, n + 1)), ref.feed(tokens.subarray(n, n + 1)), TOL, TOL);
      dec.dispose();

      // a batch of 3 sharing a 5-token prefill, then different tokens: each sequence = a single decoder
      const B = 3, batch = model.startEngineDecoding({}, { rolling: cache, batch: B });
      batch.feed(tokens.subarray(0, 5));
      const seqs = [0, 1, 2].map((b) => Array.from(randomIds(25, V, 70 + b)));
      const singles = seqs.map(() => { const d = model.startDecoding({ cache }); d.feed(tokens.subarray(0, 5)); return d; });
      for (let i = 0; i < 25; i++) {
        const got = batch.feedBatch(Int32Array.from(seqs, (s) => s[i]!));
        for (let b = 0; b < B; b++) assertClose(`${what}: batch sequence ${b} step ${i}`, got.subarray(b * V, (b + 1) * V), singles[b]!.feed(Int32Array.of(seqs[b]![i]!)), TOL, TOL);
      }
      batch.dispose();
      for (const d of singles) d.dispose?.();
    }
  });
}

test("engine rolling cache memory: one arena of sinks + recent slots, unchanged over 200 tokens; ids not kept", () => {
  const cfg = tinyConfig("rope", { context_length: 8 });
  const engine = new SerialEngine();
  const model = tinyModel(cfg, randomParams(cfg, 64), engine);
  const before = engine.mark();
  const dec = model.startDecoding({ cache: { sinks: 4, recent: 12 } });
  const after = engine.mark();
  const grown = model.startEngineDecoding({}, { capacity: 16 });
  assert.equal(engine.mark() - after, after - before, "the rolling arena = an ordinary decoder's of 16 slots");
  grown.dispose();
  for (let i = 0; i < 200; i++) dec.feed(tokens.subarray(i % 80, (i % 80) + 1));
  assert.equal(engine.mark(), after, "nothing allocated while streaming");
  assert.equal(dec.length, 200);
  assert.equal((dec as unknown as { tokens: number[][] }).tokens[0]!.length, 0, "the ids are not retained");
  dec.dispose?.();
  assert.equal(engine.mark(), before, "released on dispose");
});

test("engine rolling cache refuses what the float64 one refuses; segments and Transformer-XL run on the engine too", () => {
  const refuse = (pe: unknown, re: RegExp, opts: EvalOptions = {}) => {
    const cfg = tinyConfig(pe);
    const model = tinyModel(cfg, randomParams(cfg, 1));
    for (const start of [() => model.startDecoding({ ...opts, cache: { sinks: 4, recent: 8 } }), () => model.startFloat64RollingDecoding(opts, { sinks: 4, recent: 8 })]) {
      assert.throws(start, (e: unknown) => e instanceof ExtraposError && re.test(e.message));
    }
  };
  refuse("sinusoidal", /needs positions that act inside attention; pe "sinusoidal" adds them to the input/);
  refuse({ kind: "adaptive", length_mode: "fixed" }, /pe "adaptive" adds them to the input/);
  refuse({ kind: "cope", max_pos: 4 }, /pe "cope" counts positions over the whole context/);
  refuse("rope", /dynamic NTK and LongRoPE change them/, { ropeScaling: { rope_type: "dynamic", factor: 2 } });
  refuse("rope", /dynamic NTK and LongRoPE change them/, { ropeScaling: { rope_type: "longrope", factor: 2, short_factor: [1, 1, 1, 1], long_factor: [1, 2, 4, 8] } });
  const cfg = tinyConfig("rope");
  const model = tinyModel(cfg, randomParams(cfg, 2));
  assert.throws(() => model.startEngineDecoding({}, { rolling: { sinks: 2, recent: 0 } }), /--cache must be an integer ≥ 1/);
  assert.throws(() => model.startEngineDecoding({}, { rolling: { sinks: 0, recent: 4, segment: 0 } }), /--segment-len must be an integer ≥ 1, got 0/);
  // segments (engine-segment-cache.ts) and Transformer-XL's relative attention (xl-decode.ts): the engine decoder
  assert.equal(model.startDecoding({ cache: { sinks: 0, recent: 4, segment: 4 } }).constructor.name, "EngineDecoder");
  assert.equal(model.startDecoding({ cache: { sinks: 4, recent: 4 } }).constructor.name, "EngineDecoder");
  const xl = tinyConfig({ kind: "transformer-xl", mem_len: 4 });
  const xlModel = tinyModel(xl, randomParams(xl, 3));
  for (const options of [{}, { cache: { sinks: 2, recent: 4 } }, { cache: { sinks: 0, recent: 4, segment: 3 } }]) assert.equal(xlModel.startDecoding(options).constructor.name, "EngineDecoder");
});
