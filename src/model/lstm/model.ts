/**
 * The seed's baseline LM on the engine: embedding (× the config's embedding scale, 1 by default; + optional
 * absolute encoding, added) → n stacked
 * LSTM layers (hidden size = d) → linear head → softmax cross-entropy. Implements `TrainableModel`
 * (src/model/lm.ts) with the parameter table of src/model/params.ts (PyTorch names and layouts).
 *
 * Memory: parameters, gradients and AdamW m, v are four arenas of one plan, allocated once at
 * creation (optimizer steps run over them flat); activations are planned per window shape by
 * workspace.ts. A steady-state step allocates no engine memory.
 *
 * Zero initial state per window: every window (training or `nll`) starts from h = c = 0, as the seed's
 * `model(data)` call and PyTorch's nn.LSTM default. State is NOT carried from one window to the next:
 * evaluation uses non-overlapping windows (Press et al.), each scored on its own like the transformer's,
 * so the LSTM is compared at equal context. Only a `Decoder` keeps (h, c) across its `feed` calls.
 *
 * Optimizer: AdamW (DEFAULT_ADAMW: betas 0.9/0.95, eps 1e-8, weight decay 0.1) with decay on every
 * tensor, as torch.optim.AdamW(model.parameters()) in the PyTorch fixture; global-norm clipping first.
 *
 * Example:
 *   const engine = await createEngine({ threads: 2 });
 *   const model = createLstm(parseModelConfig({ model: "lstm", d_model: 64, n_layers: 2, pe: "nope" }), { engine, seed: 0 });
 *   model.zeroGrad(); const loss = model.forwardBackward(batch, 1); model.optimizerStep(3e-4, 1.0);
 *   const nll = model.nll({ B: 1, T: 4096, inputs, targets });   // any T: no length limit
 */
import type { Engine } from "../../engine/engine.js";
import { adamwStep, clipCoefficient, DEFAULT_ADAMW, globalGradNorm } from "../../engine/kernels/adamw/adamw.js";
import { allocTrainingState, type Arena, type TrainingState } from "../../engine/memory/plan.js";
import { ExtraposError, show } from "../../pe/errors.js";
import { embeddingScale, LSTM_PE, modelConfigToJson, parseModelConfig, type ModelConfig } from "../config.js";
import { scaledEmbeddingBackward, scaledEmbeddingForward } from "../embedding.js";
import type { Decoder, DecodingOptions, EvalOptions, NamedTensor, TokenBatch, TrainableModel } from "../lm.js";
import { checkParams, initParams, paramTable, type ParamSpec } from "../params.js";
import { LstmDecoder } from "./decoder.js";
import { headLossForward, type HeadBuffers } from "./head.js";
import { lstmLayerBackward, lstmLayerForward, type LayerTensors } from "./layer.js";
import { usesPositions, writePositionIds } from "./positions.js";
import { headChunkRows, Workspace } from "./workspace.js";

export interface LstmOptions {
  engine: Engine;
  /** Seed of the initialisation (ignored when `params` is given). */
  seed: number;
  /** Initial parameters (e.g. from a checkpoint), exactly the table's tensors. */
  params?: Map<string, Float32Array>;
}

/** Prefixes of the optimizer-state tensors: `adam.m.<param>`, `adam.v.<param>` (as checkpoint.ts). */
export const ADAM_M = "adam.m.";
export const ADAM_V = "adam.v.";

const F32 = 4;

/**
 * Creates the LSTM LM on `opts.engine` (the caller keeps ownership of the engine and disposes it).
 *
 * Example: `createLstm(parseModelConfig({ model: "lstm", pe: "sinusoidal" }), { engine, seed: 1 })`
 */
export function createLstm(cfg: ModelConfig, opts: LstmOptions): LstmModel {
  return new LstmModel(cfg, opts);
}

/** Window of a batch: the model-facing part of the forward (ids, targets, positions in the arena). */
export interface WindowInput {
  B: number;
  T: number;
  inputs: Int32Array;
  targets: Int32Array | null;
  positions: Int32Array | undefined;
  /** Position of the first token (decoding), 0 for windows. */
  offset: number;
  /** Adaptive encoding's normalising length. */
  L: number;
}

