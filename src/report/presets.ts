/**
 * The bench's methods and presets, as data: what `npm start` (`extrapos bench`, preset `default`) and
 * `extrapos bench --preset full` train and evaluate, and the time budget each preset is sized for.
 *
 * A method is either `trained` (its own model, trained at length L) or an `eval-variant`: the trained
 * model of another method (`base`, always `rope`) evaluated with a RoPE scaling scheme. Variants never
 * retrain: `rope-yarn` and `rope-linear` reuse the `rope` run of the same seed.
 *
 * Scaling factor of the variants (decided here, documented in docs/experiment.md): at evaluation length
 * n the factor is s = n / L (no scaling at n ≤ L), i.e. each length gets the interpolation it needs,
 * as Position Interpolation and YaRN set s = L' / L for a target length L'.
 *
 * Example: `estimateBudget({ ...BENCH_PRESETS.default, jobs: 2 }).totalSeconds` → ≈ 453 (≤ 600, the `default`
 * limit; on 2 cores the plan's default is 2 trainings at once of 1 thread each). One training at a time on 2
 * threads (`threads: 2`) it is ≈ 531; on one thread (no jobs, no threads) ≈ 844, over the limit: the 10 minutes
 * assume the 2 cores.
 */
import { ExtraposError } from "../pe/errors.js";

/** Lengths a method's model config may depend on. */
export interface MethodContext {
  /** Training length L. */
  trainLen: number;
  /** Longest evaluation length (e.g. 32·L). */
  maxEvalLen: number;
  /** Blocks and heads of the preset's model (per-layer windows, per-head dilation). */
  nLayers: number;
  nHeads: number;
}

/**
 * Longformer's autoregressive pattern for an n-layer model trained at L: windows doubling with depth up
 * to L/2 at the top (w_l = max(4, L·2^(l−n)), l = 0 … n−1), dilation 2 on the upper half of the heads of the
 * upper half of the layers (Beltagy et al. 2020, §4: small windows low, large high, dilation on a
 * few heads of the upper layers only), no global tokens.
 */
export function longformerPattern(c: MethodContext): { window: number[]; dilation: number[][] } {
  const window = Array.from({ length: c.nLayers }, (_, l) => Math.max(4, Math.round(c.trainLen * 2 ** (l - c.nLayers))));
  const dilation = Array.from({ length: c.nLayers }, (_, l) => Array.from({ length: c.nHeads }, (_, h) => (2 * l >= c.nLayers && 2 * h >= c.nHeads ? 2 : 1)));
  return { window, dilation };
}

export type BenchMethod =
  | {
      kind: "trained";
      summary: string;
      /** Model-config overrides in file form (snake_case, as `parseModelConfig` takes). */
      model(ctx: MethodContext): Record<string, unknown>;
      /** Transformer-XL's recurrence at evaluation: windows read in segments of L with a memory of L tokens. */
      evalSegments?: true;
    }
  | {
      kind: "eval-variant";
      summary: string;
      /** The trained method whose runs this variant evaluates. */
      base: "rope";
      /** HF `rope_type` applied at evaluation, with factor n / L at length n > L. */
      ropeType: "linear" | "yarn" | "dynamic";
      segments?: undefined;
    }
;

/**
 * Randomized methods draw training (and evaluation) positions from [0, RANDOMIZED_MAX_FACTOR × the longest evaluation
 * length): Ruoss et al.'s reference draws from [0, 2048) for test lengths up to 500 (experiments/example.py).
 */
export const RANDOMIZED_MAX_FACTOR = 4;

/**
 * Every method the bench knows (order = table and legend order). A trained method named after an encoding
 * (src/pe/encodings.ts) trains that encoding under its canonical name (presets.test.ts checks it); the others
 * are variants: a parameter setting (`kerple-power`), randomized positions, RoPE scaling at evaluation, the LSTM.
 */
