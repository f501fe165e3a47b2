/**
 * The whole transformer against PyTorch (style.md P8): for the debug states of
 * test/fixtures/torch/{rope,alibi,sinusoidal,learned,none}.safetensors (d 32, 2 layers, 2 heads,
 * T 16, B 2; written by ../shared/peers/torch_debug_state.py, see test/fixtures/torch/README.md) and
 * attn_only_rope_h{1,2}.safetensors (attention-only blocks, `mlp: false`: same sizes, RoPE, 1 and 2
 * heads; written by test/fixtures/torch/attn_only_debug_state.py) the
 * engine model must reproduce the logits, the loss, EVERY gradient tensor, the losses of 3 AdamW steps
 * (lr 3e-4, betas 0.9/0.95, eps 1e-8, wd 0.1 on every parameter, clip 1.0) and the parameters after
 * them — with 1 thread (SerialEngine) and with 2 threads (ThreadedEngine).
 *
 * Tolerances (each measured on these fixtures with this code, then given ~5-10× headroom):
 * - logits: abs 1e-6. Measured max |ours − torch| = 1.19e-7 for all five (|logit| ≤ 0.43), i.e. float32
 *   rounding of both sides. A 1e-3 relative error in any kernel moves logits by ≥ 4e-4.
 * - loss (initial, float64 from the metadata) and the AdamW losses: abs 3e-6. Measured ≤ 8.8e-7
 *   (5.5 nats; the kernels reduce in float64, torch in float32).
 * - gradients, per tensor: abs 5e-6 · max|torch grad of that tensor|. Gradient scales differ by 100×
 *   between tensors (LayerNorm weights ~1e-3, output biases ~0.2), so the bound follows each tensor's
 *   own scale; measured worst ratio 6.0e-7 (blocks.1.ln2.weight / blocks.1.ln1.weight), so ≈ 8× headroom.
 * - parameters after 3 steps: abs 1e-5. Each AdamW step moves a parameter by ≈ lr = 3e-4 (Adam
 *   normalises), so a wrong update is ≥ 1e-4 off; float32 noise in tiny gradients changes m/√v a little:
 *   measured max 1.0e-6.
 * The attention-only fixtures (same tolerances), measured: logits ≤ 1.5e-7, loss and AdamW losses ≤ 6.3e-7,
 * worst gradient ratio 6.7e-7 (blocks.0.ln1.weight), parameters after ≤ 6.4e-7.
 * Mutating one kernel by a 1e-3 factor turns this red (checked by hand; see docs/model.md).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createEngine } from "../../engine/threads/pool.js";
import { readTorchDebugState, type TorchDebugState } from "../torch-debug-state.js";
import { createTransformer, type Transformer } from "./index.js";

const fixture = (name: string): string => fileURLToPath(new URL(`../../../test/fixtures/torch/${name}.safetensors`, import.meta.url));

const LOGITS_ABS = 1e-6;
const LOSS_ABS = 3e-6;
const GRAD_REL_TO_MAX = 5e-6;
const PARAM_AFTER_ABS = 1e-5;

/** Asserts |a − b| ≤ tol elementwise, naming the tensor, the worst index and both values. */
function assertWithin(what: string, a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  assert.equal(a.length, b.length, `${what}: length`);
  let worst = -1, wd = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= wd) || worst < 0) { wd = d; worst = i; }
  }
  assert.ok(wd <= tol, `${what}: index ${worst}: ours ${a[worst]}, torch ${b[worst]} (|diff| ${wd} > ${tol})`);
}

const maxAbs = (a: ArrayLike<number>): number => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!)); return m; };

async function withModel<R>(s: TorchDebugState, threads: number, run: (m: Transformer) => R): Promise<R> {
  const engine = await createEngine({ threads });
  try {
    return run(createTransformer(s.config, { engine, seed: 0, params: s.params }));
  } finally {
    await engine.dispose();
  }
}

