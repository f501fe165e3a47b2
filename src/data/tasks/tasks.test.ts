import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../../pe/errors.js";
import { Rng } from "../../pe/random.js";
import { byteTokenizer, loadTokenizer, type Tokenizer } from "../tokenizer.js";
import {
  exactMatchAccuracy, exampleFromSequence, getTask, IGNORE_INDEX, passkeyFixedTokens, passkeyTrials, generatePasskey,
  recallLayout, scoreExactMatch, TASKS, type TaskExample,
} from "./index.js";
import { PASSKEY_FILLER, PASSKEY_QUESTION, PASSKEY_TASK_DESCRIPTION } from "./passkey.js";

const LENGTHS = [2, 3, 17, 129, 1000];

/** The whole sequence s_0 … s_L back from an example (input + the last target). */
function fullSequence(ex: TaskExample): number[] {
  return [...ex.input, ex.target[ex.target.length - 1]!];
}

/** A perfect model's argmax: the true next token everywhere it is known (answer positions). */
function perfect(ex: TaskExample): Int32Array {
  return ex.target.map((t) => (t === IGNORE_INDEX ? 0 : t));
}

test("exampleFromSequence and exact-match scoring (hand example)", () => {
  const ex = exampleFromSequence([5, 6, 7, 8], 2);
  assert.deepEqual(Array.from(ex.input), [5, 6, 7]);
  assert.deepEqual(Array.from(ex.target), [IGNORE_INDEX, 7, 8]);
  assert.deepEqual(Array.from(ex.answer), [7, 8]);
  assert.equal(scoreExactMatch(ex, [99, 7, 8]), true); // position 0 is not scored
  assert.equal(scoreExactMatch(ex, [6, 7, 9]), false);
  assert.equal(scoreExactMatch(ex, [6, 5, 8]), false);
  assert.equal(exactMatchAccuracy([ex, ex, ex, ex], [[0, 7, 8], [0, 7, 0], [0, 7, 8], [0, 0, 0]]), 0.5);
  assert.throws(() => scoreExactMatch(ex, [7, 8]), ExtraposError);
});

test("copy and reverse: exact length, structure parsed back from the decoded text, both tokenizers", async () => {
  for (const tok of [byteTokenizer, await loadTokenizer("gpt2")]) {
    const rng = new Rng(11);
    for (const L of LENGTHS) {
      for (const [name, rev] of [["copy", false], ["reverse", true]] as const) {
        const ex = TASKS[name].generate(tok, L, rng);
        assert.equal(ex.input.length, L);
        assert.equal(ex.target.length, L);
        const text = tok.decode(fullSequence(ex));
        const m = /^( ?)([a-z]+)=([a-z]+)$/.exec(text);
        assert.ok(m, `${tok.name} ${name} L=${L}: ${text}`);
        assert.equal(m[1]!.length, L % 2);
        assert.equal(m[2]!.length, Math.floor(L / 2));
        assert.equal(m[3], rev ? [...m[2]!].reverse().join("") : m[2]);
        assert.equal(tok.decode(ex.answer), m[3]);
        assert.equal(ex.target.filter((t) => t !== IGNORE_INDEX).length, Math.floor(L / 2));
        assert.equal(scoreExactMatch(ex, perfect(ex)), true);
      }
    }
  }
  assert.throws(() => TASKS.copy.generate(byteTokenizer, 1, new Rng(1)), /`length` for the copy task must be an integer ≥ 2, got 1/);
});