export const BENCH_METHODS = {
  sinusoidal: { kind: "trained", summary: "sinusoidal absolute encoding added to the embeddings (Vaswani et al. 2017)", model: () => ({ pe: { kind: "sinusoidal" } }) },
  adaptive: { kind: "trained", summary: "the seed's length-adaptive periodic encoding", model: () => ({ pe: { kind: "adaptive" } }) },
  learned: { kind: "trained", summary: "learned absolute table of L rows; positions ≥ L reuse the last row (clamp)", model: () => ({ pe: { kind: "learned" } }) },
  rope: { kind: "trained", summary: "RoPE, half-split layout, θ = 10000 (Su et al. 2021)", model: () => ({ pe: { kind: "rope" } }) },
  "rope-yarn": { kind: "eval-variant", summary: "the rope model with YaRN at evaluation, factor n/L (Peng et al. 2023)", base: "rope", ropeType: "yarn" },
  "rope-linear": { kind: "eval-variant", summary: "the rope model with linear position interpolation at evaluation, factor n/L (Chen et al. 2023)", base: "rope", ropeType: "linear" },
  "rope-dynamic": { kind: "eval-variant", summary: "the rope model with dynamic NTK scaling at evaluation", base: "rope", ropeType: "dynamic" },
  xpos: { kind: "trained", summary: "xPos: RoPE with an exponential decay (Sun et al. 2022)", model: () => ({ pe: { kind: "xpos" } }) },
  alibi: { kind: "trained", summary: "ALiBi linear biases (Press et al. 2022)", model: () => ({ pe: { kind: "alibi" } }) },
  t5: { kind: "trained", summary: "T5 bucketed relative bias, 32 buckets, max distance 128 (Raffel et al. 2020)", model: () => ({ pe: { kind: "t5" } }) },
  kerple: { kind: "trained", summary: "KERPLE logarithmic kernel (Chi et al. 2022)", model: () => ({ pe: { kind: "kerple", kernel: "log" } }) },
  "kerple-power": { kind: "trained", summary: "KERPLE power kernel (Chi et al. 2022)", model: () => ({ pe: { kind: "kerple", kernel: "power" } }) },
  // FIRE's threshold L starts at the training length, so that ψ(i−j)/ψ(max(L, i)) spans [0, 1) in training and
  // long inputs are interpolated into that range (the paper's progressive interpolation); the model default 512
  // would leave the normalisation constant during training at L = 64.
  fire: { kind: "trained", summary: "FIRE: learned MLP of the progressively interpolated distance (Li et al. 2024)", model: (c) => ({ pe: { kind: "fire", init_l: c.trainLen } }) },
  sandwich: { kind: "trained", summary: "Sandwich: sinusoidal inner products as a bias (Chi et al. 2023)", model: () => ({ pe: { kind: "sandwich" } }) },
  "dynamic-bias": { kind: "trained", summary: "dynamic position bias MLP (x-transformers)", model: () => ({ pe: { kind: "dynamic-bias" } }) },
  cope: { kind: "trained", summary: "CoPE contextual positions (Golovneva et al. 2024)", model: () => ({ pe: { kind: "cope" } }) },
  // StreamingLLM's setting as a trained model: RoPE, a local window of L/2 (exercised in training), and 4 global
  // tokens = attention sinks (Xiao et al. 2023 keep 4 initial tokens); evaluation uses the same pattern at every length.
  // Transformer-XL's relative encoding trained and evaluated without memory (each window one segment); clamp_len 0
  // as the reference's training. transformer-xl-mem is the paper's setup: trained in segments of L on contiguous
  // lanes with a memory of L (mem_len = L), evaluated in segments of L with a memory of L inside each window.
  "transformer-xl": { kind: "trained", summary: "Transformer-XL relative encoding (r_net, u, v), one segment per window (Dai et al. 2019)", model: () => ({ pe: { kind: "transformer-xl" } }) },
  // The seed's proposal (its §4 sliding-window variant): the adaptive encoding normalised by a window of W = L/2
  // tokens (positions relative to the last W) and attention restricted to the same window, trained that way.
  "adaptive-window": { kind: "trained", summary: "the seed's adaptive encoding in its sliding-window mode (W = L/2) with attention windowed to W", model: (c) => ({ pe: { kind: "adaptive", length_mode: "window", window: c.trainLen / 2 }, window: c.trainLen / 2 }) },
  "transformer-xl-mem": { kind: "trained", summary: "Transformer-XL trained and evaluated in segments of L with a memory of L (segment-level recurrence, Dai et al. 2019)", model: (c) => ({ pe: { kind: "transformer-xl", mem_len: c.trainLen } }), evalSegments: true },
  "window-sinks": { kind: "trained", summary: "RoPE with a local window of L/2 and 4 attention sinks (global tokens; Xiao et al. 2023)", model: (c) => ({ pe: { kind: "rope" }, window: c.trainLen / 2, global_tokens: 4 }) },
  longformer: { kind: "trained", summary: "RoPE with Longformer's growing per-layer windows and dilated upper heads, no global tokens (Beltagy et al. 2020)", model: (c) => ({ pe: { kind: "rope" }, ...longformerPattern(c) }) },
  nope: { kind: "trained", summary: "NoPE: no positional encoding, causal mask only (Kazemnejad et al. 2023)", model: () => ({ pe: { kind: "nope" } }) },
  // Ruoss et al. 2023 draw positions from [0, max_length) with max_length well above the longest test length
  // (the reference: 2048 for tests up to 500, ≈ 4×): RANDOMIZED_MAX_FACTOR × the longest evaluation length, so that
  // the longest evaluation still sees random gaps (with max_length = n, n positions from [0, n) are 0 … n−1).
  "randomized-rope": { kind: "trained", summary: `RoPE with randomized sorted positions from [0, ${RANDOMIZED_MAX_FACTOR} × the longest evaluation length) (Ruoss et al. 2023)`, model: (c) => ({ pe: { kind: "rope", randomized: { max_length: RANDOMIZED_MAX_FACTOR * c.maxEvalLen } } }) },
  "randomized-alibi": { kind: "trained", summary: `ALiBi with randomized sorted positions from [0, ${RANDOMIZED_MAX_FACTOR} × the longest evaluation length) (Ruoss et al. 2023)`, model: (c) => ({ pe: { kind: "alibi", randomized: { max_length: RANDOMIZED_MAX_FACTOR * c.maxEvalLen } } }) },
  lstm: { kind: "trained", summary: "the seed's baseline: embedding → LSTM → linear, no positional encoding", model: () => ({ model: "lstm", pe: { kind: "nope" } }) },
} as const satisfies Record<string, BenchMethod>;