function adamLosses(m: Transformer, s: TorchDebugState): number[] {
  const batch = { B: s.B, T: s.T, inputs: s.inputIds, targets: s.targets };
  const losses: number[] = [];
  for (let i = 0; i < s.losses.length; i++) {
    m.zeroGrad();
    losses.push(m.forwardBackward(batch, 1));
    m.optimizerStep(3e-4, 1.0);
  }
  return losses;
}

for (const threads of [1, 2]) {
  // attn_only_rope_h{1,2}: attention-only blocks (`mlp: false`), RoPE, 1 and 2 heads (attn_only_debug_state.py)
  for (const pe of ["rope", "alibi", "sinusoidal", "learned", "none", "attn_only_rope_h1", "attn_only_rope_h2"]) {
    test(`engine transformer = PyTorch (${pe}, ${threads} thread${threads > 1 ? "s" : ""}): logits, loss, every gradient, 3 AdamW steps`, async () => {
      const s = readTorchDebugState(fixture(pe));
      assert.equal(s.settings.torch, "1.13.0a0");
      assert.equal(s.losses.length, 3);
      assert.equal(s.config.mlp, !pe.startsWith("attn_only"), "the attention-only fixtures parse as `mlp: false`");
      await withModel(s, threads, (m) => {
        assertWithin(`${pe} logits`, m.logits(s.inputIds, s.B, s.T), s.logits, LOGITS_ABS);
        m.zeroGrad();
        const loss = m.forwardBackward({ B: s.B, T: s.T, inputs: s.inputIds, targets: s.targets }, 1);
        assert.ok(Math.abs(loss - s.loss) <= LOSS_ABS, `${pe} loss ${loss} vs torch ${s.loss}`);
        const grads = m.gradients();
        assert.equal(grads.length, s.grads.size, "one gradient per parameter");
        for (const g of grads) {
          const ref = s.grads.get(g.name)!;
          assertWithin(`${pe} grad.${g.name}`, g.data, ref, GRAD_REL_TO_MAX * maxAbs(ref));
        }
        const losses = adamLosses(m, s);
        assertWithin(`${pe} AdamW losses`, losses, s.losses, LOSS_ABS);
        for (const p of m.parameters()) assertWithin(`${pe} param_after.${p.name}`, p.data, s.paramsAfter.get(p.name)!, PARAM_AFTER_ABS);
      });
    });
  }
}

test("same seed and thread count → bit-identical losses (and 1 vs 2 threads agree bit for bit)", async () => {
  const s = readTorchDebugState(fixture("rope"));
  const run = (threads: number): Promise<number[]> => withModel(s, threads, (m) => adamLosses(m, s));
  const a = await run(2), b = await run(2), c = await run(1);
  assert.deepEqual(a, b, "2 threads, twice");
  assert.deepEqual(a, c, "1 thread vs 2 threads");
});

test("the comparison can fail: a wrong encoding misses PyTorch by ≫ the tolerances", async () => {
  const s = readTorchDebugState(fixture("rope"));
  const wrong = { ...s, config: { ...s.config, pe: { ...s.config.pe, layout: "interleaved" as const } } } as TorchDebugState;
  await withModel(wrong, 1, (m) => {
    const logits = m.logits(s.inputIds, s.B, s.T);
    let d = 0;
    for (let i = 0; i < logits.length; i++) d = Math.max(d, Math.abs(logits[i]! - s.logits[i]!));
    assert.ok(d > 100 * LOGITS_ABS, `interleaved instead of half moves logits by ${d}`);
  });
});

test("the attention-only comparison can fail: the one-head fixture read with two heads misses PyTorch by ≫ the tolerances", async () => {
  const s = readTorchDebugState(fixture("attn_only_rope_h1"));
  const wrong = { ...s, config: { ...s.config, nHeads: 2, pe: { ...s.config.pe, rotaryDim: 16 } } } as TorchDebugState;
  await withModel(wrong, 1, (m) => {
    const logits = m.logits(s.inputIds, s.B, s.T);
    let d = 0;
    for (let i = 0; i < logits.length; i++) d = Math.max(d, Math.abs(logits[i]! - s.logits[i]!));
    assert.ok(d > 100 * LOGITS_ABS, `two heads instead of one moves logits by ${d}`);
  });
});
