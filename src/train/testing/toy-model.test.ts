import { test } from "node:test";
import assert from "node:assert/strict";
import { parseModelConfig } from "../../model/config.js";
import { Rng } from "../../pe/random.js";
import { createToyModel } from "./toy-model.js";
import { TOY_MODEL_JSON } from "./toy-run.js";

test("toy model gradients match central finite differences (tied and untied heads)", async () => {
  for (const json of [TOY_MODEL_JSON, { model: "transformer", d_model: 4, n_layers: 1, n_heads: 1, context_length: 8, pe: "none" }]) {
    const model = await createToyModel(parseModelConfig(json), { seed: 2 });
    const rng = new Rng(3);
    const B = 2, T = 5;
    const inputs = Int32Array.from({ length: B * T }, () => rng.int(256));
    const targets = Int32Array.from({ length: B * T }, (_, i) => (i === 3 ? -1 : rng.int(256)));
    model.zeroGrad();
    model.forwardBackward({ B, T, inputs, targets }, 0.5);
    const grads = (model as unknown as { grads: Map<string, Float64Array> }).grads;
    const lossAt = (): number => { const nll = model.nll({ B, T, inputs, targets }); let s = 0, n = 0; for (const v of nll) if (!Number.isNaN(v)) { s += v; n++; } return s / n; };
    for (const p of model.parameters()) {
      const g = grads.get(p.name)!;
      // Check the entries that matter (rows of seen tokens, every head row) plus random ones.
      const idx = [inputs[0]! * p.shape[p.shape.length - 1]!, rng.int(p.data.length), rng.int(p.data.length)].filter((i) => i < p.data.length);
      for (const i of idx) {
        const x = p.data[i]!, h = 1e-2;
        p.data[i] = x + h; const up = lossAt();
        p.data[i] = x - h; const down = lossAt();
        p.data[i] = x;
        const fd = (0.5 * (up - down)) / (Math.fround(x + h) - Math.fround(x - h)); // × gradScale 0.5; the float32 step actually taken
        assert.ok(Math.abs(fd - g[i]!) <= 2e-4 + 1e-2 * Math.abs(fd), `${p.name}[${i}]: fd ${fd} vs ${g[i]}`);
      }
    }
  }
});
