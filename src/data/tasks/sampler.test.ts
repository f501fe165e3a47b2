import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../../pe/errors.js";
import { Rng } from "../../pe/random.js";
import { byteTokenizer } from "../tokenizer.js";
import { IGNORE_INDEX, passkeyTrials, TASKS, TaskSampler, taskExamples, type TaskName } from "./index.js";

const NAMES = Object.keys(TASKS) as TaskName[];

test("TaskSampler rows are the generator's examples in order: inputs, and −1 targets exactly outside each answer", () => {
  for (const task of NAMES) {
    const T = task === "passkey" ? 400 : 17;
    const B = 3;
    const s = new TaskSampler(task, byteTokenizer, T, 99);
    const rng = new Rng(99); // the same stream, drawn by hand
    for (let call = 0; call < 2; call++) {
      const { x, y } = s.next(B);
      for (let b = 0; b < B; b++) {
        const ex = TASKS[task].generate(byteTokenizer, T, rng);
        assert.deepEqual(Array.from(x.subarray(b * T, (b + 1) * T)), Array.from(ex.input), `${task} row ${b} inputs`);
        const row = Array.from(y.subarray(b * T, (b + 1) * T));
        assert.deepEqual(row, Array.from(ex.target), `${task} row ${b} targets`);
        // Independently of `target`: the answer is the last |answer| next tokens, everything before is ignored.
        const n = ex.answer.length;
        assert.deepEqual(row.filter((v) => v !== IGNORE_INDEX), Array.from(ex.answer), `${task}: the non-ignored targets are the answer, in order`);
        assert.equal(row[T - 1], ex.answer[n - 1], `${task}: the answer ends the row`);
        if (task !== "associative-recall") { // recall's answers are the values between its queried keys
          assert.ok(row.slice(0, T - n).every((v) => v === IGNORE_INDEX), `${task}: −1 before the answer`);
          assert.deepEqual(row.slice(T - n), Array.from(ex.answer), `${task}: the answer at the end`);
        }
      }
    }
    assert.equal(s.state().drawn, 2 * B);
  }
});

test("TaskSampler state → restore continues with exactly the same examples (JSON round trip)", () => {
  const a = new TaskSampler("associative-recall", byteTokenizer, 20, 5);
  a.next(4);
  const saved = JSON.parse(JSON.stringify(a.state()));
  assert.equal(saved.task, "associative-recall");
  const b = TaskSampler.restore(byteTokenizer, saved);
  for (let i = 0; i < 3; i++) assert.deepEqual(b.next(2), a.next(2));
  assert.deepEqual(b.state(), a.state());
  assert.throws(() => TaskSampler.restore(byteTokenizer, { ...saved, rng: [1, 2] }), (e: unknown) => e instanceof ExtraposError && e.code === "corrupt_file");
});

test("taskExamples: seeded and reproducible; passkey = passkeyTrials (evenly spread depths); bad counts and lengths refused", () => {
  const a = taskExamples("reverse", byteTokenizer, 9, 5, 3), b = taskExamples("reverse", byteTokenizer, 9, 5, 3);
  assert.deepEqual(a, b);
  const rng = new Rng(3);
  a.forEach((ex) => assert.deepEqual(ex, TASKS.reverse.generate(byteTokenizer, 9, rng)));
  assert.deepEqual(taskExamples("passkey", byteTokenizer, 500, 4, 8), passkeyTrials(byteTokenizer, 500, 4, 8));
  assert.throws(() => taskExamples("copy", byteTokenizer, 8, 0, 1), /the number of copy examples must be a positive integer, got 0/);
  assert.throws(() => taskExamples("copy", byteTokenizer, 1, 3, 1), /the copy task needs length ≥ 2 with the byte tokenizer, got 1/);
  assert.throws(() => new TaskSampler("passkey", byteTokenizer, 32, 1), /the passkey task needs seq_len ≥ \d+ with the byte tokenizer, got 32/);
});

test("TaskSampler with a length range: each row is an example of length ℓ ∈ [min, T] drawn first from the stream, right-padded with ' ' and −1 targets; every length occurs; the state resumes it", () => {
  const T = 12, min = 4, B = 400;
  const s = new TaskSampler("copy", byteTokenizer, T, 7, min);
  const rng = new Rng(7);
  const { x, y } = s.next(B);
  const seen = new Set<number>();
  for (let b = 0; b < B; b++) {
    const len = min + rng.int(T - min + 1); // the length is drawn, then the example, from one stream
    seen.add(len);
    const ex = TASKS.copy.generate(byteTokenizer, len, rng);
    assert.deepEqual(Array.from(x.subarray(b * T, b * T + len)), Array.from(ex.input));
    assert.deepEqual(Array.from(y.subarray(b * T, b * T + len)), Array.from(ex.target));
    assert.ok(Array.from(x.subarray(b * T + len, (b + 1) * T)).every((v) => v === 32), "padded with ' '");
    assert.ok(Array.from(y.subarray(b * T + len, (b + 1) * T)).every((v) => v === IGNORE_INDEX), "no loss on the padding");
  }
  assert.deepEqual([...seen].sort((a, b) => a - b), [4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const state = s.state();
  assert.equal(state.minLength, 4);
  const r = TaskSampler.restore(byteTokenizer, JSON.parse(JSON.stringify(state)));
  assert.deepEqual(r.next(5), s.next(5));
  assert.throws(() => new TaskSampler("copy", byteTokenizer, T, 7, 13), ExtraposError);
  assert.throws(() => new TaskSampler("copy", byteTokenizer, T, 7, 1), /shortest training length ≥ 2/);
});