export class LstmModel implements TrainableModel {
  readonly configJson: Record<string, unknown>;
  readonly vocabSize: number;
  readonly cfg: ModelConfig;
  readonly engine: Engine;
  private readonly table: ParamSpec[];
  private readonly state: TrainingState;
  readonly workspace: Workspace;
  private readonly startMark: number;
  private step = 0;
  private disposed = false;

  constructor(config: ModelConfig, opts: LstmOptions) {
    const cfg = parseModelConfig(modelConfigToJson(config), {});
    if (cfg.model !== "lstm") throw new ExtraposError("invalid_config", `createLstm needs \`model\` "lstm", got ${show(cfg.model)}`);
    if (!LSTM_PE.includes(cfg.pe.kind)) throw new ExtraposError("invalid_config", `\`pe\` must be one of ${LSTM_PE.join(", ")} for the LSTM, got ${show(cfg.pe.kind)}`);
    if (cfg.pe.kind === "adaptive" && cfg.pe.lengthMode !== "sequence") {
      throw new ExtraposError("invalid_config", `\`pe.length_mode\` must be "sequence" for the LSTM (its decoder normalises by the window length), got ${show(cfg.pe.lengthMode)}`,
        "use model transformer for length_mode fixed or window");
    }
    if (opts.params === undefined && !Number.isSafeInteger(opts.seed)) throw new ExtraposError("invalid_argument", `\`seed\` must be an integer, got ${show(opts.seed)}`);
    this.cfg = cfg;
    this.engine = opts.engine;
    this.configJson = modelConfigToJson(cfg);
    this.vocabSize = cfg.vocabSize;
    this.table = paramTable(cfg);
    const params = opts.params ?? initParams(this.table, opts.seed);
    checkParams(this.table, params);
    this.startMark = this.engine.mark();
    this.state = allocTrainingState(this.engine, this.table.map((p) => ({ name: p.name, shape: p.shape, dtype: "f32" as const })));
    for (const p of this.table) this.state.params.f32(p.name).set(params.get(p.name)!);
    this.workspace = new Workspace(this.engine, cfg);
  }

  /**
   * Parameters in table order, as views into engine memory. Take them again after a call with a new
   * window shape: planning may grow the memory, which detaches views of a non-shared memory.
   */
  parameters(): NamedTensor[] {
    this.alive();
    return this.table.map((p) => ({ name: p.name, shape: [...p.shape], data: this.state.params.f32(p.name) }));
  }

  /** Gradients in table order (views into engine memory, like `parameters()`): for tests and diagnostics. */
  gradients(): NamedTensor[] {
    this.alive();
    return this.table.map((p) => ({ name: p.name, shape: [...p.shape], data: this.state.grads.f32(p.name) }));
  }

  zeroGrad(): void {
    this.alive();
    this.state.grads.zero();
  }

