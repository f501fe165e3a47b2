/**
 * StreamingLLM's rolling KV cache (Xiao et al. 2023) as a cache policy of the float32 engine decoder
 * (engine-decoder.ts): the same semantics as the float64 `RollingCacheDecoder` (rolling-cache.ts, its
 * test reference) — the first `sinks` tokens and the last `recent` ones, positions assigned INSIDE the
 * cache (sinks at 0 … s−1, recent tokens at s, s+1, … in arrival order, the query at the last one) —
 * in the engine's KV-cache arena of exactly sinks + recent slots, constant in the stream length.
 *
 * Slots (S = s + r = the cache's capacity). While the stream has at most S tokens, token n sits in slot
 * n at position n: the ordinary append-only cache (prompt chunks included). From token n = S on, a
 * ring: slots 0 … s−1 keep the sinks; the newest token always goes to the LAST slot S−1 (the kernel
 * reads the query's position there); before it is written, the previous newest (token n−1) moves from
 * slot S−1 into the ring slot s + (n−1−s) mod (r−1) of the token just evicted (n−r). One K and one V
 * row per layer and sequence are copied per token — never the whole cache. The position of every slot
 * (pos [B, S]) is rewritten at each step (S integers): recent token m is at s + m − (n − r + 1).
 *
 * Rotary encodings (RoPE with static frequencies, xPos): q·k depends only on the DIFFERENCE of the
 * rotation positions, so keys need not be re-rotated at every step. Token m's key is rotated once, at
 * m − e (e: an offset kept so that rotation positions stay below S − 1 + r), and the query at n − e:
 * recent keys are at their true distance n − m, which is their cache distance too. The sinks' cache
 * distance is S − 1 − i, not n − i: their keys are re-rotated at every step, at (n − e) − (S − 1 − i),
 * from their raw (unrotated) keys — s rows per layer. Every r tokens the offset moves (e = n − S + 1)
 * and the held recent keys are re-rotated from their raw keys (amortised: about one row per token).
 * Raw keys live in JS memory, [B, S, C] float32 per layer (rotary encodings only).
 * Bias encodings read the cache positions (Toeplitz table over distances 0 … S−1, or FIRE's dense rows).
 *
 * Transformer-XL's relative attention reads the cache positions too (xl-decode.ts). Segments (`cache.segment`):
 * engine-segment-cache.ts, the other policy of the same decoder.
 */
import type { ModelConfig } from "../config.js";
import type { PositionHooks } from "../reference.js";
import type { KvCache } from "./kv-cache.js";
import { RawKeys } from "./raw-keys.js";

export class EngineRollingCache {
  /** sinks + recent: the slots of the cache. */
  readonly capacity: number;
  private readonly sinks: number;
  private readonly recent: number;
  /** Rotation offset: token m's key (and query) rotated at m − e. */
  private e = 0;
  /** Raw keys (rotary encodings), else null. */
  private readonly raw: RawKeys | null;

  constructor(cfg: ModelConfig, private readonly B: number, sinks: number, recent: number, rotary: boolean) {
    this.sinks = sinks;
    this.recent = recent;
    this.capacity = sinks + recent;
    this.raw = rotary ? new RawKeys(cfg, B, this.capacity) : null;
  }

  /** Whether token n is past the append-only phase (its slot's position is not its index). */
  rolling(n: number): boolean {
    return n >= this.capacity;
  }

  /** The slot of token n's key and value (the last slot once the cache is full). */
  slot(n: number): number {
    return Math.min(n, this.capacity - 1);
  }

  /** The rotation position of token n's query and key. */
  rotation(n: number): number {
    return n - this.e;
  }

  /** Rows of a prompt chunk starting at token t (at most `want`): up to the last slot while appending, then 1. */
  rowsAt(t: number, want: number): number {
    return t < this.capacity ? Math.min(want, this.capacity - t) : 1;
  }

  /** The ring slot of recent token m (s ≤ m, ring of r − 1 slots). */
  private ringSlot(m: number): number {
    return this.sinks + ((m - this.sinks) % (this.recent - 1));
  }

  /**
   * Before the layers of token n ≥ capacity (Bc computed sequences): moves token n−1 into the evicted
   * token's ring slot, moves the rotation offset when due (re-rotating the held recent keys), rewrites
   * the positions and re-rotates the sinks for this query.
   */
  advance(cache: KvCache, n: number, Bc: number, rotate: PositionHooks["rotate"]): void {
    const S = this.capacity, s = this.sinks, r = this.recent, L = cache.layers;
    if (r > 1) {
      const to = this.ringSlot(n - 1);
      for (let l = 0; l < L; l++) {
        cache.moveSlot(l, S - 1, to, Bc);
        this.raw?.move(l, Bc, S - 1, to, 1);
      }
    }
    if (rotate !== undefined && n - this.e >= S - 1 + r) {
      this.e = n - (S - 1);
      for (let m = Math.max(s, n - r + 1); m < n; m++) this.raw!.rotateSlot(cache, this.ringSlot(m), m - this.e, Bc, rotate);
    }
    const pos = cache.acts.i32("pos"), first = n - r + 1;
    for (let b = 0; b < this.B; b++) {
      const row = b * S;
      for (let i = 0; i < s; i++) pos[row + i] = i;
      if (r > 1) for (let m = Math.max(s, first); m < n; m++) pos[row + this.ringSlot(m)] = s + m - first;
      pos[row + S - 1] = S - 1;
    }
    if (rotate !== undefined) for (let i = 0; i < s; i++) this.raw!.rotateSlot(cache, i, n - this.e - (S - 1 - i), Bc, rotate);
  }

  capture(l: number, qkv: Float32Array, Bc: number, nq: number, slot0: number): void {
    this.raw?.capture(l, qkv, Bc, nq, slot0);
  }

  copySequence(): void {
    this.raw?.copySequence();
  }
}
