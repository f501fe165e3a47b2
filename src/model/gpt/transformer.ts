/**
 * The transformer LM on the engine, implementing `TrainableModel` (src/model/lm.ts): the reference model
 * of the engine issue (= ../shared/peers/torch_gpt.py) with every encoding of `PeConfig`.
 *
 * Memory (style.md P5): parameters, gradients and AdamW m and v are four arenas of ONE plan of the
 * parameter table (`allocTrainingState`), so gradient clipping and AdamW each run as one call over the
 * flat arrays. Activations are planned from a tensor table per pass shape (acts.ts): a training plan for
 * (B, T), an evaluation plan for (B, T); a call with another shape re-plans explicitly (the old arena's
 * space is reused when nothing was allocated after it). A steady-state training step allocates nothing.
 *
 * Determinism: every kernel sums in a fixed order and the glue reduces slabs in batch order, so the
 * same seed and thread count give bit-identical losses (and, in practice, any thread count does).
 *
 * Segment memory (Transformer-XL, `pe.mem_len` M > 0; segment-memory.ts): training batches and `nll`
 * batches each carry their own memory to the next batch of their kind that `continues` them; `logits`,
 * `predict` and decoding read windows without memory. The training memory is saved by `memoryState`.
 * The training memory always belongs to the last segment read, also when its step is then skipped
 * (`--skip-nonfinite`: a non-finite loss or gradient norm), as in the reference, whose skipped (fp16
 * overflow) steps keep the `mems` of their forward: it is that segment's block inputs when the forward
 * made them and they are finite, else empty (a forward that threw, or NaN/Inf inputs that would poison
 * every later segment), and the next segment then starts without memory, as a lane's first does.
 *
 * Randomized positions (Ruoss et al.; `pe.randomized`): at training, unless the batch brings its own
 * `positions`, each row gets sorted distinct ids drawn from [0, max_length) by an Rng seeded from
 * (seed, optimizer step, micro-batch index): reproducible, and resumable from the optimizer state
 * alone. At evaluation positions are 0…T−1, unless `EvalOptions.randomPositions` asks for the reference
 * protocol: each row then gets sorted distinct ids from [0, max_length) drawn from Rng(its seed).
 */
import { ExtraposError, show } from "../../pe/errors.js";
import { Rng } from "../../pe/random.js";
import { randomizedPositions } from "../../pe/randomized.js";
import type { Engine } from "../../engine/engine.js";
import { adamwStep, clipCoefficient, DEFAULT_ADAMW, globalGradNorm } from "../../engine/kernels/adamw/adamw.js";
import { allocTrainingState, Arena, planArena, type TrainingState } from "../../engine/memory/plan.js";
import { modelConfigToJson, RANDOMIZABLE, segmentMemoryLength, type ModelConfig } from "../config.js";
import type { Decoder, DecodingOptions, EvalOptions, NamedTensor, RollingCache, TokenBatch, TrainableModel } from "../lm.js";
import { checkParams, initParams, numel, paramTable, type Params, type ParamSpec } from "../params.js";
import { trainingTable, evalTable } from "./acts.js";
import { Float64Decoder } from "./decoder.js";
import { EngineDecoder, type EngineDecodeOptions } from "./engine-decoder.js";
import { RollingCacheDecoder } from "./rolling-cache.js";
import { createEncoding, type Encoding, type Pass, type PlanShape } from "./encodings/index.js";
import { evalForward } from "./eval-pass.js";
import { trainBackward, trainForward, type ModelParts } from "./train-pass.js";
import { commitMemory, finiteOrNone, memoryFromTensors, memoryPass, memoryTensorsOf, type SegmentMemory } from "./segment-memory.js";

export interface TransformerOptions {
  engine: Engine;
  /** Seeds the initialisation (when `params` is absent) and the randomized positions. */
  seed: number;
  /** Initial parameters by table name (a checkpoint); default `initParams(paramTable(cfg), seed)`. */
  params?: ReadonlyMap<string, Float32Array>;
  /** Dispose the engine with the model (createModel creates and owns one). Default false. */
  ownsEngine?: boolean;
  /** Evaluation: query rows per dense-bias chunk; default `queryChunk(NH, T)` (≤ 16 MiB of bias). Tests set it small. */
  evalQueryChunk?: number;
}

interface Plan { key: string; acts: Arena; id: number; start: number; end: number }

/** Query rows per dense-bias chunk of an evaluation: NH·rows·T ≤ 4M floats (16 MiB). */
const queryChunk = (NH: number, T: number): number => Math.max(1, Math.min(T, Math.floor(2 ** 22 / (NH * T))));

