import { test } from "node:test";
import assert from "node:assert/strict";
import { byteTokenizer } from "./tokenizer.js";
import { RandomWindowSampler } from "./batches.js";
import { IGNORE_INDEX } from "./tasks/index.js";
import { passkeyCurriculumDepth, passkeyMixDraw, passkeyMixExamples, passkeyMixFixedTokens, passkeyMixRow, PasskeyMixStream } from "./passkey-mix.js";

const text = (s: string): Int32Array => byteTokenizer.encode(s);
const LETTERS = text("abcdefghijklmnopqrstuvwxyz".repeat(40));

test("passkeyMixRow: filler prefix, information, filler suffix, question, answer — n+1 tokens, written out by hand", () => {
  // n = 30: template " key:48213." (11) + " key:" (5) + "48213" (5) = 21 tokens, so F = 31 − 21 = 10 filler tokens.
  assert.equal(passkeyMixFixedTokens(byteTokenizer), 21);
  const r = passkeyMixRow(byteTokenizer, LETTERS, 30, 48213, 0.3);
  assert.equal(byteTokenizer.decode(r.seq), "abc key:48213.defghij key:48213");
  assert.equal(r.seq.length, 31);
  assert.equal(r.keyPosition, 3);
  assert.equal(r.answerStart, 26);
  assert.equal(byteTokenizer.decode(passkeyMixRow(byteTokenizer, LETTERS, 30, 48213, 0).seq), " key:48213.abcdefghij key:48213");
  assert.equal(byteTokenizer.decode(passkeyMixRow(byteTokenizer, LETTERS, 30, 48213, 1).seq), "abcdefghij key:48213. key:48213");
  assert.throws(() => passkeyMixRow(byteTokenizer, LETTERS, 19, 48213, 0.5), /no filler/);
  assert.throws(() => passkeyMixRow(byteTokenizer, LETTERS, 30, 4821, 0.5), /5-digit/);
  assert.throws(() => passkeyMixRow(byteTokenizer, LETTERS, 30, 48213, 1.5), /depth/);
});

test("passkeyMixExamples: only the 5 answer digits are targets, depths evenly spread, filler from the text, reproducible by seed", () => {
  const ex = passkeyMixExamples(byteTokenizer, LETTERS, 100, 5, 7);
  assert.deepEqual(ex.map((e) => e.depth), [0, 0.25, 0.5, 0.75, 1]);
  for (const e of ex) {
    assert.equal(e.input.length, 100);
    const targets = [...e.target].map((t, i) => [t, i] as const).filter(([t]) => t !== IGNORE_INDEX);
    assert.deepEqual(targets.map(([, i]) => i), [95, 96, 97, 98, 99], "the answer's 5 digits are the last 5 targets");
    assert.equal(byteTokenizer.decode(targets.map(([t]) => t)), String(e.key));
    const s = byteTokenizer.decode(e.input);
    assert.ok(s.endsWith(` key:${String(e.key).slice(0, 4)}`), s);
    assert.equal(s.indexOf(` key:${e.key}.`), e.keyPosition);
    assert.match(s.replace(` key:${e.key}.`, "").slice(0, -9), /^[a-z]+$/, "the rest is filler text");
  }
  assert.equal(ex[0]!.keyPosition, 0);
  assert.equal(ex[4]!.keyPosition, 100 + 1 - 21, "depth 1: right before the question");
  assert.deepEqual(passkeyMixExamples(byteTokenizer, LETTERS, 100, 5, 7).map((e) => e.key), ex.map((e) => e.key));
  assert.notDeepEqual(passkeyMixExamples(byteTokenizer, LETTERS, 100, 5, 8).map((e) => e.key), ex.map((e) => e.key));
  assert.equal(passkeyMixExamples(byteTokenizer, LETTERS, 100, 1, 7)[0]!.depth, 0.5);
  assert.throws(() => passkeyMixExamples(byteTokenizer, LETTERS.subarray(0, 50), 100, 2, 7), /more than 100 tokens/);
});

