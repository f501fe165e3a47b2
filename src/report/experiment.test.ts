import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { BenchInterrupted, evalRequests, mergeEvals, runExperiment } from "./experiment.js";
import { jobsOf, resolvePlan, type BenchOverrides } from "./plan.js";
import { BENCH_METHODS } from "./presets.js";
import { CSV_COLUMNS, type BenchResults } from "./results.js";
import { FakeRunner, type FakeRunnerOptions } from "./runner-fake.js";
import { loadState, newState } from "./state.js";
import { externalReferences, xmlProblem } from "./testing.js";

const ENV = { versions: { node: process.version, extrapos: "0.0.0-test", torch: "not used (torch-free)" }, machine: { cpu: "test cpu", cores: 2, memory_bytes: 1 } };
const METHODS = ["sinusoidal", "alibi", "rope", "rope-yarn", "lstm"];

function sink(): { write(s: string): boolean; text: string; isTTY: boolean } {
  return { text: "", isTTY: false, write(s: string) { this.text += s; return true; } };
}

async function bench(fake: FakeRunnerOptions = {}, over: BenchOverrides = {}) {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-bench-"));
  const plan = resolvePlan({ methods: METHODS, trainLen: 8, evalLens: [8, 16, 32, 64], steps: 20, seeds: 1, threads: 1, jobs: 1, ...over });
  const state = newState(plan, "extrapos bench --test", new Date(0));
  const runner = new FakeRunner(fake);
  const stream = sink();
  let error: unknown;
  let results: BenchResults | undefined;
  try {
    results = await runExperiment({ dir, state, runner, env: ENV, encodings: [], stream });
  } catch (e) {
    error = e;
  }
  return { dir, plan, runner, stream, results, error };
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}

function readJson(dir: string): BenchResults {
  return JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as BenchResults;
}

