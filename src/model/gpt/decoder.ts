/**
 * Incremental decoding with a KV cache, in plain float64 JavaScript over a snapshot of the weights
 * (one token at a time, x = s·E[token] + absolute(t) with the config's embedding scale s: O(d²) for the linear layers plus O(t·d) attention over the cache per layer).
 * It is also the float64 reference of CoPE (whose logits depend on q and k, which the reference
 * forward's position hooks cannot express).
 *
 * KV-cache policy per encoding (`Encoding.cachePolicy`, stated and tested in decoder.test.ts):
 * - keys cached AFTER rotation (RoPE with static frequencies — none, linear, ntk, yarn, llama3 — and
 *   xPos): a key's rotation depends only on its own absolute position, which never changes, so the
 *   rotated key is final. xPos centres its exponents on ⌈context_length/2⌉ for the whole generation
 *   (the centre cancels in q_m·k_n, so logits equal the full forward's).
 * - dynamic NTK and LongRoPE ("recompute-on-frequency-change"): the frequencies are a function of the
 *   current length (θ' grows with seq_len past the training length; LongRoPE switches to its long
 *   factors there), so keys rotated at an earlier step carry stale frequencies — the cached/fresh key
 *   discrepancy of the YaRN paper (Peng et al. 2023, §3.3) and huggingface/transformers issue #25104.
 *   Caching keys BEFORE rotation and re-rotating them (YaRN's advice) repairs layer 0 only: every deeper
 *   layer's cached keys and values were computed from hidden states that attended with the old
 *   frequencies. To equal a full forward over the prefix exactly we therefore RECOMPUTE: while the
 *   frequencies are unchanged the cache holds rotated keys; when they change, the logits come from the
 *   engine's forward over the whole prefix and the cache is rebuilt (replayed) at the next step whose
 *   frequencies equal the previous one's. LongRoPE: one recomputation at the switch, then cached;
 *   dynamic NTK: past the training length θ' changes at every step, so every step is a full forward.
 * - bias encodings (ALiBi, T5, KERPLE, FIRE, Sandwich, dynamic bias), CoPE, NoPE, absolute encodings:
 *   keys cached as computed; the bias is computed from the query and key positions at attention time.
 * - adaptive ("recompute"): every position's encoding depends on the current length (L = T), so nothing
 *   can be cached; each step runs the engine's full forward over the prefix.
 * Generation past the training length works for every encoding (learned: as `pe.beyond_table` says).
 */
import { ExtraposError } from "../../pe/errors.js";
import { firstVisibleKey, visibleKey } from "../attention-pattern.js";
import { embeddingScale, headDim, type ModelConfig } from "../config.js";
import type { Decoder, EvalOptions } from "../lm.js";
import type { Params } from "../params.js";
import { geluTanh, layerNorm as referenceLayerNorm, linear as referenceLinear, type PositionHooks } from "../reference.js";
import type { CachePolicy, Encoding } from "./encodings/types.js";

/** One row of the reference's `linear` (src/model/reference.ts holds the one definition): y = W·x + b. */
export const linear = (x: Float64Array, w: Float32Array, b: Float32Array | null, inDim: number, outDim: number): Float64Array => referenceLinear(x, 1, inDim, w, b, outDim);

/** One row of the reference's `layerNorm`. */
export const layerNorm = (x: Float64Array, w: Float32Array, b: Float32Array): Float64Array => referenceLayerNorm(x, 1, x.length, w, b);

/** The reference's GELU (tanh approximation). */
export const gelu = geluTanh;
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** A growable [rows, C] float64 buffer. */
class Rows {
  data: Float64Array;
  constructor(readonly C: number) { this.data = new Float64Array(64 * C); }
  set(t: number, row: Float64Array): void {
    if ((t + 1) * this.C > this.data.length) {
      const grown = new Float64Array(2 * this.data.length);
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(row, t * this.C);
  }
}

/** The decoder; `recompute` runs the engine forward over a prefix and returns the last row of logits. */
export class Float64Decoder implements Decoder {
  private readonly keys: Rows[];
  private readonly values: Rows[];
  private readonly tokens: number[] = [];
  private readonly policy: CachePolicy;
  private readonly hs: number;
  /** Tokens whose keys/values are in the cache, and the frequencies (and hooks) they were computed with. */
  private cached = 0;
  private cacheKey = "";
  private hooks: PositionHooks;

