/**
 * Where the trainer's batches and validation loss come from: a text stream (random windows of T+1
 * tokens, src/data/batches.ts) or a synthetic task (freshly generated examples of input length T,
 * src/data/tasks/sampler.ts). The trainer sees only {@link TrainSource}: a resumable batch stream and
 * a validation loss, so the loop never branches on the kind of data.
 *
 * Text: validation = mean NLL over `eval_windows` fixed non-overlapping windows of the valid split
 * (plain text, also with `passkey_mix`, whose rows only change the training batches: src/data/passkey-mix.ts).
 * Models trained with randomized positions are validated as the reference evaluates them (Ruoss et al.):
 * each validation batch is scored with VALIDATION_POSITION_DRAWS draws of fresh sorted random positions, each
 * token's NLL averaged over the draws (as `extrapos eval` averages its `--position-draws`), from a fixed seed (so
 * every validation of a run, and a resumed run, sees the same draws); other models are scored once (positions
 * 0…T−1).
 * Segment memory (Transformer-XL, `memLen` M > 0; src/data/lanes.ts): the training text is read as B contiguous
 * lanes (consecutive batches = consecutive segments, `continues`), and validation as the reference evaluates:
 * the valid split in min(B, ⌊N/(T+1)⌋) lanes, the first ⌈eval_windows / lanes⌉ segments of each (≈ eval_windows
 * windows of T), memory carried from segment to segment; tasks (independent examples) are refused. With
 * `passkey_mix` > 0 (the bench's passkey fine-tuning of transformer-xl-mem) the rows are independent examples too:
 * random windows with the passkey rows, as without memory, and no `continues`, so every batch is read as one
 * segment with an empty memory (a row never attends to another batch's unrelated row); validation stays on lanes.
 * (Until this was handled, `passkey_mix` was silently dropped with memory: the "passkey" fine-tuning trained on lanes
 * of plain text, and the copies never saw a passkey row.)
 * Task: validation = mean NLL over the answer tokens (targets ≠ −1) of `eval_windows` fixed examples
 * of length T from `Rng(seed + 3)` (`taskExamples`), pooled over all examples; the training loss is
 * likewise the mean over the answer tokens of the batch (the model's ignore index −1).
 *
 * Example:
 *   const src = openTrainSource(data, model.contextLength, training, null);
 *   src.stream.next(B, { x, y }); src.validationLoss(model, B);
 */
import { ExtraposError } from "../pe/errors.js";
import type { EvalOptions, TokenBatch, TrainableModel } from "../model/lm.js";
import { drawSeed } from "../model/draw-seed.js";
import { nonOverlappingWindows, RandomWindowSampler, type EvalWindow, type RandomWindowState } from "../data/batches.js";
import { checkLanes, LaneSampler, laneWindows, type LaneState } from "../data/lanes.js";
import { checkTaskSeqLen, IGNORE_INDEX, TaskSampler, taskExamples, type TaskExample, type TaskName, type TaskSamplerState } from "../data/tasks/index.js";
import type { Tokenizer } from "../data/tokenizer.js";
import { PasskeyMixStream } from "../data/passkey-mix.js";
import { runSeeds, type TrainingConfig } from "./config.js";
import { tokenFingerprint, type RunData } from "./run-format.js";

/** Text splits (tokenized with the model's tokenizer). */
export interface TextTrainData {
  kind: "text";
  train: Int32Array;
  valid: Int32Array;
  /** Corpus spec recorded in config.json (null when tokens were passed in directly). */
  spec: Record<string, unknown> | null;
  description: string;
  /** The model's tokenizer (needed by `training.passkey_mix`, which encodes the passkey template). */
  tokenizer?: Tokenizer;
}

/** A synthetic task: examples generated on the fly with the model's tokenizer. */
export interface TaskTrainData {
  kind: "task";
  task: TaskName;
  tokenizer: Tokenizer;
  description: string;
}

export type TrainData = TextTrainData | TaskTrainData;