/** Minimal CSV parser for the check (quoted fields with "" escapes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.trimEnd().split("\n")) {
    const cells: string[] = [];
    for (const m of line.matchAll(/("((?:[^"]|"")*)"|[^,]*)(,|$)/g)) {
      cells.push(m[2] !== undefined ? m[2].replace(/""/g, '"') : m[1]!);
      if (m[3] === "") break;
    }
    rows.push(cells);
  }
  return rows;
}

test("results.json: the issue's schema, every method at every length, environment and config", async () => {
  const { dir, results, stream } = await bench();
  try {
    const r = readJson(dir);
    assert.equal(r.train_len, 8);
    assert.deepEqual(r.eval_lens, [8, 16, 32, 64]);
    assert.deepEqual(r.methods.map((m) => m.name), ["sinusoidal", "alibi", "rope", "rope-yarn", "lstm"]);
    for (const m of r.methods) {
      assert.equal(m.status, "ok", m.name);
      assert.deepEqual(m.eval.map((e) => e.length), [8, 16, 32, 64]);
      for (const e of m.eval) {
        assert.ok(typeof e.ppl === "number" && e.ppl > 1, `${m.name} ppl`);
        assert.ok(e.passkey_acc !== null && e.passkey_acc >= 0 && e.passkey_acc <= 1);
        assert.ok(Math.abs(e.loss - Math.log(e.ppl)) < 1e-12, "ppl = exp(loss) survives aggregation");
      }
      assert.equal(m.seeds[0]!.loss_per_position?.length, 64, "loss per position over the longest window");
    }
    // the passkey: learned at L = per-digit accuracy at L ≥ 0.75; among the methods that learned it, one best per
    // length (p null) and every other tested against it over the trials (one seed); the others untested
    for (const m of r.methods) assert.equal(m.passkey_learned, m.eval.find((e) => e.length === r.train_len)!.passkey_token_acc! >= 0.75, m.name);
    const learned = r.methods.filter((m) => m.passkey_learned);
    for (const n of r.eval_lens) {
      const at = (ms: typeof r.methods) => ms.map((m) => m.eval.find((e) => e.length === n)!);
      const best = at(learned).filter((e) => e.passkey_tie_with_best === true && e.passkey_p_vs_best === null);
      assert.equal(best.length, learned.length ? 1 : 0, `one best passkey at ${n} if any method learned it`);
      if (learned.length) assert.equal(best[0]!.passkey_token_acc, Math.max(...at(learned).map((e) => e.passkey_token_acc!)));
      for (const e of at(learned)) {
        assert.equal(typeof e.passkey_tie_with_best, "boolean");
        if (e.passkey_p_vs_best !== null) {
          assert.equal(e.passkey_tie_with_best, e.passkey_p_vs_best >= 0.05);
          assert.equal(e.passkey_test_vs_best, "paired-units", "one seed: over the trials");
        }
      }
      for (const e of at(r.methods.filter((m) => !m.passkey_learned))) assert.deepEqual([e.passkey_p_vs_best, e.passkey_tie_with_best], [null, null]);
      for (const e of at(r.methods)) assert.ok(e.passkey_token_acc_ci95 !== null && e.passkey_token_acc_ci95[0] <= e.passkey_token_acc_ci95[1]);
    }
    const alibi = r.methods.find((m) => m.name === "alibi")!;
    assert.deepEqual(alibi.seeds[0]!.train!.curve.step, [2, 4, 6, 8, 10, 12, 14, 16, 18, 20], "training curve from the run");
    assert.equal(r.methods.find((m) => m.name === "rope-yarn")!.seeds[0]!.train, null, "variants have no training of their own");
    assert.deepEqual(r.seeds, [0]);
    assert.equal(r.versions.torch, "not used (torch-free)");
    assert.equal(r.machine.cores, 2);
    assert.equal((r.config as { steps?: unknown; train: { steps: number } }).train.steps, 20);
    assert.ok(r.wall_seconds >= 0 && r.command === "extrapos bench --test");
    assert.deepEqual(results!.best_per_length, r.best_per_length);
    // progress per model: step, loss, tokens/s and ETA, then a per-method summary line
    assert.match(stream.text, /\[3\/5\] rope s0 step 20\/20 \(100%\) \| loss [\d.]+ \| 20\.0k tok\/s \| ETA/);
    assert.match(stream.text, /rope-yarn-s0: ppl@8 [\d.]+, ppl@16/);
    assert.match(stream.text, /\[4\/5\] rope-yarn s0: model rope-s0 already trained, evaluating only/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("results.csv: one row per method × seed × length, numbers equal to results.json", async () => {
  const { dir } = await bench();
  try {
    const r = readJson(dir);
    const rows = parseCsv(readFileSync(join(dir, "results.csv"), "utf8"));
    assert.deepEqual(rows[0], [...CSV_COLUMNS]);
    assert.equal(rows.length - 1, 5 * 4);
    for (const row of rows.slice(1)) {
      const m = r.methods.find((x) => x.name === row[0])!;
      const e = m.seeds[Number(row[1])]!.eval.find((x) => x.length === Number(row[3]))!;
      assert.equal(row[2], "done");
      assert.equal(Number(row[4]), e.ppl);
      assert.equal(Number(row[6]), e.passkey_acc);
      assert.equal(Number(row[7]), e.passkey_token_acc);
      assert.equal(row[9], "");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("index.html: self-contained, every figure inlined and well-formed, best method per length highlighted", async () => {
  const { dir } = await bench();
  try {
    const html = readFileSync(join(dir, "index.html"), "utf8");
    assert.deepEqual(externalReferences(html), []);
    const svgs = readdirSync(dir).filter((f) => f.endsWith(".svg"));
    assert.deepEqual(svgs.sort(), ["loss-by-position.svg", "passkey.svg", "perplexity.svg", "training-curves.svg"]);
    for (const f of svgs) assert.equal(xmlProblem(readFileSync(join(dir, f), "utf8")), null, f);
    const inline = [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    assert.equal(inline.length, svgs.length);
    for (const s of inline) assert.equal(xmlProblem(s), null);
    // best per length, recomputed from results.json, against the highlighted cells of the table
    const r = readJson(dir);
    const table = /<table class="results">([\s\S]*?)<\/table>/.exec(html)![1]!;
    const rows = [...table.matchAll(/<tr>(<td>[\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<td([^>]*)>([^<]*)/g)].map((c) => ({ best: c[1]!.includes("best"), text: c[2]! })));
    r.eval_lens.forEach((n, col) => {
      const min = Math.min(...r.methods.map((m) => m.eval[col]!.ppl));
      const expected = r.methods.filter((m) => m.eval[col]!.ppl === min).map((m) => m.name);
      const highlighted = rows.filter((row) => row[col + 1]!.best).map((row) => row[0]!.text);
      assert.deepEqual(highlighted, expected, `length ${n}`);
      assert.deepEqual(r.best_per_length[col]!.methods, expected);
    });
    assert.ok(rows.flat().some((c) => c.best) && rows.flat().some((c) => !c.best));
    for (const word of ["Software and machine", "test cpu", "Configuration", "wall time", "seeds 0"]) assert.ok(html.includes(word), word);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("TensorBoard layout: one event file per trained run, each in its own runs/<method>-s<seed>/ folder", async () => {
  const { dir } = await bench({}, { seeds: 2 });
  try {
    const events = files(dir).filter((f) => f.includes("events.out.tfevents")).map((f) => relative(dir, f).split(/[\\/]/));
    // tensorboard --logdir DIR names a run by the folder holding its event files: 4 trained methods × 2 seeds
    assert.deepEqual(events.map((p) => p.slice(0, -1).join("/")).sort(), ["alibi", "lstm", "rope", "sinusoidal"].flatMap((m) => [`runs/${m}-s0`, `runs/${m}-s1`]).sort());
    assert.ok(!existsSync(join(dir, "runs", "rope-yarn-s0")), "eval variants do not retrain");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a failing method is reported with its error and the others complete (a failed base fails its variants)", async () => {
  const { dir, results } = await bench({ failTrain: ["rope"], failEval: ["lstm"] });
  try {
    const by = new Map(results!.methods.map((m) => [m.name, m]));
    assert.equal(by.get("sinusoidal")!.status, "ok");
    assert.equal(by.get("alibi")!.status, "ok");
    assert.equal(by.get("rope")!.status, "failed");
    assert.match(by.get("rope")!.errors[0]!, /train: synthetic training failure of rope/);
    assert.match(by.get("rope-yarn")!.errors[0]!, /train: its model rope-s0 failed to train: synthetic training failure/);
    assert.match(by.get("lstm")!.errors[0]!, /eval: synthetic evaluation failure of lstm/);
    assert.equal(by.get("lstm")!.eval.length, 0);
    const html = readFileSync(join(dir, "index.html"), "utf8");
    assert.match(html, /<tr class="failed"><td>rope<\/td><td class="error" colspan="4">FAILED: seed 0, train: synthetic training failure of rope/);
    const csv = parseCsv(readFileSync(join(dir, "results.csv"), "utf8"));
    assert.deepEqual(csv.find((row) => row[0] === "lstm"), ["lstm", "0", "failed", "", "", "", "", "", "", "eval: synthetic evaluation failure of lstm"]);
    assert.ok(results!.best_per_length.every((b) => !b.methods.includes("rope")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("resume: an interrupted bench continues without retraining finished models and retrains the unfinished one", async () => {
  const first = await bench({ interrupt: { method: "rope", step: 7 } });
  const { dir } = first;
  try {
    assert.ok(first.error instanceof BenchInterrupted);
    const saved = loadState(dir);
    assert.deepEqual(Object.keys(saved.jobs), ["sinusoidal-s0", "alibi-s0"]);
    assert.equal(saved.runs["rope-s0"]!.status, "started");
    assert.equal(readJson(dir).methods.find((m) => m.name === "rope")!.status, "pending", "the partial report shows what is left");
    // resume (as `extrapos bench --resume DIR` does): a new session on the loaded state
    const state = loadState(dir);
    state.sessions.push({ started: new Date(1000).toISOString(), wallSeconds: 0 });
    const runner = new FakeRunner();
    const results = await runExperiment({ dir, state, runner, env: ENV, encodings: [], stream: sink() });
    assert.deepEqual(runner.calls.filter((c) => c.kind === "train").map((c) => c.method), ["rope", "lstm"], "sinusoidal and alibi are not retrained");
    assert.ok(!runner.calls.some((c) => /(sinusoidal|alibi)-s0$/.test(c.runDir)), "nor re-evaluated");
    assert.ok(results.methods.every((m) => m.status === "ok"));
    const ropeEvents = readdirSync(join(dir, "runs", "rope-s0")).filter((f) => f.startsWith("events."));
    assert.equal(ropeEvents.length, 1, "the interrupted run's folder was replaced, not appended to");
    assert.equal(readJson(dir).methods.length, 5);
    // a bench with everything done does nothing more on a second resume
    const again = new FakeRunner();
    await runExperiment({ dir, state: loadState(dir), runner: again, env: ENV, encodings: [], stream: sink() });
    assert.equal(again.calls.length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("resume retries failed methods", async () => {
  const { dir } = await bench({ failTrain: ["alibi"] });
  try {
    const runner = new FakeRunner();
    const results = await runExperiment({ dir, state: loadState(dir), runner, env: ENV, encodings: [], stream: sink() });
    assert.deepEqual(runner.calls.filter((c) => c.kind === "train").map((c) => c.method), ["alibi"]);
    assert.equal(results.methods.find((m) => m.name === "alibi")!.status, "ok");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("seeds: mean and sample std over seeds, recomputed from the per-seed numbers", async () => {
  const { dir, results } = await bench({}, { seeds: 3, methods: ["alibi"] });
  try {
    const m = results!.methods[0]!;
    m.eval.forEach((p, i) => {
      const xs = m.seeds.map((s) => s.eval[i]!.ppl);
      const mean = (xs[0]! + xs[1]! + xs[2]!) / 3;
      const std = Math.sqrt(((xs[0]! - mean) ** 2 + (xs[1]! - mean) ** 2 + (xs[2]! - mean) ** 2) / 2);
      assert.ok(Math.abs(p.ppl - mean) <= 1e-12 * mean);
      assert.ok(p.ppl_std !== null && Math.abs(p.ppl_std - std) <= 1e-9 * std + 1e-15);
      assert.ok(std > 0, "the seeds differ");
      assert.equal(p.n_seeds, 3);
    });
    const svg = readFileSync(join(dir, "perplexity.svg"), "utf8");
    assert.equal((svg.match(/<polygon /g) ?? []).length, 1, "an error band for the one method");
    assert.match(readFileSync(join(dir, "index.html"), "utf8"), /±/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("transformer-xl-mem: its own run trained with mem_len L, evaluated at every length in segments of L with a memory of L", () => {
  const plan = resolvePlan({ methods: ["transformer-xl", "transformer-xl-mem"], trainLen: 8, evalLens: [8, 64], threads: 1, jobs: 1 });
  const jobs = jobsOf(plan);
  assert.deepEqual(jobs.map((j) => j.method), ["transformer-xl", "transformer-xl-mem"], "two trainings: without and with memory");
  assert.notEqual(jobs[0]!.run, jobs[1]!.run);
  assert.deepEqual(BENCH_METHODS["transformer-xl-mem"].model({ trainLen: 8, maxEvalLen: 64, nLayers: 2, nHeads: 2 }), { pe: { kind: "transformer-xl", mem_len: 8 } });
  const r = evalRequests(plan, jobs[1]!, "runs/txl-mem-s0");
  assert.deepEqual(r.map((q) => [q.lengths, q.ropeScaling, q.cache, q.lossPerPositionLength]), [[[8, 64], null, { sinks: 0, recent: 8, segment: 8 }, 64]]);
  assert.equal(evalRequests(plan, jobs[0]!, "runs/txl-s0")[0]!.cache, undefined, "transformer-xl evaluates each window as one segment");
});

test("eval variants: no scaling up to L, then rope_scaling with factor n/L at each longer length", () => {
  const plan = resolvePlan({ methods: ["rope-yarn", "rope-linear"], trainLen: 8, evalLens: [4, 8, 16, 64], threads: 1, jobs: 1 });
  const [, yarn, linear] = jobsOf(plan);
  const y = evalRequests(plan, yarn!, "runs/rope-s0");
  assert.deepEqual(y.map((r) => [r.lengths, r.ropeScaling, r.lossPerPositionLength]), [
    [[4, 8], null, null],
    [[16], { rope_type: "yarn", factor: 2, original_max_position_embeddings: 8 }, null],
    [[64], { rope_type: "yarn", factor: 8, original_max_position_embeddings: 8 }, 64],
  ]);
  assert.deepEqual(evalRequests(plan, linear!, "r")[2]!.ropeScaling, { rope_type: "linear", factor: 8 });
  const part = (n: number[], lpp: number | null) => ({ lengths: n, loss: n.map((x) => x / 10), ppl: n.map((x) => Math.exp(x / 10)), tokens: n, passkeyAcc: n.map(() => null), lossPerPosition: lpp === null ? null : { length: lpp, loss: [1] }, wallSeconds: 1 });
  const merged = mergeEvals([part([16], null), part([4, 8], null), part([64], 64)]);
  assert.deepEqual(merged.lengths, [4, 8, 16, 64]);
  assert.ok(!("passkeyTrialAcc" in merged), "no trial scores: none merged");
  const trials = (n: number[]) => ({ ...part(n, null), passkeyTrialAcc: n.map((x) => [x / 100, 0]) });
  assert.deepEqual(mergeEvals([trials([16]), trials([4, 8])]).passkeyTrialAcc, [[0.04, 0], [0.08, 0], [0.16, 0]], "trial scores follow their lengths");
  assert.deepEqual(merged.loss, [0.4, 0.8, 1.6, 6.4]);
  assert.deepEqual(merged.lossPerPosition, { length: 64, loss: [1] });
  assert.equal(merged.wallSeconds, 3);
});

/** The fake runner with a pause in every call, so that the lanes' calls overlap; records when each call ran. */
class PausingRunner extends FakeRunner {
  readonly spans: Array<{ kind: "train" | "evaluate"; run: string; start: number; end: number }> = [];
  private t = 0;
  private active = 0;
  maxActive = 0;
  private async span<R>(kind: "train" | "evaluate", runDir: string, f: () => Promise<R>): Promise<R> {
    const start = this.t++;
    this.maxActive = Math.max(this.maxActive, ++this.active);
    await new Promise((r) => setTimeout(r, kind === "train" ? 15 : 2));
    try {
      return await f();
    } finally {
      this.active--;
      this.spans.push({ kind, run: runDir.split(/[\\/]/).at(-1)!, start, end: this.t++ });
    }
  }
  override train(req: Parameters<FakeRunner["train"]>[0]) { return this.span("train", req.runDir, () => super.train(req)); }
  override evaluate(req: Parameters<FakeRunner["evaluate"]>[0]) { return this.span("evaluate", req.runDir, () => super.evaluate(req)); }
}

