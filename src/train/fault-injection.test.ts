/**
 * Fault injection of the training loop (issue 12): many short runs of the toy model in child processes,
 * each killed with SIGKILL at a random moment — a random delay, or inside a save (half-way through a
 * file write, or between writing a temp file and renaming it; TOY_KILL_IN_SAVE) — then resumed, possibly killed again, until done. After
 * every kill the folder must load (the last complete checkpoint); at the end the run must be bit-identical
 * to the uninterrupted one (model file bytes, metrics), with no temp file and no lock left behind.
 * Bounded: trials stop after ~20 s (at least 6 runs), so the test stays near 30 s on a busy machine.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Rng } from "../pe/random.js";
import { LOCK_FILE } from "../data/folder-lock.js";
import { readMetrics } from "./log/metrics.js";
import { loadRunCheckpoint, readRunConfig, RUN_FILES } from "./run-dir.js";
import { trainRun } from "./run.js";
import { createToyModel } from "./testing/toy-model.js";
import { toyCorpus } from "./testing/toy-data.js";
import { TOY_MODEL_JSON, toyTraining } from "./testing/toy-run.js";

const CHILD = join(dirname(fileURLToPath(import.meta.url)), "testing", "toy-train-child.js");
const STEPS = 24, EVERY = 2;

function metricsOf(dir: string): unknown[] {
  return readMetrics(join(dir, RUN_FILES.metrics)).map(({ tokens_per_s: _t, elapsed_s: _e, ...r }) => r);
}

/** One child session (new run or resume); killed per `plan`. Resolves with how it ended. */
function session(out: string, rng: Rng, kill: boolean): Promise<"done" | "killed"> {
  const resume = existsSync(join(out, RUN_FILES.config));
  const mode = kill ? rng.int(3) : 2; // 0: at a random moment; 1: inside a save (mid-write or before the rename); 2: let it run
  const inSave = mode === 1 ? { TOY_KILL_IN_SAVE: `${1 + rng.int(12)}:${rng.int(2) === 0 ? "write" : "rename"}` } : {};
  const child = spawn(process.execPath, [CHILD, out, String(STEPS), String(EVERY), "2", ...(resume ? ["resume"] : [])], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...inSave } });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  let timer: NodeJS.Timeout | undefined;
  if (mode === 0) timer = setTimeout(() => child.kill("SIGKILL"), 30 + rng.int(400));
  return new Promise((resolve, reject) => {
    child.on("exit", (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal === "SIGKILL") resolve("killed");
      else if (code === 0) resolve("done");
      else reject(new Error(`child exited ${code}: ${stderr}`));
    });
  });
}

test("fault injection: kill -9 at random points (including inside saves), resume until done — loadable, bit-identical, no stray files", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-faults-"));
  try {
    const ref = join(dir, "ref");
    await trainRun({ out: ref, model: { ...TOY_MODEL_JSON }, training: toyTraining(STEPS, EVERY), corpus: toyCorpus(), progress: false, createModel: createToyModel });
    const refModel = readFileSync(join(ref, RUN_FILES.model));
    const rng = new Rng(20261202);
    const t0 = Date.now();
    let runs = 0, kills = 0, inSave = 0;
    for (; runs < 40 && (runs < 6 || Date.now() - t0 < 20_000); runs++) {
      const out = join(dir, `run${runs}`);
      for (let sessions = 0; ; sessions++) {
        assert.ok(sessions < 60, "the run finishes");
        const end = await session(out, rng, sessions < 5); // after 5 sessions, let it finish
        if (existsSync(join(out, RUN_FILES.state))) {
          const ckpt = loadRunCheckpoint(out, readRunConfig(out).model); // always loadable
          assert.ok(ckpt !== null && (ckpt.step % EVERY === 0 || ckpt.step === STEPS), `checkpoint step ${ckpt?.step}`);
        }
        if (end === "done") break;
        kills++;
        if (existsSync(out) && readdirSync(out).some((f) => f.endsWith(".tmp"))) inSave++;
      }
      assert.ok(readFileSync(join(out, RUN_FILES.model)).equals(refModel), `run ${runs}: model bytes equal the uninterrupted run's`);
      assert.deepEqual(metricsOf(out), metricsOf(ref), `run ${runs}: metrics`);
      const stray = readdirSync(out).filter((f) => f.endsWith(".tmp") || f === LOCK_FILE);
      assert.deepEqual(stray, [], `run ${runs}: no temp file or lock left`);
    }
    t.diagnostic(`${runs} runs, ${kills} kills (${inSave} during a save), ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(inSave > 0, "some kills landed while a temp file existed");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