/** A resumable stream of training batches (the state is JSON, saved in the train state). */
export interface BatchStream {
  next(B: number, out: { x: Int32Array; y: Int32Array }): unknown;
  state(): RandomWindowState | TaskSamplerState | LaneState;
  /** Contiguous lanes: whether the last batch continues the previous one (the model's segment memory carries over). */
  continues?(): boolean;
}

export interface TrainSource {
  stream: BatchStream;
  /** Mean validation NLL (nats) over the fixed validation set, B rows per model call. */
  validationLoss(model: TrainableModel, B: number): number;
}

/** Fixed validation windows: up to `max` of the non-overlapping windows of length T, evenly spaced. */
export function validationWindows(nTokens: number, T: number, max: number): EvalWindow[] {
  const all = nonOverlappingWindows(nTokens, T);
  const k = Math.min(max, all.length);
  return Array.from({ length: k }, (_, i) => all[Math.floor((i * all.length) / k)]!);
}

/** Seed of the random validation positions (randomized-position models only). */
export const VALIDATION_POSITION_SEED = 0x7a11d;

/** Position draws averaged per validation batch of a randomized-position model (evaluation's default, src/eval/run.ts, is also 3). */
export const VALIDATION_POSITION_DRAWS = 3;

/** Eval options of draw `draw` of validation call `call` at length T: random positions for randomized models (see the header). */
export function validationOptions(T: number, call: number, draw = 0): EvalOptions {
  return { randomPositions: { seed: drawSeed(VALIDATION_POSITION_SEED, T, call, draw) } };
}

/** Whether the model was trained with randomized positions (its config's `pe.randomized`). */
function randomizedPositions(model: TrainableModel): boolean {
  const pe = model.configJson.pe as { randomized?: unknown } | undefined;
  return pe?.randomized !== undefined && pe.randomized !== null;
}

/** Per-token NLL of one validation batch: one call, or the mean over VALIDATION_POSITION_DRAWS draws for a randomized model. */
function validationNll(model: TrainableModel, batch: TokenBatch, call: number): Float64Array {
  const draws = randomizedPositions(model) ? VALIDATION_POSITION_DRAWS : 1;
  const mean = new Float64Array(batch.B * batch.T);
  for (let d = 0; d < draws; d++) {
    const v = model.nll(batch, validationOptions(batch.T, call, d));
    for (let i = 0; i < mean.length; i++) mean[i]! += v[i]! / draws;
  }
  return mean;
}

/** Mean NLL (nats) of `model` over `windows` of length T, B windows per call. */
export function meanWindowLoss(model: TrainableModel, tokens: Int32Array, windows: readonly EvalWindow[], T: number, B: number): number {
  let sum = 0, n = 0;
  for (let i = 0; i < windows.length; i += B) {
    const rows = windows.slice(i, i + B);
    const inputs = new Int32Array(rows.length * T), targets = new Int32Array(rows.length * T);
    rows.forEach((w, r) => {
      inputs.set(tokens.subarray(w.start, w.start + T), r * T);
      targets.set(tokens.subarray(w.start + 1, w.start + T + 1), r * T);
    });
    for (const v of validationNll(model, { B: rows.length, T, inputs, targets }, i)) {
      sum += v;
      n++;
    }
  }
  return sum / n;
}

/** Mean NLL over the first `segments` segments of `lanes` contiguous lanes of `tokens`, the model's memory carried (see the header). */
export function laneValidationLoss(model: TrainableModel, tokens: Int32Array, T: number, lanes: number, segments: number): number {
  const w = laneWindows(tokens.length, lanes, T, segments);
  const inputs = new Int32Array(lanes * T), targets = new Int32Array(lanes * T);
  let sum = 0, n = 0;
  for (let k = 0; k < w.segments; k++) {
    for (let b = 0; b < lanes; b++) {
      const s = w.start(b, k);
      inputs.set(tokens.subarray(s, s + T), b * T);
      targets.set(tokens.subarray(s + 1, s + T + 1), b * T);
    }
    for (const v of model.nll({ B: lanes, T, inputs, targets, continues: k > 0 })) {
      sum += v;
      n++;
    }
  }
  return sum / n;
}