export type BenchMethodName = keyof typeof BENCH_METHODS;
export const BENCH_METHOD_NAMES = Object.keys(BENCH_METHODS) as BenchMethodName[];

export function isBenchMethod(name: string): name is BenchMethodName {
  return Object.prototype.hasOwnProperty.call(BENCH_METHODS, name);
}

export function benchMethod(name: string): BenchMethod {
  if (!isBenchMethod(name)) throw new ExtraposError("unknown_method", `unknown bench method ${JSON.stringify(name)}`, `methods: ${BENCH_METHOD_NAMES.join(", ")}`);
  return BENCH_METHODS[name];
}

/** Assumed speeds and the wall-time limit a preset is sized for. */
export interface TimeBudget {
  /** Training tokens per second of one model on the machine (2 threads), e.g. 15000. */
  assumedTrainTokensPerSecond: number;
  /** Evaluation tokens per second, at the longest length (attention grows with length), e.g. 10000. */
  assumedEvalTokensPerSecond: number;
  /** Per model: building it, loading a checkpoint, writing files, e.g. 2. */
  overheadSecondsPerModel: number;
  /** Once per bench: loading and caching the corpus, e.g. 10. */
  startupSeconds: number;
  /** The promise: the estimate must stay under this (null: no limit, e.g. the `full` preset). */
  limitSeconds: number | null;
  /**
   * Wall-time speed-up of a plan with ≥ 2 threads over the one-thread CPU time the speeds above assume (1 = none):
   * the CPU-seconds of the arithmetic are divided by it. Absent = 1.
   */
  parallelSpeedup?: number;
}