export class Transformer implements TrainableModel, ModelParts {
  readonly cfg: ModelConfig;
  readonly configJson: Record<string, unknown>;
  readonly vocabSize: number;
  readonly engine: Engine;
  readonly encoding: Encoding;
  readonly table: readonly ParamSpec[];
  private readonly state: TrainingState;
  private readonly seed: number;
  private readonly ownsEngine: boolean;
  private readonly evalQueryChunk: number | undefined;
  private plan: Plan | null = null;
  private plans = 0;
  /** Transformer-XL segment memory (mem_len > 0) of the training batches and of the evaluation batches. */
  private trainMemory: SegmentMemory | null = null;
  private evalMemory: SegmentMemory | null = null;
  private step = 0;
  private micro = 0;

  constructor(cfg: ModelConfig, opts: TransformerOptions) {
    if (cfg.model !== "transformer") throw new ExtraposError("invalid_config", `the transformer needs \`model\` "transformer", got ${show(cfg.model)}`);
    if ((cfg.pe.kind === "cope" || cfg.pe.kind === "transformer-xl") && (cfg.window !== null || cfg.dilation !== null)) {
      throw new ExtraposError("invalid_config", `\`window\` and \`dilation\` must be null with pe "${cfg.pe.kind}" (its attention kernel has no window), got ${show(cfg.window ?? cfg.dilation)}`);
    }
    if (!Number.isSafeInteger(opts.seed)) throw new ExtraposError("invalid_argument", `\`seed\` must be an integer, got ${show(opts.seed)}`);
    this.cfg = cfg;
    this.configJson = modelConfigToJson(cfg);
    this.vocabSize = cfg.vocabSize;
    this.engine = opts.engine;
    this.seed = opts.seed;
    this.ownsEngine = opts.ownsEngine ?? false;
    this.evalQueryChunk = opts.evalQueryChunk;
    this.table = paramTable(cfg);
    const initial = opts.params ?? initParams(this.table, opts.seed);
    checkParams(this.table, initial);
    this.state = allocTrainingState(this.engine, this.table.map((p) => ({ name: p.name, shape: p.shape, dtype: "f32" as const })));
    for (const p of this.table) this.state.params.f32(p.name).set(initial.get(p.name)!);
    this.encoding = createEncoding({ cfg, engine: this.engine, params: this.state.params, grads: this.state.grads });
    this.encoding.afterUpdate();
    if (cfg.pe.kind === "transformer-xl") this.segmentNll = (batch, opts, segment, memLen) => this.segmentsNll(batch, opts, segment, memLen);
  }

  get params(): Arena { return this.state.params; }
  get grads(): Arena { return this.state.grads; }

  parameters(): NamedTensor[] {
    return this.table.map((p) => ({ name: p.name, shape: [...p.shape], data: this.state.params.f32(p.name) }));
  }

  /** Current gradients in table order (views into engine memory: valid until the next allocation). */
  gradients(): NamedTensor[] {
    return this.table.map((p) => ({ name: p.name, shape: [...p.shape], data: this.state.grads.f32(p.name) }));
  }

  /** A copy of the current parameters by name (e.g. for the float64 reference or a checkpoint). */
  snapshot(): Params {
    return new Map(this.table.map((p) => [p.name, Float32Array.from(this.state.params.f32(p.name))]));
  }

  zeroGrad(): void {
    this.state.grads.zero();
  }

  forwardBackward(batch: TokenBatch, gradScale: number): number {
    if (!Number.isFinite(gradScale)) throw new ExtraposError("invalid_argument", `\`gradScale\` must be a finite number, got ${show(gradScale)}`);
    const pass = this.passFor(batch, true, {}, this.trainMemory);
    let out: { sum: number; count: number };
    try {
      out = trainForward(this, pass);
    } catch (e) {
      if (pass.memory) this.trainMemory = null; // the segment was read but its memory not made: the next starts without (see the header)
      throw e;
    }
    const { sum, count } = out;
    if (count === 0) throw new ExtraposError("invalid_argument", `the batch has no target to predict: all ${batch.B * batch.T} targets are −1`);
    if (pass.memory) this.trainMemory = finiteOrNone(commitMemory(pass.memory)); // before the backward, which may throw (a skipped step)
    trainBackward(this, pass, gradScale / count);
    this.micro++;
    return sum / count;
  }