test("PasskeyMixStream: round(mix·B) passkey rows made of the text windows' own tokens; the other rows and the sampler state unchanged; resume rebuilds the same rows", () => {
  const tokens = Int32Array.from({ length: 5000 }, (_, i) => 97 + ((i * 7) % 26)); // letters only: no digits, no ':'
  const T = 48, B = 8, mix = 0.25;
  const plain = new RandomWindowSampler(tokens, T, 3);
  const mixed = new PasskeyMixStream(new RandomWindowSampler(tokens, T, 3), byteTokenizer, mix, 11);
  const x = new Int32Array(B * T), y = new Int32Array(B * T);
  let row = 0;
  for (let step = 0; step < 3; step++) {
    const want = plain.next(B);
    mixed.next(B, { x, y });
    assert.deepEqual(mixed.state(), plain.state(), "the text sampler advanced exactly as without the mix");
    for (let b = 0; b < B; b++, row++) {
      const xs = x.subarray(b * T, (b + 1) * T), ys = y.subarray(b * T, (b + 1) * T);
      if (b >= PasskeyMixStream.rows(mix, B)) {
        for (let t = 0; t + 1 < T; t++) assert.equal(ys[t], xs[t + 1], "targets are the inputs shifted by one");
        assert.deepEqual(xs, want.x.subarray(b * T, (b + 1) * T));
        assert.deepEqual(ys, want.y.subarray(b * T, (b + 1) * T));
        continue;
      }
      const { key, depth } = passkeyMixDraw(11, row);
      const seq = new Int32Array(T + 1);
      seq.set(want.x.subarray(b * T, (b + 1) * T));
      seq[T] = want.y[(b + 1) * T - 1]!;
      const { seq: expected, answerStart } = passkeyMixRow(byteTokenizer, seq, T, key, depth);
      assert.deepEqual(xs, expected.subarray(0, T));
      assert.deepEqual([...ys].map((v, t) => (t >= answerStart - 1 ? v : -2)), [...expected.subarray(1)].map((v, t) => (t >= answerStart - 1 ? v : -2)));
      assert.ok(ys.subarray(0, answerStart - 1).every((v) => v === IGNORE_INDEX), "trained on the answer only");
      assert.equal(answerStart - 1, T - 5, "the 5 digits are the last 5 targets");
      assert.ok(byteTokenizer.decode(xs).includes(` key:${key}.`));
      assert.equal(byteTokenizer.decode([...xs.subarray(T - 9), ys[T - 1]!]), ` key:${key}`);
      for (let t = T - 5; t + 1 < T; t++) assert.equal(ys[t], xs[t + 1], "answer targets are the inputs shifted by one");
    }
  }
  assert.equal(PasskeyMixStream.rows(mix, B), 2);
  // resume: a stream restored from the state continues with the same rows as the uninterrupted one
  const restored = new PasskeyMixStream(RandomWindowSampler.restore(tokens, mixed.state()), byteTokenizer, mix, 11);
  const a = { x: new Int32Array(B * T), y: new Int32Array(B * T) }, c = { x: new Int32Array(B * T), y: new Int32Array(B * T) };
  mixed.next(B, a);
  restored.next(B, c);
  assert.deepEqual(a, c);
  // keys and depths: 5-digit keys, depths spread over [0, 1]
  const draws = Array.from({ length: 2000 }, (_, i) => passkeyMixDraw(11, i));
  assert.ok(draws.every((d) => d.key >= 10000 && d.key <= 99999 && d.depth >= 0 && d.depth <= 1));
  assert.ok(Math.abs(draws.reduce((s, d) => s + d.depth, 0) / 2000 - 0.5) < 0.03);
  assert.ok(new Set(draws.map((d) => d.key)).size > 1900);
  assert.throws(() => new PasskeyMixStream(new RandomWindowSampler(tokens, 16, 3), byteTokenizer, 0.5, 1), /no filler/);
  assert.throws(() => new PasskeyMixStream(new RandomWindowSampler(tokens, T, 3), byteTokenizer, 1.5, 1), /passkey_mix/);
});

