/**
 * The in-memory run (memoryRunSink) is the run directory's twin: the same model bytes as `train()`
 * writes to disk, a stop/continue that is bit-identical to the uninterrupted run, and a tar of its
 * files that `tar -xf` unpacks into a folder `extrapos eval --run` reads.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseModelConfig } from "../model/config.js";
import { createModel } from "../model/factory.js";
import { byteTokenizer } from "../data/tokenizer.js";
import { parseTrainingConfig } from "./config.js";
import { trainLoop, TrainingInterrupted } from "./loop.js";
import { memoryRunSink, runFolderFiles, tarArchive } from "./run-folder.js";
import { train } from "./trainer.js";
import type { TextTrainData } from "./source.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const model = parseModelConfig({ d_model: 16, n_layers: 1, n_heads: 2, context_length: 16, pe: { kind: "alibi" } });
const training = parseTrainingConfig({ batch: 4, steps: 12, lr: 1e-2, eval_every: 6, eval_windows: 4, checkpoint_every: 6, log_every: 1, seed: 3, threads: 1 });
const text = "The jury further said in term-end presentments that the City Executive Committee, which had over-all charge of the election, deserves the praise and thanks of the City of Atlanta for the manner in which the election was conducted. ".repeat(8);
const data: TextTrainData = { kind: "text", train: byteTokenizer.encode(text.slice(0, 1400)), valid: byteTokenizer.encode(text.slice(1400)), spec: null, description: "test text" };

test("memoryRunSink: same model.safetensors as the run directory; stop + continue = uninterrupted; the tar is a run folder extrapos eval reads", async () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-runfolder-"));
  try {
    await train({ runDir: join(dir, "disk"), model, training, data, resume: false, progress: false }, { createModel });
    const whole = memoryRunSink();
    await trainLoop({ model, training, data, from: null, progress: false }, { createModel }, whole);
    const files = runFolderFiles(whole);
    assert.deepEqual(files.get("model.safetensors"), new Uint8Array(readFileSync(join(dir, "disk", "model.safetensors"))));
    assert.equal(whole.metrics.length, 12);

    // stop after step 5 (the checkpoint is taken at the stop), continue from it
    const parted = memoryRunSink();
    const stop = new AbortController();
    await assert.rejects(
      trainLoop({ model, training, data, from: null, progress: false, signal: stop.signal, onProgress: (p) => { if (p.step === 5) stop.abort(); } }, { createModel }, parted),
      (e) => e instanceof TrainingInterrupted && e.step === 5,
    );
    assert.equal(parted.last!.checkpoint.step, 5);
    await trainLoop({ model, training, data, from: parted.last!.checkpoint, resume: true, progress: false }, { createModel }, parted);
    assert.deepEqual(runFolderFiles(parted).get("model.safetensors"), files.get("model.safetensors"));
    const lossesOf = (s: typeof whole): number[] => s.metrics.map((r) => r["train/loss"] as number);
    assert.deepEqual(lossesOf(parted), lossesOf(whole));

    writeFileSync(join(dir, "run.tar"), tarArchive("from-page", files));
    execFileSync("tar", ["-xf", "run.tar"], { cwd: dir });
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, "from-page", "train_state.safetensors"))), files.get("train_state.safetensors"));
    writeFileSync(join(dir, "text.txt"), text);
    const out = execFileSync(process.execPath, [join(ROOT, "dist", "cli", "main.js"), "eval", "--run", join(dir, "from-page"), "--text", join(dir, "text.txt"), "--lengths", "16,32", "--json", "--threads", "1"], { encoding: "utf8" });
    assert.match(out, /"ppl"/);
    assert.match(out, /\b32\b/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
