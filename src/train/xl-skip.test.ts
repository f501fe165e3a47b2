/**
 * Transformer-XL training with `skip_nonfinite` (--skip-nonfinite): a skipped step still read its segment
 * (the lanes advance), so the memory the next segment attends to must be that segment's, as in the reference
 * (kimiyoung/transformer-xl train.py: an fp16-overflow step is skipped by the optimizer after the forward,
 * whose `mems` are kept). It is the skipped segment's block inputs when those are finite, and empty when they
 * are not (NaN would reach every later segment); never the memory of the segment before, which would now be
 * two segments back while placed as if it were the one just before.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExtraposError } from "../pe/errors.js";
import type { NamedTensor, TrainableModel } from "../model/lm.js";
import { loadCheckpoint } from "../model/checkpoint.js";
import { defaultModelFactory, type ModelFactory } from "./model-factory.js";
import { readMetrics } from "./log/metrics.js";
import { trainRun } from "./run.js";
import { toyCorpus } from "./testing/toy-data.js";

const factory: ModelFactory = await defaultModelFactory();
const MODEL = { d_model: 16, n_layers: 2, n_heads: 2, context_length: 16, pe: { kind: "transformer-xl", mem_len: 16 } };
const TRAINING = { batch: 4, steps: 6, lr: 1e-2, warmup: 2, eval_every: 6, eval_windows: 4, checkpoint_every: 3, log_every: 1, seed: 3, threads: 1, skip_nonfinite: 1 };
const AT = 3;

/**
 * The real model, recording the memory each optimizer step's forward starts from (`entering[step]`), with at
 * step AT: "grad" a non-finite gradient norm (the forward finished: its memory is finite), "nan" NaN token
 * embeddings during that forward (NaN block inputs; the relative attention's backward throws), or none.
 * `onFault` runs when the fault fires. A new run only: it counts steps from 1.
 */
function recording(fault: "grad" | "nan" | null, entering: Map<number, NamedTensor[]>, onFault = (): void => {}): ModelFactory {
  return async (cfg, o) => {
    const m = (await factory(cfg, o)) as TrainableModel;
    let step = 0; // the loop's step (one forward per step: grad_accum 1)
    const fb = m.forwardBackward.bind(m), os = m.optimizerStep.bind(m);
    return Object.assign(m, {
      forwardBackward(batch: Parameters<TrainableModel["forwardBackward"]>[0], scale: number): number {
        step++;
        entering.set(step, m.memoryState!());
        if (fault !== "nan" || step !== AT) return fb(batch, scale);
        const emb = m.parameters().find((p) => p.name === "tok_emb.weight")!.data, saved = Float32Array.from(emb);
        emb.fill(NaN);
        onFault();
        try {
          return fb(batch, scale);
        } finally {
          emb.set(saved);
        }
      },
      optimizerStep(lr: number, clip: number): number {
        if (fault !== "grad" || step !== AT) return os(lr, clip);
        onFault();
        throw new ExtraposError("non_finite", `the global gradient norm is NaN at step ${AT}`); // as the model does: no update
      },
    });
  };
}

function bytes(ts: NamedTensor[]): Buffer[] {
  return ts.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

test("XL --skip-nonfinite, gradient norm NaN: the skipped step's segment becomes the memory, byte for byte as in the run that did not skip", async () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-xlskip-"));
  try {
    const clean = new Map<number, NamedTensor[]>(), skip = new Map<number, NamedTensor[]>();
    await trainRun({ out: join(dir, "clean"), model: MODEL, training: TRAINING, corpus: toyCorpus(), progress: false, createModel: recording(null, clean) });
    await trainRun({ out: join(dir, "skip"), model: MODEL, training: TRAINING, corpus: toyCorpus(), progress: false, createModel: recording("grad", skip) });
    assert.ok(!readMetrics(join(dir, "skip", "metrics.jsonl")).some((r) => r.step === AT), `step ${AT} was skipped`);
    // up to the skipped step's forward both runs are the same; so is the memory that forward leaves
    for (let s = 1; s <= AT + 1; s++) assert.deepEqual(bytes(skip.get(s)!), bytes(clean.get(s)!), `memory entering step ${s}`);
    assert.notDeepEqual(bytes(skip.get(AT + 1)!), bytes(skip.get(AT)!), "the memory moved on with the lanes");
    assert.equal(skip.get(AT + 1)!.length, MODEL.n_layers);
    // after it, the skipped update shows
    assert.notDeepEqual(bytes(skip.get(AT + 2)!), bytes(clean.get(AT + 2)!));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("XL --skip-nonfinite, NaN block inputs: the memory is emptied (not NaN, not the older segment's), training goes on finite, and a resume from the checkpoint after the skip is bit-identical", async () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-xlskip-"));
  try {
    const seen = new Map<number, NamedTensor[]>();
    const full = await trainRun({ out: join(dir, "full"), model: MODEL, training: TRAINING, corpus: toyCorpus(), progress: false, createModel: recording("nan", seen) });
    assert.equal(full.steps, TRAINING.steps);
    assert.ok(Number.isFinite(full.finalTrainLoss) && Number.isFinite(full.finalValidLoss), `${full.finalTrainLoss}, ${full.finalValidLoss}`);
    const steps = readMetrics(join(dir, "full", "metrics.jsonl")).map((r) => r.step);
    assert.deepEqual(steps, [1, 2, 4, 5, 6], "only the faulty step was skipped (a NaN memory would make the next one NaN too, and stop the run)");
    assert.equal(seen.get(AT)!.length, MODEL.n_layers, "there was a memory before");
    assert.deepEqual(seen.get(AT + 1), [], "the step after the skip starts without memory");
    assert.equal(seen.get(AT + 2)!.length, MODEL.n_layers, "and builds a new one");
    // interrupted right after the skip (checkpoint at step 3 holds the empty memory), then resumed
    const ac = new AbortController();
    await assert.rejects(trainRun({ out: join(dir, "cut"), model: MODEL, training: TRAINING, corpus: toyCorpus(), progress: false, signal: ac.signal, createModel: recording("nan", new Map(), () => ac.abort()) }), /interrupted at step 3/);
    await trainRun({ out: join(dir, "cut"), resume: true, corpus: toyCorpus(), progress: false, createModel: factory });
    const a = loadCheckpoint(join(dir, "full", "model.safetensors")).params, b = loadCheckpoint(join(dir, "cut", "model.safetensors")).params;
    for (const [k, v] of a) assert.deepEqual(b.get(k), v, k);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