export interface BenchPreset {
  summary: string;
  methods: readonly BenchMethodName[];
  /** Training length L. */
  trainLen: number;
  /** Evaluation lengths as multiples of L. */
  evalMultiples: readonly number[];
  /** Number of seeds (0 … seeds − 1). */
  seeds: number;
  /** Model size (file form), shared by every method; the LSTM reads d_model as its width and n_layers as its depth. */
  /** `embedding`: token-embedding scale of every model (`"sqrt_d"`: ×√d, init N(0, 1/d), fairseq's convention). */
  model: { d_model: number; n_layers: number; n_heads: number; embedding: "none" | "sqrt_d" };
  /**
   * `passkeySteps`: after each language model, a copy is fine-tuned this many steps on passkey rows of batch
   * `passkeyBatch`, peak lr `passkeyLr`, distance curriculum over the first `passkeyCurriculum` of the steps
   * (src/data/passkey-mix.ts), and the passkey is scored on that copy; perplexity on the language model.
   */
  train: { steps: number; batch: number; lr: number; passkeySteps: number; passkeyLr: number; passkeyBatch: number; passkeyCurriculum: number };
  /** Evaluation work per length: at most this many predicted tokens (non-overlapping windows), and mixed-passkey trials. */
  eval: { maxTokensPerLength: number; passkeyTrials: number };
  budget: TimeBudget;
}

/** The default list: at least these, in this order. */
export const DEFAULT_METHODS = [
  "sinusoidal", "adaptive", "learned", "rope", "rope-yarn", "rope-linear", "xpos", "alibi", "t5", "kerple", "fire", "nope", "randomized-rope", "lstm",
  "window-sinks", "longformer",
] as const satisfies readonly BenchMethodName[];

/**
 * The `full` preset's list: the default one plus the methods whose training does not fit the default's 10
 * minutes (the budget estimate of the default preset with them is over its 600 s): transformer-xl (relative
 * attention's q·r products run in JavaScript, ~3× a RoPE model's training time), transformer-xl-mem (the same
 * model trained with a memory of L: keys over 2L, evaluated in segments with memory) and adaptive-window.
 */
export const FULL_METHODS = [...DEFAULT_METHODS, "transformer-xl", "transformer-xl-mem", "adaptive-window"] as const satisfies readonly BenchMethodName[];