  forwardBackward(batch: TokenBatch, gradScale: number): number {
    this.alive();
    checkBatch(batch, this.vocabSize, "forwardBackward", false);
    if (!Number.isFinite(gradScale)) throw new ExtraposError("invalid_argument", `forwardBackward: \`gradScale\` must be a finite number, got ${show(gradScale)}`);
    let count = 0;
    for (let i = 0; i < batch.targets.length; i++) if (batch.targets[i]! >= 0) count++;
    if (count === 0) throw new ExtraposError("invalid_argument", "forwardBackward: every target of the batch is −1 (ignored), so the mean loss is undefined");
    const { B, T } = batch;
    const N = B * T, d = this.cfg.dModel, H = d, V = this.vocabSize, nL = this.cfg.nLayers;
    const a = this.workspace.acquire("train", B, T);
    this.uploadWindow(a, { B, T, inputs: batch.inputs, targets: batch.targets, positions: batch.positions, offset: 0, L: T });
    this.embed(a, N, a.ptr("dA")); // dA: free until the backward
    const P = this.state.params, G = this.state.grads;
    for (let l = 0; l < nL; l++) {
      const gates = a.ptr(`lstm.${l}.gates`), c = a.ptr(`lstm.${l}.c`);
      lstmLayerForward(this.engine, this.layer(P, l), {
        x: l === 0 ? a.ptr("x0") : a.ptr(`lstm.${l - 1}.h`), h: a.ptr(`lstm.${l}.h`), preIh: a.ptr(`lstm.${l}.pre_ih`), preHh: a.ptr("pre_hh"),
        gates: (t) => gates + t * B * 4 * H * F32, c: (t) => c + t * B * H * F32, h0: 0, c0: 0,
      }, B, T, d, H);
    }
    const dBufs = [a.ptr("dA"), a.ptr("dB")];
    const { sum } = headLossForward(this.engine, this.headBuffers(a, a.ptr(`lstm.${nL - 1}.h`)), N, H, V, headChunkRows(N, V), {
      dH: dBufs[0]!, dWeight: G.ptr("head.weight"), dBias: G.ptr("head.bias"), scale: gradScale / count,
    });
    for (let l = nL - 1; l >= 0; l--) {
      const dH = dBufs[(nL - 1 - l) % 2]!, dX = dBufs[(nL - l) % 2]!;
      lstmLayerBackward(this.engine, this.layer(P, l), this.layer(G, l), {
        x: l === 0 ? a.ptr("x0") : a.ptr(`lstm.${l - 1}.h`), h: a.ptr(`lstm.${l}.h`), gates: a.ptr(`lstm.${l}.gates`), c: a.ptr(`lstm.${l}.c`),
        dPre: a.ptr(`lstm.${l}.pre_ih`), dH, dc: a.ptr("dc"), dX,
      }, B, T, d, H);
    }
    const dX0 = dBufs[nL % 2]!;
    const learned = this.cfg.pe.kind === "learned" ? this.cfg.pe.tableSize : 0;
    scaledEmbeddingBackward(this.engine, G.ptr("tok_emb.weight"), learned ? G.ptr("pos_emb.weight") : 0, dX0, a.ptr("ids"),
      learned ? a.ptr("pos_ids") : 0, N, d, V, learned, embeddingScale(this.cfg));
    return sum / count;
  }

  optimizerStep(lr: number, maxGradNorm: number): number {
    this.alive();
    if (!(Number.isFinite(lr) && lr >= 0)) throw new ExtraposError("invalid_argument", `optimizerStep: \`lr\` must be a finite number ≥ 0, got ${show(lr)}`);
    if (!(maxGradNorm > 0)) throw new ExtraposError("invalid_argument", `optimizerStep: \`maxGradNorm\` must be > 0 (Infinity = no clipping), got ${show(maxGradNorm)}`);
    const s = this.state, n = s.flatLength;
    const norm = globalGradNorm(this.engine, s.grads.base, n);
    if (!Number.isFinite(norm)) {
      throw new ExtraposError("non_finite", `optimizerStep: the gradient norm is ${norm} at step ${this.step + 1}; parameters left unchanged`, "lower the learning rate or check the data");
    }
    const coef = maxGradNorm === Infinity ? 1 : clipCoefficient(norm, maxGradNorm);
    this.step++;
    adamwStep(this.engine, s.params.base, s.m.base, s.v.base, s.grads.base, 0, n, this.step, { ...DEFAULT_ADAMW, lr }, coef);
    return norm;
  }

  optimizerState(): { step: number; tensors: NamedTensor[] } {
    this.alive();
    const tensors: NamedTensor[] = [];
    for (const [prefix, arena] of [[ADAM_M, this.state.m], [ADAM_V, this.state.v]] as const) {
      for (const p of this.table) tensors.push({ name: prefix + p.name, shape: [...p.shape], data: arena.f32(p.name).slice() });
    }
    return { step: this.step, tensors };
  }

