import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../pe/errors.js";
import { ENCODINGS } from "../pe/encodings.js";
import { DEFAULT_MODEL_CONFIG, PE_KINDS, PRESETS, embeddingScale, modelConfigToJson, parseModelConfig } from "./config.js";

/** Asserts that `f` throws an ExtraposError whose message equals `message` (string) or matches it (RegExp). */
function refuses(f: () => unknown, message: string | RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof ExtraposError, `expected ExtraposError, got ${String(e)}`);
    if (typeof message === "string") assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

test("defaults are the tiny reference model with RoPE (half, theta 10000, full head dim) on bytes", () => {
  const c = DEFAULT_MODEL_CONFIG;
  assert.deepEqual(
    { model: c.model, vocabSize: c.vocabSize, tokenizer: c.tokenizer, dModel: c.dModel, nLayers: c.nLayers, nHeads: c.nHeads, contextLength: c.contextLength, window: c.window },
    { model: "transformer", vocabSize: 256, tokenizer: "byte", dModel: 128, nLayers: 4, nHeads: 4, contextLength: 128, window: null },
  );
  assert.deepEqual(c.pe, { kind: "rope", layout: "half", theta: 10000, rotaryDim: 32, randomized: null });
  assert.equal(PRESETS.tiny.batch, 16);
});

test("small preset: d 256, 6 layers, 8 heads, T 256, batch 8", () => {
  const c = parseModelConfig(PRESETS.small.model);
  assert.deepEqual([c.dModel, c.nLayers, c.nHeads, c.contextLength, PRESETS.small.batch], [256, 6, 8, 256, 8]);
  assert.equal(c.pe.kind === "rope" && c.pe.rotaryDim, 32); // derived from the small head dim 256/8
});

test("every pe kind parses from its name with its defaults and round-trips through the file form", () => {
  for (const kind of PE_KINDS) {
    const c = parseModelConfig({ pe: kind });
    assert.equal(c.pe.kind, kind);
    const json = modelConfigToJson(c);
    assert.deepEqual(parseModelConfig(json, {}), c, `round trip of pe ${kind}`);
    // the file form uses snake_case keys only
    assert.ok(JSON.stringify(json).match(/"[a-z0-9_]*[A-Z][a-zA-Z0-9_]*":/) === null, `camelCase key in ${JSON.stringify(json)}`);
  }
  assert.equal(PE_KINDS.length, 14);
});

test("derived values are resolved: rotary_dim, learned table size, dynamic-bias hidden", () => {
  const rope = parseModelConfig({ d_model: 64, n_heads: 2, pe: { kind: "rope", layout: "interleaved", theta: 500000, rotary_dim: 16 } }).pe;
  assert.deepEqual(rope, { kind: "rope", layout: "interleaved", theta: 500000, rotaryDim: 16, randomized: null });
  const learned = parseModelConfig({ context_length: 64, pe: { kind: "learned", randomized: { max_length: 512 } } }).pe;
  assert.deepEqual(learned, { kind: "learned", tableSize: 512, beyondTable: "clamp", randomized: { maxLength: 512 } });
  assert.equal(parseModelConfig({ context_length: 64, pe: "learned" }).pe.kind === "learned" && (parseModelConfig({ context_length: 64, pe: "learned" }).pe as { tableSize: number }).tableSize, 64);
  const dyn = parseModelConfig({ d_model: 96, n_heads: 3, pe: "dynamic-bias" }).pe;
  assert.deepEqual(dyn, { kind: "dynamic-bias", hidden: 24, depth: 2, logDistance: false });
  assert.deepEqual(parseModelConfig({ pe: "t5" }).pe, { kind: "t5", numBuckets: ENCODINGS.t5.params.num_buckets.default, maxDistance: 128 });
});

