/**
 * `evaluateRun`: evaluate a trained run directory (its latest checkpoint, `DIR/model.safetensors`)
 * on the run's test split, another split, a text file, or given tokens — the programmatic form of
 * `extrapos eval`. Everything is validated (lengths, stride, RoPE scaling, memory estimate) before
 * the model is allocated.
 *
 * Text files: with the byte tokenizer the file's raw bytes are the tokens (exactly the issue's
 * contract, even for bytes that are not valid UTF-8); with gpt2 the file is decoded as UTF-8 and encoded.
 *
 * `evaluateTaskRun`: accuracy and answer loss on a synthetic task per length (src/eval/task.ts) —
 * the programmatic form of `extrapos eval --task NAME`; the task defaults to the run's own
 * (`training.task` in config.json) when it was trained on one.
 *
 * Example:
 *   const r = await evaluateRun("runs/alibi", { lengths: [128, 256, 512], passkey: 10 });
 *   r.ppl, r.passkey_acc
 *   const t = await evaluateTaskRun("runs/copy", { lengths: [32, 64, 128], trials: 100 });
 *   t.accuracy
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ExtraposError, show } from "../pe/errors.js";
import { ropeParamsFromHfConfig } from "../pe/rope/hf-config.js";
import { headDim, type ModelConfig } from "../model/config.js";
import { loadCheckpoint } from "../model/checkpoint.js";
import type { TrainableModel } from "../model/lm.js";
import { loadCorpus, type CorpusSpec } from "../data/corpus.js";
import type { CorpusSplits } from "../data/splits.js";
import { loadTokenizer, type Tokenizer } from "../data/tokenizer.js";
import { TASKS } from "../data/tasks/index.js";
import { checkMemory, estimateEvalBytes, WASM_MEMORY_LIMIT_BYTES } from "../train/memory.js";
import { defaultModelFactory, type ModelFactory } from "../train/model-factory.js";
import { readRunConfig, RUN_FILES } from "../train/run-dir.js";
import { checkEvalLengths, DEFAULT_EVAL, evaluate, type EvalResult, type EvaluateOptions } from "./evaluate.js";
import { passkeyAccuracy, passkeyRetrieval } from "./passkey.js";
import { retrievalGain } from "./retrieval.js";
import { passkeyMixRetrieval } from "./passkey-mix.js";
import { checkTaskEval, DEFAULT_TASK_EVAL, evaluateTask, type TaskEvalResult } from "./task.js";
import { ropeScalingDict, validationMaxPositions, type RopeScalingRequest } from "./rope-scaling.js";

export interface EvaluateRunOptions extends Omit<EvaluateOptions, "ropeScaling"> {
  /** A text file to evaluate on (instead of the run's corpus). */
  text?: string;
  /** Split of the run's corpus (default "test"). */
  split?: "valid" | "test";
  /** Already-loaded corpus (its `split` is used). */
  corpus?: CorpusSplits;
  /** Already-tokenized text (the run's tokenizer). */
  tokens?: Int32Array;
  /** RoPE scaling: a request `{type: "yarn", factor: 4}` or an HF dict `{rope_type: "yarn", factor: 4}`. */
  ropeScaling?: RopeScalingRequest | Record<string, unknown>;
  /**
   * Positions of a randomized-position model (`pe.randomized`): "random" (default for such models: the
   * reference protocol, fresh sorted random positions from [0, max_length) per call, `positionDraws`
   * draws averaged) or "plain" (0…n−1). Other models always use plain positions ("random" is refused).
   */
  positions?: "random" | "plain";
  /** Draws averaged per window with random positions (default 3). */
  positionDraws?: number;
  /** Seed of the random positions (default 0). */
  positionSeed?: number;
  /** Passkey trials per length (0 / undefined = no passkey). */
  passkey?: number;
  /** With `passkey`: also the passkey retrieval gain (2 more passes over the trials; default true). */
  passkeyGain?: boolean;
  /** Retrieval-gain trials per length (src/eval/retrieval.ts; 0 / undefined = none). */
  retrieval?: number;
  /** Mixed-passkey trials per length (src/eval/passkey-mix.ts; filler from the evaluated text; 0 / undefined = none). */
  passkeyMix?: number;
  passkeySeed?: number;
  threads?: number;
  createModel?: ModelFactory;
  maxMemoryBytes?: number;
}