  loadOptimizerState(state: { step: number; tensors: NamedTensor[] }): void {
    this.alive();
    if (!(Number.isSafeInteger(state.step) && state.step >= 0)) throw new ExtraposError("invalid_argument", `optimizer state \`step\` must be an integer ≥ 0, got ${show(state.step)}`);
    const byName = new Map(state.tensors.map((t) => [t.name, t]));
    const expected = new Set<string>();
    for (const [prefix, arena] of [[ADAM_M, this.state.m], [ADAM_V, this.state.v]] as const) {
      for (const p of this.table) {
        const name = prefix + p.name, t = byName.get(name), dst = arena.f32(p.name);
        expected.add(name);
        if (t === undefined) throw new ExtraposError("shape_mismatch", `optimizer state: tensor \`${name}\` is missing`);
        if (t.data.length !== dst.length) throw new ExtraposError("shape_mismatch", `optimizer state: \`${name}\` has ${t.data.length} elements, the model needs ${dst.length}`);
      }
    }
    for (const name of byName.keys()) if (!expected.has(name)) throw new ExtraposError("shape_mismatch", `optimizer state: tensor \`${name}\` is not in the LSTM's table`);
    for (const [prefix, arena] of [[ADAM_M, this.state.m], [ADAM_V, this.state.v]] as const) {
      for (const p of this.table) arena.f32(p.name).set(byName.get(prefix + p.name)!.data);
    }
    this.step = state.step;
  }

  nll(batch: TokenBatch, opts: EvalOptions = {}): Float64Array {
    this.alive();
    refuseRopeScaling(opts, "nll");
    checkBatch(batch, this.vocabSize, "nll", true);
    const { B, T } = batch, N = B * T;
    const a = this.workspace.acquire("eval", B, T);
    this.uploadWindow(a, { B, T, inputs: batch.inputs, targets: batch.targets, positions: batch.positions, offset: 0, L: T });
    const hTop = this.forwardEval(a, B, T, false);
    headLossForward(this.engine, this.headBuffers(a, hTop), N, this.cfg.dModel, this.vocabSize, headChunkRows(N, this.vocabSize));
    const losses = a.f32("losses");
    const out = new Float64Array(N);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out[b * T + t] = batch.targets[b * T + t]! < 0 ? NaN : losses[t * B + b]!;
    return out;
  }

  startDecoding(opts: DecodingOptions = {}): Decoder {
    this.alive();
    refuseRopeScaling(opts, "startDecoding");
    if (opts.cache !== undefined) {
      throw new ExtraposError("invalid_argument", "the rolling cache (--sinks/--cache) is for attention models; the LSTM's state is already constant-size", "drop --sinks and --cache");
    }
    return new LstmDecoder(this);
  }

  dispose(): void {
    if (this.disposed) return;
    this.workspace.release();
    // Give the training state back only if nothing was allocated on the engine after it.
    if (this.engine.mark() === this.state.v.base + this.state.v.plan.totalBytes) this.engine.reset(this.startMark);
    this.disposed = true;
  }

  // -------------------------------------------------------------------------------------------------
  // pieces shared with the decoder

