/**
 * Incremental decoding on the engine in float32: the transformer's layers for the newest tokens only,
 * over a KV cache in the engine's memory (kv-cache.ts), for a batch of B sequences that share their
 * prompt's prefill. The float64 `Float64Decoder` (decoder.ts) is its test reference.
 *
 * One step (R rows = B sequences × nq new tokens each; nq = 1 when generating):
 *   x = s·E[token] + absolute(pos)                          (JS, float64 hook → float32)
 *   per layer: ln1 → qkv (matvecRows; the tiled matmul for prompt chunks ≥ 32 rows)
 *              → q, k rotated at the token's position (rotary hooks, float64, per head)
 *              → k, v appended to the layer's slabs → decodeAttention over the cache (bias table /
 *                dense rows / CoPE; window, dilation, global tokens) → proj + residual → ln2 → fc → gelu → proj + residual
 *              (attention-only blocks, `mlp: false`: the layer ends after the first residual)
 *   ln_f → tied head on each sequence's last row only (matvecRows) → logits [B, V]
 * Prompts are fed in chunks of `chunk` rows (attention of a chunk's rows over the keys before them
 * and within it: for one sequence with no bias or a Toeplitz one, the training's tiled attention
 * kernel over the cache in place (`prefillAttention`); otherwise decodeAttention with nq > 1).
 *
 * Batch: `feed(tokens)` appends the same tokens to every sequence; while the sequences have not
 * diverged only sequence 0 is computed (the prompt's prefill is shared). At the first `feedBatch`
 * (one token per sequence) the prompt becomes a shared prefix: its keys and values stay in sequence
 * 0's slots only, and every sequence's attention reads them there (decode-attention.ts `shared`:
 * the same bytes as copying them, but a batch step reads the prompt's cache once per head instead of
 * once per sequence — at batch 8 over a 4k prompt that is most of the step's memory traffic).
 * Sequences advance in lockstep, so every sequence's token t sits at slot t, position t.
 *
 * Cache policies (encodings/types.ts `CachePolicy`): "keys-after-rotation" caches as computed;
 * "recompute-on-frequency-change" (dynamic NTK, LongRoPE) and "recompute" (adaptive: the key is the
 * length itself) empty the cache when the encoding's frequency key changes and re-run every token
 * of every sequence with the new hooks — exactly the full forward over the prefix at that length.
 *
 * Bias tables: `PositionHooks.biasTable(layer, D)` gives the Toeplitz table for distances 0…D when
 * valid for every query ≤ D (D = the cache's capacity − 1, built once per capacity); when not (FIRE
 * beyond its threshold) the step's rows [NH, nq, S] come from `bias(layer, h, q, k)` (dense mode).
 *
 * Rolling cache (`rolling`: StreamingLLM's sinks + recent tokens, engine-rolling-cache.ts): the arena
 * holds exactly sinks + recent slots and never grows; past them each token is one step (nq = 1) whose
 * slots, positions and rotation positions come from the rolling cache; the ids are not kept. With
 * `rolling.segment`, Transformer-XL's segment memory instead (engine-segment-cache.ts: sinks + M + T slots,
 * slot = position, the held tokens shifted down at each segment boundary; chunks never cross one).
 *
 * Transformer-XL (`pe: "transformer-xl"`): the attention is xl-decode.ts's (the decodeRelativeAttention
 * kernel: the AC and BD terms over the cache, r = W_r·R per distance in the cache's arena), in every mode above.
 *
 * Memory: the decoder's arena (activations for `chunk`·B rows + the cache, sized for `capacity`
 * tokens) is taken from the engine's allocator when decoding starts and released by `dispose()` when
 * nothing was allocated after it. Growing past the capacity re-plans (doubling) and copies the cache.
 */
