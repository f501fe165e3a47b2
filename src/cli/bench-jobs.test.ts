/**
 * `extrapos bench --jobs`: several trainings at once, each on its own worker thread (src/report/runner-worker.ts)
 * with 1 engine thread, give the numbers of one training at a time on the main thread with 2 engine threads (the
 * default before --jobs), bit for bit — language model, passkey fine-tuning (L = 64 holds the passkey template),
 * every evaluation (a RoPE-scaling variant and a randomized model among them), and the checkpoints — for encodings
 * of every family (absolute, rotary, bias, learned MLP, relative with r_net) and the LSTM. Real processes, real files.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));
const RUNS = ["sinusoidal", "alibi", "rope", "randomized-rope", "t5", "fire", "transformer-xl", "lstm"];
const STUDY = ["--methods", [...RUNS, "rope-yarn"].join(","), "--train-len", "64", "--eval-lens", "64,128", "--steps", "12", "--passkey-steps", "6"];

type State = { plan: { jobs: number; threads: number }; runs: Record<string, { status: string; train?: Record<string, unknown> }>; jobs: Record<string, { status: string; eval?: Record<string, unknown> }> };

function bench(out: string, jobs: number, threads: number): { dir: string; state: State; err: string } {
  const r = spawnSync(process.execPath, [MAIN, "bench", ...STUDY, "--jobs", String(jobs), "--threads", String(threads), "--out", out], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const [name] = readdirSync(out);
  const dir = join(out, name!);
  return { dir, state: JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as State, err: r.stderr };
}

/** Everything but timings. */
function numbers(s: State): unknown {
  const jobs = Object.fromEntries(Object.entries(s.jobs).map(([id, j]) => { const { wallSeconds: _w, ...ev } = j.eval ?? {}; return [id, { status: j.status, ev }]; }));
  const runs = Object.fromEntries(Object.entries(s.runs).map(([id, r]) => { const { wallSeconds: _w, tokensPerSecond: _t, ...t } = r.train ?? {}; return [id, { status: r.status, t }]; }));
  return { jobs, runs };
}

test("bench --jobs 2 --threads 1 gives the numbers and checkpoints of --jobs 1 --threads 2, bit for bit", { timeout: 300_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), "extrapos-bench-jobs-"));
  try {
    const one = bench(join(root, "one"), 1, 2), two = bench(join(root, "two"), 2, 1);
    assert.deepEqual([one.state.plan.jobs, one.state.plan.threads, two.state.plan.jobs, two.state.plan.threads], [1, 2, 2, 1]);
    assert.match(two.err, /2 trainings at once × 1 thread\(s\)/);
    assert.match(two.err, /8 trainings, 2 at once: step 144\/144 \(100%\)/);
    assert.deepEqual(Object.keys(two.state.jobs).sort(), [...RUNS, "rope-yarn"].map((m) => `${m}-s0`).sort());
    assert.ok(Object.values(two.state.jobs).every((j) => j.status === "done"), JSON.stringify(two.state.jobs));
    assert.deepEqual(numbers(two.state), numbers(one.state));
    for (const run of RUNS.map((m) => `${m}-s0`)) {
      for (const f of ["model.safetensors", join("passkey", "model.safetensors")]) {
        assert.ok(readFileSync(join(two.dir, "runs", run, f)).equals(readFileSync(join(one.dir, "runs", run, f))), `${run}/${f}`);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
