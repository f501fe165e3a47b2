/**
 * The rolling KV cache (rolling-cache.ts) against the engine's full forward:
 * (1) while the stream holds at most sinks + recent tokens nothing is evicted and positions are the
 *     token indices, so after each token the logits equal the last row of the full forward over the
 *     prefix (2 layers, every encoding that acts inside attention, a windowed model with sinks);
 * (2) past that, with ONE layer, a cached (pre-rotation) key/value depends on its token only, so the
 *     logits after token n must equal the full forward over the cache's tokens — the first `sinks`
 *     tokens then the last `recent` ones — at positions 0 … sinks + recent − 1. This checks eviction,
 *     the ring order and the positions assigned inside the cache (RoPE rotated at the cache slot,
 *     ALiBi/T5 distances in the cache), not just the no-eviction case.
 * Tolerance: float32 engine vs float64 decoder, abs 2e-5 + rel 2e-5 (as decoder.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../../pe/errors.js";
import { SerialEngine } from "../../engine/engine.js";
import { parseModelConfig } from "../config.js";
import { createLstm } from "../lstm/index.js";
import { assertClose, randomIds, randomParams, tinyConfig, tinyModel } from "./testing.js";

const V = 256;
const tokens = randomIds(40, V, 51);

const CASES: { name: string; pe: unknown; extra?: Record<string, unknown> }[] = [
  { name: "rope", pe: "rope" },
  { name: "xpos", pe: { kind: "xpos", scale_base: 16 } },
  { name: "alibi", pe: "alibi" },
  { name: "t5", pe: { kind: "t5", num_buckets: 8, max_distance: 6 } },
  { name: "kerple-log", pe: "kerple-log" },
  { name: "fire (dense beyond L = 6)", pe: { kind: "fire", hidden: 8, init_l: 6 } },
  { name: "none", pe: "none" },
  { name: "transformer-xl (clamp_len 5)", pe: { kind: "transformer-xl", clamp_len: 5 } },
  { name: "rope, window 5 + 2 global tokens", pe: "rope", extra: { window: 5, global_tokens: 2 } },
  { name: "alibi, attention only (mlp false)", pe: "alibi", extra: { mlp: false } },
];

for (const c of CASES) {
  test(`rolling cache = full forward while nothing is evicted (n ≤ sinks + recent): ${c.name}`, () => {
    const cfg = tinyConfig(c.pe, { context_length: 8, ...c.extra });
    const model = tinyModel(cfg, randomParams(cfg, 52));
    const dec = model.startFloat64RollingDecoding({}, { sinks: 3, recent: 9 });
    const last = (n: number) => model.logits(tokens.subarray(0, n), 1, n).subarray((n - 1) * V, n * V);
    assertClose(`${c.name} prompt of 4`, dec.feed(tokens.subarray(0, 4)), last(4), 2e-5, 2e-5);
    for (let n = 5; n <= 12; n++) assertClose(`${c.name} at ${n}`, dec.feed(tokens.subarray(n - 1, n)), last(n), 2e-5, 2e-5);
  });

  test(`rolling cache past eviction (1 layer) = full forward over [sinks; recent] at cache positions: ${c.name}`, () => {
    const cfg = tinyConfig(c.pe, { context_length: 8, n_layers: 1, ...c.extra });
    const model = tinyModel(cfg, randomParams(cfg, 53));
    const sinks = 4, recent = 6;
    const dec = model.startFloat64RollingDecoding({}, { sinks, recent });
    dec.feed(tokens.subarray(0, 7));
    for (let n = 8; n <= 40; n++) {
      const got = dec.feed(tokens.subarray(n - 1, n));
      const held = Int32Array.from([...tokens.subarray(0, sinks), ...tokens.subarray(Math.max(sinks, n - recent), n)]);
      const T = held.length;
      assertClose(`${c.name} after ${n} tokens`, got, model.logits(held, 1, T).subarray((T - 1) * V, T * V), 2e-5, 2e-5);
    }
    assert.equal(dec.length, 40);
  });
}

for (const c of CASES.filter((x) => x.extra === undefined)) {
  test(`Transformer-XL segments (1 layer): each token sees its segment so far and mem_len tokens before it = full forward over them: ${c.name}`, () => {
    const cfg = tinyConfig(c.pe, { context_length: 8, n_layers: 1 });
    const model = tinyModel(cfg, randomParams(cfg, 55));
    for (const [S, M] of [[5, 3], [4, 0], [3, 7]] as const) {
      const dec = model.startFloat64RollingDecoding({}, { sinks: 0, recent: M, segment: S });
      for (let n = 0; n < 23; n++) {
        const got = dec.feed(tokens.subarray(n, n + 1));
        const held = tokens.subarray(Math.max(0, n - (n % S) - M), n + 1), T = held.length;
        assertClose(`${c.name} S ${S} M ${M} token ${n}`, got, model.logits(Int32Array.from(held), 1, T).subarray((T - 1) * V, T * V), 2e-5, 2e-5);
      }
    }
  });
}

test("rolling cache: without sinks the window alone slides (sinks 0); the stream length is unbounded", () => {
  const cfg = tinyConfig("alibi", { context_length: 8, n_layers: 1 });
  const model = tinyModel(cfg, randomParams(cfg, 54));
  const dec = model.startFloat64RollingDecoding({}, { sinks: 0, recent: 5 });
  dec.feed(tokens.subarray(0, 30));
  const held = tokens.subarray(25, 30);
  assertClose("sinks 0", dec.feed(tokens.subarray(30, 31)), model.logits(Int32Array.from([...held.subarray(1), tokens[30]!]), 1, 5).subarray(4 * V, 5 * V), 2e-5, 2e-5);
});

test("rolling cache refuses absolute encodings, CoPE, length-dependent RoPE scaling, bad sizes and the LSTM", () => {
  const refuse = (pe: unknown, re: RegExp, opts: Record<string, unknown> = {}, cache = { sinks: 4, recent: 8 }) => {
    const cfg = tinyConfig(pe);
    const model = tinyModel(cfg, randomParams(cfg, 1));
    assert.throws(() => model.startDecoding({ ...opts, cache }), (e: unknown) => e instanceof ExtraposError && re.test(e.message));
  };
  refuse("sinusoidal", /needs positions that act inside attention; pe "sinusoidal" adds them to the input/);
  refuse("learned", /pe "learned" adds them to the input/);
  refuse({ kind: "cope", max_pos: 4 }, /pe "cope" counts positions over the whole context/);
  refuse("rope", /dynamic NTK and LongRoPE change them/, { ropeScaling: { rope_type: "dynamic", factor: 2 } });
  refuse("rope", /--sinks must be an integer ≥ 0, got -1/, {}, { sinks: -1, recent: 8 });
  refuse("rope", /--cache must be an integer ≥ 1 \(recent tokens kept\), got 0/, {}, { sinks: 4, recent: 0 });
});
