/**
 * What the experiment needs from training and evaluation, as an interface, so that the orchestration,
 * the report and their tests do not depend on the engine: the real adapter (runner-real.ts) wraps
 * `trainRun` / `evaluateRun`; tests use the synthetic runner of runner-fake.ts.
 */
import type { RollingCache } from "../model/lm.js";

export interface TrainProgress {
  step: number;
  loss: number;
  tokensPerSecond: number;
}

export interface TrainRequest {
  /** Method name, for messages (e.g. "alibi"). */
  method: string;
  /** Run directory to create (must not hold a finished run): config.json, metrics.jsonl, TensorBoard events, model.safetensors. */
  runDir: string;
  /** Model config in file form (snake_case, as `parseModelConfig` takes). */
  modelJson: Record<string, unknown>;
  steps: number;
  batch: number;
  seqLen: number;
  lr: number;
  /**
   * Steps of the passkey fine-tuning that follows the language model (`runDir/passkey/`: `training.init_from` the
   * trained model, every row a passkey row, src/data/passkey-mix.ts); absent or 0 = none.
   */
  passkeySteps?: number;
  /** Peak learning rate of the passkey fine-tuning (the trainer's warmup and cosine to a tenth), e.g. 3e-3. */
  passkeyLr?: number;
  /** Rows per step of the passkey fine-tuning (absent = `batch`). */
  passkeyBatch?: number;
  /** Its distance curriculum (`training.passkey_curriculum`, a fraction of its steps; absent or 0 = none). */
  passkeyCurriculum?: number;
  seed: number;
  threads: number;
  /** Continue the run in `runDir` from its last checkpoint (it holds one) instead of training anew. */
  resume?: boolean;
  /** Steps between checkpoints (default: the trainer's); does not change the numbers, only what a kill loses. */
  checkpointEvery?: number;
  onProgress(p: TrainProgress): void;
}

/** Loss curves from metrics.jsonl; NaN where a step logged no value. */
export interface TrainingCurve {
  step: number[];
  trainLoss: number[];
  validLoss: number[];
}

export interface TrainOutcome {
  steps: number;
  finalTrainLoss: number;
  finalValidLoss: number;
  wallSeconds: number;
  tokensPerSecond: number;
  curve: TrainingCurve;
}

export interface EvalRequest {
  runDir: string;
  /** Evaluation lengths (ascending). */
  lengths: number[];
  /** HF-style `rope_scaling` dict applied at evaluation (e.g. {rope_type: "yarn", factor: 8, …}); null = none. */
  ropeScaling: Record<string, unknown> | null;
  /** Mixed-passkey trials per length (src/eval/passkey-mix.ts), scored on the passkey fine-tuned model `runDir/passkey/` when it exists; 0 = none. */
  passkeyTrials: number;
  maxTokensPerLength: number;
  /** The length whose loss per position is wanted (one long window; null = none). */
  lossPerPositionLength: number | null;
  seed: number;
  threads: number;
  /** Transformer-XL segments with memory (or a rolling cache): each window read through this cache; absent = one forward. */
  cache?: RollingCache;
}

export interface EvalOutcome {
  lengths: number[];
  /** Mean NLL (nats) per length, non-overlapping windows. */
  loss: number[];
  ppl: number[];
  tokens: number[];
  /** Mixed-passkey exact match in [0, 1] per length (src/eval/passkey-mix.ts); null when not measured. */
  passkeyAcc: Array<number | null>;
  /** Mixed-passkey per-digit accuracy in [0, 1] per length; optional, null when not measured. */
  passkeyTokenAcc?: Array<number | null>;
  /**
   * Each passkey trial's fraction of key digits right, per length (null when not measured): the same trials (keys,
   * depths, filler) for every method of a seed, so methods are compared trial by trial. Optional.
   */
  passkeyTrialAcc?: Array<number[] | null>;
  /** Mean loss at each position 0 … n−1 of windows of length n; null when not measured. */
  lossPerPosition: { length: number; loss: number[] } | null;
  /**
   * Mean loss of each evaluation window, per length (the same windows for every method and seed: the
   * bench's intervals and paired comparisons are computed from them). Optional: a runner without it gives
   * no intervals.
   */
  windowLoss?: number[][];
  /** How a randomized-position model was evaluated ("random": the reference protocol); absent = plain. */
  positions?: "random" | "plain";
  wallSeconds: number;
}

export interface Runner {
  train(req: TrainRequest): Promise<TrainOutcome>;
  evaluate(req: EvalRequest): Promise<EvalOutcome>;
}