test("lstm: absolute encodings only, no window", () => {
  const c = parseModelConfig({ model: "lstm", d_model: 30, n_heads: 4, pe: "sinusoidal" }); // heads unused by the LSTM
  assert.equal(c.model, "lstm");
  refuses(() => parseModelConfig({ model: "lstm", pe: "alibi" }), `\`pe\` must be one of "nope", "sinusoidal", "adaptive", "learned" for model "lstm" (added to the embeddings), got "alibi"`);
  refuses(() => parseModelConfig({ model: "lstm", pe: "nope", window: 8 }), `\`window\` applies to attention and must be null for model "lstm", got 8`);
});

test("bad values are refused with one sentence naming the key, the constraint and the value", () => {
  refuses(() => parseModelConfig({ d_model: 130 }), "`d_model` must be divisible by `n_heads`, got 130 and 4");
  refuses(() => parseModelConfig({ d_model: 0 }), "`d_model` must be an integer ≥ 1, got 0");
  refuses(() => parseModelConfig({ n_layers: 2.5 }), "`n_layers` must be an integer ≥ 1, got 2.5");
  refuses(() => parseModelConfig({ context_length: "128" }), '`context_length` must be an integer ≥ 1, got "128"');
  refuses(() => parseModelConfig({ window: 0 }), "`window` must be an integer ≥ 1, got 0");
  refuses(() => parseModelConfig({ vocab_size: 100 }), '`vocab_size` must be ≥ 256 for tokenizer "byte", got 100');
  refuses(() => parseModelConfig({ tokenizer: "gpt2" }), '`vocab_size` must be ≥ 50257 for tokenizer "gpt2", got 256');
  refuses(() => parseModelConfig({ model: "gru" }), '`model` must be one of "transformer", "lstm", got "gru"');
  refuses(() => parseModelConfig({ pe: "rotary" }), /^`pe.kind` must be one of "nope", "sinusoidal", .*, got "rotary"$/);
  refuses(() => parseModelConfig({ pe: { kind: "rope", theta: -1 } }), "`pe.theta` must be a finite number > 0, got -1");
  refuses(() => parseModelConfig({ pe: { kind: "rope", layout: "neox" } }), '`pe.layout` must be one of "half", "interleaved", got "neox"');
  refuses(() => parseModelConfig({ pe: { kind: "rope", rotary_dim: 7 } }), "`pe.rotary_dim` must be even and ≤ the head dimension 32, got 7");
  refuses(() => parseModelConfig({ pe: { kind: "rope", rotary_dim: 64 } }), "`pe.rotary_dim` must be even and ≤ the head dimension 32, got 64");
  refuses(() => parseModelConfig({ d_model: 36, n_heads: 4, pe: "rope" }), /^a rotary encoding needs an even head dimension .*, got 9$/);
  refuses(() => parseModelConfig({ pe: { kind: "rope", randomized: { max_length: 64 } } }), "`pe.randomized.max_length` must be ≥ `context_length`, got 64 and 128");
  refuses(() => parseModelConfig({ pe: { kind: "t5", randomized: { max_length: 512 } } }), '`pe.randomized` combines only with "sinusoidal", "learned", "rope", "alibi", got pe "t5"');
  refuses(() => parseModelConfig({ pe: { kind: "t5", num_buckets: 32, max_distance: 16 } }), "`pe.max_distance` must be > `pe.num_buckets`/2 (the exact buckets), got 16 and 32");
  refuses(() => parseModelConfig({ pe: { kind: "learned", table_size: 100 } }), "`pe.table_size` must be ≥ `context_length`, got 100 and 128");
  refuses(() => parseModelConfig({ pe: { kind: "dynamic-bias", log_distance: "yes" } }), '`pe.log_distance` must be true or false, got "yes"');
  refuses(() => parseModelConfig(null), "the model config must be an object, got null");
  refuses(() => parseModelConfig({ pe: [1] }), "`pe` must be an object, got [1]");
  refuses(() => parseModelConfig({ pe: { kind: "rope", theta: null } }), "`pe.theta` must be a finite number > 0, got null");
  refuses(() => parseModelConfig({ pe: { kind: "kerple", kernel: "gauss" } }), '`pe.kernel` must be one of "log", "power", got "gauss"');
  refuses(() => parseModelConfig({ pe: { kind: "kerple-log", kernel: "power" } }), '`pe.kernel` is "power", but `pe.kind` "kerple-log" means "log"');
});

