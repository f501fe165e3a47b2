/**
 * StreamingLLM's rolling KV cache (Xiao et al. 2023, mit-han-lab/streaming-llm): generation and
 * evaluation over unbounded streams in constant memory. The cache keeps the keys and values of the
 * first `sinks` tokens (attention sinks) and of the last `recent` tokens; every other token is evicted.
 *
 * Positions are assigned INSIDE the cache, as the paper does: with s sinks and r recent tokens held,
 * sink i sits at position i and the recent tokens at s, s+1, …, s+r−1 in arrival order; the query is
 * the newest token, at the last position. Keys are cached BEFORE rotation and rotated at their cache
 * position at every step (RoPE, xPos), and relative biases (ALiBi, T5, KERPLE, FIRE, Sandwich, dynamic
 * bias, Transformer-XL's relative sinusoids) use cache distances — so no position beyond sinks + recent − 1 ever reaches the model, however
 * long the stream. A windowed model (`window`, `dilation`, `global_tokens`) applies its pattern to the
 * cache positions. While the stream has at most sinks + recent tokens nothing is evicted and every
 * position equals the token's index: the logits equal the full forward's (tested).
 *
 * Refused: absolute encodings (sinusoidal, learned, adaptive — the position is added to the input, so
 * a cached hidden state cannot move to another position), CoPE, and RoPE scaling whose frequencies
 * change with the length (dynamic NTK, LongRoPE): the rolling cache needs positions that act inside
 * attention only.
 *
 * This float64 decoder is the test reference of the engine decoder's rolling and segment caches
 * (engine-rolling-cache.ts, engine-segment-cache.ts: what `startDecoding({ cache })` runs, Transformer-XL's
 * relative attention included); `startFloat64RollingDecoding` starts it.
 * Float64 JavaScript over a snapshot of the weights (the decoder's helpers, decoder.ts): per token
 * O(d²) for the linear layers plus O((sinks + recent)·d) for attention and re-rotation per layer;
 * memory: 2 · layers · (sinks + recent) · d float64 — constant in the stream length.
 *
 * Transformer-XL's segment-level recurrence is the same cache with `segment: S` (sinks 0, recent = mem_len M):
 * eviction only at segment boundaries, so a token sees its segment so far plus the M tokens before it — the
 * keys and values of the memory are those computed from each layer's input when those tokens were read,
 * exactly what `_update_mems` keeps (same weights at evaluation). Positions: relative distances in the cache
 * equal the true distances (the held tokens are contiguous).
 *
 * Example: `const dec = model.startFloat64RollingDecoding({}, { sinks: 4, recent: 1020 }); dec.feed(ids)`.
 */
import { ExtraposError, show } from "../../pe/errors.js";
import { visibleKey } from "../attention-pattern.js";
import { embeddingScale, headDim, type ModelConfig } from "../config.js";
import type { Decoder, EvalOptions, RollingCache } from "../lm.js";
import type { Params } from "../params.js";
import type { PositionHooks } from "../reference.js";
import { gelu, layerNorm, linear } from "./decoder.js";
import type { Encoding } from "./encodings/types.js";

/** Checks `sinks` ≥ 0 and `recent` ≥ 1 (integers). */
export function checkRollingCache(c: RollingCache): void {
  if (!Number.isInteger(c.sinks) || c.sinks < 0) throw new ExtraposError("invalid_argument", `--sinks must be an integer ≥ 0, got ${show(c.sinks)}`);
  if (c.segment !== undefined) {
    if (!Number.isInteger(c.segment) || c.segment < 1) throw new ExtraposError("invalid_argument", `--segment-len must be an integer ≥ 1, got ${show(c.segment)}`);
    if (!Number.isInteger(c.recent) || c.recent < 0) throw new ExtraposError("invalid_argument", `--mem-len must be an integer ≥ 0, got ${show(c.recent)}`);
    return;
  }
  if (!Number.isInteger(c.recent) || c.recent < 1) throw new ExtraposError("invalid_argument", `--cache must be an integer ≥ 1 (recent tokens kept), got ${show(c.recent)}`);
}