  constructor(
    private readonly cfg: ModelConfig, private readonly params: Params, private readonly encoding: Encoding,
    private readonly evalOptions: EvalOptions, private readonly recompute: (ids: Int32Array) => Float32Array,
  ) {
    encoding.checkEvalOptions(evalOptions);
    this.policy = encoding.cachePolicy(evalOptions);
    this.hs = headDim(cfg);
    this.keys = Array.from({ length: cfg.nLayers }, () => new Rows(cfg.dModel));
    this.values = Array.from({ length: cfg.nLayers }, () => new Rows(cfg.dModel));
    this.cacheKey = encoding.frequencyKey(evalOptions, 1);
    this.hooks = this.hooksFor(1);
  }

  get length(): number {
    return this.tokens.length;
  }

  private hooksFor(T: number): PositionHooks {
    return this.encoding.hooks(this.params, { T: Math.max(T, this.cfg.contextLength), decoding: true, evalOptions: this.evalOptions });
  }

  /** Appends tokens; returns the logits [V] predicting the token after the last one. */
  feed(tokens: Int32Array): Float32Array {
    if (tokens.length === 0) throw new ExtraposError("invalid_argument", "decoder `feed` needs at least one token, got 0");
    for (const t of tokens) {
      if (!(Number.isInteger(t) && t >= 0 && t < this.cfg.vocabSize)) {
        throw new ExtraposError("invalid_argument", `decoder token must be an integer in [0, ${this.cfg.vocabSize}), got ${t}`);
      }
    }
    const before = this.tokens.length;
    this.tokens.push(...tokens);
    const n = this.tokens.length;
    if (this.policy === "recompute") return this.recompute(Int32Array.from(this.tokens));
    const key = this.encoding.frequencyKey(this.evalOptions, n);
    if (key !== this.cacheKey) {
      // new frequencies: every cached key and value is stale; recompute now, rebuild the cache lazily
      this.cacheKey = key;
      this.cached = 0;
      this.hooks = this.hooksFor(n);
      return this.recompute(Int32Array.from(this.tokens));
    }
    let logits: Float64Array = new Float64Array(0);
    try {
      while (this.cached < n) logits = this.step(this.tokens[this.cached]!, this.cached++, this.hooks);
    } catch (e) {
      this.tokens.length = before;
      this.cached = Math.min(this.cached - 1, before);
      throw e;
    }
    return Float32Array.from(logits);
  }

  /** Computes position t (token `token`) through every layer, caching its keys/values; returns its logits. */
  private step(token: number, t: number, hooks: PositionHooks): Float64Array {
    const cfg = this.cfg, P = (n: string): Float32Array => this.params.get(n)!;
    const C = cfg.dModel;
    const s = embeddingScale(cfg);
    let x = Float64Array.from(P("tok_emb.weight").subarray(token * C, (token + 1) * C), (e) => s * e);
    hooks.absolute?.(t, x);
    for (let l = 0; l < cfg.nLayers; l++) {
      const b = `blocks.${l}`;
      const qkv = linear(layerNorm(x, P(`${b}.ln1.weight`), P(`${b}.ln1.bias`)), P(`${b}.attn.qkv.weight`), P(`${b}.attn.qkv.bias`), C, 3 * C);
      const y = this.attend(l, t, qkv, hooks);
      const proj = linear(y, P(`${b}.attn.proj.weight`), P(`${b}.attn.proj.bias`), C, C);
      x = x.map((v, i) => v + proj[i]!);
      if (!cfg.mlp) continue; // attention-only block
      const fc = linear(layerNorm(x, P(`${b}.ln2.weight`), P(`${b}.ln2.bias`)), P(`${b}.mlp.fc.weight`), P(`${b}.mlp.fc.bias`), C, 4 * C).map(gelu);
      const mlp = linear(fc, P(`${b}.mlp.proj.weight`), P(`${b}.mlp.proj.bias`), 4 * C, C);
      x = x.map((v, i) => v + mlp[i]!);
    }
    return linear(layerNorm(x, P("ln_f.weight"), P("ln_f.bias")), P("tok_emb.weight"), null, C, cfg.vocabSize);
  }

  /** The float64 logits of each position of `ids` (a fresh decoder: the reference of a whole sequence). */
  referenceLogits(ids: ArrayLike<number>): Float64Array {
    const V = this.cfg.vocabSize, out = new Float64Array(ids.length * V);
    for (let t = 0; t < ids.length; t++) {
      this.tokens.push(ids[t]!);
      out.set(this.step(ids[t]!, this.cached++, this.hooks), t * V);
    }
    return out;
  }