  /** Copies ids, targets (negatives → −1) and position ids into the arena, time-major; fills the fixed table. */
  uploadWindow(a: Arena, w: WindowInput): void {
    const { B, T } = w;
    const ids = a.i32("ids"), tg = a.i32("targets");
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        ids[t * B + b] = w.inputs[b * T + t]!;
        tg[t * B + b] = w.targets === null ? -1 : Math.max(-1, w.targets[b * T + t]!);
      }
    }
    if (!usesPositions(this.cfg)) return;
    this.workspace.ensureTable(w.offset, w.L);
    writePositionIds(this.cfg, a.i32("pos_ids"), B, T, w.positions, w.offset, this.workspace.tableRows());
  }

  /** x0 = s·tok_emb[ids] (+ the position table's rows), [N, d], s = the embedding scale; `scratch` [N, d] is clobbered when s ≠ 1. */
  embed(a: Arena, N: number, scratch: number): void {
    const pe = this.cfg.pe, P = this.state.params;
    let table = 0, rows = 0;
    if (pe.kind === "learned") { table = P.ptr("pos_emb.weight"); rows = pe.tableSize; }
    else if (pe.kind === "sinusoidal" || pe.kind === "adaptive") { table = a.ptr("pos_table"); rows = this.workspace.tableRows(); }
    scaledEmbeddingForward(this.engine, a.ptr("x0"), scratch, a.ptr("ids"), table === 0 ? 0 : a.ptr("pos_ids"), P.ptr("tok_emb.weight"), table, N, this.cfg.dModel, this.vocabSize, rows,
      embeddingScale(this.cfg));
  }

  /**
   * Forward-only pass of the layers on the "eval" arena; with `fromState` each layer starts from
   * state.h / state.c [layer, B, H] and leaves its final (h, c) there. Returns the top layer's h [N, H].
   */
  forwardEval(a: Arena, B: number, T: number, fromState: boolean): number {
    const d = this.cfg.dModel, H = d, N = B * T;
    this.embed(a, N, a.ptr("h.0")); // h.0: written first by layer 0
    const hBufs = [a.ptr("h.0"), a.ptr("h.1")], cBufs = [a.ptr("c.0"), a.ptr("c.1")];
    const sh = a.ptr("state.h"), sc = a.ptr("state.c"), gates = a.ptr("gates");
    let x = a.ptr("x0");
    for (let l = 0; l < this.cfg.nLayers; l++) {
      const h = hBufs[l % 2]!;
      const state = l * B * H * F32;
      lstmLayerForward(this.engine, this.layer(this.state.params, l), {
        x, h, preIh: a.ptr("pre_ih"), preHh: a.ptr("pre_hh"), gates: () => gates, c: (t) => cBufs[t % 2]!,
        h0: fromState ? sh + state : 0, c0: fromState ? sc + state : 0,
      }, B, T, d, H);
      if (fromState) {
        const mem = new Uint8Array(this.engine.memory.buffer);
        mem.copyWithin(sh + state, h + (N - B) * H * F32, h + N * H * F32);
        mem.copyWithin(sc + state, cBufs[(T - 1) % 2]!, cBufs[(T - 1) % 2]! + B * H * F32);
      }
      x = h;
    }
    return x;
  }

  headBuffers(a: Arena, h: number): HeadBuffers {
    const P = this.state.params;
    return { h, logits: a.ptr("logits"), losses: a.ptr("losses"), targets: a.ptr("targets"), weight: P.ptr("head.weight"), bias: P.ptr("head.bias") };
  }

  private layer(arena: Arena, l: number): LayerTensors {
    const p = `lstm.${l}.`;
    return { weightIh: arena.ptr(p + "weight_ih"), weightHh: arena.ptr(p + "weight_hh"), biasIh: arena.ptr(p + "bias_ih"), biasHh: arena.ptr(p + "bias_hh") };
  }

  /** Throws once the model is disposed. */
  alive(): void {
    if (this.disposed) throw new ExtraposError("invalid_argument", "the LSTM model was disposed; create a new one");
  }
}

function refuseRopeScaling(opts: EvalOptions, op: string): void {
  if (opts.ropeScaling !== undefined) {
    throw new ExtraposError("invalid_argument", `${op}: \`ropeScaling\` applies to RoPE models; the LSTM has no rotary encoding, got ${show(opts.ropeScaling)}`);
  }
}

/** Validates a batch: sizes, array lengths, token ids in [0, V), targets ≥ −1 (any negative when `anyNegative`). */
function checkBatch(batch: TokenBatch, V: number, op: string, anyNegative: boolean): void {
  const { B, T } = batch;
  if (!(Number.isSafeInteger(B) && B >= 1 && Number.isSafeInteger(T) && T >= 1)) throw new ExtraposError("invalid_argument", `${op}: \`B\` and \`T\` must be integers ≥ 1, got ${show(B)} and ${show(T)}`);
  const N = B * T;
  for (const [name, arr] of [["inputs", batch.inputs], ["targets", batch.targets], ["positions", batch.positions]] as const) {
    if (arr === undefined && name === "positions") continue;
    if (!(arr instanceof Int32Array) || arr.length !== N) {
      throw new ExtraposError("shape_mismatch", `${op}: \`batch.${name}\` must be an Int32Array of B·T = ${B}·${T} = ${N} entries, got ${arr instanceof Int32Array ? arr.length : show(arr)}`);
    }
  }
  for (let i = 0; i < N; i++) {
    const x = batch.inputs[i]!, y = batch.targets[i]!;
    if (x < 0 || x >= V) throw new ExtraposError("invalid_argument", `${op}: \`batch.inputs\` must hold token ids in [0, ${V}), got ${x} at index ${i}`);
    if (y >= V || (!anyNegative && y < -1)) {
      throw new ExtraposError("invalid_argument", `${op}: \`batch.targets\` must hold ids in [0, ${V}) or −1 (ignored), got ${y} at index ${i}`);
    }
  }
}
