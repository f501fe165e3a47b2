/**
 * Test helpers for the engine transformer: tiny configs, random parameters that make positions matter,
 * the float64 reference logits/loss of a model (src/model/reference.ts with the encoding's hooks built
 * from src/pe; CoPE: the float64 decoder), finite differences, elementwise comparison.
 */
import assert from "node:assert/strict";
import { Rng } from "../../pe/random.js";
import { SerialEngine, type Engine } from "../../engine/engine.js";
import { parseModelConfig, type ModelConfig } from "../config.js";
import { paramTable, numel, type Params } from "../params.js";
import { crossEntropy, referenceForward } from "../reference.js";
import type { EvalOptions, TokenBatch } from "../lm.js";
import { Float64Decoder } from "./decoder.js";
import { Transformer } from "./transformer.js";
import { finiteDifference, slotOf } from "../../testing/finite-difference.js";
import { assertClose } from "../../testing/assert-close.js";

/** d 16, 2 layers, 2 heads (head dim 8), context 12, byte vocabulary. */
export function tinyConfig(pe: unknown, extra: Record<string, unknown> = {}): ModelConfig {
  return parseModelConfig({ d_model: 16, n_layers: 2, n_heads: 2, context_length: 12, ...extra, pe });
}

/**
 * Random parameters with std 0.3 (sharp attention, so positions matter), LayerNorm weights ≈ 1, and
 * encoding scalars in their working ranges: KERPLE r1, r2, a, p ∈ [0.2, 1.4] (above the 0.01 clamp),
 * FIRE c ∈ [0.1, 0.5] and L_multiplier = `fireL` (1 by default), CoPE embeddings std 0.5.
 */
export function randomParams(cfg: ModelConfig, seed: number, fireL = 1): Params {
  const rng = new Rng(seed);
  const out: Params = new Map();
  for (const p of paramTable(cfg)) {
    const n = numel(p.shape);
    let a: Float32Array;
    if (/\.(r1|r2|a|p)$/.test(p.name)) a = Float32Array.from({ length: n }, () => 0.2 + 1.2 * rng.float());
    else if (p.name.endsWith(".c")) a = Float32Array.from({ length: n }, () => 0.1 + 0.4 * rng.float());
    else if (p.name.endsWith(".L_multiplier")) a = new Float32Array(n).fill(fireL);
    else a = Float32Array.from({ length: n }, () => rng.gaussian() * (p.name.endsWith("pos_emb") ? 0.5 : 0.3));
    if (/ln(1|2|_f)\.weight$/.test(p.name)) for (let i = 0; i < n; i++) a[i]! += 1;
    out.set(p.name, a);
  }
  return out;
}

export function randomIds(n: number, V: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(V));
}

/** A model on a fresh SerialEngine (or the given one). */
export function tinyModel(cfg: ModelConfig, params: Params, engine: Engine = new SerialEngine(), evalQueryChunk?: number): Transformer {
  return new Transformer(cfg, { engine, seed: 0, params, ...(evalQueryChunk ? { evalQueryChunk } : {}) });
}

/** Float64 reference logits [B, T, V] of `model`'s architecture over `params` (positions shared by rows). */
export function referenceLogits(model: Transformer, params: Params, ids: Int32Array, B: number, T: number, positions?: ArrayLike<number>): Float64Array {
  const cfg = model.cfg;
  if (cfg.pe.kind === "cope" || cfg.pe.kind === "transformer-xl") {
    const V = cfg.vocabSize, out = new Float64Array(B * T * V);
    for (let b = 0; b < B; b++) {
      const dec = new Float64Decoder(cfg, params, model.encoding, {}, () => { throw new Error("unused"); });
      out.set(dec.referenceLogits(ids.subarray(b * T, (b + 1) * T)), b * T * V);
    }
    return out;
  }
  const hooks = model.encoding.hooks(params, { T });
  return referenceForward(cfg, params, ids, B, T, positions === undefined ? { hooks } : { hooks, positions });
}

export function referenceLoss(model: Transformer, params: Params, ids: Int32Array, targets: Int32Array, B: number, T: number, positions?: ArrayLike<number>): number {
  return crossEntropy(referenceLogits(model, params, ids, B, T, positions), targets, model.cfg.vocabSize);
}