import { ExtraposError } from "../../pe/errors.js";
import { attentionForward } from "../../engine/kernels/attention/attention.js";
import { decodeAttention, type DecodeBias } from "../../engine/kernels/decode-attention/decode-attention.js";
import { geluForward } from "../../engine/kernels/gelu/gelu.js";
import { layerNormForward } from "../../engine/kernels/layernorm/layernorm.js";
import { linearForward } from "../../engine/kernels/matmul/matmul.js";
import { matvecRows } from "../../engine/kernels/matvec/matvec.js";
import { residualForward } from "../../engine/kernels/residual/residual.js";
import { layerWindow } from "../attention-pattern.js";
import { embeddingScale, headDim, type ModelConfig } from "../config.js";
import type { DecodeOptions, Decoder, EvalOptions, RollingCache } from "../lm.js";
import type { Params } from "../params.js";
import type { PositionHooks } from "../reference.js";
import type { CachePolicy } from "./encodings/types.js";
import { StepPlan } from "./decode-step.js";
import { warmUpDecodeProgram } from "../../engine/kernels/decode-program/decode-program.js";
import { FINE_WORKER_SPIN, SplitTuner } from "./split-tuner.js";
import { denseBiasRows, KvCache } from "./kv-cache.js";
import { EngineRollingCache } from "./engine-rolling-cache.js";
import { EngineSegmentCache, type CacheSlots } from "./engine-segment-cache.js";
import { RelativeDecode } from "./xl-decode.js";
import { checkRollingCache, checkRollingSupport } from "./rolling-cache.js";
import type { ModelParts } from "./block.js";

/** lm.ts `DecodeOptions` (batch; capacity, which grows by doubling) and the prefill chunk. */
export interface EngineDecodeOptions extends DecodeOptions {
  /** Prompt rows per chunk of the prefill; default 64. */
  chunk?: number;
  /**
   * A bounded cache: StreamingLLM's rolling cache (sinks + recent tokens, engine-rolling-cache.ts), or with
   * `segment` Transformer-XL's segment memory (engine-segment-cache.ts): constant memory; `capacity` is then
   * sinks + recent (+ segment).
   */
  rolling?: RollingCache;
}

/** Rows at or above which a linear layer uses the tiled matmul instead of matvecRows. */
const MATMUL_ROWS = 32;

export class EngineDecoder implements Decoder {
  readonly batch: number;
  private readonly cfg: ModelConfig;
  private readonly policy: CachePolicy;
  private readonly hs: number;
  private readonly chunk: number;
  /** The ids of each sequence, kept only where a frequency change re-runs the prefix (not "keys-after-rotation"). */
  private readonly tokens: number[][];
  private readonly keepTokens: boolean;
  private count = 0;
  private cache: KvCache;
  private readonly ring: CacheSlots | null = null;
  /** Transformer-XL's relative attention (xl-decode.ts), else null. */
  private readonly relative: RelativeDecode | null;
  private diverged = false;
  /** Slots 0…shared−1 hold the batch's common prompt, in sequence 0's slabs only (decode-attention.ts `shared`). */
  private shared = 0;
  private cacheKey: string;
  private hooks: PositionHooks;
  /** Per layer: the Toeplitz table's largest distance in the cache arena (−1: none yet / not Toeplitz up to the capacity). */
  private tableD: number[];
  private readonly f64: Float64Array;
  /** The generation step's replayed calls (decode-step.ts) for the current cache, built at the first step. */
  private plan: { cache: KvCache; steps: StepPlan } | undefined;
  /** With worker threads and threadPolicy "auto": which thread policy the generation steps run (split-tuner.ts). */
  private readonly tuner: SplitTuner | null;
  private readonly policyFixed: "coarse" | "fine" | null;
  private disposed = false;

