import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCheckpoint } from "../model/checkpoint.js";
import { byteTokenizer } from "../data/tokenizer.js";
import { trainRun } from "../train/run.js";
import { createToyModel } from "../train/testing/toy-model.js";
import { toyCorpus } from "../train/testing/toy-data.js";
import { TOY_MODEL_JSON, toyTraining } from "../train/testing/toy-run.js";
import { evaluateRun } from "./run.js";

test("evaluateRun: the trainer's checkpoint, reloaded, gives the loss of an independent float64 bigram computation over its weights", async () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-evalrun-"));
  try {
    const out = join(dir, "run");
    const corpus = toyCorpus();
    await trainRun({ out, model: { ...TOY_MODEL_JSON }, training: toyTraining(10, 5), corpus, progress: false, createModel: createToyModel });
    const { params } = loadCheckpoint(join(out, "model.safetensors"));
    const E = params.get("tok_emb.weight")!, W = params.get("head.weight")!, b = params.get("head.bias")!, d = 8;
    const tokens = byteTokenizer.encode(corpus.test);
    const L = 32, nw = Math.floor((tokens.length - 1) / L);
    let sum = 0;
    for (let i = 0; i < nw * L; i++) {
      const x = tokens[i]!, y = tokens[i + 1]!;
      const z = Array.from({ length: 256 }, (_, v) => { let s = b[v]!; for (let k = 0; k < d; k++) s += W[v * d + k]! * E[x * d + k]!; return s; });
      const m = Math.max(...z);
      sum += m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0)) - z[y]!;
    }
    const r = await evaluateRun(out, { lengths: [L], corpus, passkey: 2, createModel: createToyModel });
    assert.equal(r.tokens[0], nw * L);
    assert.ok(Math.abs(r.loss[0]! - sum / (nw * L)) < 1e-9, `${r.loss[0]} vs ${sum / (nw * L)}`);
    assert.deepEqual(r.passkey_acc, [null], "32 tokens cannot hold the passkey template");
    // The run's own split by default: the test split of the stored corpus is not recorded (corpus passed in) → a clear error.
    await assert.rejects(evaluateRun(out, { lengths: [L], createModel: createToyModel }), /trained on data passed in directly; give --text FILE/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
