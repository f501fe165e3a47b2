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
import { Float64Decoder } from "./decoder.js";
import { Transformer } from "./transformer.js";

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
  if (cfg.pe.kind === "cope") {
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
 * Central difference of `loss` along element i of parameter `name` (the step is taken in float32
 * storage; the quotient uses the stored values, so the rounding of the step does not bias it).
 */
export function finiteDifference(params: Params, name: string, i: number, loss: (p: Params) => number, h = 1e-3): number {
  const a = params.get(name)!, keep = a[i]!;
  const step = h * Math.max(1, Math.abs(keep));
  a[i] = keep + step; const up = a[i]!; const lUp = loss(params);
  a[i] = keep - step; const down = a[i]!; const lDown = loss(params);
  a[i] = keep;
  return (lUp - lDown) / (up - down);
}

/** Asserts |got − ref| ≤ abs + rel·|ref| elementwise; names the worst index. */
export function assertClose(what: string, got: ArrayLike<number>, ref: ArrayLike<number>, abs: number, rel: number): void {
  assert.equal(got.length, ref.length, `${what}: length ${got.length} vs ${ref.length}`);
  let worst = -1, excess = -Infinity, maxDiff = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(got[i]! - ref[i]!), e = d - (abs + rel * Math.abs(ref[i]!));
    if (e > excess || Number.isNaN(d)) { excess = Number.isNaN(d) ? Infinity : e; worst = i; }
    maxDiff = Math.max(maxDiff, d);
  }
  assert.ok(excess <= 0, `${what}: index ${worst}: got ${got[worst]}, reference ${ref[worst]} (max |diff| ${maxDiff})`);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