test("aliases (old spellings) parse to the canonical name: none → nope, kerple-log/-power → kerple + kernel, t5-bucket(s) → t5", () => {
  const same = (a: unknown, b: unknown): void => assert.deepEqual(parseModelConfig({ pe: a }), parseModelConfig({ pe: b }), JSON.stringify(a));
  assert.deepEqual(parseModelConfig({ pe: "none" }).pe, { kind: "nope" });
  assert.deepEqual(parseModelConfig({ pe: "kerple-log" }).pe, { kind: "kerple", kernel: "log" });
  assert.deepEqual(parseModelConfig({ pe: { kind: "kerple-power" } }).pe, { kind: "kerple", kernel: "power" });
  assert.deepEqual(parseModelConfig({ pe: "kerple" }).pe, { kind: "kerple", kernel: "log" }); // the paper's best, the bench's `kerple`
  same({ kind: "kerple-power", kernel: "power" }, { kind: "kerple", kernel: "power" });
  same("t5-bucket", "t5");
  same({ kind: "t5-buckets", num_buckets: 16, max_distance: 64 }, { kind: "t5", num_buckets: 16, max_distance: 64 });
  assert.deepEqual(modelConfigToJson(parseModelConfig({ pe: "kerple-power" })).pe, { kind: "kerple", kernel: "power" });
  assert.deepEqual(parseModelConfig({ model: "lstm", pe: "none" }).pe, { kind: "nope" });
});

test("unknown keys are refused, at the top level and inside pe (camelCase is not the file form)", () => {
  refuses(() => parseModelConfig({ dModel: 64 }), "unknown key `dModel` in the model config");
  refuses(() => parseModelConfig({ pe: { kind: "alibi", theta: 10000 } }), "unknown key `pe.theta` in `pe`");
  refuses(() => parseModelConfig({ pe: { kind: "rope", randomized: { max_length: 512, seed: 1 } } }), "unknown key `pe.randomized.seed` in `pe.randomized`");
});

test("errors are ExtraposError with code invalid_config and a hint listing allowed keys", () => {
  try {
    parseModelConfig({ heads: 4 });
    assert.fail("should throw");
  } catch (e) {
    assert.ok(e instanceof ExtraposError);
    assert.equal(e.code, "invalid_config");
    assert.match(e.hint ?? "", /n_heads/);
  }
});

test("embedding: default unscaled with the reference init (0.02; LSTM 1); sqrt_d / fairseq → std d^−0.5; explicit std kept", () => {
  assert.deepEqual(DEFAULT_MODEL_CONFIG.embedding, { scale: "none", initStd: 0.02 });
  assert.deepEqual(parseModelConfig({ model: "lstm", pe: "none" }).embedding, { scale: "none", initStd: 1 });
  const d64 = { d_model: 64, n_heads: 4 };
  for (const e of ["sqrt_d", "fairseq", { scale: "sqrt_d" }, { scale: "sqrt_d", init_std: null }]) {
    assert.deepEqual(parseModelConfig({ ...d64, embedding: e }).embedding, { scale: "sqrt_d", initStd: 0.125 }, JSON.stringify(e));
  }
  assert.deepEqual(parseModelConfig({ model: "lstm", d_model: 16, pe: "none", embedding: "fairseq" }).embedding, { scale: "sqrt_d", initStd: 0.25 });
  assert.deepEqual(parseModelConfig({ embedding: "none" }).embedding, { scale: "none", initStd: 0.02 });
  assert.deepEqual(parseModelConfig({ embedding: null }).embedding, { scale: "none", initStd: 0.02 });
  assert.deepEqual(parseModelConfig({ embedding: { scale: "none", init_std: 0.05 } }).embedding, { scale: "none", initStd: 0.05 });
  assert.deepEqual(parseModelConfig({ embedding: { init_std: 0.5 } }).embedding, { scale: "none", initStd: 0.5 });
  assert.equal(embeddingScale(parseModelConfig({ ...d64, embedding: "sqrt_d" })), 8);
  assert.equal(embeddingScale(DEFAULT_MODEL_CONFIG), 1);
});