  optimizerStep(lr: number, maxGradNorm: number): number {
    const n = this.state.flatLength;
    const norm = globalGradNorm(this.engine, this.state.grads.base, n);
    if (!Number.isFinite(norm)) {
      throw new ExtraposError("non_finite", `the global gradient norm is ${norm} at step ${this.step + 1}`, "lower the learning rate, or check the data; the parameters were not updated");
    }
    const coef = maxGradNorm === Infinity ? 1 : clipCoefficient(norm, maxGradNorm); // Infinity = no clipping (clip 0)
    this.step++;
    adamwStep(this.engine, this.state.params.base, this.state.m.base, this.state.v.base, this.state.grads.base, 0, n, this.step, { ...DEFAULT_ADAMW, lr }, coef);
    this.encoding.afterUpdate();
    this.micro = 0;
    return norm;
  }

  optimizerState(): { step: number; tensors: NamedTensor[] } {
    const tensors: NamedTensor[] = [];
    for (const [prefix, arena] of [["adam.m.", this.state.m], ["adam.v.", this.state.v]] as const) {
      for (const p of this.table) tensors.push({ name: prefix + p.name, shape: [...p.shape], data: Float32Array.from(arena.f32(p.name)) });
    }
    return { step: this.step, tensors };
  }

  loadOptimizerState(state: { step: number; tensors: NamedTensor[] }): void {
    if (!Number.isSafeInteger(state.step) || state.step < 0) throw new ExtraposError("invalid_argument", `optimizer \`step\` must be an integer ≥ 0, got ${show(state.step)}`);
    const byName = new Map(state.tensors.map((t) => [t.name, t.data]));
    const expected = new Set<string>();
    for (const [prefix, arena] of [["adam.m.", this.state.m], ["adam.v.", this.state.v]] as const) {
      for (const p of this.table) {
        const data = byName.get(prefix + p.name);
        expected.add(prefix + p.name);
        if (data === undefined || data.length !== numel(p.shape)) {
          throw new ExtraposError("shape_mismatch", `optimizer state \`${prefix}${p.name}\` ${data === undefined ? "is missing" : `has ${data.length} elements, expected ${numel(p.shape)}`}`);
        }
        arena.f32(p.name).set(data);
      }
    }
    for (const name of byName.keys()) if (!expected.has(name)) throw new ExtraposError("shape_mismatch", `optimizer state \`${name}\` is not a tensor of this model`);
    this.step = state.step;
    this.micro = 0;
  }

  /** Transformer-XL's training memory (segment-memory.ts): `mem.<layer>` [B, rows, C] copies; [] when empty. */
  memoryState(): NamedTensor[] {
    return memoryTensorsOf(this.trainMemory, this.cfg.dModel);
  }

  loadMemoryState(tensors: readonly NamedTensor[]): void {
    this.trainMemory = memoryFromTensors(tensors, this.cfg);
  }

  /** Per-token NLL; with segment memory, `batch.continues` reads the batch after the previous `nll` batch's memory. */
  nll(batch: TokenBatch, opts: EvalOptions = {}): Float64Array {
    this.encoding.checkEvalOptions(opts);
    const pass = this.passFor(batch, false, opts, this.evalMemory);
    const nll = new Float64Array(batch.B * batch.T);
    evalForward(this, pass, { nll });
    if (pass.memory) this.evalMemory = commitMemory(pass.memory);
    return nll;
  }

  /**
   * Transformer-XL's segment-level recurrence at evaluation (present for pe "transformer-xl" only; other encodings
   * read segments through the decoder's cache): the NLL of each target [B·T], every row read in consecutive
   * segments of `segment` tokens (the last one shorter when T is not a multiple), each attending to the memory of
   * the previous ones (≤ `memLen` positions per layer, `memLen` ≥ 1), fresh for this call. Equal to the float64
   * decoder's segment cache (rolling-cache.ts) — tested — on the engine, one forward per segment.
   */
  readonly segmentNll?: (batch: TokenBatch, opts: EvalOptions, segment: number, memLen: number) => Float64Array;

  private segmentsNll(batch: TokenBatch, opts: EvalOptions, segment: number, memLen: number): Float64Array {
    for (const [n, v] of [["--segment-len", segment], ["--mem-len", memLen]] as const) if (!Number.isInteger(v) || v < 1) throw new ExtraposError("invalid_argument", `${n} must be an integer ≥ 1, got ${show(v)}`);
    this.encoding.checkEvalOptions(opts);
    const { B, T } = checkBatch(batch), out = new Float64Array(B * T);
    let mem: SegmentMemory | null = null;
    for (let t0 = 0; t0 < T; t0 += segment) {
      const S = Math.min(segment, T - t0), inputs = new Int32Array(B * S), targets = new Int32Array(B * S);
      for (let b = 0; b < B; b++) {
        inputs.set(batch.inputs.subarray(b * T + t0, b * T + t0 + S), b * S);
        targets.set(batch.targets.subarray(b * T + t0, b * T + t0 + S), b * S);
      }
      const pass = this.passFor({ B, T: S, inputs, targets, continues: t0 > 0 }, false, opts, mem, memLen);
      const nll = new Float64Array(B * S);
      evalForward(this, pass, { nll });
      mem = commitMemory(pass.memory!);
      for (let b = 0; b < B; b++) out.set(nll.subarray(b * S, (b + 1) * S), b * T + t0);
    }
    return out;
  }

