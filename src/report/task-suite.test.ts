import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bandLengths, compareBands, expectedMaxCount, recallGuessRate, recipeSummary, resolveTaskSuitePlan, runTaskSuite, suiteModelJson, TASK_SUITE_DEFAULTS, taskBands, type CellResult, type TaskRunner } from "./task-suite.js";
import { xmlProblem } from "./testing.js";

test("associative recall without the lookup: answering the most frequent shown value scores E[max count]/n (hand-computed; Monte Carlo)", () => {
  assert.ok(Math.abs(recallGuessRate([8]) - 0.55) < 1e-12, "2 pairs: distinct (0.9) → 1/2, equal (0.1) → 1");
  // 3 pairs: all distinct 0.72 → max 1; all equal 0.01 → 3; else 0.27 → 2: E = 1.29
  assert.ok(Math.abs(recallGuessRate([12]) - 1.29 / 3) < 1e-12, "3 pairs");
  assert.ok(Math.abs(recallGuessRate([8, 9, 11, 12]) - (3 * 0.55 + 0.43) / 4) < 1e-12, "lengths pooled with one weight each");
  assert.ok(Math.abs(expectedMaxCount(1, 10) - 1) < 1e-12 && Math.abs(expectedMaxCount(5, 1) - 5) < 1e-12, "one ball; one bin");
  // an independent simulation: n digits uniform, the mode's count, averaged (3σ ≈ 0.003 at 200k draws)
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (const n of [4, 24]) {
    let sum = 0;
    const draws = 200_000;
    for (let d = 0; d < draws; d++) {
      const counts = new Array<number>(10).fill(0);
      for (let i = 0; i < n; i++) counts[Math.floor(rand() * 10)]!++;
      sum += Math.max(...counts) / n;
    }
    assert.ok(Math.abs(sum / draws - expectedMaxCount(n, 10) / n) < 0.004, `${n} pairs: simulated ${sum / draws} vs exact ${expectedMaxCount(n, 10) / n}`);
  }
  assert.ok(recallGuessRate([96]) > (1 + 23 / 10) / 24 + 0.05, "24 pairs: well above guessing uniformly among the shown values");
});

