/**
 * Transformer-XL's segment-level recurrence (Dai et al. 2019 §3.2) as a cache policy of the float32 engine
 * decoder (engine-decoder.ts): the same semantics as the float64 `RollingCacheDecoder` with
 * `cache.segment` (rolling-cache.ts, its test reference) — the stream is read in segments of T tokens; a
 * token sees the `sinks` first tokens, the M = `recent` tokens before its segment (the memory) and its
 * segment so far; eviction happens only at segment boundaries. Positions are assigned INSIDE the cache:
 * sinks at 0 … s−1, then the held tokens in order (their distances are the true distances: they are
 * contiguous). It serves `generate` on a model with `mem_len` M (segments of the training length T: at most
 * M + T positions per layer, however long the text) and segment evaluation (`eval --segment-len S
 * --mem-len M`) of the encodings that read it token by token.
 *
 * Slots = cache positions (S = s + M + T slots, the cache's capacity; `pos` stays 0 … S−1 and the cache is
 * contiguous, so the kernels read it as the plain append-only cache). Token n ≥ s of segment
 * g = ⌊n/T⌋ sits in slot s + n − first, first = max(s, g·T − M) the oldest held token. At a boundary
 * where `first` moves (by δ), the held tokens' keys and values shift down by δ slots in every layer
 * (once per segment: M rows per layer, about M/T rows per token) and the next segment is appended.
 * Rotary encodings (RoPE with static frequencies, xPos): keys are rotated at their cache position; after
 * a shift the held keys are rotated again at their new positions from their raw keys ([B, S, C] float32 per
 * layer in JS memory), as the float64 decoder does from its raw cache. Bias encodings read the cache
 * positions (Toeplitz table over distances 0 … S−1, FIRE's dense rows); Transformer-XL's relative
 * attention reads distances in the cache (xl-decode.ts).
 *
 * Example: `model.startDecoding({ cache: { sinks: 0, recent: 64, segment: 128 } })` (engine-decoder.ts picks it).
 */
import { headDim, type ModelConfig } from "../config.js";
import type { PositionHooks } from "../reference.js";
import type { KvCache } from "./kv-cache.js";
import { RawKeys } from "./raw-keys.js";

/**
 * How a bounded cache places tokens (engine-decoder.ts `ring`): EngineRollingCache (StreamingLLM's ring)
 * and EngineSegmentCache (Transformer-XL's segments). `positionsAreSlots`: pos stays 0 … S−1 (contiguous).
 */
export interface CacheSlots {
  readonly capacity: number;
  readonly positionsAreSlots?: boolean;
  rolling(n: number): boolean;
  slot(n: number): number;
  rotation(n: number): number;
  rowsAt(t: number, want: number): number;
  advance(cache: KvCache, n: number, Bc: number, rotate: PositionHooks["rotate"]): void;
  capture(l: number, qkv: Float32Array, Bc: number, nq: number, slot0: number): void;
  copySequence(): void;
}

export class EngineSegmentCache implements CacheSlots {
  /** sinks + memory + segment: the slots of the cache. */
  readonly capacity: number;
  readonly positionsAreSlots = true;
  /** The oldest held token after the sinks (its slot is `sinks`). */
  private first: number;
  private readonly NH: number;
  private readonly HS: number;
  /** Raw keys (rotary encodings), else null. */
  private readonly raw: RawKeys | null;

  constructor(cfg: ModelConfig, B: number, private readonly sinks: number, private readonly memory: number, private readonly segment: number, rotary: boolean) {
    this.capacity = sinks + memory + segment;
    this.first = sinks;
    this.NH = cfg.nHeads;
    this.HS = headDim(cfg);
    this.raw = rotary ? new RawKeys(cfg, B, this.capacity) : null;
  }

  /** Whether token n starts a segment whose memory drops tokens (the held tokens shift before it). */
  rolling(n: number): boolean {
    return n % this.segment === 0 && this.oldestFor(n) > this.first;
  }

  private oldestFor(n: number): number {
    return Math.max(this.sinks, n - (n % this.segment) - this.memory);
  }

  /** The slot (= cache position) of token n. */
  slot(n: number): number {
    return n < this.sinks ? n : this.sinks + n - this.first;
  }

  rotation(n: number): number {
    return this.slot(n);
  }

  /** Rows of a prompt chunk starting at token t: never across a segment boundary. */
  rowsAt(t: number, want: number): number {
    return Math.min(want, this.segment - (t % this.segment));
  }

  /** Before the segment starting at token n: the held tokens shift down to slot `sinks` (every layer, sequences 0 … Bc−1). */
  advance(cache: KvCache, n: number, Bc: number, rotate: PositionHooks["rotate"]): void {
    const next = this.oldestFor(n), delta = next - this.first, keep = n - next, s = this.sinks;
    const { NH, HS, capacity: S } = this;
    for (let l = 0; l < cache.layers; l++) {
      for (const slab of [cache.acts.f32(`k.${l}`), cache.acts.f32(`v.${l}`)]) {
        for (let bh = 0; bh < Bc * NH; bh++) slab.copyWithin((bh * S + s) * HS, (bh * S + s + delta) * HS, (bh * S + s + delta + keep) * HS);
      }
      this.raw?.move(l, Bc, s + delta, s, keep);
    }
    this.first = next;
    if (rotate !== undefined && this.raw) for (let j = s; j < s + keep; j++) this.raw.rotateSlot(cache, j, j, Bc, rotate);
  }

  capture(l: number, qkv: Float32Array, Bc: number, nq: number, slot0: number): void {
    this.raw?.capture(l, qkv, Bc, nq, slot0);
  }

  copySequence(): void {
    this.raw?.copySequence();
  }
}