  /** Greedy (argmax) prediction at every position [B·T] of a forward-only pass (teacher forcing). */
  predict(batch: TokenBatch, opts: EvalOptions = {}): Int32Array {
    this.encoding.checkEvalOptions(opts);
    const pass = this.passFor({ ...batch, targets: new Int32Array(batch.B * batch.T).fill(-1) }, false, opts);
    const argmax = new Int32Array(batch.B * batch.T);
    evalForward(this, pass, { argmax });
    return argmax;
  }

  /** Logits [B, T, V] of a forward-only pass (tests, and the decoder's "recompute" policy). */
  logits(inputs: Int32Array, B: number, T: number, opts: EvalOptions = {}): Float32Array {
    this.encoding.checkEvalOptions(opts);
    const pass = this.passFor({ B, T, inputs, targets: new Int32Array(B * T).fill(-1) }, false, opts);
    const out = new Float32Array(B * T * this.vocabSize);
    evalForward(this, pass, { logits: { from: 0, out } });
    return out;
  }

  /**
   * Incremental decoding on the engine in float32 (engine-decoder.ts: KV cache in engine memory, a batch of
   * sequences sharing the prefill), every encoding — Transformer-XL's relative attention by its decode kernel
   * (xl-decode.ts). With `options.cache`, a bounded cache as the engine decoder's cache policy: StreamingLLM's
   * rolling cache (engine-rolling-cache.ts), or with `cache.segment` Transformer-XL's segment memory
   * (engine-segment-cache.ts). A Transformer-XL model with `mem_len` M > 0 and no `cache` decodes with its
   * segment memory as the cache (segments of T and memory M: at most M + T positions per layer, however long
   * the text). The float64 decoders (`startFloat64Decoding`, `startFloat64RollingDecoding`) are the references.
   */
  startDecoding(options: DecodingOptions = {}, decode: EngineDecodeOptions = {}): Decoder {
    const { cache, ...opts } = options;
    // Transformer-XL with mem_len M: its memory is the cache — segments of T, M positions of memory (bounded)
    const memLen = cache === undefined ? segmentMemoryLength(this.cfg) : 0;
    const rolling = cache ?? (memLen > 0 ? { sinks: 0, recent: memLen, segment: this.cfg.contextLength } : undefined);
    return this.startEngineDecoding(opts, rolling === undefined ? decode : { ...decode, rolling });
  }

  /** The engine decoder itself (engine-decoder.ts). */
  startEngineDecoding(opts: EvalOptions = {}, decode: EngineDecodeOptions = {}): EngineDecoder {
    return new EngineDecoder(this, this.snapshot(), opts, decode);
  }

  /** The float64 rolling-cache decoder (rolling-cache.ts): the test reference of the engine's rolling and segment caches. */
  startFloat64RollingDecoding(opts: EvalOptions, cache: RollingCache): RollingCacheDecoder {
    return new RollingCacheDecoder(this.cfg, this.snapshot(), this.encoding, opts, cache);
  }

  /** The float64 reference decoder (decoder.ts): slow, for tests. */
  startFloat64Decoding(opts: EvalOptions = {}): Float64Decoder {
    return new Float64Decoder(this.cfg, this.snapshot(), this.encoding, opts, (ids) => {
      const out = new Float32Array(this.vocabSize);
      const pass = this.passFor({ B: 1, T: ids.length, inputs: ids, targets: new Int32Array(ids.length).fill(-1) }, false, opts);
      evalForward(this, pass, { logits: { from: ids.length - 1, out } });
      return out;
    });
  }

  dispose(): void | Promise<void> {
    this.plan = null;
    if (this.ownsEngine) return this.engine.dispose();
  }

