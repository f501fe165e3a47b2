/**
 * The raw (unrotated) keys a bounded engine cache keeps for rotary encodings (RoPE with static
 * frequencies, xPos), so that a held key can be rotated again at a new position: [B, S, C] float32 per
 * layer in JS memory. Shared by the two cache policies of the engine decoder — EngineRollingCache
 * (StreamingLLM's ring, engine-rolling-cache.ts) and EngineSegmentCache (Transformer-XL's segments,
 * engine-segment-cache.ts); the float64 decoders keep their raw caches themselves.
 *
 * Example: `const raw = new RawKeys(cfg, B, S); raw.capture(l, qkv, B, nq, 0); raw.rotateSlot(cache, j, at, B, rotate);`
 */
import { headDim, type ModelConfig } from "../config.js";
import type { PositionHooks } from "../reference.js";
import type { KvCache } from "./kv-cache.js";

export class RawKeys {
  private readonly C: number;
  private readonly NH: number;
  private readonly HS: number;
  /** Per layer [B, S, C]. */
  private readonly raw: Float32Array[];
  private readonly v64: Float64Array;

  constructor(cfg: ModelConfig, private readonly B: number, private readonly S: number) {
    this.C = cfg.dModel;
    this.NH = cfg.nHeads;
    this.HS = headDim(cfg);
    this.raw = Array.from({ length: cfg.nLayers }, () => new Float32Array(B * S * this.C));
    this.v64 = new Float64Array(this.HS);
  }

  get layers(): number {
    return this.raw.length;
  }

  /** Keeps the raw keys of the rows [Bc·nq] of `qkv` [·, 3C] (slots slot0 …) of layer l before they are rotated. */
  capture(l: number, qkv: Float32Array, Bc: number, nq: number, slot0: number): void {
    const raw = this.raw[l]!, { C, S } = this;
    for (let b = 0; b < Bc; b++) for (let r = 0; r < nq; r++) {
      const row = (b * nq + r) * 3 * C;
      raw.set(qkv.subarray(row + C, row + 2 * C), (b * S + slot0 + r) * C);
    }
  }

  /** Moves `count` slots from slot `from` to slot `to` in layer l (sequences 0 … Bc−1), as the cache moves its K/V rows. */
  move(l: number, Bc: number, from: number, to: number, count: number): void {
    const raw = this.raw[l]!, { C, S } = this;
    for (let b = 0; b < Bc; b++) raw.copyWithin((b * S + to) * C, (b * S + from) * C, (b * S + from + count) * C);
  }

  /** Writes slot j's raw key rotated at `at` into the K slab of every layer (sequences 0 … Bc−1). */
  rotateSlot(cache: KvCache, j: number, at: number, Bc: number, rotate: NonNullable<PositionHooks["rotate"]>): void {
    const { C, NH, HS, S } = this, v = this.v64;
    this.raw.forEach((raw, l) => {
      const K = cache.acts.f32(`k.${l}`);
      for (let b = 0; b < Bc; b++) {
        for (let h = 0; h < NH; h++) {
          const src = (b * S + j) * C + h * HS, dst = ((b * NH + h) * S + j) * HS;
          for (let c = 0; c < HS; c++) v[c] = raw[src + c]!;
          rotate(v, at, "k", l, h);
          for (let c = 0; c < HS; c++) K[dst + c] = v[c]!;
        }
      }
    });
  }

  /** Sequence 0's raw keys copied to sequences 1 … B−1 (a shared prefill; the cache copies its slabs). */
  copySequence(): void {
    const n = this.S * this.C;
    for (const raw of this.raw) for (let b = 1; b < this.B; b++) raw.copyWithin(b * n, 0, n);
  }
}
