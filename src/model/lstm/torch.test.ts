// The engine-backed LSTM against PyTorch debug states (test/fixtures/torch/lstm*.safetensors, written by
// test/fixtures/torch/lstm_debug_state.py with torch 1.13): logits, loss, every gradient, three AdamW steps
// (losses and parameters after), on 1 and 2 threads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { SerialEngine, type Engine } from "../../engine/engine.js";
import { assertClose } from "../../engine/kernels/testing.js";
import { createEngine } from "../../engine/threads/pool.js";
import { readTorchDebugState, type TorchDebugState } from "../torch-debug-state.js";
import { createLstm, type LstmModel } from "./index.js";

const fixture = (name: string): string => fileURLToPath(new URL(`../../../test/fixtures/torch/${name}.safetensors`, import.meta.url));

// Tolerances (abs + rel·|torch|), and why. Both sides compute in float32; ours sums matmuls in another
// order (SIMD tiles), uses its own vector exp/sigmoid/tanh, and sums losses and bias gradients in float64.
// Measured max |ours − torch| on these three fixtures (1 and 2 threads give identical bytes):
//   logits 1.2e-7 (|logit| ≤ 0.42); nll per token and loss 6.9e-7 (5.6 nats); gradients 1.3e-8 (largest
//   |g| 5.9e-2, bias of the head); AdamW step losses 9.3e-7.
//   Parameters after 3 AdamW steps: 7.5e-8 where the initial gradient is 0 or ≥ 1e-6; up to 2.3e-6 where
//   0 < |g| < 1e-6. The first Adam step moves p by lr·g/(|g| + eps) with eps = 1e-8: for |g| ~ 1e-9 that
//   ratio turns a gradient rounding difference of ~2e-10 (above) into a ~10 % change of a step of lr = 3e-4.
//   Those elements get 1e-5 (1 % of the largest possible 3-step move 9e-4); all others 3e-7 + 1e-6·|p|.
// Each bound is ≥ 4× the measured error, and far below what a mistake gives: swapping the i and f gate
// blocks of one layer moves logits by 4.2e-2 (measured, test below); by hand from AdamW's formula, a
// missing bias correction would make the first update 0.45·lr instead of lr (≥ 1.6e-4 off), a missing
// weight decay would leave an N(0, 1) embedding entry off by 3·lr·wd·|p| ≈ 9e-5·|p|.
const TOL = {
  logits: { abs: 1e-6, rel: 0 },
  nll: 3e-6,
  loss: 3e-6,
  grad: { abs: 1e-7, rel: 1e-5 },
  losses: 4e-6,
  paramsAfter: { abs: 3e-7, rel: 1e-6 },
  paramsAfterTinyGrad: 1e-5,
};
const TINY_GRAD = 1e-6;

/** Every position's logits [B, T, V], through the decoder fed one token at a time per batch row. */
function logitsByDecoding(model: LstmModel, s: TorchDebugState): Float64Array {
  const V = s.config.vocabSize, out = new Float64Array(s.B * s.T * V);
  for (let b = 0; b < s.B; b++) {
    const dec = model.startDecoding();
    for (let t = 0; t < s.T; t++) out.set(dec.feed(s.inputIds.subarray(b * s.T + t, b * s.T + t + 1)), (b * s.T + t) * V);
  }
  return out;
}

/** Mean cross-entropy of float32 logits in float64 (the loss PyTorch's logits imply). */
function meanNllOf(logits: ArrayLike<number>, targets: Int32Array, V: number): Float64Array {
  const out = new Float64Array(targets.length);
  for (let n = 0; n < targets.length; n++) {
    let m = -Infinity;
    for (let v = 0; v < V; v++) m = Math.max(m, logits[n * V + v]!);
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(logits[n * V + v]! - m);
    out[n] = m + Math.log(z) - logits[n * V + targets[n]!]!;
  }
  return out;
}

