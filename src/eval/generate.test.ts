import { test } from "node:test";
import assert from "node:assert/strict";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { parseModelConfig } from "../model/config.js";
import { byteTokenizer } from "../data/tokenizer.js";
import { createToyModel } from "../train/testing/toy-model.js";
import { TOY_MODEL_JSON } from "../train/testing/toy-run.js";
import { chat, formatStats, generate, generateStream, sampleSeed, type GenerateOptions, type GenerateStats } from "./generate.js";
import { fakeModel, oneHotLogits } from "./testing.js";

const opts = (o: Partial<GenerateOptions> = {}): GenerateOptions => ({ maxTokens: 40, temperature: 1, topK: 0, topP: 1, seed: 7, ...o });

test("same seed → same text, other seed → other text; the KV cache gets the prompt once, then one token per step", async () => {
  const model = await createToyModel(parseModelConfig(TOY_MODEL_JSON), { seed: 3 });
  const a = generate(model, byteTokenizer, "The cat", opts(), () => undefined);
  const b = generate(model, byteTokenizer, "The cat", opts(), () => undefined);
  const c = generate(model, byteTokenizer, "The cat", opts({ seed: 8 }), () => undefined);
  assert.equal(a, b);
  assert.notEqual(a, c);
  const spy = fakeModel({ logits: (ctx) => oneHotLogits(97 + (ctx.length % 3)) });
  const pieces: string[] = [];
  const text = generate(spy, byteTokenizer, "hi", opts({ maxTokens: 5, temperature: 0 }), (s) => pieces.push(s));
  // Greedy: after 2 prompt tokens → 97 + 2 = "c", then lengths 3, 4, 5, 6 → "a", "b", "c", "a".
  assert.equal(text, "cabca");
  assert.deepEqual(pieces, ["c", "a", "b", "c", "a"], "streamed token by token");
  assert.deepEqual(spy.feeds[0], [[104, 105], [99], [97], [98], [99]], "prompt once, then each sampled token except the last");
});

test("generateStream writes what generate returns, piece by piece, and counts the tokens (nothing kept)", () => {
  const spy = fakeModel({ logits: (ctx) => oneHotLogits(97 + (ctx.length % 3)) });
  const pieces: string[] = [];
  const stats: GenerateStats = { promptTokens: 0, prefillDoneMs: 0, firstTextMs: NaN, tokens: 0, startMs: 0, endMs: 0 };
  assert.equal(generateStream(spy, byteTokenizer, "hi", opts({ maxTokens: 5, temperature: 0 }), (s) => pieces.push(s), stats), undefined);
  assert.deepEqual(pieces, ["c", "a", "b", "c", "a"]);
  assert.equal(stats.tokens, 5);
  assert.equal(stats.promptTokens, 2);
});

test("streaming holds partial UTF-8 characters: every piece written is complete text", () => {
  const want = Array.from(new TextEncoder().encode("héllo wörld ✓"));
  const model = fakeModel({ logits: (ctx) => oneHotLogits(want[ctx.length - 1] ?? 32) });
  const pieces: string[] = [];
  const text = generate(model, byteTokenizer, "x", opts({ maxTokens: want.length, temperature: 0 }), (s) => pieces.push(s));
  assert.equal(text, "héllo wörld ✓");
  assert.ok(pieces.every((p) => !p.includes("\uFFFD")), JSON.stringify(pieces));
  assert.ok(pieces.includes("é") && pieces.includes("✓"));
});

test("bad generation options are refused", async () => {
  const model = await createToyModel(parseModelConfig(TOY_MODEL_JSON), { seed: 3 });
  assert.throws(() => generate(model, byteTokenizer, "", opts(), () => undefined), /--prompt must not be empty/);
  assert.throws(() => generate(model, byteTokenizer, "a", opts({ temperature: -1 }), () => undefined), /`temperature` must be a finite number ≥ 0/);
  assert.throws(() => generate(model, byteTokenizer, "a", opts({ topP: 0 }), () => undefined), /`topP` must be in \(0, 1\]/);
  assert.throws(() => generate(model, byteTokenizer, "a", opts({ maxTokens: -2 }), () => undefined), /--max-tokens must be an integer ≥ 0/);
});

