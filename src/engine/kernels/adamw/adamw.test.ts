import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { SerialEngine } from "../../engine.js";
import { Rng } from "../../../pe/random.js";
import { ExtraposError } from "../../../pe/errors.js";
import { assertClose, assertSameOutputs, ODD_SIZES, randomArray, runKernel, SplitEngine } from "../testing.js";
import { adamwStep, clipCoefficient, DEFAULT_ADAMW, globalGradNorm, GRAD_NORM_CHUNK, resolveAdamwConfig, scaleInPlace, type AdamwConfig } from "./adamw.js";
import { adamwStepRef, globalNormRef } from "./adamw.ref.js";

const serial = new SerialEngine();
const split = new SplitEngine(3);

/** Runs `steps` of clip + AdamW with the given per-step gradients; returns final buffers and norms. */
function train(engine: SerialEngine | SplitEngine, param0: ArrayLike<number>, grads: Float64Array[], mask: number[] | null, cfg: AdamwConfig, maxNorm: number) {
  const n = param0.length;
  const norms: number[] = [];
  const bufs = runKernel(engine, { param: param0, m: n, v: n, grad: n, mask: { u8: mask ?? [] } }, (p) => {
    grads.forEach((g, k) => {
      engine.f32(p.grad!, n).set(g);
      const norm = globalGradNorm(engine, p.grad!, n);
      norms.push(norm);
      adamwStep(engine, p.param!, p.m!, p.v!, p.grad!, mask ? p.mask! : 0, n, k + 1, cfg, clipCoefficient(norm, maxNorm));
    });
  });
  return { bufs, norms };
}

interface Fixture { lr: number; betas: [number, number]; eps: number; weight_decay: number; max_norm: number; mask: number[]; param_init: number[]; steps: { grad: number[]; norm: number; param_after: number[] }[] }

test("adamw + clip reproduce PyTorch AdamW and clip_grad_norm_ (committed fixture, 4 steps, decay mask)", () => {
  // test/fixtures/adamw/adamw.json, made by make_adamw_fixture.py beside it (torch 1.13, float32)
  const fx = JSON.parse(readFileSync(new URL("../../../../test/fixtures/adamw/adamw.json", import.meta.url), "utf8")) as Fixture;
  const cfg = resolveAdamwConfig({ lr: fx.lr, beta1: fx.betas[0], beta2: fx.betas[1], eps: fx.eps, weightDecay: fx.weight_decay });
  for (let k = 1; k <= fx.steps.length; k++) {
    const { bufs, norms } = train(serial, fx.param_init, fx.steps.slice(0, k).map((s) => Float64Array.from(s.grad)), fx.mask, cfg, fx.max_norm);
    assertClose(`step ${k} norm vs torch`, [norms[k - 1]!], [fx.steps[k - 1]!.norm], 0, 1e-6);
    assertClose(`step ${k} params vs torch`, bufs.param!, fx.steps[k - 1]!.param_after, 2e-7, 1e-6);
  }
});

test("adamw matches the float64 reference on odd sizes over 3 steps (mask, clip scale)", () => {
  const rng = new Rng(81);
  const cfg = { ...DEFAULT_ADAMW, lr: 1e-2 };
  for (const n of [...ODD_SIZES, 1001]) {
    const param0 = randomArray(rng, n);
    const mask = Array.from({ length: n }, (_, i) => (i % 3 === 1 ? 0 : 1));
    const grads = [0, 1, 2].map((k) => randomArray(rng, n, k === 0 ? 2 : 0.01));
    const { bufs, norms } = train(serial, param0, grads, mask, cfg, 1.0);
    const p = Float64Array.from(param0), m = new Float64Array(n), v = new Float64Array(n);
    grads.forEach((g, k) => {
      const norm = globalNormRef(g);
      assertClose(`adamw n=${n} norm ${k}`, [norms[k]!], [norm], 0, 1e-12);
      adamwStepRef(p, m, v, g, mask, k + 1, cfg, Math.min(1, 1 / (norm + 1e-6)));
    });
    assertClose(`adamw n=${n} param`, bufs.param!, p, 1e-6, 1e-5);
    assertClose(`adamw n=${n} m`, bufs.m!, m, 1e-9, 1e-5);
    assertClose(`adamw n=${n} v`, bufs.v!, v, 1e-12, 1e-5);
  }
});

test("adamw, norm and scale give the same bytes under a split (norm spans several chunks)", () => {
  const rng = new Rng(82);
  const n = 2 * GRAD_NORM_CHUNK + 37;
  const param0 = randomArray(rng, n);
  const grads = [randomArray(rng, n, 0.1), randomArray(rng, n, 0.1)];
  const mask = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : 1));
  const a = train(serial, param0, grads, mask, DEFAULT_ADAMW, 1.0);
  const b = train(split, param0, grads, mask, DEFAULT_ADAMW, 1.0);
  assertSameOutputs("adamw", a.bufs, b.bufs);
  assert.deepEqual(a.norms, b.norms);
  const x = randomArray(rng, 131);
  const sa = runKernel(serial, { x }, (p) => scaleInPlace(serial, p.x!, 131, 0.37));
  const sb = runKernel(split, { x }, (p) => scaleInPlace(split, p.x!, 131, 0.37));
  assertSameOutputs("scaleInPlace", sa, sb);
  assertClose("scaleInPlace", sa.x!, x.map((v) => v * Math.fround(0.37)), 0, 6e-8);
});

test("clipCoefficient follows torch: 1 below the threshold, maxNorm/(norm+1e-6) above", () => {
  assert.equal(clipCoefficient(0.5, 1), 1);
  assert.equal(clipCoefficient(4, 1), Math.fround(1 / Math.fround(4 + 1e-6)));
  assert.ok(Number.isNaN(clipCoefficient(NaN, 1)));
});

test("adamw config: defaults visible, unknown keys and bad values refused", () => {
  assert.deepEqual(resolveAdamwConfig(), { lr: 3e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
  assert.throws(() => resolveAdamwConfig({ lr: 1, momentum: 0.9 } as Partial<AdamwConfig>), (e: unknown) => e instanceof ExtraposError && /unknown key `momentum`/.test(e.message));
  assert.throws(() => resolveAdamwConfig({ beta2: 1 }), /adamw: `beta2` must be a number in \[0, 1\), got 1/);
  const p = serial.alloc(64);
  assert.throws(() => adamwStep(serial, p, p, p, p, 0, 4, 0), /adamwStep: size step must be an integer ≥ 1, got 0/);
});