/**
 * Refuses the encodings and options a rolling cache cannot move to cache positions (the float64 decoder
 * here and the engine's rolling cache, engine-rolling-cache.ts, share this rule).
 */
export function checkRollingSupport(cfg: ModelConfig, encoding: Encoding, evalOptions: EvalOptions): void {
  encoding.checkEvalOptions(evalOptions);
  if (cfg.pe.kind === "sinusoidal" || cfg.pe.kind === "learned" || cfg.pe.kind === "adaptive" || cfg.pe.kind === "cope") {
    throw new ExtraposError("invalid_argument", `the rolling cache (--sinks/--cache) needs positions that act inside attention; pe "${cfg.pe.kind}" ${cfg.pe.kind === "cope" ? "counts positions over the whole context" : "adds them to the input"}`,
      "use a model with rope, xpos, alibi, t5, kerple, fire, sandwich, dynamic-bias, transformer-xl or none");
  }
  if (encoding.cachePolicy(evalOptions) !== "keys-after-rotation") {
    throw new ExtraposError("invalid_argument", "the rolling cache (--sinks/--cache) needs rotary frequencies that do not change with the length; dynamic NTK and LongRoPE change them",
      "use a static RoPE scaling (linear, ntk, yarn, llama3) or none");
  }
}

export class RollingCacheDecoder implements Decoder {
  /** Raw (unrotated) keys and values per layer: slots [0, sinks) for the sinks, then a ring of `recent`. */
  private readonly keys: Float64Array[];
  private readonly values: Float64Array[];
  private readonly hooks: PositionHooks;
  private readonly hs: number;
  private readonly capacity: number;
  /** Slots of the recent tokens' ring: `recent`, or memory + segment with Transformer-XL segments. */
  private readonly ring: number;
  private count = 0;

  constructor(private readonly cfg: ModelConfig, private readonly params: Params, encoding: Encoding, evalOptions: EvalOptions, private readonly cache: RollingCache) {
    checkRollingCache(cache);
    checkRollingSupport(cfg, encoding, evalOptions);
    this.ring = cache.recent + (cache.segment ?? 0);
    this.capacity = cache.sinks + this.ring;
    this.hs = headDim(cfg);
    this.keys = Array.from({ length: cfg.nLayers }, () => new Float64Array(this.capacity * cfg.dModel));
    this.values = Array.from({ length: cfg.nLayers }, () => new Float64Array(this.capacity * cfg.dModel));
    this.hooks = encoding.hooks(params, { T: Math.max(this.capacity, cfg.contextLength), decoding: true, evalOptions });
  }

  /** Tokens consumed so far (the stream length, not the cache size). */
  get length(): number {
    return this.count;
  }

  /** Tokens whose keys/values the cache holds now (≤ sinks + recent). */
  get cached(): number {
    return Math.min(this.count, this.capacity);
  }

  feed(tokens: Int32Array): Float32Array {
    if (tokens.length === 0) throw new ExtraposError("invalid_argument", "decoder `feed` needs at least one token, got 0");
    for (const t of tokens) {
      if (!(Number.isInteger(t) && t >= 0 && t < this.cfg.vocabSize)) {
        throw new ExtraposError("invalid_argument", `decoder token must be an integer in [0, ${this.cfg.vocabSize}), got ${t}`);
      }
    }
    let logits: Float64Array = new Float64Array(0);
    for (const t of tokens) logits = this.step(t);
    return Float32Array.from(logits);
  }

  /**
   * The cache slots in position order after token `n` arrived: sinks 0…s−1, then the ring's held
   * recent tokens oldest first. Slot of token m: m < s → m; else s + (m − s) mod recent.
   */
  private slotsInOrder(n: number): number[] {
    const { sinks, recent, segment } = this.cache;
    const out: number[] = [];
    for (let m = 0; m < Math.min(n + 1, sinks); m++) out.push(m);
    // rolling: the last `recent` tokens; segments: the current segment so far and `recent` tokens before it
    const first = segment === undefined ? n - recent + 1 : n - (n % segment) - recent;
    for (let m = Math.max(sinks, first); m <= n; m++) out.push(sinks + ((m - sinks) % this.ring));
    return out;
  }