test("chat on piped stdin: one reply per line, the whole transcript stays in one decoder's context, exits at EOF", async () => {
  // A model that always answers " ok" then a newline (and would go on with "zzz" if not stopped).
  const reply = Array.from(new TextEncoder().encode(" ok\nzzz"));
  const model = fakeModel({
    logits: (ctx) => {
      const text = byteTokenizer.decode(ctx);
      const since = text.length - text.lastIndexOf("Assistant:") - "Assistant:".length;
      return oneHotLogits(reply[since] ?? 122);
    },
  });
  let out = "";
  const turns = await chat(model, byteTokenizer, createInterface({ input: Readable.from(["hello\nhow are you\n"]), terminal: false }), opts({ temperature: 0 }), (s) => { out += s; });
  assert.equal(turns, 2);
  assert.equal(out, " ok\n ok\n");
  assert.equal(model.feeds.length, 1, "one decoder for the conversation");
  const transcript = byteTokenizer.decode(model.feeds[0]!.flat());
  assert.equal(transcript, "User: hello\nAssistant: ok\nUser: how are you\nAssistant: ok\n");
});

test("--num-samples N: one batch sharing the prefill; sample k = a single generation with seed sampleSeed(seed, k)", async () => {
  const { createTransformer } = await import("../model/gpt/index.js");
  const { SerialEngine } = await import("../engine/engine.js");
  const cfg = parseModelConfig({ d_model: 16, n_layers: 2, n_heads: 2, context_length: 16, pe: { kind: "alibi" } });
  const model = createTransformer(cfg, { engine: new SerialEngine(), seed: 4 });
  const o = opts({ maxTokens: 24, temperature: 1.2 });
  const pieces: string[] = [];
  const all = generate(model, byteTokenizer, "The cat", { ...o, numSamples: 3 }, (s) => pieces.push(s));
  const singles = [0, 1, 2].map((k) => generate(model, byteTokenizer, "The cat", { ...o, seed: sampleSeed(o.seed, k) }, () => undefined));
  assert.equal(all, singles.map((t, k) => `${k === 0 ? "" : "\n"}--- sample ${k + 1}/3 ---\n${t}`).join(""));
  assert.equal(pieces.length, 3, "each sample written once, when done");
  assert.equal(new Set(singles).size, 3, "different seeds, different samples");
  assert.equal(sampleSeed(o.seed, 0), o.seed);
  // a model without batch decoding: one decoder per sample, same texts as single generations
  const fake = fakeModel({ logits: (ctx) => oneHotLogits((ctx.length * 7) % 256) });
  const stats = { promptTokens: 0, prefillDoneMs: 0, firstTextMs: NaN, tokens: 0, startMs: 0, endMs: 0 };
  const two = generate(fake, byteTokenizer, "ab", opts({ maxTokens: 3, temperature: 0, numSamples: 2 }), () => undefined, stats);
  assert.equal(fake.feeds.length, 2);
  assert.equal(two, "--- sample 1/2 ---\n\u000e\u0015\u001c\n--- sample 2/2 ---\n\u000e\u0015\u001c");
  assert.equal(stats.promptTokens, 2);
  assert.equal(stats.tokens, 6);
  assert.ok(stats.firstTextMs >= stats.prefillDoneMs && stats.endMs >= stats.firstTextMs);
  assert.match(formatStats(stats), /^extrapos: first token \d+ ms after start-up · prompt 2 tokens prefilled in \d+ ms · 6 tokens in \d+ ms \(/);
  assert.throws(() => generate(fake, byteTokenizer, "a", opts({ numSamples: 0 }), () => undefined), /--num-samples must be an integer in \[1, 256\], got 0/);
});