async function withModel(threads: number, s: TorchDebugState, body: (m: LstmModel, e: Engine) => void): Promise<void> {
  const engine = await createEngine({ threads });
  try {
    const model = createLstm(s.config, { engine, seed: 0, params: new Map(s.params) });
    body(model, engine);
    model.dispose();
  } finally {
    await engine.dispose();
  }
}

for (const name of ["lstm", "lstm_sinusoidal", "lstm_learned"]) {
  for (const threads of [1, 2]) {
    test(`LSTM matches PyTorch (${name}, ${threads} thread${threads > 1 ? "s" : ""}): logits, loss, gradients, AdamW steps`, async () => {
      const s = readTorchDebugState(fixture(name));
      assert.equal(s.settings.torch, "1.13.0a0", "fixture regenerated with another torch: re-measure the tolerances");
      assert.equal(s.config.pe.kind, name === "lstm" ? "nope" : name.slice(5)); // the fixture says "none" (an alias)
      await withModel(threads, s, (model) => {
        const batch = { B: s.B, T: s.T, inputs: s.inputIds, targets: s.targets };
        assertClose(`${name} logits`, logitsByDecoding(model, s), s.logits, TOL.logits.abs, TOL.logits.rel);
        // nll: per-token losses equal the cross-entropy of PyTorch's logits
        assertClose(`${name} nll`, model.nll(batch), meanNllOf(s.logits, s.targets, s.config.vocabSize), TOL.nll, 0);
        model.zeroGrad();
        const loss = model.forwardBackward(batch, 1);
        assert.ok(Math.abs(loss - s.loss) <= TOL.loss, `${name} loss ${loss} vs torch ${s.loss}`);
        const grads = new Map(model.gradients().map((g) => [g.name, g.data]));
        assert.equal(grads.size, s.grads.size);
        for (const [pname, g] of s.grads) assertClose(`${name} grad.${pname}`, grads.get(pname)!, g, TOL.grad.abs, TOL.grad.rel);
        // three AdamW steps as the script: loss at the current params, then clip 1.0 + AdamW (lr 3e-4)
        for (let k = 0; k < s.losses.length; k++) {
          model.zeroGrad();
          const l = model.forwardBackward(batch, 1);
          assert.ok(Math.abs(l - s.losses[k]!) <= TOL.losses, `${name} AdamW loss ${k}: ${l} vs torch ${s.losses[k]}`);
          model.optimizerStep(3e-4, 1.0);
        }
        for (const p of model.parameters()) {
          const ref = s.paramsAfter.get(p.name)!, g0 = s.grads.get(p.name)!;
          for (let i = 0; i < ref.length; i++) {
            const tiny = g0[i] !== 0 && Math.abs(g0[i]!) < TINY_GRAD;
            const tol = tiny ? TOL.paramsAfterTinyGrad : TOL.paramsAfter.abs + TOL.paramsAfter.rel * Math.abs(ref[i]!);
            if (!(Math.abs(p.data[i]! - ref[i]!) <= tol)) assert.fail(`${name} param_after.${p.name}[${i}]: ${p.data[i]} vs torch ${ref[i]} (tolerance ${tol})`);
          }
        }
      });
    });
  }
}


test("the PyTorch comparison can fail: the i and f gate blocks swapped in one layer miss the logits by ≫ the tolerance", () => {
  const s = readTorchDebugState(fixture("lstm"));
  const params = new Map(s.params), w = params.get("lstm.0.weight_ih")!.slice(), block = s.config.dModel * s.config.dModel;
  const gateI = w.slice(0, block);
  w.copyWithin(0, block, 2 * block);
  w.set(gateI, block);
  params.set("lstm.0.weight_ih", w);
  const model = createLstm(s.config, { engine: new SerialEngine(), seed: 0, params });
  const logits = logitsByDecoding(model, s);
  let worst = 0;
  for (let i = 0; i < logits.length; i++) worst = Math.max(worst, Math.abs(logits[i]! - s.logits[i]!));
  assert.ok(worst > 1000 * TOL.logits.abs, `swapped gates: max logit difference ${worst}`); // measured 4.2e-2
});