/** Lanes of the validation text for B training lanes: min(B, ⌊N/(T+1)⌋). */
export const validationLanes = (nTokens: number, T: number, B: number): number => Math.max(1, Math.min(B, Math.floor(nTokens / (T + 1))));

/** Stacks examples of one length into a batch (inputs, targets with −1 outside the answers). */
export function exampleBatch(examples: readonly TaskExample[]): TokenBatch {
  const T = examples[0]!.input.length;
  const inputs = new Int32Array(examples.length * T), targets = new Int32Array(examples.length * T);
  examples.forEach((ex, r) => {
    inputs.set(ex.input, r * T);
    targets.set(ex.target, r * T);
  });
  return { B: examples.length, T, inputs, targets };
}

/** Sum and count of the NLL over the answer tokens (targets ≠ −1) of `batch`, from one `nll` call. */
export function answerNll(nll: Float64Array, batch: TokenBatch): { sum: number; count: number } {
  let sum = 0, count = 0;
  for (let i = 0; i < batch.targets.length; i++) {
    if (batch.targets[i] === IGNORE_INDEX) continue;
    sum += nll[i]!;
    count++;
  }
  return { sum, count };
}

/** Mean NLL over the answer tokens of `examples` (pooled), B examples per call. */
export function meanAnswerLoss(model: TrainableModel, examples: readonly TaskExample[], B: number): number {
  let sum = 0, count = 0;
  for (let i = 0; i < examples.length; i += B) {
    const batch = exampleBatch(examples.slice(i, i + B));
    const r = answerNll(validationNll(model, batch, i), batch);
    sum += r.sum;
    count += r.count;
  }
  return sum / count;
}

/**
 * Refuses text splits too short for one window of T+1 tokens, or a task whose minimum length exceeds T; with
 * segment memory (`memLen` > 0), a task, and a training split too short for one segment in each of `lanes` lanes.
 */
export function checkData(data: TrainData, T: number, memLen = 0, lanes = 1): void {
  if (data.kind === "task") {
    if (memLen > 0) throw new ExtraposError("invalid_argument", `\`pe.mem_len\` ${memLen} reads a text as contiguous lanes; the ${data.task} task's examples are independent`, "train the task with mem_len 0 (no --mem-len)");
    checkTaskSeqLen(data.task, data.tokenizer, T, "seq_len (context_length)");
    return;
  }
  for (const [split, toks] of [["train", data.train], ["valid", data.valid]] as const) {
    if (toks.length < T + 1) throw new ExtraposError("invalid_argument", `the ${split} split has ${toks.length} tokens, fewer than seq_len + 1 = ${T + 1}`, "use more text or a shorter --seq-len");
  }
  if (memLen > 0) checkLanes(data.train.length, lanes, T, "the train split");
}

function taskValidation(data: TaskTrainData, T: number, tc: TrainingConfig): TaskExample[] {
  return taskExamples(data.task, data.tokenizer, T, tc.evalWindows, runSeeds(tc).taskValidation);
}

/**
 * What config.json records about the data. Task runs: spec null, no training tokens (generated), the
 * validation set's input tokens, and a fingerprint of the validation examples (inputs then targets),
 * so a resume under a changed generator is refused.
 */
export function runData(data: TrainData, T: number, tc: TrainingConfig): RunData {
  if (data.kind === "text") {
    return { spec: data.spec, description: data.description, trainTokens: data.train.length, validTokens: data.valid.length, fingerprint: tokenFingerprint(data.train, data.valid) };
  }
  const valid = taskValidation(data, T, tc);
  return {
    spec: null, description: data.description, trainTokens: 0, validTokens: valid.length * T,
    fingerprint: tokenFingerprint(...valid.map((e) => e.input), ...valid.map((e) => e.target)),
  };
}

function isTaskState(s: RandomWindowState | TaskSamplerState | LaneState): s is TaskSamplerState {
  return typeof (s as TaskSamplerState).task === "string";
}