/**
 * The start of a gradient check: one forward-backward of `batch` on `model` — its gradients by name (copies) —
 * the parameters it ran with (a snapshot, to perturb), and the float64 reference loss of the batch as a function
 * of the parameters (`positions`: the reference's position ids, shared by the rows).
 */
export function gradientsAndReferenceLoss(model: Transformer, batch: TokenBatch, positions?: ArrayLike<number>): { params: Params; grads: Map<string, Float32Array>; loss: (p: Params) => number } {
  const params = model.snapshot();
  model.zeroGrad();
  model.forwardBackward(batch, 1);
  const grads = new Map(model.gradients().map((g) => [g.name, Float32Array.from(g.data)]));
  const loss = (p: Params): number => referenceLoss(model, p, batch.inputs, batch.targets, batch.B, batch.T, positions);
  return { params, grads, loss };
}

/**
 * Central difference of `loss` along element i of parameter `name`: the test kit's `finiteDifference` on the
 * float32 slot (the quotient uses the stored values, so the rounding of the step does not bias it), step
 * h·max(1, |x|).
 */
export function paramDifference(params: Params, name: string, i: number, loss: (p: Params) => number, h = 1e-3): number {
  return finiteDifference(() => loss(params), slotOf(params.get(name)!, i), h, { relative: true });
}

/** The test kit (src/testing/), re-exported for the model tests. */
export { assertClose, maxAbsDiff } from "../../testing/assert-close.js";

/** Tolerances of the engine (float32) against the float64 reference: logits, and gradients against finite differences. */
export const LOGITS = { abs: 2e-5, rel: 2e-5 } as const;
export const GRAD = { abs: 2e-5, rel: 5e-3 } as const;

/**
 * Asserts that `model`'s engine logits, training loss and evaluation NLL over `batch` equal the float64 reference;
 * returns the parameters it ran with and the reference logits (for the caller's own checks).
 */
export function assertMatchesReference(label: string, model: Transformer, batch: TokenBatch): { params: Params; ref: Float64Array } {
  const { B, T, inputs, targets } = batch;
  const params = model.snapshot();
  const ref = referenceLogits(model, params, inputs, B, T);
  assertClose(`${label} logits`, model.logits(inputs, B, T), ref, LOGITS.abs, LOGITS.rel);
  const refLoss = referenceLoss(model, params, inputs, targets, B, T);
  model.zeroGrad();
  const loss = model.forwardBackward(batch, 1);
  assert.ok(Math.abs(loss - refLoss) <= 1e-5 * refLoss, `${label}: training loss ${loss} vs reference ${refLoss}`);
  const nll = model.nll(batch);
  assert.ok(Math.abs(nll.reduce((a, b) => a + b, 0) / nll.length - refLoss) <= 1e-5 * refLoss, `${label}: eval NLL`);
  return { params, ref };
}

/** 8 AdamW steps (lr 3e-3, clip 1) on one repeated batch: the parameters before and each step's loss. */
export function trainRepeated(model: Transformer, batch: TokenBatch): { before: Params; losses: number[] } {
  const before = model.snapshot();
  const losses: number[] = [];
  for (let s = 0; s < 8; s++) {
    model.zeroGrad();
    losses.push(model.forwardBackward(batch, 1));
    model.optimizerStep(3e-3, 1.0);
  }
  return { before, losses };
}

/**
 * Asserts that the gradient of each named tensor equals the central finite differences of the float64 loss (every
 * element of a tensor of ≤ 64, else 8 spread over it), and that the check compared non-trivial gradients (the
 * largest |difference| > 1e-3). `grads`, `params`, `loss`: from {@link gradientsAndReferenceLoss}.
 */
export function assertGradientsMatchDifferences(label: string, names: readonly string[], r: { params: Params; grads: Map<string, Float32Array>; loss: (p: Params) => number }): void {
  let largest = 0;
  for (const name of names) {
    const g = r.grads.get(name)!;
    const coords = g.length <= 64 ? g.map((_, i) => i) : Array.from({ length: 8 }, (_, k) => Math.floor((k * (g.length - 1)) / 7));
    const fd = Array.from(coords, (i) => paramDifference(r.params, name, i, r.loss));
    assertClose(`${label} d loss / d ${name}`, Array.from(coords, (i) => g[i]!), fd, GRAD.abs, GRAD.rel);
    largest = Math.max(largest, ...fd.map(Math.abs));
  }
  assert.ok(largest > 1e-3, `${label}: largest |finite difference| ${largest} (the check compares non-trivial gradients)`);
}

