/**
 * Non-finite and exploded training (src/train/divergence.ts) with the toy model and injected faults: a
 * NaN loss, a NaN gradient norm, an exploded loss, a kernel's non-finite error, NaN parameters — each
 * stops with one line naming the step and the quantity, never saves over the last good checkpoint, and
 * that checkpoint resumes bit-identically; `skip_nonfinite` skips a bounded number of bad steps.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExtraposError } from "../pe/errors.js";
import { loadCheckpoint } from "../model/checkpoint.js";
import type { TrainableModel } from "../model/lm.js";
import type { ModelFactory } from "./model-factory.js";
import { readMetrics } from "./log/metrics.js";
import { trainRun, type TrainRunOptions } from "./run.js";
import { createToyModel } from "./testing/toy-model.js";
import { toyCorpus } from "./testing/toy-data.js";
import { TOY_MODEL_JSON, toyTraining } from "./testing/toy-run.js";

type Fault = "loss-nan" | "grad-nan" | "loss-huge" | "kernel" | "params-nan";

/** The toy model with one fault at optimizer step `at` (1-based, counted per process). */
function faulty(fault: Fault, at: number): ModelFactory {
  return async (cfg, o) => {
    const m = await createToyModel(cfg, o);
    let step = 0, fired = false; // the model's optimizer steps (a resume sets them from the checkpoint); one fault per model
    const inner = m as unknown as TrainableModel;
    const fb = inner.forwardBackward.bind(inner), os = inner.optimizerStep.bind(inner), ls = inner.loadOptimizerState.bind(inner);
    return Object.assign(inner, {
      loadOptimizerState(s: { step: number; tensors: never[] }) { step = s.step; ls(s); },
      forwardBackward(batch: Parameters<TrainableModel["forwardBackward"]>[0], scale: number): number {
        const l = fb(batch, scale);
        if (step + 1 !== at || fired || fault === "grad-nan" || fault === "params-nan") return l;
        fired = true;
        if (fault === "loss-nan") return NaN;
        if (fault === "loss-huge") return 2.6e11;
        if (fault === "kernel") throw new ExtraposError("non_finite", "attentionForward: non-finite logsumexp NaN at (b·NH+h = 0, t = 3)");
        return l;
      },
      optimizerStep(lr: number, clip: number): number {
        if (step + 1 === at && fault === "grad-nan" && !fired && (fired = true)) throw new ExtraposError("non_finite", `optimizerStep: the gradient norm is NaN at step ${at}; parameters left unchanged`);
        const n = os(lr, clip);
        step++;
        if (step === at && fault === "params-nan" && !fired) {
          fired = true;
          inner.parameters()[0]!.data[3] = NaN;
        }
        return n;
      },
    });
  };
}

function opts(out: string, createModel: ModelFactory, extra: Record<string, unknown> = {}): TrainRunOptions {
  return { out, model: { ...TOY_MODEL_JSON }, training: toyTraining(12, 4, extra), corpus: toyCorpus(), progress: false, createModel };
}

const QUANTITY: Record<Fault, RegExp> = {
  "loss-nan": /the training loss is NaN/,
  "grad-nan": /the gradient norm is NaN; parameters left unchanged/,
  "loss-huge": /the training loss is 2\.60e\+11 nats per token \(limit 1000\)/,
  kernel: /attentionForward: non-finite logsumexp NaN/,
  "params-nan": /parameter `tok_emb\.weight`\[3\] is NaN \(limit \|w\| ≤ 1000000\)/,
};

for (const fault of Object.keys(QUANTITY) as Fault[]) {
  test(`divergence (${fault}): one line naming step and quantity; the last good checkpoint is kept and resumes bit for bit`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "extrapos-div-"));
    try {
      await trainRun(opts(join(dir, "full"), createToyModel));
      const out = join(dir, "bad");
      const at = fault === "params-nan" ? 8 : 7; // params are checked at checkpoints (every 4): NaN at 8 is caught at 8
      await assert.rejects(trainRun(opts(out, faulty(fault, at))), (e: unknown) => {
        assert.ok(e instanceof ExtraposError && e.code === "non_finite", String(e));
        assert.match(e.message, new RegExp(`^training diverged at step ${at}: `));
        assert.match(e.message, QUANTITY[fault]);
        assert.match(e.hint!, /the last good checkpoint \(step 4\) in .* is kept and resumable/);
        return true;
      });
      const before = readFileSync(join(out, "model.safetensors"));
      assert.equal(loadCheckpoint(join(out, "model.safetensors")).step, 4);
      // The same fault again on resume: refused again, nothing overwritten.
      await assert.rejects(trainRun({ out, resume: true, corpus: toyCorpus(), progress: false, createModel: faulty(fault, at) }), /training diverged/);
      assert.ok(readFileSync(join(out, "model.safetensors")).equals(before));
      // Without the fault the run resumes from step 4 and ends exactly as the uninterrupted one.
      await trainRun({ out, resume: true, corpus: toyCorpus(), progress: false, createModel: createToyModel });
      assert.ok(readFileSync(join(out, "model.safetensors")).equals(readFileSync(join(dir, "full", "model.safetensors"))));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("divergence before the first checkpoint: the new run's folder is removed, --out is free again", async () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-div-"));
  try {
    const out = join(dir, "run");
    await assert.rejects(trainRun(opts(out, faulty("loss-nan", 2))), (e: unknown) => e instanceof ExtraposError && /no checkpoint was written, nothing is saved/.test(e.hint ?? ""));
    assert.equal(existsSync(out), false);
    await trainRun(opts(out, createToyModel));
    assert.equal(loadCheckpoint(join(out, "model.safetensors")).step, 12);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("skip_nonfinite N: up to N bad steps are skipped (no update, step counted), the N+1-th stops; exact across a resume", async () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-div-"));
  try {
    const a = join(dir, "a");
    const s = await trainRun(opts(a, faulty("grad-nan", 6), { skip_nonfinite: 1 }));
    assert.equal(s.steps, 12);
    const steps = readMetrics(join(a, "metrics.jsonl")).map((r) => r.step);
    assert.ok(!steps.includes(6) && steps.includes(5) && steps.includes(7), `step 6 skipped: ${steps.join(",")}`);
    assert.equal(JSON.parse(readFileSync(join(a, "config.json"), "utf8")).training.skip_nonfinite, 1);
    // Resumed at step 8 (after the skip): the same final state as the uninterrupted run.
    const b = join(dir, "b");
    await assert.rejects(trainRun({ ...opts(b, faulty("grad-nan", 6), { skip_nonfinite: 1 }), training: toyTraining(12, 4, { skip_nonfinite: 1 }), signal: AbortSignal.abort() }));
    await trainRun({ out: b, resume: true, corpus: toyCorpus(), progress: false, createModel: faulty("grad-nan", 6) });
    assert.ok(readFileSync(join(a, "model.safetensors")).equals(readFileSync(join(b, "model.safetensors"))));
    await assert.rejects(trainRun(opts(join(dir, "c"), faulty("loss-nan", 6), { skip_nonfinite: 0 })), /training diverged at step 6: the training loss is NaN/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