/** Tokens of a text file (see the file header). */
export function readTextTokens(path: string, tok: Tokenizer): Int32Array {
  if (!existsSync(path) || !statSync(path).isFile()) throw new ExtraposError("io", `--text file ${show(path)} does not exist`);
  const bytes = readFileSync(path);
  if (bytes.length === 0) throw new ExtraposError("invalid_argument", `--text file ${show(path)} is empty`);
  return tok.name === "byte" ? Int32Array.from(bytes) : tok.encode(bytes.toString("utf8"));
}

/** The validated HF rope_scaling dict for `model`, from a request or a dict (filled with the training length). */
export function resolveRopeScaling(x: RopeScalingRequest | Record<string, unknown> | undefined, model: ModelConfig): Record<string, unknown> | undefined {
  if (x === undefined) return undefined;
  if (!("rope_type" in x)) return ropeScalingDict(x as RopeScalingRequest, model);
  if (model.pe.kind !== "rope") throw new ExtraposError("invalid_argument", `rope scaling applies to RoPE models; this run's pe is ${show(model.pe.kind)}`);
  const dict = { ...x };
  if (["yarn", "llama3", "longrope"].includes(String(dict.rope_type)) && dict.original_max_position_embeddings === undefined) dict.original_max_position_embeddings = model.contextLength;
  const hd = headDim(model);
  ropeParamsFromHfConfig({ rope_theta: model.pe.theta, head_dim: hd, partial_rotary_factor: model.pe.rotaryDim / hd, max_position_embeddings: validationMaxPositions(dict, model), rope_scaling: dict });
  return dict;
}

export const DEFAULT_POSITION_DRAWS = 3;

/** Whether the model was trained with randomized positions (Ruoss et al.). */
export function isRandomized(model: ModelConfig): boolean {
  return "randomized" in model.pe && model.pe.randomized !== null;
}

/**
 * The positions protocol of an evaluation: "random" by default for randomized-position models, "plain"
 * otherwise; "random" for another model is refused, naming the flag.
 */
export function resolvePositions(model: ModelConfig, asked: "random" | "plain" | undefined, draws: number | undefined, seed: number | undefined): { draws: number; seed: number } | undefined {
  if (asked !== undefined && asked !== "random" && asked !== "plain") throw new ExtraposError("invalid_argument", `--positions must be random or plain, got ${show(asked)}`);
  if (draws !== undefined && !(Number.isInteger(draws) && draws >= 1 && draws <= 1000)) throw new ExtraposError("invalid_argument", `--position-draws must be an integer in [1, 1000], got ${show(draws)}`);
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new ExtraposError("invalid_argument", `--position-seed must be an integer, got ${show(seed)}`);
  if (!isRandomized(model)) {
    if (asked === "random") throw new ExtraposError("invalid_argument", `--positions random applies to models trained with randomized positions (pe.randomized); this run's pe ${show(model.pe.kind)} has none`, "omit --positions");
    return undefined;
  }
  if (asked === "plain") return undefined;
  return { draws: draws ?? DEFAULT_POSITION_DRAWS, seed: seed ?? 0 };
}

/** Loads DIR/model.safetensors (validated) → config and parameters. */
export function loadRunCheckpointForEval(runDir: string): { config: ModelConfig; params: Map<string, Float32Array>; step: number } {
  const path = join(runDir, RUN_FILES.model);
  if (!existsSync(runDir)) throw new ExtraposError("io", `run folder ${show(runDir)} does not exist`, `pass the --out folder of \`extrapos train\` (the working directory is ${process.cwd()})`);
  if (!statSync(runDir).isDirectory()) throw new ExtraposError("io", `${show(runDir)} is a file, not a run folder`, "pass the --out folder of `extrapos train`");
  if (!existsSync(path)) throw new ExtraposError("io", `${show(runDir)} has no ${RUN_FILES.model}`, "pass the --out directory of a run that wrote a checkpoint");
  return loadCheckpoint(path);
}

