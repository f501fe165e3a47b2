import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExtraposError } from "../pe/errors.js";
import { Rng } from "../pe/random.js";
import { saveCheckpoint } from "./checkpoint.js";
import { parseModelConfig } from "./config.js";
import { createModel } from "./factory.js";
import { loadModelFromCheckpoint } from "./load.js";
import { crossEntropy, referenceForward } from "./reference.js";

const cfg = parseModelConfig({ d_model: 16, n_layers: 2, n_heads: 2, context_length: 12, pe: "alibi" });
const rng = new Rng(3);
const B = 2, T = 12;
const batch = { B, T, inputs: Int32Array.from({ length: B * T }, () => rng.int(256)), targets: Int32Array.from({ length: B * T }, () => rng.int(256)) };

test("createModel → train → checkpoint → loadModelFromCheckpoint: same NLL, equal to an independent float64 reference", async () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-factory-"));
  const model = await createModel(cfg, { threads: 2, seed: 7 });
  try {
    for (let s = 0; s < 2; s++) { model.zeroGrad(); model.forwardBackward(batch, 1); model.optimizerStep(1e-2, 1); }
    const params = new Map(model.parameters().map((p) => [p.name, Float32Array.from(p.data)]));
    const path = join(dir, "model.safetensors");
    saveCheckpoint(path, { config: cfg, params, step: 2 });
    const loaded = await loadModelFromCheckpoint(path, { threads: 1, seed: 0, expected: cfg });
    try {
      assert.equal(loaded.step, 2);
      const a = model.nll(batch), b = loaded.model.nll(batch);
      assert.deepEqual(b, a, "reloaded model, same NLL bit for bit");
      const mean = b.reduce((x, y) => x + y, 0) / b.length;
      const ref = crossEntropy(referenceForward(cfg, params, batch.inputs, B, T), batch.targets, 256);
      assert.ok(Math.abs(mean - ref) < 1e-5, `engine ${mean} vs float64 reference ${ref}`);
    } finally {
      await loaded.model.dispose();
    }
    await assert.rejects(loadModelFromCheckpoint(path, { seed: 0, threads: 1, expected: parseModelConfig({ ...cfgJson(), pe: "rope" }) }),
      (e: unknown) => e instanceof ExtraposError && /checkpoint from another config/.test(e.message));
  } finally {
    await model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

function cfgJson(): Record<string, unknown> {
  return { d_model: 16, n_layers: 2, n_heads: 2, context_length: 12 };
}

test("createModel builds the LSTM baseline for model: lstm, and disposing it stops its engine", async () => {
  const lstm = parseModelConfig({ model: "lstm", d_model: 16, n_layers: 1, pe: "none" });
  const m = await createModel(lstm, { seed: 0, threads: 2 });
  try {
    assert.ok(m.parameters().some((p) => p.name === "lstm.0.weight_ih"), "an LSTM parameter table");
    const T = 5, inputs = Int32Array.from([1, 2, 3, 4, 5]), targets = Int32Array.from([2, 3, 4, 5, 6]);
    const nll = m.nll({ B: 1, T, inputs, targets });
    assert.equal(nll.length, T);
    for (const x of nll) assert.ok(Number.isFinite(x) && x > 0);
  } finally {
    await m.dispose();
  }
});