test("model configs: the fixed absolute tables get √d-scaled embeddings, every other method the suite's reference embedding", async () => {
  const plan = resolveTaskSuitePlan({ threads: 1 });
  assert.equal(plan.model.embedding, "none");
  for (const m of ["sinusoidal", "adaptive"] as const) for (const t of plan.tasks) assert.equal(suiteModelJson(plan, m, t).embedding, "sqrt_d", `${m} ${t}`);
  for (const m of ["learned", "rope", "randomized-rope", "alibi", "nope", "t5", "fire", "xpos", "window-sinks"] as const) assert.equal(suiteModelJson(plan, m, "copy").embedding, "none", m);
  const dir = mkdtempSync(join(tmpdir(), "extrapos-suite-emb-"));
  try {
    const runner: TaskRunner = {
      async train(req) { return { steps: req.steps, finalTrainLoss: 0.1, finalValidLoss: 0.1, wallSeconds: 0, tokensPerSecond: 1, curve: { step: [], trainLoss: [], validLoss: [] } }; },
      async evaluate(req) { const perToken = req.lengths.map(() => Array.from({ length: req.trials }, () => 1)); return { exact: perToken, perToken, positions: "plain" }; },
    };
    const small = resolveTaskSuitePlan({ threads: 1, jobs: 1, tasks: ["copy"], methods: ["rope", "sinusoidal"], seeds: 1, steps: 4 });
    await runTaskSuite({ dir, plan: small, runner, env: { versions: {}, machine: {} }, command: "x", stream: { write: () => true } });
    assert.match(readFileSync(join(dir, "index.html"), "utf8"), /token embeddings × √d for sinusoidal \(fixed absolute tables\), else the reference's/, "the report says which models are scaled");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(suiteModelJson(plan, "sinusoidal", "associative-recall"), { d_model: 64, embedding: "sqrt_d", n_layers: 2, n_heads: 1, mlp: false, context_length: 12, pe: { kind: "sinusoidal" } });
});

test("band lengths: evenly spaced integers, ends included", () => {
  assert.deepEqual(bandLengths([25, 48], 4), [25, 33, 40, 48]);
  assert.deepEqual(bandLengths([6, 24], 4), [6, 12, 18, 24]);
  assert.deepEqual(bandLengths([10, 10], 4), [10]);
});

test("the plan: each task's bands are its training range then (B, 2B], (2B, 4B], (4B, 8B]; bad input names the flag", () => {
  const p = resolveTaskSuitePlan({ threads: 1 });
  assert.deepEqual(taskBands(p, "copy"), [[2, 12], [13, 24], [25, 48], [49, 96]]);
  const [lo, hi] = TASK_SUITE_DEFAULTS.train["associative-recall"].lengths;
  assert.deepEqual(taskBands(p, "associative-recall"), [[lo, hi], [hi + 1, 2 * hi], [2 * hi + 1, 4 * hi], [4 * hi + 1, 8 * hi]]);
  const all = resolveTaskSuitePlan({ threads: 1, trainLengths: [2, 12] });
  assert.deepEqual([all.train.copy.lengths, all.train["associative-recall"].lengths], [[2, 12], [8, 12]], "--task-lengths sets every task's; recall starts at two pairs");
  assert.deepEqual(p.tasks, ["copy", "reverse", "associative-recall"]);
  assert.equal(p.seeds.length, 3);
  assert.throws(() => resolveTaskSuitePlan({ threads: 1, tasks: ["passkey"] }), /--tasks must name tasks of copy, reverse, associative-recall, got "passkey"/);
  assert.throws(() => resolveTaskSuitePlan({ threads: 1, methods: ["rope-yarn"] }), /--methods: "rope-yarn" is not a trained transformer method/);
  assert.throws(() => resolveTaskSuitePlan({ threads: 1, trainLengths: [1, 10] }), /--task-lengths must be A:B with 2 ≤ A ≤ B and B ≥ 8 \(associative recall needs 8\), got 1:10/);
  assert.throws(() => resolveTaskSuitePlan({ trainLengths: [2, 7] }), /B ≥ 8/);
  assert.deepEqual(resolveTaskSuitePlan({ tasks: ["copy"], trainLengths: [2, 5] }).train.copy.lengths, [2, 5], "copy alone may train shorter");
  assert.throws(() => resolveTaskSuitePlan({ jobs: 0 }), /--jobs must be an integer in \[1, 256\], got 0/);
  assert.throws(() => resolveTaskSuitePlan({ threads: 1.5 }), /--threads must be an integer in \[1, 256\], got 1\.5/);
  // jobs default: the cores / threads per job (one job per core with the default 1 thread)
  assert.deepEqual([resolveTaskSuitePlan({ cores: 2 }).jobs, resolveTaskSuitePlan({ cores: 2 }).threads], [2, 1]);
  assert.equal(resolveTaskSuitePlan({ cores: 8, threads: 4 }).jobs, 2);
  assert.equal(resolveTaskSuitePlan({ cores: 1, threads: 4 }).jobs, 1);
});

test("per-task recipes: the defaults per task, --steps sets every task's steps, each training gets its own task's recipe", async () => {
  assert.deepEqual(resolveTaskSuitePlan({ threads: 1 }).train, TASK_SUITE_DEFAULTS.train);
  const p = resolveTaskSuitePlan({ threads: 1, steps: 7 });
  // the recipe's warmup (100) is cut to a quarter of fewer steps, so a quick look trains instead of failing every cell
  for (const t of p.tasks) assert.deepEqual(p.train[t], { ...TASK_SUITE_DEFAULTS.train[t], steps: 7, warmup: 1 });
  for (const t of p.tasks) assert.deepEqual(resolveTaskSuitePlan({ threads: 1, steps: 800 }).train[t], { ...TASK_SUITE_DEFAULTS.train[t], steps: 800 });
  assert.throws(() => resolveTaskSuitePlan({ steps: 0 }), /--steps must be a positive integer, got 0/);
  const dir = mkdtempSync(join(tmpdir(), "extrapos-tasks-recipes-"));
  try {
    const plan = resolveTaskSuitePlan({ threads: 1, jobs: 1, tasks: ["copy", "reverse"], methods: ["rope"], seeds: 1, trainLengths: [6, 8] });
    plan.train.copy = { steps: 3, batch: 4, lr: 0.5, warmup: 1, layers: 1, heads: 2, mlp: true, lengths: [3, 7] };
    plan.train.reverse = { steps: 5, batch: 6, lr: 0.25, warmup: 2, layers: 3, heads: 1, mlp: false, lengths: [6, 8] };
    assert.equal(recipeSummary(plan), "copy on lengths 3–7: 1 layers × 2 heads, 3 steps × 4, lr 0.5; reverse on lengths 6–8: 3 layers × 1 head (attention only), 5 steps × 6, lr 0.25");
    const got: string[] = [];
    const runner: TaskRunner = {
      async train(req) {
        got.push(`${req.task} ${req.steps} ${req.batch} ${req.lr} ${JSON.stringify(req.training)} n_layers ${String(req.modelJson.n_layers)} n_heads ${String(req.modelJson.n_heads)} mlp ${String(req.modelJson.mlp)} d_model ${String(req.modelJson.d_model)} ${req.minLength}:${req.seqLen} context ${String(req.modelJson.context_length)}`);
        return { steps: req.steps, finalTrainLoss: 0.1, finalValidLoss: 0.1, wallSeconds: 0, tokensPerSecond: 1, curve: { step: [], trainLoss: [], validLoss: [] } };
      },
      async evaluate(req) {
        const perToken = req.lengths.map(() => Array.from({ length: req.trials }, () => 1));
        return { exact: perToken, perToken, positions: "plain" };
      },
    };
    await runTaskSuite({ dir, plan, runner, env: { versions: {}, machine: {} }, command: "x", stream: { write: () => true } });
    // reverse (5 steps) starts before copy (3 steps): the longest trainings first, so the lanes end together
    assert.deepEqual(got, ['reverse 5 6 0.25 {"warmup":2} n_layers 3 n_heads 1 mlp false d_model 64 6:8 context 8', 'copy 3 4 0.5 {"warmup":1} n_layers 1 n_heads 2 mlp undefined d_model 64 3:7 context 7']);
    const html = readFileSync(join(dir, "index.html"), "utf8");
    assert.match(html, /copy on lengths 3–7: 1 layers × 2 heads, 3 steps × 4, lr 0\.5; reverse on lengths 6–8: 3 layers × 1 head \(attention only\)/);
    assert.match(html, /<h3>copy<\/h3>.*<th>3–7 \(train\)<\/th><th>8–14<\/th><th>15–28<\/th><th>29–56<\/th>/s, "each task's table has its own bands");
    assert.match(html, /<h3>reverse<\/h3>.*<th>6–8 \(train\)<\/th><th>9–16<\/th>/s);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the suite: every task × method × seed trained on the range and evaluated per band; band stats pooled by hand; files written", async () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-tasks-"));
  try {
    const plan = resolveTaskSuitePlan({ threads: 1, jobs: 1, tasks: ["copy"], methods: ["rope", "alibi"], seeds: 2, steps: 5, trainLengths: [6, 8] });
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
    assert.equal(JSON.parse(readFileSync(join(dir, "task-results.json"), "utf8")).schema, "extrapos.tasks/5");
    // the comparison with the best per band, over the 2 seeds (Welch): rope has no spread, so df = 1 and the
    // two-sided p is Cauchy's 1 − 2·atan(|t|)/π; band 0: t = −0.7/0.05 = −14 (p = 0.0454), bands 1–3: t = −0.2/0.05 = −4 (p = 0.156)
    assert.deepEqual(rope.bands.map((b) => [b.p_vs_best, b.test_vs_best, b.tie_with_best]), Array(4).fill([null, null, true]));
    assert.ok(alibi.bands.every((b) => b.test_vs_best === "welch-seeds"));
    assert.ok(Math.abs(alibi.bands[0]!.p_vs_best! - (1 - (2 * Math.atan(14)) / Math.PI)) < 1e-9, `${alibi.bands[0]!.p_vs_best}`);
    assert.equal(alibi.bands[0]!.tie_with_best, false);
    for (const b of alibi.bands.slice(1)) {
      assert.ok(Math.abs(b.p_vs_best! - (1 - (2 * Math.atan(4)) / Math.PI)) < 1e-9, `${b.p_vs_best}`);
      assert.equal(b.tie_with_best, true);
    }
    assert.match(html, /<td class="tie" title="Welch's t-test over the seeds against the best: p = 0\.16">30\.0±7\.1 ≈<span/);
    assert.match(csv[5]!, /^copy,alibi,6,8,.*,0\.0453\d*,welch-seeds,false$/, "the CSV has the comparison");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the suite with 2 jobs: at most 2 units at once, each unit's evaluation after its training, the same results as 1 job", async () => {
  const scoresOf = (runDir: string, L: number) => (runDir.includes("-rope-") ? (L <= 8 ? 1 : 0.5) : 0.2) + (runDir.endsWith("s1") ? 0.05 : runDir.endsWith("s2") ? 0.1 : 0);
  const run = async (jobs: number) => {
    const dir = mkdtempSync(join(tmpdir(), "extrapos-tasks-jobs-"));
    let active = 0, peak = 0;
    const trained = new Set<string>(), order: string[] = [];
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const runner: TaskRunner = {
      async train(req) {
        active++; peak = Math.max(peak, active);
        // later units finish first: completion order differs from the plan's order
        await pause(req.seed === 0 ? 30 : 5);
        trained.add(req.runDir); active--; order.push(`train ${req.runDir.slice(dir.length)}`);
        return { steps: req.steps, finalTrainLoss: 1 + req.seed, finalValidLoss: 0.1, wallSeconds: 0, tokensPerSecond: 1, curve: { step: [], trainLoss: [], validLoss: [] } };
      },
      async evaluate(req) {
        assert.ok(trained.has(req.runDir), "evaluated after its training");
        active++; peak = Math.max(peak, active);
        await pause(2);
        active--;
        const perToken = req.lengths.map((L) => Array.from({ length: req.trials }, () => scoresOf(req.runDir, L)));
        return { exact: perToken.map((r) => r.map((v) => (v >= 1 ? 1 : 0))), perToken, positions: "plain" };
      },
    };
    try {
      const plan = resolveTaskSuitePlan({ tasks: ["copy", "reverse"], methods: ["rope", "nope"], seeds: 3, steps: 5, trainLengths: [6, 8], jobs });
      const r = await runTaskSuite({ dir, plan, runner, env: { versions: {}, machine: {} }, command: "x", stream: { write: () => true } });
      return { cells: r.cells.map((c) => ({ ...c })), peak, order };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const one = await run(1), two = await run(2);
  assert.equal(one.peak, 1);
  assert.equal(two.peak, 2, "two units ran at once");
  assert.notDeepEqual(two.order, one.order, "units finished out of the plan's order");
  assert.deepEqual(two.cells, one.cells, "results independent of the order units finish in");
  const rope = one.cells.find((c) => c.task === "copy" && c.method === "rope")!;
  assert.deepEqual(rope.final_train_loss, [1, 2, 3], "per seed, in seed order");
  assert.ok(Math.abs(rope.bands[0]!.token_accuracy - 1.05) < 1e-12);
});

test("compareBands with one seed: paired over the same examples ('paired-units'); the best per band is the highest mean", () => {
  const cell = (method: string, perToken: number[][]): CellResult => ({
    task: "copy", method, status: "ok", errors: [], positions: "plain", final_train_loss: [],
    bands: perToken.map((xs, i) => ({ band: [i, i] as [number, number], token_accuracy: xs.reduce((a, b) => a + b, 0) / xs.length, token_accuracy_std: null, token_accuracy_ci95: [0, 1] as [number, number], exact: 0, exact_std: null, n_seeds: 1, p_vs_best: null, test_vs_best: null, tie_with_best: null })),
  });
  const A = [[1, 1, 0.5], [0.2, 0.2, 0.2]], B = [[1, 0.5, 0], [0.2, 0.7, 0.7]];
  const a = cell("a", A), b = cell("b", B);
  const seeds = (perToken: number[][]) => new Map([[0, { exact: perToken.map((xs) => xs.map(() => 0)), perToken }]]);
  compareBands([{ cell: a, seeds: seeds(A) }, { cell: b, seeds: seeds(B) }]);
  // band 0: a best; differences 0, .5, .5 → t = 2, df 2, p = 1 − 2/√6 (closed form for df 2)
  assert.equal(b.bands[0]!.test_vs_best, "paired-units");
  assert.ok(Math.abs(b.bands[0]!.p_vs_best! - (1 - 2 / Math.sqrt(6))) < 1e-12, `${b.bands[0]!.p_vs_best}`);
  assert.equal(b.bands[0]!.tie_with_best, true);
  // band 1: b is the best (0.53 > 0.2); differences 0, −.5, −.5 → t = −2, same p
  assert.equal(b.bands[1]!.p_vs_best, null);
  assert.ok(Math.abs(a.bands[1]!.p_vs_best! - (1 - 2 / Math.sqrt(6))) < 1e-12);
});