async function evalTokens(runDir: string, opts: EvaluateRunOptions, tok: Tokenizer): Promise<{ tokens: Int32Array; what: string }> {
  if (opts.tokens) return { tokens: opts.tokens, what: "the given tokens" };
  if (opts.text !== undefined) return { tokens: readTextTokens(opts.text, tok), what: `--text ${show(opts.text)}` };
  const split = opts.split ?? "test";
  if (opts.corpus) return { tokens: tok.encode(opts.corpus[split]), what: `the ${split} split` };
  const stored = readRunConfig(runDir);
  if (stored.training.task !== null) {
    throw new ExtraposError("invalid_argument", `the run in ${show(runDir)} was trained on the ${stored.training.task} task, not text; evaluate it with --task ${stored.training.task} (evaluateTaskRun), or give --text FILE`);
  }
  const spec = stored.data.spec;
  if (spec === null) throw new ExtraposError("invalid_argument", `the run in ${show(runDir)} was trained on data passed in directly; give --text FILE to evaluate it`);
  return { tokens: tok.encode(loadCorpus(spec as unknown as CorpusSpec)[split]), what: `the run's ${split} split` };
}

/** Evaluates a run directory; see the file header. */
export async function evaluateRun(runDir: string, opts: EvaluateRunOptions): Promise<EvalResult> {
  const ckpt = loadRunCheckpointForEval(runDir);
  const tok = await loadTokenizer(ckpt.config.tokenizer);
  const { tokens, what } = await evalTokens(runDir, opts, tok);
  checkEvalLengths(opts.lengths, tokens.length, opts.stride, what);
  const ropeScaling = resolveRopeScaling(opts.ropeScaling, ckpt.config);
  const limit = opts.maxMemoryBytes ?? WASM_MEMORY_LIMIT_BYTES;
  for (const L of opts.lengths) {
    const B = Math.max(1, Math.floor((opts.batchTokens ?? DEFAULT_EVAL.batchTokens) / L));
    checkMemory(estimateEvalBytes(ckpt.config, B, L), `evaluating windows of length ${L} (batch ${B})`, limit, "use shorter --lengths");
  }
  if (opts.retrieval !== undefined && (!Number.isInteger(opts.retrieval) || opts.retrieval < 0)) throw new ExtraposError("invalid_argument", `--retrieval must be an integer ≥ 0 (trials per length), got ${show(opts.retrieval)}`);
  if (opts.passkeyMix !== undefined && (!Number.isInteger(opts.passkeyMix) || opts.passkeyMix < 0)) throw new ExtraposError("invalid_argument", `--passkey-mix must be an integer ≥ 0 (trials per length), got ${show(opts.passkeyMix)}`);
  if (opts.passkey !== undefined && (!Number.isInteger(opts.passkey) || opts.passkey < 0)) throw new ExtraposError("invalid_argument", `--passkey must be an integer ≥ 0 (trials per length), got ${show(opts.passkey)}`);
  const randomPositions = resolvePositions(ckpt.config, opts.positions, opts.positionDraws, opts.positionSeed);
  const createModel = opts.createModel ?? (await defaultModelFactory());
  const model: TrainableModel = await createModel(ckpt.config, { seed: 0, params: ckpt.params, ...(opts.threads !== undefined ? { threads: opts.threads } : {}) });
  try {
    const { text: _t, split: _s, corpus: _c, tokens: _k, passkey, passkeySeed, threads: _th, createModel: _cm, maxMemoryBytes: _m, ropeScaling: _r, positions: _p, positionDraws: _pd, positionSeed: _ps, passkeyGain: _pg, retrieval: _rt, passkeyMix: _pm, ...evalOpts } = opts;
    const result = evaluate(model, tokens, { ...evalOpts, ...(ropeScaling ? { ropeScaling } : {}), ...(randomPositions ? { randomPositions } : {}) });
    if (passkey) {
      const pkOpts = { trials: passkey, ...(passkeySeed !== undefined ? { seed: passkeySeed } : {}), ...(ropeScaling ? { ropeScaling } : {}), ...(randomPositions ? { randomPositions: { seed: randomPositions.seed } } : {}) };
      if (opts.passkeyGain === false) {
        result.passkey_acc = opts.lengths.map((L) => passkeyAccuracy(model, tok, L, pkOpts));
      } else {
        const pk = opts.lengths.map((L) => passkeyRetrieval(model, tok, L, pkOpts));
        result.passkey_acc = pk.map((r) => r?.accuracy ?? null);
        result.passkey_gain = pk.map((r) => r?.gain ?? null);
        result.passkey_gain_ci95 = pk.map((r) => r?.gainCi95 ?? null);
      }
    }
    if (opts.passkeyMix) {
      // read through the evaluation's cache (segments with memory, or a rolling window), as its perplexity is
      const pmOpts = { trials: opts.passkeyMix, ...(passkeySeed !== undefined ? { seed: passkeySeed } : {}), ...(ropeScaling ? { ropeScaling } : {}), ...(randomPositions ? { randomPositions: { seed: randomPositions.seed } } : {}), ...(opts.cache ? { cache: opts.cache } : {}) };
      const pm = opts.lengths.map((L) => passkeyMixRetrieval(model, tok, tokens, L, pmOpts));
      result.passkey_mix_acc = pm.map((r) => r?.accuracy ?? null);
      result.passkey_mix_token_acc = pm.map((r) => r?.tokenAccuracy ?? null);
      result.passkey_mix_token_acc_ci95 = pm.map((r) => r?.tokenAccuracyCi95 ?? null);
      result.passkey_mix_trial_acc = pm.map((r) => r?.trialTokenAccuracy ?? null);
    }
    if (opts.retrieval) {
      const rOpts = { trials: opts.retrieval, ...(ropeScaling ? { ropeScaling } : {}), ...(randomPositions ? { randomPositions: { seed: randomPositions.seed } } : {}) };
      const rg = opts.lengths.map((L) => retrievalGain(model, tokens, L, rOpts));
      result.retrieval_gain = rg.map((r) => r.gain);
      result.retrieval_gain_ci95 = rg.map((r) => r.ci95);
    }
    return result;
  } finally {
    await model.dispose();
  }
}