test("associative recall (MQAR): layout (hand-computed), distinct keys, n queries of shown keys, each answer the queried key's value", () => {
  assert.deepEqual(recallLayout(12), { keyLength: 1, pairs: 3, pad: 0 }); // "a3c7f1?c7a3c" + "7"
  assert.deepEqual(recallLayout(4), { keyLength: 1, pairs: 1, pad: 0 }); // "a3?a" + "3"
  assert.deepEqual(recallLayout(14), { keyLength: 1, pairs: 3, pad: 2 });
  assert.deepEqual(recallLayout(96), { keyLength: 1, pairs: 24, pad: 0 });
  assert.deepEqual(recallLayout(107), { keyLength: 1, pairs: 26, pad: 3 }); // 26 letters are enough for 26 keys
  assert.deepEqual(recallLayout(108), { keyLength: 2, pairs: 18, pad: 0 }); // 27 pairs would need 27 > 26 one-letter keys
  assert.deepEqual(recallLayout(4057), { keyLength: 2, pairs: 676, pad: 1 }); // 26² = 676 keys, all used
  assert.deepEqual(recallLayout(4062), { keyLength: 3, pairs: 507, pad: 6 });
  // Hand example: L = 8 with Rng-independent checks of the structure below; here the exact targets of one example.
  const hand = TASKS["associative-recall"].generate(byteTokenizer, 8, new Rng(5));
  const handText = byteTokenizer.decode(hand.input);
  assert.match(handText, /^([a-z])([0-9])([a-z])([0-9])\?([a-z])([0-9])([a-z])$/);
  assert.deepEqual(Array.from(hand.target).map((t, i) => (t === IGNORE_INDEX ? -1 : i)), [-1, -1, -1, -1, -1, 5, -1, 7], "targets only where a value follows a queried key");
  const rng = new Rng(2);
  for (const L of [4, 7, 17, 96, 107, 108, 129, 1019, 4057, 4062]) {
    const ex = TASKS["associative-recall"].generate(byteTokenizer, L, rng);
    assert.equal(ex.input.length, L);
    const text = byteTokenizer.decode(fullSequence(ex));
    const { keyLength: k, pairs: n, pad } = recallLayout(L);
    assert.equal(pad + 2 * n * (k + 1), L, `L=${L}: the layout fills the input`);
    const re = new RegExp(`^ {${pad}}((?:[a-z]{${k}}[0-9]){${n}})\\?((?:[a-z]{${k}}[0-9]){${n}})$`);
    const m = re.exec(text);
    assert.ok(m, `L=${L}: ${text.slice(0, 80)}`);
    const pairs = new Map<string, string>();
    for (let i = 0; i < n; i++) {
      const chunk: string = m[1]!.slice(i * (k + 1), (i + 1) * (k + 1));
      assert.ok(!pairs.has(chunk.slice(0, k)), "keys are distinct");
      pairs.set(chunk.slice(0, k), chunk[k]!);
    }
    const expected: string[] = [];
    for (let i = 0; i < n; i++) {
      const chunk: string = m[2]!.slice(i * (k + 1), (i + 1) * (k + 1));
      assert.equal(pairs.get(chunk.slice(0, k)), chunk[k], `L=${L}: query ${i} answers the value its key was shown with`);
      expected.push(chunk[k]!);
    }
    assert.equal(byteTokenizer.decode(ex.answer), expected.join(""));
    // Targets: exactly the n value positions after "?", each predicting its value; −1 elsewhere.
    const q = pad + n * (k + 1); // index of "?" in the sequence
    for (let t = 0; t < L; t++) {
      const isValue = t + 1 > q && (t + 1 - q) % (k + 1) === 0;
      assert.equal(ex.target[t], isValue ? text.charCodeAt(t + 1) : IGNORE_INDEX, `L=${L} t=${t}`);
    }
    assert.equal(scoreExactMatch(ex, perfect(ex)), true);
  }
  assert.throws(() => TASKS["associative-recall"].generate(byteTokenizer, 3, new Rng(1)), /`length` for the associative-recall task must be an integer ≥ 4, got 3/);
});

/** The reference template (jquesnelle/yarn eval/passkey.py), with character truncation of the filler. */
function referencePasskeyText(prefixChars: number, suffixChars: number, key: number): string {
  const garbageInf = Array.from({ length: 2000 }, () => PASSKEY_FILLER).join(" ");
  return [
    PASSKEY_TASK_DESCRIPTION, garbageInf.slice(0, prefixChars), `The pass key is ${key}. Remember it. ${key} is the pass key.`,
    garbageInf.slice(0, suffixChars), PASSKEY_QUESTION,
  ].join("\n") + ` ${key}`;
}