  private step(token: number): Float64Array {
    const cfg = this.cfg, P = (name: string): Float32Array => this.params.get(name)!;
    const C = cfg.dModel, hs = this.hs, n = this.count;
    const { sinks } = this.cache;
    const slot = n < sinks ? n : sinks + ((n - sinks) % this.ring);
    const order = this.slotsInOrder(n);
    const qPos = order.length - 1;
    const s = embeddingScale(cfg);
    let x = Float64Array.from(P("tok_emb.weight").subarray(token * C, (token + 1) * C), (e) => s * e);
    for (let l = 0; l < cfg.nLayers; l++) {
      const b = `blocks.${l}`;
      const qkv = linear(layerNorm(x, P(`${b}.ln1.weight`), P(`${b}.ln1.bias`)), P(`${b}.attn.qkv.weight`), P(`${b}.attn.qkv.bias`), C, 3 * C);
      this.keys[l]!.set(qkv.subarray(C, 2 * C), slot * C);
      this.values[l]!.set(qkv.subarray(2 * C, 3 * C), slot * C);
      const y = this.attend(l, qkv.subarray(0, C), order, qPos);
      const proj = linear(y, P(`${b}.attn.proj.weight`), P(`${b}.attn.proj.bias`), C, C);
      x = x.map((v, i) => v + proj[i]!);
      if (!cfg.mlp) continue; // attention-only block
      const fc = linear(layerNorm(x, P(`${b}.ln2.weight`), P(`${b}.ln2.bias`)), P(`${b}.mlp.fc.weight`), P(`${b}.mlp.fc.bias`), C, 4 * C).map(gelu);
      const mlp = linear(fc, P(`${b}.mlp.proj.weight`), P(`${b}.mlp.proj.bias`), 4 * C, C);
      x = x.map((v, i) => v + mlp[i]!);
    }
    this.count++;
    return linear(layerNorm(x, P("ln_f.weight"), P("ln_f.bias")), P("tok_emb.weight"), null, C, cfg.vocabSize);
  }

  /** Attention of layer l for the newest token (query q at cache position qPos) over the cache. */
  private attend(l: number, qAll: Float64Array, order: readonly number[], qPos: number): Float64Array {
    const { cfg, hs, hooks } = this, C = cfg.dModel, scale = 1 / Math.sqrt(hs);
    const keys = this.keys[l]!, values = this.values[l]!;
    const y = new Float64Array(C);
    const logit = new Float64Array(order.length), k = new Float64Array(hs);
    const rel = hooks.relative?.(l);
    for (let h = 0; h < cfg.nHeads; h++) {
      const q = qAll.slice(h * hs, (h + 1) * hs);
      hooks.rotate?.(q, qPos, "q", l, h);
      let m = -Infinity;
      for (let p = 0; p < order.length; p++) {
        if (!visibleKey(cfg, l, h, qPos, p)) { logit[p] = -Infinity; continue; }
        k.set(keys.subarray(order[p]! * C + h * hs, order[p]! * C + (h + 1) * hs));
        hooks.rotate?.(k, p, "k", l, h);
        let dot = 0;
        if (rel) { // Transformer-XL: (q + u)·k + (q + v)·r(cache distance)
          const r = rel.r(h, qPos - p);
          for (let c = 0; c < hs; c++) dot += (q[c]! + rel.u[h * hs + c]!) * k[c]! + (q[c]! + rel.v[h * hs + c]!) * r[c]!;
        } else for (let c = 0; c < hs; c++) dot += q[c]! * k[c]!;
        logit[p] = dot * scale + (hooks.bias ? hooks.bias(l, h, qPos, p) : 0);
        m = Math.max(m, logit[p]!);
      }
      let z = 0;
      for (let p = 0; p < order.length; p++) { logit[p] = Math.exp(logit[p]! - m); z += logit[p]!; }
      for (let p = 0; p < order.length; p++) {
        const w = logit[p]! / z, row = order[p]! * C + h * hs;
        if (w !== 0) for (let c = 0; c < hs; c++) y[h * hs + c]! += w * values[row + c]!;
      }
    }
    return y;
  }
}
