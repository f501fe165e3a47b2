/**
 * The task suite with the real runner (worker threads, the engine): a method actually learns copy in
 * its training range with the defaults' recipe — the default model, embedding, lr, warmup and batch —
 * scaled down only in the training lengths (2 … 6 instead of 2 … 12) and the steps (800 instead of 5000).
 * An untrained or broken training path scores chance (1/26 per token) here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveTaskSuitePlan, runTaskSuite, TASK_SUITE_DEFAULTS } from "./task-suite.js";
import { realTaskRunner } from "./task-suite-real.js";

test("the defaults' recipe: RoPE learns copy in its training range (per-token ≥ 0.95 on lengths 2 … 6, on worker threads)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-tasks-real-"));
  try {
    const plan = resolveTaskSuitePlan({ tasks: ["copy"], methods: ["rope"], seeds: 1, steps: 800, trainLengths: [2, 6], jobs: 1 });
    assert.deepEqual({ model: plan.model, recipe: plan.train.copy }, { model: TASK_SUITE_DEFAULTS.model, recipe: { ...TASK_SUITE_DEFAULTS.train.copy, steps: 800 } });
    const r = await runTaskSuite({ dir, plan, runner: realTaskRunner(), env: { versions: {}, machine: {} }, command: "test", stream: { write: () => true } });
    const cell = r.cells[0]!;
    assert.equal(cell.status, "ok", cell.errors.join("; "));
    const [train, twice] = cell.bands;
    assert.ok(train!.token_accuracy >= 0.95, `per-token accuracy on the training lengths ${train!.token_accuracy}`);
    // and RoPE does not extrapolate copy (Ruoss et al.; Kazemnejad et al.): the measure is not saturated
    assert.ok(twice!.token_accuracy < 0.6, `per-token accuracy on 7 … 12: ${twice!.token_accuracy}`);
    assert.ok(existsSync(join(dir, "runs", "copy-rope-s0", "model.safetensors")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