  constructor(private readonly m: ModelParts, private readonly snapshot: Params, private readonly evalOptions: EvalOptions, opts: EngineDecodeOptions = {}) {
    const cfg = m.cfg;
    this.cfg = cfg;
    m.encoding.checkEvalOptions(evalOptions);
    this.batch = opts.batch ?? 1;
    this.chunk = opts.chunk ?? 64;
    let capacity = opts.capacity ?? cfg.contextLength;
    if (opts.rolling !== undefined) {
      checkRollingCache(opts.rolling);
      checkRollingSupport(cfg, m.encoding, evalOptions);
    }
    for (const [n, v] of [["batch", this.batch], ["capacity", capacity], ["chunk", this.chunk]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ExtraposError("invalid_argument", `decoding \`${n}\` must be an integer ≥ 1, got ${v}`);
    }
    this.policy = m.encoding.cachePolicy(evalOptions);
    this.hs = headDim(cfg);
    this.tokens = Array.from({ length: this.batch }, () => []);
    this.keepTokens = this.policy !== "keys-after-rotation";
    this.tableD = new Array<number>(cfg.nLayers).fill(-1);
    this.cacheKey = this.keyAt(1);
    this.hooks = this.hooksFor(1);
    if (opts.rolling !== undefined) {
      const { sinks, recent, segment } = opts.rolling, rotary = this.hooks.rotate !== undefined;
      this.ring = segment === undefined ? new EngineRollingCache(cfg, this.batch, sinks, recent, rotary) : new EngineSegmentCache(cfg, this.batch, sinks, recent, segment, rotary);
      capacity = this.ring.capacity;
    }
    this.relative = cfg.pe.kind === "transformer-xl" ? new RelativeDecode(m) : null;
    warmUpDecodeProgram(m.engine); // once per process: the generation step's code optimized before the prompt is read
    this.cache = new KvCache(m.engine, cfg, { B: this.batch, slots: capacity, rows: this.batch * this.chunk, maxPos: cfg.pe.kind === "cope" ? cfg.pe.maxPos : 0 });
    this.f64 = new Float64Array(Math.max(cfg.dModel, this.hs));
    const threadPolicy = opts.threadPolicy ?? "coarse";
    if (!["auto", "coarse", "fine"].includes(threadPolicy)) {
      throw new ExtraposError("invalid_argument", `decoding \`threadPolicy\` must be "auto", "coarse" or "fine", got ${JSON.stringify(threadPolicy)}`);
    }
    const threaded = m.engine.threads > 1;
    this.tuner = threaded && threadPolicy === "auto" ? new SplitTuner(m.engine) : null;
    this.policyFixed = threaded && threadPolicy !== "auto" ? threadPolicy : null;
    if (this.policyFixed === "fine") m.engine.setWorkerSpin?.(FINE_WORKER_SPIN);
  }

  /** Tokens per sequence so far (= position of the next token). */
  get length(): number {
    return this.count;
  }

  /** Tokens whose keys and values the cache holds now (= `length` unless a rolling or segment cache evicted some). */
  get cached(): number {
    return this.ring === null || this.count === 0 ? this.count : this.ring.slot(this.count - 1) + 1;
  }

  /** Tokens each sequence can hold before the cache grows. */
  get capacity(): number {
    return this.cache.slots;
  }

  /** Appends the same tokens to every sequence; returns the logits [V] of sequence 0 (all equal until they diverge). */
  feed(tokens: Int32Array): Float32Array {
    this.check(tokens);
    if (this.diverged) return this.append(Array.from({ length: this.batch }, () => tokens)).subarray(0, this.cfg.vocabSize);
    return this.append([tokens]);
  }

  /** Appends one token per sequence (`tokens` [B]); returns the logits [B, V]. */
  feedBatch(tokens: Int32Array): Float32Array {
    if (tokens.length !== this.batch) throw new ExtraposError("invalid_argument", `decoder \`feedBatch\` needs one token per sequence (${this.batch}), got ${tokens.length}`);
    this.check(tokens);
    if (!this.diverged) {
      if (this.ring !== null) {
        // the rolling cache's ring rewrites every slot per sequence: each sequence gets its own copy of the prompt
        this.cache.copySequence(this.batch, Math.min(this.length, this.cache.slots));
        this.ring.copySequence();
      } else {
        // the prompt's keys and values stay in sequence 0's slots only: every sequence reads them there
        this.shared = this.batch > 1 ? this.length : 0;
      }
      for (let b = 1; b < this.batch; b++) this.tokens[b] = [...this.tokens[0]!];
      this.diverged = true;
    }
    return this.append(Array.from(tokens, (t) => Int32Array.of(t)));
  }

  /** Releases the decoder's engine memory (when nothing was allocated after it). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.tuner !== null || this.policyFixed === "fine") this.m.engine.setWorkerSpin?.(0);
    this.cache.release();
  }

  private check(tokens: Int32Array): void {
    if (this.disposed) throw new ExtraposError("invalid_argument", "the decoder was disposed");
    if (tokens.length === 0) throw new ExtraposError("invalid_argument", "decoder `feed` needs at least one token, got 0");
    for (const t of tokens) {
      if (!(Number.isInteger(t) && t >= 0 && t < this.cfg.vocabSize)) {
        throw new ExtraposError("invalid_argument", `decoder token must be an integer in [0, ${this.cfg.vocabSize}), got ${t}`);
      }
    }
  }

  private keyAt(n: number): string {
    return this.policy === "recompute" ? String(n) : this.m.encoding.frequencyKey(this.evalOptions, n);
  }

  /** Hooks for a prefix of T tokens ("recompute": exactly T, adaptive's L; else at least the training length, as decoder.ts). */
  private hooksFor(T: number): PositionHooks {
    const length = this.policy === "recompute" ? T : Math.max(T, this.cfg.contextLength);
    return this.m.encoding.hooks(this.snapshot, { T: length, decoding: true, evalOptions: this.evalOptions });
  }

  /** Appends `rows[b]` (same length for every computed sequence) and returns the last logits per sequence [Bc, V]. */
  private append(rows: Int32Array[]): Float32Array {
    const before = this.length, n = before + rows[0]!.length;
    if (this.keepTokens) for (let b = 0; b < rows.length; b++) this.tokens[b]!.push(...rows[b]!);
    if (!this.diverged) for (let b = 1; b < this.batch; b++) this.tokens[b]!.length = 0;
    try {
      if (this.ring === null && n > this.cache.slots) this.grow(n);
      const key = this.keyAt(n);
      if (key !== this.cacheKey) {
        // new frequencies (or adaptive's new length): every cached key and value is stale; run the prefix again
        this.cacheKey = key;
        this.hooks = this.hooksFor(n);
        this.tableD.fill(-1);
        this.shared = 0; // every sequence's slabs get all of its tokens again
        const logits = this.run(this.tokens.slice(0, rows.length).map((t) => Int32Array.from(t)), 0);
        this.count = n;
        return logits;
      }
      const logits = this.run(rows, before);
      this.count = n;
      return logits;
    } catch (e) {
      for (const t of this.tokens) t.length = Math.min(t.length, before);
      this.cacheKey = "";
      throw e;
    } finally {
      if (!this.diverged) for (let b = 1; b < this.batch; b++) this.tokens[b]!.length = 0;
    }
  }

  private grow(n: number): void {
    let slots = this.cache.slots;
    while (slots < n) slots *= 2;
    this.cache = this.cache.regrow(slots);
    this.tableD.fill(-1);
  }

  /** Runs rows[b] at positions t0…, chunk by chunk; returns the logits of each sequence's last row. */
  private run(rows: Int32Array[], t0: number): Float32Array {
    const total = rows[0]!.length;
    let logits: Float32Array = new Float32Array(0);
    for (let c0 = 0; c0 < total;) {
      const want = Math.min(this.chunk, total - c0), nq = this.ring === null ? want : this.ring.rowsAt(t0 + c0, want);
      logits = this.step(rows.map((r) => r.subarray(c0, c0 + nq)), t0 + c0, c0 + nq === total);
      c0 += nq;
    }
    return logits;
  }

  /** The layers for nq tokens per sequence at positions t0…t0+nq−1 (Bc = rows.length sequences). */
  private step(rows: Int32Array[], t0: number, wantLogits: boolean): Float32Array {
    if (rows[0]!.length === 1 && wantLogits) return this.generationStep(rows, t0);
    const { cfg, m, cache } = this, e = m.engine, p = m.params;
    const Bc = rows.length, nq = rows[0]!.length, R = Bc * nq, C = cfg.dModel, NH = cfg.nHeads, HS = this.hs, V = cfg.vocabSize;
    const a = cache.acts;
    const x = a.ptr("x"), ln = a.ptr("ln"), mean = a.ptr("mean"), rstd = a.ptr("rstd"), qkv = a.ptr("qkv"), att = a.ptr("att");
    const ring = this.ring, { slot0, rot0, rolling } = this.place(t0, Bc);
    cache.setLengths(Bc, slot0, nq);
    this.embed(rows, t0, x);
    for (let l = 0; l < cfg.nLayers; l++) {
      const w = (s: string): number => p.ptr(`blocks.${l}.${s}`);
      layerNormForward(e, ln, mean, rstd, x, w("ln1.weight"), w("ln1.bias"), R, C);
      this.linear(qkv, ln, `blocks.${l}.attn.qkv`, R, C, 3 * C);
      ring?.capture(l, e.f32(qkv, R * 3 * C), Bc, nq, slot0);
      this.rotate(qkv, R, nq, rot0, l);
      cache.append(l, qkv, Bc, nq, slot0);
      const bias = this.relative === null ? this.bias(l, slot0, nq) : { kind: "none" as const };
      if (this.relative !== null) this.relative.attend(cache, l, { out: att, outStride: C, q: qkv, qStride: 3 * C, B: Bc, nq, shared: this.shared });
      else if (ring === null && this.tiledPrefill(Bc, nq, bias)) this.prefillAttention(l, qkv, att, slot0, nq, bias);
      else decodeAttention(e, a.ptr("attn.params"), {
        out: att, outStride: C, q: qkv, qStride: 3 * C, k: cache.k(l), v: cache.v(l), lens: a.ptr("lens"), pos: a.ptr("pos"),
        slots: cache.slots, B: Bc, NH, HS, nq, bias, window: layerWindow(cfg, l), contiguous: !rolling,
        dilation: cfg.dilation === null ? 0 : a.ptr("dilation") + 4 * l * NH, globalTokens: cfg.globalTokens,
        scratch: a.ptr("attn.scratch"), scratchStride: cache.scratchStride, shared: this.shared,
      });
      this.linear(ln, att, `blocks.${l}.attn.proj`, R, C, C);
      residualForward(e, x, x, ln, R * C);
      if (!cfg.mlp) continue; // attention-only block
      const fc = a.ptr("fc");
      layerNormForward(e, ln, mean, rstd, x, w("ln2.weight"), w("ln2.bias"), R, C);
      this.linear(fc, ln, `blocks.${l}.mlp.fc`, R, C, 4 * C);
      geluForward(e, fc, fc, R * 4 * C);
      this.linear(ln, fc, `blocks.${l}.mlp.proj`, R, 4 * C, C);
      residualForward(e, x, x, ln, R * C);
    }
    if (!wantLogits) return new Float32Array(0);
    layerNormForward(e, ln, mean, rstd, x, p.ptr("ln_f.weight"), p.ptr("ln_f.bias"), R, C);
    const logits = a.ptr("logits");
    if (nq === 1) matvecRows(e, logits, ln, p.ptr("tok_emb.weight"), 0, Bc, C, V);
    else for (let b = 0; b < Bc; b++) matvecRows(e, logits + 4 * b * V, ln + 4 * (b * nq + nq - 1) * C, p.ptr("tok_emb.weight"), 0, 1, C, V);
    return Float32Array.from(e.f32(logits, Bc * V));
  }

  /** A prompt chunk of one sequence with no bias or a Toeplitz one: the tiled attention kernel pays (rows share key loads). */
  private tiledPrefill(Bc: number, nq: number, bias: DecodeBias): boolean {
    return Bc === 1 && nq > 1 && (bias.kind === "none" || bias.kind === "toeplitz");
  }

  /**
   * Attention of sequence 0's rows t0…t0+nq−1 over its cache by the training kernel (attentionForward,
   * flash-attention style, 4 query rows per key load) instead of decodeAttention row by row: its
   * per-head layout [NH, T, HS] is the cache's, so with T = the capacity and the query range
   * [t0, t0+nq) it reads the cache in place; the queries are copied into a workspace slab. Same math and
   * visibility rule (window, dilation, global tokens on positions = slots here). Output rows → `att`.
   */
  private prefillAttention(l: number, qkv: number, att: number, t0: number, nq: number, bias: DecodeBias): void {
    const { cfg, cache, hs: HS } = this, e = this.m.engine, a = cache.acts, C = cfg.dModel, NH = cfg.nHeads, S = cache.slots;
    // the kernel's query slab [NH, S, HS], output [S, C] and logsumexp [NH, S]: workspace for this call only
    const mark = e.mark();
    try {
      const q = e.alloc(4 * NH * S * HS), out = e.alloc(4 * S * C), lse = e.alloc(4 * NH * S);
      const src = e.f32(qkv, nq * 3 * C), dst = e.f32(q, NH * S * HS);
      for (let r = 0; r < nq; r++) for (let h = 0; h < NH; h++) dst.set(src.subarray(r * 3 * C + h * HS, r * 3 * C + (h + 1) * HS), (h * S + t0 + r) * HS);
      // the kernel's last key block may reach past the chunk (masked, weight 0): those slots are not
      // written yet and the slabs are not zeroed (kv-cache.ts), so zero them — 0·NaN would be NaN
      const end = t0 + nq, pad = Math.min(S, end + 64) - end;
      if (pad > 0) {
        for (const slab of [cache.k(l), cache.v(l)]) {
          const view = e.f32(slab, NH * S * HS);
          for (let h = 0; h < NH; h++) view.fill(0, (h * S + end) * HS, (h * S + end + pad) * HS);
        }
      }
      attentionForward(e, out, lse, q, cache.k(l), cache.v(l), { B: 1, T: S, NH, HS }, {
        bias: bias.kind === "toeplitz" ? { kind: "toeplitz", table: bias.table, maxDistance: bias.maxDistance } : { kind: "none" },
        window: layerWindow(cfg, l), dilation: cfg.dilation === null ? 0 : a.ptr("dilation") + 4 * l * NH, globalTokens: cfg.globalTokens,
        queries: { start: t0, end: t0 + nq },
      });
      e.f32(att, nq * C).set(e.f32(out + 4 * t0 * C, nq * C));
    } finally {
      e.reset(mark);
    }
  }

  /**
   * One token per sequence at position t0: the same kernels as `step`, run as the plan's program
   * (decode-step.ts) — in one piece when no JavaScript hook runs inside a layer, else in segments.
   */
  private generationStep(rows: Int32Array[], t0: number): Float32Array {
    const { cfg, m, cache } = this, e = m.engine, Bc = rows.length, C = cfg.dModel, L = cfg.nLayers;
    if (this.plan?.cache !== cache || this.plan.steps.Bc !== Bc) this.plan = { cache, steps: new StepPlan(e, cfg, m.params, cache, Bc) };
    const plan = this.plan.steps, a = cache.acts, qkv = a.ptr("qkv"), tuner = this.tuner, t = tuner === null ? 0 : performance.now();
    const fine = tuner?.fine ?? this.policyFixed === "fine";
    if (plan.fine !== fine) plan.fine = fine;
    const ring = this.ring, { slot0, rot0, rolling } = this.place(t0, Bc);
    cache.setLengths(Bc, slot0, 1);
    this.embed(rows, t0, a.ptr("x"));
    // the dense bias rows share one buffer, written just before their layer's attention
    const hooked = ring !== null || this.relative !== null || this.hooks.rotate !== undefined || denseBiasRows(cfg);
    if (!hooked) {
      // no JavaScript inside a layer: the bias tables and parameter blocks first, then one run
      for (let l = 0; l < L; l++) this.prepareAttention(plan, l, slot0, rolling);
      plan.setSlot(slot0);
      plan.all();
    } else {
      for (let l = 0; l < L; l++) {
        plan.beforeAttention(l);
        ring?.capture(l, e.f32(qkv, Bc * 3 * C), Bc, 1, slot0);
        this.rotate(qkv, Bc, 1, rot0, l);
        cache.append(l, qkv, Bc, 1, slot0);
        if (this.relative !== null) {
          this.relative.attend(cache, l, { out: a.ptr("att"), outStride: C, q: qkv, qStride: 3 * C, B: Bc, nq: 1, shared: this.shared });
          plan.afterAttention(l);
          continue;
        }
        this.prepareAttention(plan, l, slot0, rolling);
        plan.attentionAndAfter(l);
      }
      plan.logits();
    }
    const logits = Float32Array.from(e.f32(a.ptr("logits"), Bc * cfg.vocabSize));
    tuner?.record(performance.now() - t);
    return logits;
  }

  /** Layer l's bias for this step and its attention call in the plan (written when its form changed). */
  private prepareAttention(plan: StepPlan, l: number, slot0: number, rolling: boolean): void {
    const { cfg, cache } = this, a = cache.acts, C = cfg.dModel, bias = this.bias(l, slot0, 1);
    plan.prepareAttention(l, `${bias.kind} ${this.shared} ${rolling}`, () => ({
      out: a.ptr("att"), outStride: C, q: a.ptr("qkv"), qStride: 3 * C, k: cache.k(l), v: cache.v(l), lens: a.ptr("lens"), pos: a.ptr("pos"),
      slots: cache.slots, B: plan.Bc, NH: cfg.nHeads, HS: this.hs, nq: 1, bias, window: layerWindow(cfg, l), contiguous: !rolling,
      dilation: cfg.dilation === null ? 0 : a.ptr("dilation") + 4 * l * cfg.nHeads, globalTokens: cfg.globalTokens,
      scratch: a.ptr("attn.scratch"), scratchStride: cache.scratchStride, shared: this.shared,
    }), slot0 + 1);
  }

  /**
   * Where the rows of tokens t0… go: their first slot, the rotation position of t0, and whether the slots
   * are a rolling cache's ring (positions ≠ slots). Past the rolling cache's capacity it first advances
   * the ring for token t0 (engine-rolling-cache.ts). Without a rolling cache: slot = rotation = t0.
   */
  private place(t0: number, Bc: number): { slot0: number; rot0: number; rolling: boolean } {
    const ring = this.ring;
    if (ring === null) return { slot0: t0, rot0: t0, rolling: false };
    const rolling = ring.rolling(t0);
    if (rolling) ring.advance(this.cache, t0, Bc, this.hooks.rotate);
    // a segment cache keeps pos = slots (contiguous) through its shifts
    return { slot0: ring.slot(t0), rot0: ring.rotation(t0), rolling: rolling && ring.positionsAreSlots !== true };
  }

  /** out = W·x + b for R rows: matvecRows for a step, the tiled matmul for a prompt chunk. */
  private linear(out: number, x: number, name: string, R: number, IN: number, OUT: number): void {
    const p = this.m.params;
    if (R < MATMUL_ROWS) matvecRows(this.m.engine, out, x, p.ptr(`${name}.weight`), p.ptr(`${name}.bias`), R, IN, OUT);
    else linearForward(this.m.engine, { ptr: out, shape: [R, OUT] }, { ptr: x, shape: [R, IN] }, p.ref(`${name}.weight`), p.ref(`${name}.bias`));
  }

  /** x[row] = s·E[token] + absolute(position) for each sequence's rows. */
  private embed(rows: Int32Array[], t0: number, x: number): void {
    const { cfg } = this, C = cfg.dModel, s = embeddingScale(cfg), e = this.m.engine;
    const E = this.m.params.f32("tok_emb.weight"), nq = rows[0]!.length;
    const xs = e.f32(x, rows.length * nq * C), abs = this.hooks.absolute, v = this.f64.subarray(0, C);
    for (let b = 0; b < rows.length; b++) {
      for (let r = 0; r < nq; r++) {
        const tok = rows[b]![r]!, o = (b * nq + r) * C;
        if (abs === undefined) {
          for (let c = 0; c < C; c++) xs[o + c] = s * E[tok * C + c]!;
        } else {
          for (let c = 0; c < C; c++) v[c] = s * E[tok * C + c]!;
          abs(t0 + r, v);
          xs.set(v, o);
        }
      }
    }
  }

  /** Rotates q and k of every row at its position (rotary encodings), in float64, in place. */
  private rotate(qkv: number, R: number, nq: number, t0: number, l: number): void {
    const rot = this.hooks.rotate;
    if (rot === undefined) return;
    const { cfg, hs } = this, C = cfg.dModel, v = this.f64.subarray(0, hs);
    const rowsView = this.m.engine.f32(qkv, R * 3 * C);
    for (let i = 0; i < R; i++) {
      const pos = t0 + (i % nq);
      for (const [which, off] of [["q", 0], ["k", C]] as const) {
        for (let h = 0; h < cfg.nHeads; h++) {
          const o = i * 3 * C + off + h * hs;
          for (let c = 0; c < hs; c++) v[c] = rowsView[o + c]!;
          rot(v, pos, which, l, h);
          for (let c = 0; c < hs; c++) rowsView[o + c] = v[c]!;
        }
      }
    }
  }

  /** The attention bias of layer l for the queries in slots t0…t0+nq−1 (their positions: `pos`). */
  private bias(l: number, t0: number, nq: number): DecodeBias {
    const { cfg, cache } = this, NH = cfg.nHeads;
    if (cfg.pe.kind === "cope") return { kind: "cope", emb: this.m.params.ptr(`blocks.${l}.attn.pe.pos_emb`), maxPos: cfg.pe.maxPos };
    const hooks = this.hooks;
    if (hooks.bias === undefined) return { kind: "none" };
    const qMax = t0 + nq - 1;
    if (this.tableD[l]! < qMax && hooks.biasTable !== undefined) {
      // the whole capacity at once; else (FIRE nearing its threshold) just up to this step's query
      for (const D of [cache.slots - 1, qMax]) {
        const t = hooks.biasTable(l, D);
        if (t !== null) {
          cache.acts.f32(`bias.${l}`).set(t.length === NH * cache.slots ? t : widen(t, NH, D, cache.slots));
          this.tableD[l] = D;
          break;
        }
      }
    }
    if (this.tableD[l]! >= qMax) return { kind: "toeplitz", table: cache.acts.ptr(`bias.${l}`), maxDistance: cache.slots - 1 };
    // dense rows [NH, nq, S] for this step's queries, over the keys' positions (sequence 0's: the batch is in lockstep)
    const S = cache.slots, rowsOut = cache.acts.f32("dense").subarray(0, NH * nq * S), pos = cache.acts.i32("pos");
    for (let h = 0; h < NH; h++) for (let r = 0; r < nq; r++) {
      const slot = t0 + r, q = pos[slot]!, o = (h * nq + r) * S;
      for (let j = 0; j <= slot; j++) rowsOut[o + j] = hooks.bias(l, h, q, pos[j]!);
    }
    return { kind: "dense", rows: cache.acts.ptr("dense"), stride: S };
  }
}

/** A table [NH, D+1] padded to [NH, S] (the planned shape) by repeating each head's last entry. */
function widen(t: Float64Array, NH: number, D: number, S: number): Float64Array {
  const out = new Float64Array(NH * S);
  for (let h = 0; h < NH; h++) for (let n = 0; n < S; n++) out[h * S + n] = t[h * (D + 1) + Math.min(n, D)]!;
  return out;
}