  /**
   * Validates the batch, chooses the positions, (re-)plans if needed and writes ids/targets/positions.
   * `memory`: the segment memory of this kind of batch (`undefined` = a forward without memory), keeping `memLen` rows.
   */
  private passFor(batch: TokenBatch, training: boolean, evalOptions: EvalOptions, memory?: SegmentMemory | null, memLen = segmentMemoryLength(this.cfg)): Pass {
    const { B, T } = checkBatch(batch);
    const { ids, explicit, span } = this.positionsFor(batch, training, evalOptions);
    const mp = memory !== undefined && memLen > 0 ? memoryPass(memory, batch.continues === true, B, T, this.cfg, memLen) : null;
    const shape: PlanShape = { B, T, span, training, queryChunk: this.evalQueryChunk ?? queryChunk(this.cfg.nHeads, T), memory: mp?.current.rows ?? 0 };
    const key = `${training ? "train" : "eval"}:${B}:${T}:${span}:${shape.memory}:${this.encoding.planVariant(shape)}`;
    if (this.plan?.key !== key) this.replan(shape, key);
    const acts = this.plan!.acts;
    acts.i32("inputs").set(batch.inputs);
    acts.i32("targets").set(batch.targets);
    acts.i32("pos.ids").set(ids);
    return { shape, planId: this.plan!.id, acts, posIdsPtr: acts.ptr("pos.ids"), posIds: ids, explicitPositions: explicit, evalOptions, memory: mp };
  }

  private replan(shape: PlanShape, key: string): void {
    if (this.plan !== null && this.engine.mark() === this.plan.end) this.engine.reset(this.plan.start);
    const start = this.engine.mark();
    const extra = this.encoding.tensors(shape);
    const table = shape.training ? trainingTable(this.cfg, shape, extra) : evalTable(this.cfg, shape, extra);
    const acts = new Arena(this.engine, planArena(table));
    if (this.cfg.dilation !== null) acts.i32("attn.dilation").set(this.cfg.dilation.flat());
    this.plan = { key, acts, id: ++this.plans, start, end: this.engine.mark() };
  }

  /** Position ids [B, T]: the batch's, randomized ones at training, or 0…T−1. */
  private positionsFor(batch: TokenBatch, training: boolean, evalOptions: EvalOptions): { ids: Int32Array; explicit: boolean; span: number } {
    const { B, T } = batch, pe = this.cfg.pe;
    const randomized = "randomized" in pe ? pe.randomized : null;
    const evalRandom = !training && randomized !== null && evalOptions.randomPositions !== undefined;
    if (evalRandom && T > randomized.maxLength) {
      throw new ExtraposError("invalid_argument", `random evaluation positions need T ≤ pe.randomized.max_length (${randomized.maxLength}), got T = ${T}`, "evaluate with plain positions (--positions plain) or shorter lengths");
    }
    let ids: Int32Array;
    if (batch.positions !== undefined) ids = batch.positions;
    else if ((training || evalRandom) && randomized !== null) {
      const rng = evalRandom
        ? new Rng(evalOptions.randomPositions!.seed >>> 0)
        : new Rng((Math.imul(this.seed, 0x9e3779b1) ^ Math.imul(this.step, 0x85ebca6b) ^ Math.imul(this.micro, 0xc2b2ae35)) >>> 0);
      ids = new Int32Array(B * T);
      for (let b = 0; b < B; b++) ids.set(randomizedPositions(T, randomized.maxLength, rng), b * T);
    } else {
      ids = new Int32Array(B * T);
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) ids[b * T + t] = t;
    }
    let explicit = false, max = T - 1;
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] !== i % T) explicit = true;
      if (ids[i]! > max) max = ids[i]!;
    }
    if (explicit && !RANDOMIZABLE.includes(pe.kind)) {
      throw new ExtraposError("invalid_argument", `batch \`positions\` other than 0…T−1 apply to pe ${RANDOMIZABLE.map((k) => `"${k}"`).join(", ")}, this model's pe is "${pe.kind}"`);
    }
    const span = Math.max(max + 1, (training || evalRandom) && randomized !== null ? randomized.maxLength : T);
    return { ids, explicit, span };
  }
}

function checkBatch(batch: TokenBatch): { B: number; T: number } {
  const { B, T } = batch;
  if (!(Number.isInteger(B) && B >= 1 && Number.isInteger(T) && T >= 1)) {
    throw new ExtraposError("invalid_argument", `batch B and T must be integers ≥ 1, got B = ${show(B)}, T = ${show(T)}`);
  }
  for (const [name, a] of [["inputs", batch.inputs], ["targets", batch.targets], ["positions", batch.positions]] as const) {
    if (a === undefined && name === "positions") continue;
    if (!(a instanceof Int32Array) || a.length !== B * T) {
      throw new ExtraposError("shape_mismatch", `batch \`${name}\` must be an Int32Array of B·T = ${B}·${T} = ${B * T} entries, got ${a instanceof Int32Array ? a.length : show(a)}`);
    }
  }
  return { B, T };
}
