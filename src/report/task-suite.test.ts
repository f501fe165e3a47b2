import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bandLengths, resolveTaskSuitePlan, runTaskSuite, type TaskRunner } from "./task-suite.js";
import { xmlProblem } from "./testing.js";

test("band lengths: evenly spaced integers, ends included", () => {
  assert.deepEqual(bandLengths([25, 48], 4), [25, 33, 40, 48]);
  assert.deepEqual(bandLengths([6, 24], 4), [6, 12, 18, 24]);
  assert.deepEqual(bandLengths([10, 10], 4), [10]);
});

test("the plan: bands are the training range then (B, 2B], (2B, 4B], (4B, 8B]; bad input names the flag", () => {
  const p = resolveTaskSuitePlan({ threads: 1 });
  assert.deepEqual(p.bands, [[6, 24], [25, 48], [49, 96], [97, 192]]);
  assert.deepEqual(p.tasks, ["copy", "reverse", "associative-recall"]);
  assert.equal(p.seeds.length, 3);
  assert.throws(() => resolveTaskSuitePlan({ threads: 1, tasks: ["passkey"] }), /--tasks must name tasks of copy, reverse, associative-recall, got "passkey"/);
  assert.throws(() => resolveTaskSuitePlan({ threads: 1, methods: ["rope-yarn"] }), /--methods: "rope-yarn" is not a trained transformer method/);
  assert.throws(() => resolveTaskSuitePlan({ threads: 1, trainLengths: [3, 10] }), /--task-lengths must be A:B with 6 ≤ A ≤ B/);
});

test("the suite: every task × method × seed trained on the range and evaluated per band; band stats pooled by hand; files written", async () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-tasks-"));
  try {
    const plan = resolveTaskSuitePlan({ threads: 1, tasks: ["copy"], methods: ["rope", "alibi"], seeds: 2, steps: 5, trainLengths: [6, 8] });
    const trained: string[] = [];
    // synthetic scores: rope perfect up to 8 then 0.5 per token; alibi 0.25 everywhere; exact = per-token ≥ 1
    const runner: TaskRunner = {
      async train(req) {
        trained.push(`${req.task} ${req.method} s${req.seed} ${req.minLength}:${req.seqLen}`);
        return { steps: req.steps, finalTrainLoss: 0.1, finalValidLoss: 0.1, wallSeconds: 0, tokensPerSecond: 1, curve: { step: [], trainLoss: [], validLoss: [] } };
      },
      async evaluate(req) {
        const rope = req.runDir.includes("-rope-");
        const seedBump = req.runDir.endsWith("s1") ? 0.1 : 0;
        const perToken = req.lengths.map((L) => Array.from({ length: req.trials }, () => (rope ? (L <= 8 ? 1 : 0.5) : 0.25 + seedBump)));
        return { exact: perToken.map((r) => r.map((v) => (v >= 1 ? 1 : 0))), perToken, positions: "plain" };
      },
    };
    const lines: string[] = [];
    const r = await runTaskSuite({ dir, plan, runner, env: { versions: {}, machine: {} }, command: "extrapos bench --suite tasks", stream: { write: (s: string) => { lines.push(s); return true; } } as never });
    assert.deepEqual(trained, ["copy rope s0 6:8", "copy rope s1 6:8", "copy alibi s0 6:8", "copy alibi s1 6:8"]);
    const rope = r.cells.find((c) => c.method === "rope")!, alibi = r.cells.find((c) => c.method === "alibi")!;
    assert.deepEqual(rope.bands.map((b) => b.token_accuracy), [1, 0.5, 0.5, 0.5]);
    assert.deepEqual(rope.bands.map((b) => b.exact), [1, 0, 0, 0]);
    assert.deepEqual(rope.bands[1]!.token_accuracy_ci95, [0.5, 0.5], "constant scores → a zero-width interval");
    // alibi: seeds score 0.25 and 0.35 → mean 0.3, std |0.1|/√2
    alibi.bands.forEach((b) => {
      assert.ok(Math.abs(b.token_accuracy - 0.3) < 1e-12);
      assert.ok(Math.abs(b.token_accuracy_std! - 0.1 / Math.SQRT2) < 1e-12);
    });
    const html = readFileSync(join(dir, "index.html"), "utf8");
    assert.match(html, /<th>6–8 \(train\)<\/th><th>9–16<\/th><th>17–32<\/th><th>33–64<\/th>/);
    assert.match(html, /<td class="best">100\.0±0\.0<span class="ci">\[100\.0, 100\.0\]<\/span><\/td>/);
    assert.ok(!/https?:\/\/(?!www\.w3\.org)/.test(html), "self-contained");
    assert.equal(xmlProblem(readFileSync(join(dir, "task-accuracy.svg"), "utf8")), null);
    const csv = readFileSync(join(dir, "task-results.csv"), "utf8").trim().split("\n");
    assert.equal(csv.length, 1 + 2 * 4);
    assert.equal(JSON.parse(readFileSync(join(dir, "task-results.json"), "utf8")).schema, "extrapos.tasks/1");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