test("jobs: 2 lanes train side by side, a variant waits for its base's training, and every number is that of one lane", async () => {
  // one folder for both (the fake's numbers depend on the run folder's path, as real ones on the seed)
  const base = mkdtempSync(join(tmpdir(), "extrapos-bench-jobs-"));
  const run = async (jobs: number, fake: FakeRunnerOptions = {}, methods = METHODS, seeds = 2) => {
    const dir = join(base, "bench");
    rmSync(dir, { recursive: true, force: true });
    const plan = resolvePlan({ methods, trainLen: 8, evalLens: [8, 16, 32, 64], steps: 20, seeds, threads: 1, jobs });
    const runner = new PausingRunner(fake);
    const stream = sink();
    let error: unknown = null;
    try {
      await runExperiment({ dir, state: newState(plan, "extrapos bench --test", new Date(0)), runner, env: ENV, encodings: [], stream });
    } catch (e) {
      error = e;
    }
    return { dir, runner, stream, error };
  };
  const one = await run(1);
  const ones = loadState(one.dir), oneResults = readJson(one.dir);
  const two = await run(2);
  try {
    assert.equal(one.runner.maxActive, 1, "one lane: one call at a time");
    assert.equal(two.runner.maxActive, 2, "two lanes: two calls at once");
    const twos = loadState(two.dir);
    assert.deepEqual(Object.keys(twos.jobs).sort(), Object.keys(ones.jobs).sort());
    for (const id of Object.keys(ones.jobs)) assert.deepEqual({ ...twos.jobs[id], eval: { ...(twos.jobs[id] as { eval: object }).eval, wallSeconds: 0 } }, { ...ones.jobs[id], eval: { ...(ones.jobs[id] as { eval: object }).eval, wallSeconds: 0 } }, id);
    assert.deepEqual(readJson(two.dir).methods.map((m) => [m.name, m.eval.map((e) => e.ppl)]), oneResults.methods.map((m) => [m.name, m.eval.map((e) => e.ppl)]));
    // rope-yarn evaluates the rope model: never before that model's training ended
    for (const seed of [0, 1]) {
      const trained = two.runner.spans.find((s) => s.kind === "train" && s.run === `rope-s${seed}`)!;
      const variantEvals = two.runner.spans.filter((s) => s.kind === "evaluate" && s.run === `rope-s${seed}`);
      assert.ok(variantEvals.length >= 2 && variantEvals.every((e) => e.start > trained.end), `seed ${seed}: rope and rope-yarn evaluated after rope-s${seed} was trained`);
    }
    assert.equal(two.runner.calls.filter((c) => c.kind === "train").length, 8, "each model trained once: 4 trained methods × 2 seeds");
    assert.match(two.stream.text, /8 trainings, 2 at once: step 160\/160 \(100%\)/);
    assert.equal(two.stream.text.match(/step 160\/160/g)!.length, 1, "the shared bar's last state printed once");
  } finally {
    rmSync(two.dir, { recursive: true, force: true });
  }
  // a failed training fails its variant in whichever lane, the others go on; an interruption stops every lane
  const failed = await run(2, { failTrain: ["rope"] });
  try {
    const st = loadState(failed.dir);
    assert.equal(failed.error, null);
    assert.equal(st.jobs["rope-yarn-s0"]!.status, "failed");
    assert.match((st.jobs["rope-yarn-s0"] as { error: string }).error, /its model rope-s0 failed to train/);
    assert.equal(st.jobs["lstm-s1"]!.status, "done");
  } finally {
    rmSync(failed.dir, { recursive: true, force: true });
  }
  const stopped = await run(2, { interrupt: { method: "rope", step: 7 } });
  try {
    assert.ok(stopped.error instanceof BenchInterrupted);
    assert.equal(loadState(stopped.dir).runs["rope-s0"]!.status, "started", "resumable as with one lane");
  } finally {
    rmSync(stopped.dir, { recursive: true, force: true });
  }
  // the second lane waits for rope-s0 to train rope-yarn; rope-s0 is interrupted: the variant is left for --resume, not failed
  const waiting = await run(2, { interrupt: { method: "rope", step: 7 } }, ["rope", "rope-yarn"], 1);
  try {
    assert.ok(waiting.error instanceof BenchInterrupted);
    const st = loadState(waiting.dir);
    assert.equal(st.runs["rope-s0"]!.status, "started");
    assert.equal(st.jobs["rope-yarn-s0"], undefined, JSON.stringify(st.jobs["rope-yarn-s0"]));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
