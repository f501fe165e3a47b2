import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../pe/errors.js";
import { byteTokenizer, loadTokenizer, StreamDecoder, TOKENIZERS } from "./tokenizer.js";

const SAMPLES = ["", "Hello world", "  two  spaces\tand\ttabs\n\nnew lines", "héllo wörld — ünïcödé", "emoji 😀👍🏽 and 中文", "<|endoftext|> is text", "a".repeat(1000)];

test("byte tokenizer: UTF-8 bytes (hand-computed), round trips, range checks", async () => {
  const tok = await loadTokenizer("byte");
  assert.equal(tok, byteTokenizer);
  assert.equal(tok.vocabSize, 256);
  // "hé": h = 0x68, é = U+00E9 = 0xC3 0xA9 in UTF-8; "😀" = U+1F600 = F0 9F 98 80.
  assert.deepEqual(Array.from(tok.encode("hé")), [0x68, 0xc3, 0xa9]);
  assert.deepEqual(Array.from(tok.encode("😀")), [0xf0, 0x9f, 0x98, 0x80]);
  for (const s of SAMPLES) {
    const ids = tok.encode(s);
    assert.equal(ids.length, Buffer.byteLength(s, "utf8"));
    assert.equal(tok.decode(ids), s);
  }
  assert.equal(tok.decode([0x68, 0xc3]), "h\uFFFD"); // cut mid-character → replacement character
  assert.throws(() => tok.decode([65, 256]), (e: unknown) => e instanceof ExtraposError && /index 1 .*\[0, 256\).*got 256/.test(e.message));
  assert.throws(() => tok.decode([-1]), ExtraposError);
});

test("gpt2 tokenizer: known GPT-2 encodings, round trips, <|endoftext|> as text", async () => {
  const tok = await loadTokenizer("gpt2");
  assert.equal(tok.vocabSize, 50257);
  // From the Hugging Face GPT2Tokenizer docstring (transformers/models/gpt2/tokenization_gpt2.py):
  //   tokenizer("Hello world")["input_ids"] → [15496, 995]; tokenizer(" Hello world") → [18435, 995]
  assert.deepEqual(Array.from(tok.encode("Hello world")), [15496, 995]);
  assert.deepEqual(Array.from(tok.encode(" Hello world")), [18435, 995]);
  assert.deepEqual(Array.from(tok.encode("hello world")), [31373, 995]);
  for (const s of SAMPLES) assert.equal(tok.decode(tok.encode(s)), s);
  // Plain-text "<|endoftext|>" is "<", "|", "end", "of", "text", "|", ">" (7 ordinary tokens), never 50256.
  const eot = Array.from(tok.encode("<|endoftext|>"));
  assert.equal(eot.length, 7);
  assert.ok(!eot.includes(50256));
  assert.equal(tok.decode([50256]), "<|endoftext|>");
  assert.throws(() => tok.decode([50257]), ExtraposError);
  assert.equal(await loadTokenizer("gpt2"), tok, "loaded once");
});

test("registry: names, vocab sizes agree with the loaded tokenizers; unknown name refused", async () => {
  assert.deepEqual(Object.keys(TOKENIZERS), ["byte", "gpt2"]);
  for (const [name, entry] of Object.entries(TOKENIZERS)) {
    const tok = await entry.load();
    assert.equal(tok.name, name);
    assert.equal(tok.vocabSize, entry.vocabSize);
  }
  await assert.rejects(loadTokenizer("bpe"), (e: unknown) => e instanceof ExtraposError && e.message === '`tokenizer` must be one of byte, gpt2, got "bpe"');
});

test("stream decoder emits text only when characters are complete, for both tokenizers", async () => {
  for (const name of ["byte", "gpt2"]) {
    const tok = await loadTokenizer(name);
    const text = "naïve 😀 café 中文!";
    const d = new StreamDecoder(tok);
    let out = "";
    for (const id of tok.encode(text)) {
      const piece = d.push(id);
      assert.ok(!piece.includes("\uFFFD"), `${name}: no replacement character mid-stream`);
      out += piece;
    }
    out += d.flush();
    assert.equal(out, text);
  }
  const s = new StreamDecoder(byteTokenizer);
  assert.equal(s.push(0xc3), "");
  assert.equal(s.push(0xa9), "é");
  assert.equal(s.push(0xff), "");
  assert.equal(s.flush(), "\uFFFD");
});