test("passkeyCurriculumDepth: the key starts next to the question and reaches the whole row at step c·steps (values by hand)", () => {
  assert.equal(passkeyCurriculumDepth(0, 99, 1000, 0.5), 0.8, "step 100 of a 500-step ramp: 1 − 1·100/500");
  assert.equal(passkeyCurriculumDepth(0.5, 0, 10, 0.5), 0.9, "first step of a 5-step ramp: 1 − 0.5·1/5");
  assert.equal(passkeyCurriculumDepth(0.25, 4, 10, 0.5), 0.25, "the ramp's last step: the drawn depth");
  assert.equal(passkeyCurriculumDepth(0.25, 9, 10, 0.5), 0.25, "after the ramp: unchanged");
  assert.equal(passkeyCurriculumDepth(0.25, 0, 10, 0), 0.25, "no curriculum");
  assert.equal(passkeyCurriculumDepth(1, 0, 10, 1), 1, "a key drawn next to the question stays there");
});

test("PasskeyMixStream with the curriculum: keys in the last half of the filler on the first step of a 2-step ramp, then the rows of the stream without it; resume rebuilds them", () => {
  const tokens = Int32Array.from({ length: 5000 }, (_, i) => 97 + ((i * 7) % 26));
  const T = 48, B = 8, F = T + 1 - 21; // 28 filler tokens
  const curriculum = { fraction: 0.5, steps: 4, rowsPerStep: B };
  const plain = new PasskeyMixStream(new RandomWindowSampler(tokens, T, 3), byteTokenizer, 1, 11);
  const taught = new PasskeyMixStream(new RandomWindowSampler(tokens, T, 3), byteTokenizer, 1, 11, curriculum);
  const keyAt = (x: Int32Array, b: number) => byteTokenizer.decode(x.subarray(b * T, (b + 1) * T)).indexOf(" key:");
  const p = { x: new Int32Array(B * T), y: new Int32Array(B * T) }, c = { x: new Int32Array(B * T), y: new Int32Array(B * T) };
  plain.next(B, p);
  taught.next(B, c);
  let moved = 0;
  for (let b = 0; b < B; b++) {
    // step 0 of a ramp over 2 steps: depth' = 1 − (1 − d)/2 ≥ 1/2, so the key sits at or after round(F/2) = 14
    assert.ok(keyAt(c.x, b) >= 14, `row ${b}: key at ${keyAt(c.x, b)}`);
    assert.ok(keyAt(c.x, b) >= keyAt(p.x, b), "never farther from the question than without the curriculum");
    if (keyAt(c.x, b) !== keyAt(p.x, b)) moved++;
    assert.deepEqual([...c.y.subarray((b + 1) * T - 5, (b + 1) * T)], [...p.y.subarray((b + 1) * T - 5, (b + 1) * T)], "the same key is asked");
  }
  assert.ok(moved >= B / 2, `most keys moved towards the question (${moved} of ${B})`);
  assert.ok(Math.min(...Array.from({ length: B }, (_, b) => keyAt(p.x, b))) < F / 2, "without it some keys sit in the first half");
  const restored = new PasskeyMixStream(RandomWindowSampler.restore(tokens, taught.state()), byteTokenizer, 1, 11, curriculum);
  for (let step = 1; step < 4; step++) {
    plain.next(B, p);
    taught.next(B, c);
    const r = { x: new Int32Array(B * T), y: new Int32Array(B * T) };
    restored.next(B, r);
    assert.deepEqual(r, c, "a stream restored from the state rebuilds the same rows");
    assert.deepEqual(c, p, `step ${step}: past the ramp, the rows of the stream without the curriculum`);
  }
  assert.throws(() => new PasskeyMixStream(new RandomWindowSampler(tokens, T, 3), byteTokenizer, 1, 11, { fraction: 2, steps: 4, rowsPerStep: B }), /curriculum/);
});