export const BENCH_PRESETS = {
  /**
   * `npm start`: 16 methods (14 trainings: rope-yarn and rope-linear reuse the rope model), tiny models, ≤ 10
   * minutes on 2 cores.
   * Per model: 600 steps × 16 × 64 = 614,400 training tokens, then evaluation at 64 … 2048 (6 lengths ×
   * ≤ 8192 tokens + 8 passkey trials per length). Every model scales its token embeddings by √d
   * (fairseq's transformer LM, which Press et al. used): with the reference init (std 0.02, unscaled) the
   * absolute encodings (sinusoidal, adaptive: amplitude 1, added unscaled) drown the token signal and sit
   * on a unigram plateau (valid loss ≈ 3.08) — adaptive for all 600 steps, sinusoidal for ~400 (measured;
   * docs/model.md "Embedding scale"). With the scale they reach 2.18/2.17 at 600 steps, RoPE 2.00.
   * Assumed speeds: `budget` below (measured per CPU-second on one thread, ÷ the measured 2-thread speed-up).
   */
  default: {
    summary: "tiny models, 1 seed, ≤ 10 minutes on 2 cores",
    methods: DEFAULT_METHODS,
    trainLen: 64,
    evalMultiples: [1, 2, 4, 8, 16, 32],
    seeds: 1,
    model: { d_model: 64, n_layers: 2, n_heads: 4, embedding: "sqrt_d" },
    // the passkey fine-tuning: 1800 steps of 8 rows with the distance curriculum over the first half, lr 5e-3
    // (docs/experiment.md "Passkey": RoPE 0.93 of the digits at L, ALiBi 0.99, where 600 × 16 at 3e-3 gave 0.39–0.46)
    train: { steps: 600, batch: 16, lr: 1e-2, passkeySteps: 1800, passkeyLr: 5e-3, passkeyBatch: 8, passkeyCurriculum: 0.5 },
    eval: { maxTokensPerLength: 8192, passkeyTrials: 8 },
    // speeds measured in CPU time on one thread (docs/experiment.md "Presets"): ≈ 30k training tokens per CPU-second
    // on the slower afternoon machine of 2026-12-03 (the rope model alone on 1 thread: 614,400 tokens in 20.7 s, its
    // fine-tuning 921,600 in 29.7 s; ≥ 39k in the morning), assumed 32k; 24k evaluation tokens per CPU-second at 2048
    // (49k at 64). Two threads on one training: the idle-machine `npm start` of 2026-12-03 used 576 CPU-seconds in
    // 343 s of wall time (×1.68); the estimate divides by 1.6. Two trainings at once: no slow-down of either.
    budget: { assumedTrainTokensPerSecond: 32_000, assumedEvalTokensPerSecond: 20_000, overheadSecondsPerModel: 2, startupSeconds: 10, limitSeconds: 600, parallelSpeedup: 1.6 },
  },
  /**
   * Larger models (the model issue's `tiny`: d 128, 4 layers, 4 heads), L = 128, 3000 steps, 3 seeds
   * (mean ± std in tables, bands in figures). Several hours on 2 cores; no limit.
   */
  full: {
    summary: "d 128 × 4 layers, L 128, 3000 steps, 3 seeds (hours on 2 cores)",
    methods: FULL_METHODS,
    trainLen: 128,
    evalMultiples: [1, 2, 4, 8, 16, 32],
    seeds: 3,
    model: { d_model: 128, n_layers: 4, n_heads: 4, embedding: "sqrt_d" },
    train: { steps: 3000, batch: 16, lr: 1e-3, passkeySteps: 1000, passkeyLr: 5e-4, passkeyBatch: 16, passkeyCurriculum: 0 },
    eval: { maxTokensPerLength: 32768, passkeyTrials: 20 },
    budget: { assumedTrainTokensPerSecond: 4_000, assumedEvalTokensPerSecond: 2_500, overheadSecondsPerModel: 5, startupSeconds: 10, limitSeconds: null },
  },
} as const satisfies Record<string, BenchPreset>;

export type BenchPresetName = keyof typeof BENCH_PRESETS;
export const BENCH_PRESET_NAMES = Object.keys(BENCH_PRESETS) as BenchPresetName[];

/** What the budget arithmetic needs (a resolved plan provides it too). */
export interface BudgetInput {
  methods: readonly string[];
  seeds: number | readonly number[];
  trainLen: number;
  evalLens?: readonly number[];
  evalMultiples?: readonly number[];
  /** `passkeySteps`: the passkey fine-tuning after each training (absent = none), of `passkeyBatch` rows (absent = `batch`). */
  train: { steps: number; batch: number; passkeySteps?: number; passkeyBatch?: number };
  /** Threads of the plan (absent = 1): with ≥ 2 the budget's `parallelSpeedup` applies. */
  threads?: number;
  /** Trainings at once (absent = 1): the work is shared by min(jobs, trainings) cores, plus half a training of tail. */
  jobs?: number;
  eval: { maxTokensPerLength: number; passkeyTrials: number };
  budget: TimeBudget;
}