  /** Attention of layer l for the query at position t (its k, v appended to the cache). */
  private attend(l: number, t: number, qkv: Float64Array, hooks: PositionHooks): Float64Array {
    const { cfg, hs } = this, C = cfg.dModel;
    const q = qkv.slice(0, C), k = qkv.slice(C, 2 * C);
    for (let h = 0; h < cfg.nHeads; h++) {
      hooks.rotate?.(q.subarray(h * hs, (h + 1) * hs), t, "q", l, h);
      hooks.rotate?.(k.subarray(h * hs, (h + 1) * hs), t, "k", l, h);
    }
    this.keys[l]!.set(t, k);
    this.values[l]!.set(t, qkv.subarray(2 * C, 3 * C));
    const keys = this.keys[l]!.data;
    const first = firstVisibleKey(cfg, l, t);
    const y = new Float64Array(C);
    for (let h = 0; h < cfg.nHeads; h++) {
      const logit = cfg.pe.kind === "cope" ? this.copeLogits(l, h, q, keys, t) : this.plainLogits(l, h, q, keys, t, first, hooks);
      this.weightedValues(l, h, logit, first, y);
    }
    return y;
  }

  /** s_j = q·k_j/√hs + bias(h, t, j) for keys j ∈ [first, t]. */
  private plainLogits(l: number, h: number, q: Float64Array, keys: Float64Array, t: number, first: number, hooks: PositionHooks): Float64Array {
    const { hs } = this, C = this.cfg.dModel, scale = 1 / Math.sqrt(hs);
    const s = new Float64Array(t + 1 - first);
    const rel = hooks.relative?.(l);
    for (let j = first; j <= t; j++) {
      let dot = 0;
      if (rel) { // Transformer-XL: (q + u)·k + (q + v)·r(t − j)
        const r = rel.r(h, t - j);
        for (let c = 0; c < hs; c++) {
          const qc = q[h * hs + c]!;
          dot += (qc + rel.u[h * hs + c]!) * keys[j * C + h * hs + c]! + (qc + rel.v[h * hs + c]!) * r[c]!;
        }
      } else for (let c = 0; c < hs; c++) dot += q[h * hs + c]! * keys[j * C + h * hs + c]!;
      s[j - first] = visibleKey(this.cfg, l, h, t, j) ? dot * scale + (hooks.bias ? hooks.bias(l, h, t, j) : 0) : -Infinity;
    }
    return s;
  }

  /** CoPE (cope.ts conventions): s_j + interpolated q·e[p_tj], p_tj = min(Σ_{u=j..t} σ(s_u), P − 1). */
  private copeLogits(l: number, h: number, q: Float64Array, keys: Float64Array, t: number): Float64Array {
    const { hs } = this, P = (this.cfg.pe as { maxPos: number }).maxPos;
    const emb = this.params.get(`blocks.${l}.attn.pe.pos_emb`)!;
    const s = this.plainLogits(l, h, q, keys, t, 0, {});
    const z = new Float64Array(P);
    for (let p = 0; p < P; p++) for (let c = 0; c < hs; c++) z[p]! += q[h * hs + c]! * emb[p * hs + c]!;
    let acc = 0;
    const out = new Float64Array(t + 1);
    for (let j = t; j >= 0; j--) {
      acc += sigmoid(s[j]!);
      const pc = Math.min(acc, P - 1), fl = Math.floor(pc), w = pc - fl;
      out[j] = s[j]! + z[fl]! * (1 - w) + z[Math.ceil(pc)]! * w;
    }
    return out;
  }

  /** y[head h] = softmax(logit)·V over the keys [first, first + logit.length). */
  private weightedValues(l: number, h: number, logit: Float64Array, first: number, y: Float64Array): void {
    const { hs } = this, C = this.cfg.dModel, v = this.values[l]!.data;
    let m = -Infinity;
    for (const s of logit) m = Math.max(m, s);
    let z = 0;
    const e = logit.map((s) => { const x = Math.exp(s - m); z += x; return x; });
    for (let j = 0; j < e.length; j++) {
      const p = e[j]! / z, row = (first + j) * C + h * hs;
      for (let c = 0; c < hs; c++) y[h * hs + c]! += p * v[row + c]!;
    }
  }
}