/**
 * Random text windows (fresh from the data seed, or restored from `saved`), with `training.passkey_mix` > 0 the
 * passkey rows mixed in (src/data/passkey-mix.ts). No `continues`: a memory model reads every batch with an empty memory.
 */
function textStream(data: TextTrainData, T: number, tc: TrainingConfig, saved: RandomWindowState | null): BatchStream {
  const text = saved ? RandomWindowSampler.restore(data.train, saved) : new RandomWindowSampler(data.train, T, runSeeds(tc).data);
  if (tc.passkeyMix === 0) return text;
  if (!data.tokenizer) throw new ExtraposError("internal", "`training.passkey_mix` needs the text data's tokenizer");
  return new PasskeyMixStream(text, data.tokenizer, tc.passkeyMix, runSeeds(tc).passkeyMix, tc.passkeyCurriculum > 0 ? { fraction: tc.passkeyCurriculum, steps: tc.steps, rowsPerStep: tc.batch * tc.gradAccum } : null);
}

/**
 * The batch stream (fresh from the data seed, or restored from `saved`) and the validation set; `memLen` > 0: lanes,
 * or with `training.passkey_mix` > 0 random windows with passkey rows and an empty memory per batch (see the header).
 */
export function openTrainSource(data: TrainData, T: number, tc: TrainingConfig, saved: RandomWindowState | TaskSamplerState | LaneState | null, memLen = 0): TrainSource {
  const seed = runSeeds(tc).data;
  if (memLen > 0) {
    checkData(data, T, memLen, tc.batch);
    if (data.kind !== "text") throw new ExtraposError("internal", "checkData refuses tasks with memory");
    const vLanes = validationLanes(data.valid.length, T, tc.batch), segments = Math.ceil(tc.evalWindows / vLanes);
    const validationLoss = (model: TrainableModel): number => laneValidationLoss(model, data.valid, T, vLanes, segments);
    if (tc.passkeyMix === 0) {
      if (saved !== null && typeof (saved as LaneState).lanes !== "number") throw new ExtraposError("corrupt_file", "the train state's sampler draws random windows, but the run reads contiguous lanes (pe.mem_len > 0)");
      return { stream: saved ? LaneSampler.restore(data.train, saved as LaneState) : new LaneSampler(data.train, T, tc.batch), validationLoss };
    }
    // passkey rows are independent examples: random windows, every batch read with an empty memory (see the header)
    if (saved !== null && typeof (saved as LaneState).lanes === "number") throw new ExtraposError("corrupt_file", "the train state's sampler reads contiguous lanes, but the run draws random windows with passkey rows (training.passkey_mix > 0)");
    return { stream: textStream(data, T, tc, saved as RandomWindowState | null), validationLoss };
  }
  if (saved !== null && typeof (saved as LaneState).lanes === "number") throw new ExtraposError("corrupt_file", "the train state's sampler reads contiguous lanes, but the run draws random windows (pe.mem_len 0)");
  if (saved !== null && isTaskState(saved) !== (data.kind === "task")) {
    throw new ExtraposError("corrupt_file", `the train state's sampler is for ${isTaskState(saved) ? `the ${saved.task} task` : "text"}, but the run trains on ${data.kind === "task" ? `the ${data.task} task` : "text"}`);
  }
  if (data.kind === "text") {
    const windows = validationWindows(data.valid.length, T, tc.evalWindows);
    return { stream: textStream(data, T, tc, saved as RandomWindowState | null), validationLoss: (model, B) => meanWindowLoss(model, data.valid, windows, T, B) };
  }
  if (saved !== null && (saved as TaskSamplerState).task !== data.task) {
    throw new ExtraposError("corrupt_file", `the train state's sampler is for the ${(saved as TaskSamplerState).task} task, but the run trains on the ${data.task} task`);
  }
  const valid = taskValidation(data, T, tc);
  return {
    stream: saved ? TaskSampler.restore(data.tokenizer, saved as TaskSamplerState) : new TaskSampler(data.task, data.tokenizer, T, seed, tc.taskMinLength ?? T),
    validationLoss: (model, B) => meanAnswerLoss(model, valid, B),
  };
}
