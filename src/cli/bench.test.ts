import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ExtraposError } from "../pe/errors.js";
import { FakeRunner } from "../report/runner-fake.js";
import { externalReferences, xmlProblem } from "../report/testing.js";
import { runBench, timestampName, type BenchDeps } from "./bench.js";
import { benchEncodingFigures } from "./bench-figures.js";
import { resolvePlan } from "../report/plan.js";
import { DEFAULT_METHODS } from "../report/presets.js";
import { encodingFigure } from "../report/figures.js";

const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));

function deps(runner = new FakeRunner()): BenchDeps & { out: string; err: string } {
  const d = {
    out: "", err: "",
    runnerFor: () => runner,
    stdout: { write: (s: string) => ((d.out += s), true) },
    stderr: { write: (s: string) => ((d.err += s), true) },
    now: () => new Date(Date.UTC(2025, 0, 2, 3, 4, 5)),
    handleSignals: false,
  };
  return d;
}

const SMALL = ["--methods", "alibi,rope-linear", "--train-len", "8", "--eval-lens", "8,16,32", "--steps", "6", "--threads", "1"];

test("bench: writes reports/<timestamp>/ with the report, prints the table, and --resume of a finished bench trains nothing", async () => {
  const out = mkdtempSync(join(tmpdir(), "extrapos-cli-bench-"));
  try {
    const d = deps();
    assert.equal(await runBench([...SMALL, "--out", out], d), 0);
    const dir = join(out, "2025-01-02T03-04-05");
    assert.equal(timestampName(new Date(Date.UTC(2025, 0, 2, 3, 4, 5))), "2025-01-02T03-04-05");
    for (const f of ["index.html", "results.json", "results.csv", "state.json", "perplexity.svg", "pe-alibi.svg", "pe-rope.svg", "pe-rope-linear.svg"]) assert.ok(existsSync(join(dir, f)), f);
    assert.match(d.out, /method\s+ppl@8\s+ppl@16\s+ppl@32/);
    assert.match(d.out, /^rope-linear\s/m);
    assert.match(d.err, new RegExp(`estimated time: .* = ${d.err.includes("at once ×") ? "\\(" : ""}2 × \\d+ s training \\+ 3 × \\d+ s evaluation`));
    assert.match(d.err, /resume with: extrapos bench --resume /);
    const html = readFileSync(join(dir, "index.html"), "utf8");
    assert.deepEqual(externalReferences(html), []);
    assert.ok(html.includes("extrapos bench --methods alibi,rope-linear"), "the command is in the report");
    // a second bench in the same second gets its own folder
    assert.equal(await runBench([...SMALL, "--out", out], deps()), 0);
    assert.ok(existsSync(`${dir}-2`));
    const runner = new FakeRunner();
    assert.equal(await runBench(["--resume", dir, "--threads", "2"], deps(runner)), 0);
    assert.equal(runner.calls.length, 0);
    assert.equal(JSON.parse(readFileSync(join(dir, "state.json"), "utf8")).plan.threads, 2);
    // --jobs may change on resume too; the one not given fills the cores (here --threads 1 is kept as given)
    assert.equal(await runBench(["--resume", dir, "--jobs", "3", "--threads", "1"], deps(new FakeRunner())), 0);
    const plan = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")).plan as { threads: number; jobs: number };
    assert.deepEqual([plan.jobs, plan.threads], [3, 1]);
    await assert.rejects(runBench(["--resume", dir, "--jobs", "0"], deps()), (e: unknown) => e instanceof ExtraposError && /--jobs must be an integer in \[1, 256\], got 0/.test(e.message));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("bench: Ctrl-C'd training exits 130 with the resume command; --resume finishes it", async () => {
  const out = mkdtempSync(join(tmpdir(), "extrapos-cli-bench-"));
  try {
    const d = deps(new FakeRunner({ interrupt: { method: "rope", step: 2 } }));
    assert.equal(await runBench([...SMALL, "--out", out], d), 130);
    const dir = join(out, readdirSync(out)[0]!);
    assert.match(d.err, new RegExp(`interrupted during the training of rope-s0 \\(step 2 of 6\\)\\. Resume with: extrapos bench --resume ${dir.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&")}`));
    const runner = new FakeRunner();
    assert.equal(await runBench(["--resume", dir], deps(runner)), 0);
    assert.deepEqual(runner.calls.filter((c) => c.kind === "train").map((c) => c.method), ["rope"]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("bench: bad input is one ExtraposError and nothing is written", async () => {
  const out = mkdtempSync(join(tmpdir(), "extrapos-cli-bench-"));
  try {
    const cases: Array<[string[], RegExp]> = [
      [["--methods", "alibi,warp"], /unknown bench method "warp"/],
      [["--train-len", "0"], /--train-len must be an integer in \[1, 65536\], got 0/],
      [["--eval-lens", "64,x"], /--eval-lens must be a finite number, got "x"/],
      [["--preset", "huge"], /--preset must be one of default, full, got "huge"/],
      [["--steps", "10", "--resume", out], /--steps cannot be combined with --resume/],
      [["--resume", join(out, "nothing")], /no state\.json/],
      [["--bogus"], /unknown option --bogus/],
      [["extra"], /unexpected argument "extra"/],
    ];
    for (const [argv, re] of cases) {
      await assert.rejects(runBench([...argv, ...(argv.includes("--resume") ? [] : ["--out", out])], deps()), (e: unknown) => e instanceof ExtraposError && re.test(e.message), String(re));
    }
    // a folder that cannot be made: the error alone, no plan announcing a folder to resume
    writeFileSync(join(out, "a-file"), "x");
    const d = deps();
    await assert.rejects(runBench(["--methods", "alibi", "--out", join(out, "a-file", "sub")], d), (e: unknown) => e instanceof ExtraposError);
    assert.equal(d.err, "");
    rmSync(join(out, "a-file"));
    // the queue takes the LM suite only; the refusal says what to do instead
    await assert.rejects(runBench(["--suite", "tasks", "--queue", "redis://127.0.0.1:1", "--out", out], deps()), (e: unknown) =>
      e instanceof ExtraposError && /--queue runs the language-modelling suite only/.test(e.message) && /--jobs J/.test(e.hint ?? "") && /docs\/experiment\.md/.test(e.hint ?? ""));
    assert.deepEqual(readdirSync(out), []);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("bench --dry-run prints the plan and the time estimate, writes nothing", async () => {
  const out = mkdtempSync(join(tmpdir(), "extrapos-cli-bench-"));
  try {
    const d = deps();
    assert.equal(await runBench(["--dry-run", "--out", out, "--threads", "2"], d), 0);
    const j = JSON.parse(d.out) as { plan: { methods: string[]; train_len: number }; estimate: { total_seconds: number; within_limit: boolean } };
    assert.equal(j.plan.methods.length, 16);
    assert.equal(j.plan.train_len, 64);
    assert.ok(j.estimate.within_limit && j.estimate.total_seconds <= 600);
    assert.deepEqual(readdirSync(out), []);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("extrapos bench (spawned) without the train/eval merge: one line, exit 2, nothing written", () => {
  const cwd = mkdtempSync(join(tmpdir(), "extrapos-cli-bench-"));
  try {
    // tiny on purpose: once the real runner is enabled this spawn trains one 1-step model (and still passes)
    const r = spawnSync(process.execPath, [MAIN, "bench", "--methods", "alibi", "--threads", "1", "--steps", "1", "--train-len", "8", "--eval-lens", "8"], { cwd, encoding: "utf8" });
    if (r.status === 2) {
      assert.equal(r.stderr.trim().split("\n").length, 1);
      assert.match(r.stderr, /needs `extrapos train` and `extrapos eval`/);
      assert.deepEqual(readdirSync(cwd), []);
    } else {
      assert.equal(r.status, 0, r.stderr);
      assert.ok(readdirSync(join(cwd, "reports")).length === 1, "one bench folder");
    }
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test("encoding figures: every default method with a fixed encoding gets a well-formed heatmap + curve", () => {
  const plan = resolvePlan({ methods: [...DEFAULT_METHODS], threads: 1 });
  const specs = benchEncodingFigures(plan);
  // the figure follows each method's encoding (its resolved config): window-sinks and longformer are RoPE models
  assert.deepEqual(specs.map((s) => s.method), ["sinusoidal", "adaptive", "rope", "rope-yarn", "rope-linear", "xpos", "alibi", "t5", "kerple", "fire", "randomized-rope", "window-sinks", "longformer"]);
  const figs = specs.map(encodingFigure);
  for (const f of figs) assert.equal(xmlProblem(f.svg), null, f.file);
  // RoPE's score for q = k = 1 is Σ_i 2·cos(Δ·θ_i), θ_i = 10000^(−2i/16), i < 8 (computed here from the formula)
  const rope = specs.find((s) => s.method === "rope")!.curve.series[0]!;
  for (const dist of [0, 1, 7, 100, 2047]) {
    let want = 0;
    for (let i = 0; i < 8; i++) want += 2 * Math.cos(dist * 10000 ** (-(2 * i) / 16));
    assert.ok(Math.abs(rope.y[dist]! - want) <= 1e-9 * (1 + Math.abs(want)), `distance ${dist}`);
  }
  const yarn = specs.find((s) => s.method === "rope-yarn")!.curve.series;
  assert.equal(yarn.length, 2);
  assert.notEqual(yarn[1]!.y[100], yarn[0]!.y[100]);
});