export interface BudgetEstimate {
  trainings: number;
  evaluations: number;
  trainSecondsPerModel: number;
  evalSecondsPerModel: number;
  totalSeconds: number;
  limitSeconds: number | null;
  withinLimit: boolean;
}

/**
 * The preset's time arithmetic: trainings (eval variants excluded) × training time + evaluated methods ×
 * evaluation time, per seed, plus start-up. Training time = steps·batch·L / train speed + overhead;
 * evaluation time = Σ_n (min(max tokens, …) + passkey trials · n) / eval speed + overhead. With `jobs` J ≥ 2 the
 * sum is shared by min(J, trainings) trainings at once (two one-thread trainings side by side each run at the speed
 * of one alone: measured, docs/experiment.md "Presets"), plus half a training for the last one, which runs alone.
 */
export function estimateBudget(p: BudgetInput): BudgetEstimate {
  const seeds = typeof p.seeds === "number" ? p.seeds : p.seeds.length;
  const lens = p.evalLens ?? (p.evalMultiples ?? []).map((m) => m * p.trainLen);
  const trainings = p.methods.filter((m) => benchMethod(m).kind === "trained").length * seeds;
  const evaluations = p.methods.length * seeds;
  const b = p.budget;
  // the language model, then its passkey fine-tuning (same batch and length) with its own overhead
  const passkeySteps = p.train.passkeySteps ?? 0;
  const speedup = (p.threads ?? 1) >= 2 ? (b.parallelSpeedup ?? 1) : 1;
  const trainTokens = (p.train.steps * p.train.batch + passkeySteps * (p.train.passkeyBatch ?? p.train.batch)) * p.trainLen;
  const trainSecondsPerModel = (trainTokens / b.assumedTrainTokensPerSecond + b.overheadSecondsPerModel * (passkeySteps > 0 ? 2 : 1)) / speedup;
  // per length: the scored tokens (× the position draws of a randomized model) + mixed-passkey trials × n (one
  // teacher-forced pass on the fine-tuned copy, plus its one unused perplexity window; lengths below the template
  // cost nothing but are counted)
  const pk = passkeySteps > 0 && p.eval.passkeyTrials > 0;
  const evalSeconds = (draws: number) => (lens.reduce((s, n) => s + draws * p.eval.maxTokensPerLength + (pk ? (p.eval.passkeyTrials + draws) * n : 0), 0) / b.assumedEvalTokensPerSecond + b.overheadSecondsPerModel) / speedup;
  const evalSecondsPerModel = evalSeconds(1);
  const randomized = p.methods.filter(isRandomizedMethod).length * seeds;
  const work = trainings * trainSecondsPerModel + (evaluations - randomized) * evalSecondsPerModel + randomized * evalSeconds(RANDOM_POSITION_DRAWS);
  const lanes = Math.max(1, Math.min(p.jobs ?? 1, trainings));
  const totalSeconds = b.startupSeconds + work / lanes + (lanes > 1 ? trainSecondsPerModel / 2 : 0);
  return { trainings, evaluations, trainSecondsPerModel, evalSecondsPerModel, totalSeconds, limitSeconds: b.limitSeconds, withinLimit: b.limitSeconds === null || totalSeconds <= b.limitSeconds };
}

/** Position draws averaged per window when a randomized-position model is evaluated (src/eval/run.ts DEFAULT_POSITION_DRAWS). */
export const RANDOM_POSITION_DRAWS = 3;

/** Whether a bench method trains with randomized positions (evaluated with `RANDOM_POSITION_DRAWS` draws). */
export function isRandomizedMethod(name: string): boolean {
  const spec = benchMethod(name);
  if (spec.kind !== "trained") return false;
  const pe = spec.model({ trainLen: 64, maxEvalLen: 2048, nLayers: 2, nHeads: 4 }).pe as Record<string, unknown> | undefined;
  return pe !== undefined && pe.randomized !== undefined && pe.randomized !== null;
}