test("passkey with the byte tokenizer equals the reference template, at exact lengths and depths", () => {
  const fixed = passkeyFixedTokens(byteTokenizer);
  // Counted by hand: description + "\n"; "\nThe pass key is 12345. Remember it. 12345 is the pass key.\n" = 60
  // bytes; "\nWhat is the pass key? The pass key is" = 38; the answer " 12345" = 6. Same for every 5-digit key.
  assert.equal(fixed, PASSKEY_TASK_DESCRIPTION.length + 1 + 60 + 38 + 6);
  assert.equal(passkeyFixedTokens(byteTokenizer, 99999), fixed);
  assert.equal(TASKS.passkey.minLength(byteTokenizer), fixed - 1);
  const rng = new Rng(9);
  for (const L of [fixed - 1, fixed, 1000, 4097]) {
    for (const depth of [0, 0.25, 0.5, 1]) {
      const ex = generatePasskey(byteTokenizer, L, rng, depth);
      assert.equal(ex.input.length, L);
      assert.ok(ex.key >= 10000 && ex.key <= 99999);
      const F = L + 1 - fixed;
      const prefix = Math.round(depth * F);
      assert.equal(byteTokenizer.decode(fullSequence(ex)), referencePasskeyText(prefix, F - prefix, ex.key));
      assert.equal(byteTokenizer.decode(ex.answer), ` ${ex.key}`);
      assert.equal(byteTokenizer.decode(ex.input.subarray(ex.keyPosition, ex.keyPosition + 22)), `\nThe pass key is ${ex.key}`);
      assert.equal(scoreExactMatch(ex, perfect(ex)), true);
      const wrong = perfect(ex);
      wrong[L - 1] = (wrong[L - 1]! + 1) % 256; // last digit wrong
      assert.equal(scoreExactMatch(ex, wrong), false);
    }
  }
  assert.throws(() => generatePasskey(byteTokenizer, fixed - 2, rng, 0.5), (e: unknown) => e instanceof ExtraposError && e.message === `\`length\` for the passkey task must be an integer ≥ ${fixed - 1} with the byte tokenizer, got ${fixed - 2}`);
  assert.throws(() => generatePasskey(byteTokenizer, 1000, rng, 1.5), /depth/);
});

test("passkey with gpt2: exact length, key line and answer decode back; trials spread depths", async () => {
  const tok: Tokenizer = await loadTokenizer("gpt2");
  const trials = passkeyTrials(tok, 500, 5, 1234);
  assert.deepEqual(trials.map((t) => t.depth), [0, 0.25, 0.5, 0.75, 1]);
  const positions = trials.map((t) => t.keyPosition);
  for (let i = 1; i < positions.length; i++) assert.ok(positions[i]! > positions[i - 1]!, "deeper keys sit later");
  for (const ex of trials) {
    assert.equal(ex.input.length, 500);
    const text = tok.decode(fullSequence(ex));
    assert.ok(text.startsWith(PASSKEY_TASK_DESCRIPTION + (ex.depth === 0 ? "\n\nThe pass key" : "\nThe grass")));
    assert.ok(text.includes(`\nThe pass key is ${ex.key}. Remember it. ${ex.key} is the pass key.\n`));
    assert.ok(text.endsWith(`\n${PASSKEY_QUESTION} ${ex.key}`));
    assert.equal(tok.decode(ex.answer), ` ${ex.key}`);
  }
  assert.deepEqual(passkeyTrials(tok, 500, 5, 1234).map((t) => t.key), trials.map((t) => t.key));
  assert.notDeepEqual(passkeyTrials(tok, 500, 5, 1235).map((t) => t.key), trials.map((t) => t.key));
  assert.equal(passkeyTrials(byteTokenizer, 300, 1, 1)[0]!.depth, 0.5);
});

test("task registry: names, every task at its minimum length, unknown task refused", async () => {
  assert.deepEqual(Object.keys(TASKS), ["copy", "reverse", "associative-recall", "passkey"]);
  for (const tok of [byteTokenizer, await loadTokenizer("gpt2")]) {
    for (const [name, task] of Object.entries(TASKS)) {
      const L = task.minLength(tok);
      const ex = task.generate(tok, L, new Rng(1));
      assert.equal(ex.input.length, L, `${name} ${tok.name}`);
      assert.ok(ex.answer.length >= 1);
      assert.throws(() => task.generate(tok, L - 1, new Rng(1)), ExtraposError, `${name} below its minimum`);
    }
  }
  assert.throws(() => getTask("sort"), (e: unknown) => e instanceof ExtraposError && /`task` must be one of copy, reverse, associative-recall, passkey, got "sort"/.test(e.message));
});
