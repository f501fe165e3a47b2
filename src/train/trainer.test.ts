import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ExtraposError } from "../pe/errors.js";
import { parseModelConfig } from "../model/config.js";
import { loadCheckpoint } from "../model/checkpoint.js";
import { readSafetensors } from "../model/safetensors.js";
import { readMetrics, type MetricRecord } from "./log/metrics.js";
import { learningRate } from "./schedule.js";
import { trainRun, type TrainRunOptions } from "./run.js";
import { TrainingInterrupted, validationWindows } from "./trainer.js";
import { createToyModel } from "./testing/toy-model.js";
import { toyCorpus } from "./testing/toy-data.js";
import { TOY_MODEL_JSON, toyTraining } from "./testing/toy-run.js";

const here = dirname(fileURLToPath(import.meta.url));

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "extrapos-train-"));
}

function opts(out: string, steps: number, every: number, extra: Partial<TrainRunOptions> = {}): TrainRunOptions {
  return { out, model: { ...TOY_MODEL_JSON }, training: toyTraining(steps, every), corpus: toyCorpus(), progress: false, createModel: createToyModel, ...extra };
}

/** The deterministic part of each metrics line (wall-clock fields dropped). */
function losses(dir: string): Omit<MetricRecord, "tokens_per_s" | "elapsed_s">[] {
  return readMetrics(join(dir, "metrics.jsonl")).map(({ tokens_per_s: _t, elapsed_s: _e, ...r }) => r);
}

function paramsOf(dir: string): Map<string, Float32Array> {
  return loadCheckpoint(join(dir, "model.safetensors")).params;
}

function assertSameParams(a: Map<string, Float32Array>, b: Map<string, Float32Array>): void {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [k, v] of a) assert.ok(Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(Buffer.from(b.get(k)!.buffer, b.get(k)!.byteOffset, b.get(k)!.byteLength)), `param ${k} differs`);
}

test("validation windows: evenly spaced among the non-overlapping ones (hand example)", () => {
  // N = 101, T = 10: 10 windows at 0, 10, …, 90; 4 of them: indices ⌊i·10/4⌋ = 0, 2, 5, 7.
  assert.deepEqual(validationWindows(101, 10, 4).map((w) => w.start), [0, 20, 50, 70]);
  assert.equal(validationWindows(101, 10, 50).length, 10);
});