test("embedding: the file form holds explicit values, round-trips, and configs without the key (older files) get the default", () => {
  const c = parseModelConfig({ d_model: 64, n_heads: 4, embedding: "fairseq" });
  const json = modelConfigToJson(c);
  assert.deepEqual(json.embedding, { scale: "sqrt_d", init_std: 0.125 });
  assert.deepEqual(parseModelConfig(json, {}), c);
  const old = modelConfigToJson(DEFAULT_MODEL_CONFIG);
  delete old.embedding;
  assert.deepEqual(parseModelConfig(old, {}), DEFAULT_MODEL_CONFIG);
});

test("embedding: bad values and unknown keys are refused with one sentence", () => {
  refuses(() => parseModelConfig({ embedding: "scaled" }), '`embedding` must be one of "none", "sqrt_d", "fairseq", got "scaled"');
  refuses(() => parseModelConfig({ embedding: "toString" }), '`embedding` must be one of "none", "sqrt_d", "fairseq", got "toString"');
  refuses(() => parseModelConfig({ embedding: { scale: "sqrt" } }), '`embedding.scale` must be one of "none", "sqrt_d", got "sqrt"');
  refuses(() => parseModelConfig({ embedding: { scale: "sqrt_d", init_std: 0 } }), "`embedding.init_std` must be a finite number > 0, got 0");
  refuses(() => parseModelConfig({ embedding: { init_std: "0.02" } }), '`embedding.init_std` must be a finite number > 0, got "0.02"');
  refuses(() => parseModelConfig({ embedding: { scale: "none", initStd: 0.02 } }), "unknown key `embedding.initStd` in `embedding`");
  refuses(() => parseModelConfig({ embedding: 8 }), '`embedding` must be one of "none", "sqrt_d", "fairseq" or an object {scale, init_std}, got 8');
  refuses(() => parseModelConfig({ embedding: [] }), '`embedding` must be one of "none", "sqrt_d", "fairseq" or an object {scale, init_std}, got []');
});

test("mlp: default true; `mlp: false` = attention-only blocks; the file form writes the key only when false (older files parse as true)", () => {
  assert.equal(DEFAULT_MODEL_CONFIG.mlp, true);
  const off = parseModelConfig({ d_model: 32, n_heads: 1, mlp: false });
  assert.equal(off.mlp, false);
  assert.equal(modelConfigToJson(off).mlp, false);
  assert.deepEqual(parseModelConfig(modelConfigToJson(off), {}), off);
  // with MLPs the file form is what it was before the key existed (checkpoints byte-identical)
  const on = modelConfigToJson(DEFAULT_MODEL_CONFIG);
  assert.equal("mlp" in on, false);
  assert.deepEqual(parseModelConfig(on, {}), DEFAULT_MODEL_CONFIG);
  assert.equal(parseModelConfig({ mlp: true }).mlp, true);
});

test("mlp: a non-boolean is refused; the LSTM refuses `mlp: false` (it has no blocks) with a hint", () => {
  refuses(() => parseModelConfig({ mlp: "no" }), '`mlp` must be true or false, got "no"');
  refuses(() => parseModelConfig({ mlp: 0 }), "`mlp` must be true or false, got 0");
  refuses(() => parseModelConfig({ mlp: null }), "`mlp` must be true or false, got null");
  refuses(() => parseModelConfig({ model: "lstm", pe: "nope", mlp: false }), '`mlp` applies to the transformer\'s blocks and must be true (or absent) for model "lstm", got false');
  assert.throws(() => parseModelConfig({ model: "lstm", pe: "nope", mlp: false }), (e: unknown) => e instanceof ExtraposError && e.code === "invalid_config" && /--no-mlp/.test(e.hint ?? ""));
  assert.equal(parseModelConfig({ model: "lstm", pe: "nope", mlp: true }).mlp, true);
});