export interface EvaluateTaskRunOptions {
  /** The task (default: the run's own, `training.task`). */
  task?: string;
  /** Input lengths, e.g. [32, 64, 128]. */
  lengths: number[];
  /** Examples per length (default 100). */
  trials?: number;
  /** Seed of the examples (default 1234). */
  seed?: number;
  /** Tokens per model call (default 4096). */
  batchTokens?: number;
  /** RoPE scaling, as for `evaluateRun`. */
  ropeScaling?: RopeScalingRequest | Record<string, unknown>;
  /** Positions of a randomized-position model, as for `evaluateRun` (one fresh draw per example). */
  positions?: "random" | "plain";
  positionSeed?: number;
  /** Return each example's scores too (TaskEvalOptions.examples). */
  examples?: boolean;
  threads?: number;
  createModel?: ModelFactory;
  maxMemoryBytes?: number;
}

/** The task a run was trained on (`training.task` in its config.json), or null (text, or no config.json). */
export function runTask(runDir: string): string | null {
  return existsSync(join(runDir, RUN_FILES.config)) ? readRunConfig(runDir).training.task : null;
}

/** Evaluates a run directory on a synthetic task; see the file header and src/eval/task.ts. */
export async function evaluateTaskRun(runDir: string, opts: EvaluateTaskRunOptions): Promise<TaskEvalResult> {
  const ckpt = loadRunCheckpointForEval(runDir);
  const task = opts.task ?? runTask(runDir);
  if (task === null) throw new ExtraposError("invalid_argument", `the run in ${show(runDir)} was not trained on a task; name one with --task (${Object.keys(TASKS).join(", ")})`);
  const tok = await loadTokenizer(ckpt.config.tokenizer);
  const taskOpts = {
    lengths: opts.lengths, trials: opts.trials ?? DEFAULT_TASK_EVAL.trials, ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.batchTokens !== undefined ? { batchTokens: opts.batchTokens } : {}), ...(opts.examples ? { examples: true } : {}),
  };
  checkTaskEval(task, tok, taskOpts);
  const ropeScaling = resolveRopeScaling(opts.ropeScaling, ckpt.config);
  const rp = resolvePositions(ckpt.config, opts.positions, undefined, opts.positionSeed);
  for (const L of opts.lengths) {
    const B = Math.max(1, Math.floor((opts.batchTokens ?? DEFAULT_TASK_EVAL.batchTokens) / L));
    checkMemory(estimateEvalBytes(ckpt.config, B, L), `evaluating ${task} examples of length ${L} (batch ${B})`, opts.maxMemoryBytes ?? WASM_MEMORY_LIMIT_BYTES, "use shorter --lengths");
  }
  const createModel = opts.createModel ?? (await defaultModelFactory());
  const model = await createModel(ckpt.config, { seed: 0, params: ckpt.params, ...(opts.threads !== undefined ? { threads: opts.threads } : {}) });
  try {
    return evaluateTask(model, tok, task, { ...taskOpts, ...(ropeScaling ? { ropeScaling } : {}), ...(rp ? { randomPositions: { seed: rp.seed } } : {}) });
  } finally {
    await model.dispose();
  }
}