test("training the toy model: loss decreases, run directory and metrics schema, lr follows the schedule", async () => {
  const dir = tmp();
  try {
    const out = join(dir, "run");
    const s = await trainRun(opts(out, 30, 10));
    assert.equal(s.steps, 30);
    assert.equal(s.runDir, out);
    const files = readdirSync(out).sort();
    for (const f of ["config.json", "metrics.jsonl", "model.safetensors", "train_state.safetensors"]) assert.ok(files.includes(f), `${f} written`);
    assert.ok(files.some((f) => f.startsWith("events.out.tfevents.")), "TensorBoard events file");
    assert.ok(!files.some((f) => f.endsWith(".tmp")), "no temp files left");
    const cfg = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
    assert.equal(cfg.model.d_model, 8);
    assert.equal(cfg.training.steps, 30);
    assert.equal(cfg.training.min_lr, 3e-3); // derived: lr / 10
    const m = readMetrics(join(out, "metrics.jsonl"));
    assert.deepEqual(m.map((r) => r.step), Array.from({ length: 30 }, (_, i) => i + 1));
    for (const r of m) {
      for (const k of ["train/loss", "train/ppl", "lr", "grad_norm", "tokens_per_s"]) assert.equal(typeof r[k], "number", `${k} at step ${r.step}`);
      assert.equal(r.lr, learningRate({ maxLr: 3e-2, minLr: 3e-3, warmupSteps: 3, decaySteps: 30 }, r.step - 1));
      assert.equal(r["train/ppl"], Math.exp(r["train/loss"] as number));
      assert.equal("valid/loss" in r, r.step % 5 === 0, `valid at step ${r.step}`);
    }
    // ln 256 ≈ 5.545 at init (N(0,1) embeddings times a small head: near uniform); the bigram statistics of the toy text are learnable.
    const first = m[0]!["train/loss"] as number, lastValid = m[29]!["valid/loss"] as number;
    assert.ok(first > 5 && lastValid < first - 1.5, `loss ${first} → valid ${lastValid}`);
    assert.equal(s.finalValidLoss, lastValid);
    assert.equal(s.finalTrainLoss, m[29]!["train/loss"]);
    assert.equal(loadCheckpoint(join(out, "model.safetensors"), parseModelConfig(TOY_MODEL_JSON)).step, 30);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("gradient accumulation: 2 micro-batches of 2 = one batch of 4 (same windows, mean gradient)", async () => {
  const dir = tmp();
  try {
    await trainRun(opts(join(dir, "a"), 5, 5));
    await trainRun(opts(join(dir, "b"), 5, 5, { training: toyTraining(5, 5, { batch: 2, grad_accum: 2 }) }));
    const a = losses(join(dir, "a")), b = losses(join(dir, "b"));
    for (let i = 0; i < 5; i++) {
      for (const k of ["train/loss", "grad_norm"]) {
        const x = a[i]![k] as number, y = b[i]![k] as number;
        assert.ok(Math.abs(x - y) <= 1e-9 + 1e-6 * Math.abs(x), `step ${i + 1} ${k}: ${x} vs ${y}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("Ctrl-C (abort) checkpoints the current step; --resume reproduces the uninterrupted run bit for bit", async () => {
  const dir = tmp();
  try {
    await trainRun(opts(join(dir, "full"), 24, 10));
    const out = join(dir, "cut");
    const ac = new AbortController();
    await assert.rejects(trainRun(opts(out, 24, 10, { signal: ac.signal, onProgress: (p) => { if (p.step === 13) ac.abort(); } })), (e: unknown) => e instanceof TrainingInterrupted && e.step === 13);
    assert.equal(loadCheckpoint(join(out, "model.safetensors")).step, 13);
    const s = await trainRun({ out, resume: true, corpus: toyCorpus(), progress: false, createModel: createToyModel });
    assert.equal(s.steps, 24);
    assert.deepEqual(losses(out), losses(join(dir, "full")));
    assertSameParams(paramsOf(out), paramsOf(join(dir, "full")));
    // A finished run resumes to an immediate summary.
    const again = await trainRun({ out, resume: true, corpus: toyCorpus(), progress: false, createModel: createToyModel });
    assert.equal(again.steps, 24);
    assert.equal(again.finalValidLoss, s.finalValidLoss);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function waitForLine(child: ReturnType<typeof spawn>, re: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = "";
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      if (re.test(buf)) resolve();
    });
    child.on("exit", (code) => reject(new Error(`child exited (${code}) before ${re}: ${buf.slice(-200)}`)));
  });
}

test("kill -9 mid-run: --resume continues from the last complete checkpoint with identical losses", async () => {
  const dir = tmp();
  try {
    const steps = 30, every = 4;
    await trainRun(opts(join(dir, "full"), steps, every));
    const out = join(dir, "killed");
    const child = spawn(process.execPath, [join(here, "testing", "toy-train-child.js"), out, String(steps), String(every), "25"], { stdio: ["ignore", "pipe", "pipe"] });
    await waitForLine(child, /step 10\n/);
    child.kill("SIGKILL");
    await new Promise((r) => child.on("exit", r));
    const killedAt = Math.max(...readMetrics(join(out, "metrics.jsonl")).map((r) => r.step));
    assert.ok(killedAt >= 10 && killedAt < steps, `killed at step ${killedAt}`);
    const ckptStep = loadCheckpoint(join(out, "model.safetensors")).step;
    assert.ok(ckptStep >= 8 && ckptStep % every === 0 && ckptStep <= killedAt, `checkpoint at ${ckptStep}`);
    await trainRun({ out, resume: true, corpus: toyCorpus(), progress: false, createModel: createToyModel });
    assert.deepEqual(losses(out), losses(join(dir, "full")), "metrics truncated to the checkpoint, then the same lines");
    assertSameParams(paramsOf(out), paramsOf(join(dir, "full")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("SIGINT to a training process: checkpoint at the end of the step, exit 130", async () => {
  const dir = tmp();
  try {
    const out = join(dir, "run");
    const child = spawn(process.execPath, [join(here, "testing", "toy-train-child.js"), out, "200", "1000", "25"], { stdio: ["ignore", "pipe", "pipe"] });
    await waitForLine(child, /step 3\n/);
    child.kill("SIGINT");
    const code = await new Promise((r) => child.on("exit", r));
    assert.equal(code, 130);
    const step = loadCheckpoint(join(out, "model.safetensors")).step;
    assert.ok(step >= 3 && step < 200);
    assert.equal(Math.max(...readMetrics(join(out, "metrics.jsonl")).map((r) => r.step)), step);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function snapshotDir(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).map((f) => [f, `${statSync(join(dir, f)).mtimeMs}:${readFileSync(join(dir, f)).toString("base64")}`]));
}

test("bad input: existing run without resume, resume with another config or other data, corrupt state — refused, nothing written", async () => {
  const dir = tmp();
  try {
    const out = join(dir, "run");
    await trainRun(opts(out, 4, 2));
    const before = snapshotDir(out);
    await assert.rejects(trainRun(opts(out, 4, 2)), (e: unknown) => e instanceof ExtraposError && /already holds a run \(model\.safetensors\); refusing to overwrite it/.test(e.message));
    await assert.rejects(
      trainRun({ ...opts(out, 4, 2), resume: true, model: { d_model: 16 } }),
      (e: unknown) => e instanceof ExtraposError && /cannot resume .* with another config: `d_model` is 8 in the run, 16 requested/.test(e.message),
    );
    await assert.rejects(
      trainRun({ ...opts(out, 4, 2), resume: true, model: {}, training: { steps: 8 } }),
      (e: unknown) => e instanceof ExtraposError && /`training.steps` is 4 in the run, 8 requested/.test(e.message),
    );
    await assert.rejects(
      trainRun({ ...opts(out, 4, 2), resume: true, model: {}, training: {}, corpus: toyCorpus(6000, 99) }),
      (e: unknown) => e instanceof ExtraposError && /cannot resume .* on other data/.test(e.message),
    );
    await assert.rejects(trainRun({ ...opts(join(dir, "nope"), 4, 2), resume: true, model: {}, training: {} }), /is not an extrapos run: config\.json is missing/);
    assert.deepEqual(snapshotDir(out), before, "the run is untouched");
    // A truncated train state is refused with a message (and not repaired silently).
    const state = join(out, "train_state.safetensors");
    writeFileSync(state, readFileSync(state).subarray(0, 100));
    await assert.rejects(trainRun({ ...opts(out, 4, 2), resume: true, model: {}, training: {} }), (e: unknown) => e instanceof ExtraposError && e.code === "corrupt_file");
    // Too little data, and a batch beyond memory: refused before the directory exists.
    const fresh = join(dir, "fresh");
    await assert.rejects(trainRun(opts(fresh, 4, 2, { corpus: { train: "short", valid: "also short", test: "" } })), /the train split has 5 tokens, fewer than seq_len \+ 1 = 17/);
    await assert.rejects(trainRun(opts(fresh, 4, 2, { maxMemoryBytes: 1e5 })), /training with batch 4 × seq_len 16 needs an estimated .* more than the 98 KiB available/);
    assert.ok(!existsSync(fresh));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("randomized positions (Ruoss et al.): sorted distinct ids below max_length per row, seeded, identical after a resume", async () => {
  const dir = tmp();
  try {
    const model = { ...TOY_MODEL_JSON, pe: { kind: "learned", randomized: { max_length: 64 } } };
    const record = (into: number[][]): TrainRunOptions["createModel"] => (cfg, o) => createToyModel(cfg, { ...o, onBatch: (b) => into.push(Array.from(b.positions!)) });
    const full: number[][] = [];
    await trainRun(opts(join(dir, "full"), 12, 4, { model, createModel: record(full) }));
    assert.equal(full.length, 12);
    for (const p of full) {
      for (let r = 0; r < 4; r++) {
        const row = p.slice(r * 16, r * 16 + 16);
        assert.ok(row.every((v, i) => v >= 0 && v < 64 && (i === 0 || v > row[i - 1]!)), `row ${row}`);
      }
    }
    assert.notDeepEqual(full[0]!.slice(0, 16), full[0]!.slice(16, 32), "rows draw their own positions");
    const cut: number[][] = [];
    const ac = new AbortController();
    const out = join(dir, "cut");
    await assert.rejects(trainRun(opts(out, 12, 4, { model, createModel: record(cut), signal: ac.signal, onProgress: (p) => { if (p.step === 6) ac.abort(); } })), TrainingInterrupted);
    await trainRun({ out, resume: true, corpus: toyCorpus(), progress: false, createModel: record(cut) });
    assert.deepEqual(cut, full);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
