/**
 * The task suite with the real runner (worker threads, the engine): each task's default recipe — the
 * default model, embedding, and the task's lr, warmup and batch — scaled down only in the training
 * lengths and the steps, trains what it trains at full size:
 * - copy and reverse: RoPE learns them in the training range (per-token ≥ 0.95 / 0.9), and does not
 *   extrapolate (Ruoss et al.; Kazemnejad et al.), so the measure is not saturated;
 * - associative recall (MQAR): at the suite's budget no method learns the lookup (docs/experiment.md), but
 *   every one learns to answer with a value shown in the example — well above uniform guessing among the
 *   10 digits, which is what a loss on the wrong positions or a broken answer mask would give.
 * An untrained or broken training path scores chance (1/26 per letter, 1/10 per digit) here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveTaskSuitePlan, runTaskSuite, TASK_MIN_LENGTH, TASK_SUITE_DEFAULTS, type SuiteTask } from "./task-suite.js";
import { realTaskRunner } from "./task-suite-real.js";

/** Steps of the scaled-down recall training (the suite trains 6000; the lookup appears after ≈ 1000–2000 with RoPE). */
const RECALL_TEST_STEPS = 3000;

async function scaledDown(task: SuiteTask, steps: number, trainLengths: [number, number]) {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-tasks-real-"));
  try {
    const plan = resolveTaskSuitePlan({ tasks: [task], methods: ["rope"], seeds: 1, steps, trainLengths, jobs: 1 });
    assert.deepEqual({ model: plan.model, recipe: plan.train[task] }, { model: TASK_SUITE_DEFAULTS.model, recipe: { ...TASK_SUITE_DEFAULTS.train[task], steps, lengths: [Math.max(trainLengths[0], TASK_MIN_LENGTH[task]), trainLengths[1]] } });
    const r = await runTaskSuite({ dir, plan, runner: realTaskRunner(), env: { versions: {}, machine: {} }, command: "test", stream: { write: () => true } });
    const cell = r.cells[0]!;
    assert.equal(cell.status, "ok", cell.errors.join("; "));
    assert.ok(existsSync(join(dir, "runs", `${task}-rope-s0`, "model.safetensors")));
    return cell.bands;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("copy's recipe: RoPE learns copy in its training range (per-token ≥ 0.95 on lengths 2 … 6, on worker threads)", async () => {
  const [train, twice] = await scaledDown("copy", 800, [2, 6]);
  assert.ok(train!.token_accuracy >= 0.95, `per-token accuracy on the training lengths ${train!.token_accuracy}`);
  assert.ok(twice!.token_accuracy < 0.6, `per-token accuracy on 7 … 12: ${twice!.token_accuracy}`);
});

test("reverse's recipe: RoPE learns reverse in its training range (per-token ≥ 0.9 on lengths 2 … 6)", async () => {
  const [train, twice] = await scaledDown("reverse", 1200, [2, 6]);
  assert.ok(train!.token_accuracy >= 0.9, `per-token accuracy on the training lengths ${train!.token_accuracy}`);
  assert.ok(twice!.token_accuracy < 0.6, `per-token accuracy on 7 … 12: ${twice!.token_accuracy}`);
});

test("associative recall's recipe (attention-only, one head): RoPE learns the lookup in its training range (per-token ≥ 0.9 on 8 … 12; without it ≤ 0.55)", async () => {
  const [train] = await scaledDown("associative-recall", RECALL_TEST_STEPS, [8, 12]);
  assert.ok(train!.token_accuracy >= 0.9, `per-token accuracy on the training lengths ${train!.token_accuracy}`);
});