/** Every encoding (and RoPE scaling scheme) the decoders are tested on (decoder.test.ts, engine-decoder.test.ts). */
/** One decoding test case: an encoding (with eval options) and its expected cache policy. */
export interface DecodeCase { name: string; pe: unknown; extra?: Record<string, unknown>; eval?: EvalOptions; policy: string }
export const DECODE_CASES: DecodeCase[] = [
  { name: "none", pe: "none", policy: "keys-after-rotation" },
  { name: "sinusoidal", pe: "sinusoidal", policy: "keys-after-rotation" },
  { name: "learned (clamped beyond its 8 rows)", pe: "learned", policy: "keys-after-rotation" },
  { name: "rope", pe: "rope", policy: "keys-after-rotation" },
  { name: "rope + yarn 2", pe: "rope", eval: { ropeScaling: { rope_type: "yarn", factor: 2 } }, policy: "keys-after-rotation" },
  { name: "rope + dynamic 2", pe: "rope", eval: { ropeScaling: { rope_type: "dynamic", factor: 2 } }, policy: "recompute-on-frequency-change" },
  { name: "rope + longrope", pe: "rope", eval: { ropeScaling: { rope_type: "longrope", factor: 2, short_factor: [1, 1, 1, 1], long_factor: [1, 2, 4, 8] } }, policy: "recompute-on-frequency-change" },
  { name: "xpos", pe: { kind: "xpos", scale_base: 16 }, policy: "keys-after-rotation" },
  { name: "alibi", pe: "alibi", policy: "keys-after-rotation" },
  { name: "alibi, window 3", pe: "alibi", extra: { window: 3 }, policy: "keys-after-rotation" },
  { name: "t5", pe: { kind: "t5", num_buckets: 8, max_distance: 6 }, policy: "keys-after-rotation" },
  { name: "kerple-power", pe: "kerple-power", policy: "keys-after-rotation" },
  { name: "fire (L = 6: dense beyond)", pe: { kind: "fire", hidden: 8, init_l: 6 }, policy: "keys-after-rotation" },
  { name: "sandwich", pe: "sandwich", policy: "keys-after-rotation" },
  { name: "dynamic-bias", pe: { kind: "dynamic-bias", hidden: 8 }, policy: "keys-after-rotation" },
  { name: "cope", pe: { kind: "cope", max_pos: 5 }, policy: "keys-after-rotation" },
  { name: "transformer-xl", pe: "transformer-xl", policy: "keys-after-rotation" },
  { name: "transformer-xl (untie_r, clamp_len 3)", pe: { kind: "transformer-xl", untie_r: true, clamp_len: 3 }, policy: "keys-after-rotation" },
  { name: "adaptive", pe: "adaptive", policy: "recompute" },
  { name: "adaptive, length_mode fixed (L = 8)", pe: { kind: "adaptive", length_mode: "fixed" }, policy: "keys-after-rotation" },
  { name: "adaptive, length_mode window (W = 5)", pe: { kind: "adaptive", length_mode: "window", window: 5, min_period: 3 }, policy: "recompute" },
  // attention-only blocks (`mlp: false`): the program of 5 ops per layer, in one run (alibi), in segments around
  // the rotary hook (rope) and around Transformer-XL's attention; CoPE's dense path
  { name: "rope, attention only (mlp false)", pe: "rope", extra: { mlp: false }, policy: "keys-after-rotation" },
  { name: "alibi, attention only (mlp false)", pe: "alibi", extra: { mlp: false }, policy: "keys-after-rotation" },
  { name: "transformer-xl, attention only (mlp false)", pe: "transformer-xl", extra: { mlp: false }, policy: "keys-after-rotation" },
  { name: "cope, attention only (mlp false)", pe: { kind: "cope", max_pos: 5 }, extra: { mlp: false }, policy: "keys-after-rotation" },
];
