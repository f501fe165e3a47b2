import { test } from "node:test";
import assert from "node:assert/strict";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { parseModelConfig } from "../model/config.js";
import { byteTokenizer } from "../data/tokenizer.js";
import { createToyModel } from "../train/testing/toy-model.js";
import { TOY_MODEL_JSON } from "../train/testing/toy-run.js";
import { chat, generate, type GenerateOptions } from "./generate.js";
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
  assert.throws(() => generate(model, byteTokenizer, "a", opts({ temperature: -1 }), () => undefined), /temperature must be a finite number ≥ 0/);
  assert.throws(() => generate(model, byteTokenizer, "a", opts({ topP: 0 }), () => undefined), /top-p must be in \(0, 1\]/);
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
