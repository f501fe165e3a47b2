/**
 * `extrapos train --data FILE --out DIR --model transformer|lstm --pe NAME --d-model D --layers N
 * --heads H [--no-mlp] --seq-len T --batch B --steps S --lr X --seed K [...]` — trains a model and writes the
 * run directory (docs/training.md). `--task copy|reverse|associative-recall|passkey` trains on a
 * synthetic task instead of text (not with --data). `--resume DIR` continues a run; flags given with it must agree
 * with the run's config. The resolved config, the parameter count and the memory estimate go to
 * stderr at start; the progress bar too. Ctrl-C, SIGTERM (batch schedulers, `docker stop`) and SIGHUP
 * (closed terminal): the current step finishes, a checkpoint is saved, exit code 128 + signal (130,
 * 143, 129); a second signal quits at once, leaving the previous checkpoint (src/cli/signals.ts).
 */
import { resolve } from "node:path";
import { ExtraposError } from "../pe/errors.js";
import { modelConfigToJson, PRESETS, TOKENIZER_VOCAB, type TokenizerName } from "../model/config.js";
import type { ModelFactory } from "../train/model-factory.js";
import { DEFAULT_TRAINING_JSON } from "../train/config.js";
import { readRunConfig } from "../train/run-dir.js";
import { trainRun } from "../train/run.js";
import { TrainingInterrupted } from "../train/trainer.js";
import type { CorpusSpec } from "../data/corpus.js";
import { TASKS } from "../data/tasks/index.js";
import { DEFAULT_TOKENIZER, loadTokenizer } from "../data/tokenizer.js";
import { formatOptions, getFlag, getNumber, getString, parseArgs, type OptionSpecs, type ParsedArgs, wantsHelp } from "./args.js";
import type { Command } from "./command.js";
import { printJson } from "./command.js";
import { cliModelFactory, type FactoryProvider } from "./model-factory.js";
import { interruptOnSignals, maxMemoryFlag } from "./signals.js";
import { nameFlags, type FlagFields } from "./flag-names.js";
import { peOverride, PE_FLAG_ALIASES, PE_FLAG_OWNERS, PE_TRAIN_OPTIONS } from "./pe-flags.js";
import { SUMMARIES } from "./summaries.js";

const D = DEFAULT_TRAINING_JSON;

export const TRAIN_OPTIONS: OptionSpecs = {
  data: { type: "string", metavar: "PATH", help: "training text: a file, a folder of .txt files, or a glob", default: "the Brown corpus" },
  task: { type: "string", metavar: "NAME", choices: Object.keys(TASKS), help: "train on a synthetic task instead of text (examples of length --seq-len generated on the fly)" },
  "task-lengths": { type: "string", metavar: "A:B", help: "--task: draw each example's length from A…B (padded to B = --seq-len, loss on the answer tokens)", default: "the task's shortest length : --seq-len" },
  valid: { type: "string", metavar: "PATH", help: "validation text (default: the tail of --data)" },
  test: { type: "string", metavar: "PATH", help: "test text (default: the tail of --data)" },
  out: { type: "string", metavar: "DIR", help: "run directory to create (refused if it holds a run)" },
  resume: { type: "string", metavar: "DIR", help: "continue the run in DIR from its last checkpoint" },
  preset: { type: "string", metavar: "NAME", choices: Object.keys(PRESETS), help: "model size and batch preset", default: "tiny" },
  model: { type: "string", metavar: "KIND", choices: ["transformer", "lstm"], help: "architecture", default: "transformer" },
  pe: PE_TRAIN_OPTIONS.pe!,
  "d-model": { type: "int", metavar: "D", help: "model width", default: "128" },
  layers: { type: "int", metavar: "N", help: "blocks (LSTM: layers)", default: "4" },
  heads: { type: "int", metavar: "H", help: "attention heads", default: "4" },
  "no-mlp": { type: "boolean", help: "attention-only blocks (model config `mlp: false`): no ln2/MLP sublayer — Zoology's associative-recall recipe; transformer only" },
  "seq-len": { type: "int", metavar: "T", help: "training window length (context_length)", default: "128" },
  "embedding-scale": {
    type: "string", metavar: "S", choices: ["none", "sqrt_d"], default: "none",
    help: "token-embedding scale before the absolute encoding is added: none (× 1, init std 0.02, LSTM 1: the PyTorch reference) or sqrt_d (× √d, init std d^−0.5: Vaswani et al., fairseq)",
  },
  window: { type: "string", metavar: "W[,W…]", help: "local causal attention window: one W, or one per layer (Longformer: growing with depth)", default: "full" },
  dilation: { type: "string", metavar: "D,…[;D,…]", help: "per-head window dilation (Longformer): n_heads integers for every layer, or one such list per layer separated by ';'", default: "1" },
  "global-tokens": { type: "int", metavar: "G", help: "the first G tokens are visible to every query (global tokens = attention sinks; needs --window)", default: "0" },
  tokenizer: { type: "string", metavar: "NAME", choices: Object.keys(TOKENIZER_VOCAB), help: "tokenizer", default: "byte" },
  batch: { type: "int", metavar: "B", help: "windows per micro-batch", default: String(PRESETS.tiny.batch) },
  steps: { type: "int", metavar: "S", help: "optimizer steps", default: String(D.steps) },
  lr: { type: "number", metavar: "X", help: "peak learning rate", default: String(D.lr) },
  "min-lr": { type: "number", metavar: "X", help: "cosine floor", default: "lr/10" },
  warmup: { type: "int", metavar: "N", help: "linear warmup steps", default: "min(100, steps/10)" },
  "grad-accum": { type: "int", metavar: "N", help: "micro-batches per step", default: String(D.grad_accum) },
  clip: { type: "number", metavar: "X", help: "gradient-norm clip (0 = off)", default: String(D.clip) },
  "skip-nonfinite": { type: "int", metavar: "N", help: "skip up to N steps whose loss or gradient norm is NaN/Inf (no update) before stopping", default: "0" },
  "eval-every": { type: "int", metavar: "N", help: "validation every N steps", default: String(D.eval_every) },
  "eval-windows": { type: "int", metavar: "N", help: "validation windows of length T (with --task: validation examples)", default: String(D.eval_windows) },
  "checkpoint-every": { type: "int", metavar: "N", help: "checkpoint every N steps", default: String(D.checkpoint_every) },
  "log-every": { type: "int", metavar: "N", help: "metrics line every N steps", default: String(D.log_every) },
  seed: { type: "int", metavar: "K", help: "seed (init K, data K+1, positions K+2)", default: String(D.seed) },
  threads: { type: "int", metavar: "N", help: "engine worker threads", default: "the engine's default" },
  "max-memory": { type: "number", metavar: "MIB", help: "refuse a run whose memory estimate exceeds this", default: "4096" },
  ...PE_TRAIN_OPTIONS, // --pe and the encoding flags, from the encoding registry (pe-flags.ts)
  quiet: { type: "boolean", help: "no progress bar or start-up table" },
  json: { type: "boolean", help: "print the summary as JSON on stdout at the end" },
  help: { type: "boolean", help: "show this help" },
};

const MODEL_FLAGS: Record<string, string> = { model: "model", "d-model": "d_model", layers: "n_layers", heads: "n_heads", "seq-len": "context_length" };
const TRAIN_FLAGS: Record<string, string> = {
  batch: "batch", steps: "steps", lr: "lr", "min-lr": "min_lr", warmup: "warmup", "grad-accum": "grad_accum", clip: "clip", "eval-every": "eval_every",
  "eval-windows": "eval_windows", "checkpoint-every": "checkpoint_every", "log-every": "log_every", seed: "seed", threads: "threads", task: "task",
  "skip-nonfinite": "skip_nonfinite",
};

/** "3" → 3, "2,4" → [2, 4], "1,2;1,3" → [[1, 2], [1, 3]] (validated by the model config, which names the key). */
function intLists(flag: string, text: string): number | number[] | number[][] {
  const num = (x: string): number => {
    if (!/^\s*-?\d+\s*$/.test(x)) throw new ExtraposError("invalid_argument", `--${flag} must be integers separated by ',' (and ';' per layer), got ${JSON.stringify(text)}`);
    return Number(x);
  };
  if (text.includes(";")) return text.split(";").map((row) => row.split(",").map(num));
  const list = text.split(",").map(num);
  return list.length === 1 && flag === "window" ? list[0]! : list;
}

/** `window`, `dilation` and `global_tokens` (file form) from --window, --dilation, --global-tokens. */
function patternOverrides(args: ParsedArgs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const window = getString(args, "window"), dilation = getString(args, "dilation"), global = getNumber(args, "global-tokens");
  if (window !== undefined) out.window = window === "full" ? null : intLists("window", window);
  if (dilation !== undefined) out.dilation = intLists("dilation", dilation);
  if (global !== undefined) out.global_tokens = global;
  return out;
}

/** Model and training overrides (file form) from the flags actually given. */
export function trainOverrides(args: ParsedArgs, stored?: { model: Record<string, unknown> }): { model: Record<string, unknown>; training: Record<string, unknown> } {
  const model: Record<string, unknown> = {};
  const training: Record<string, unknown> = {};
  const preset = getString(args, "preset");
  if (preset !== undefined) {
    const p = PRESETS[preset as keyof typeof PRESETS];
    Object.assign(model, p.model);
    training.batch = p.batch;
  }
  for (const [f, k] of Object.entries(MODEL_FLAGS)) if (args.options.has(f)) model[k] = args.options.get(f);
  Object.assign(model, patternOverrides(args));
  if (getFlag(args, "no-mlp")) model.mlp = false;
  const tokenizer = getString(args, "tokenizer") as TokenizerName | undefined;
  if (tokenizer !== undefined) Object.assign(model, { tokenizer, vocab_size: TOKENIZER_VOCAB[tokenizer] });
  const scale = getString(args, "embedding-scale");
  if (scale !== undefined) model.embedding = { scale }; // init_std derived from the scale (config.ts)
  const pe = peOverride(args, stored?.model.pe as Record<string, unknown> | undefined);
  if (pe !== undefined) model.pe = pe;
  for (const [f, k] of Object.entries(TRAIN_FLAGS)) if (args.options.has(f)) training[k] = args.options.get(f);
  const range = getString(args, "task-lengths");
  if (range !== undefined) {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(range);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new ExtraposError("invalid_argument", `--task-lengths must be A:B with 1 ≤ A ≤ B, got ${JSON.stringify(range)}`);
    if (getString(args, "task") === undefined && !stored) throw new ExtraposError("invalid_argument", "--task-lengths needs --task NAME");
    if (args.options.has("seq-len") && getNumber(args, "seq-len") !== Number(m[2])) throw new ExtraposError("invalid_argument", `--task-lengths ${range} sets the training length to ${m[2]}; --seq-len ${getNumber(args, "seq-len")} disagrees`, "omit --seq-len");
    training.task_min_length = Number(m[1]);
    model.context_length = Number(m[2]);
  }
  return { model, training };
}

function dataSpec(args: ParsedArgs): CorpusSpec | undefined {
  const data = getString(args, "data");
  const valid = getString(args, "valid"), test = getString(args, "test");
  if (getString(args, "task") !== undefined) {
    const text = (["data", "valid", "test"] as const).find((f) => args.options.has(f));
    if (text !== undefined) throw new ExtraposError("invalid_argument", `--task and --${text} are mutually exclusive: a task generates its own examples`);
  }
  if (data === undefined) {
    if (valid !== undefined || test !== undefined) throw new ExtraposError("invalid_argument", "--valid and --test need --data (the Brown corpus has its own splits)");
    return undefined;
  }
  // Absolute paths, so that `--resume` works from any working directory.
  const abs = (p: string): string => (p.trim() === "" ? p : resolve(p));
  return { kind: "text", data: abs(data), ...(valid !== undefined ? { valid: abs(valid) } : {}), ...(test !== undefined ? { test: abs(test) } : {}) };
}

export function trainHelp(): string {
  return `Usage: extrapos train [--data PATH | --task NAME] --out DIR [options]     (or: extrapos train --resume DIR)\n\n${formatOptions(TRAIN_OPTIONS)}\n`;
}

async function runTrain(argv: string[], factory: FactoryProvider): Promise<number> {
  if (wantsHelp(argv, TRAIN_OPTIONS)) {
    process.stdout.write(trainHelp());
    return 0;
  }
  const args = parseArgs(argv, TRAIN_OPTIONS);
  try {
    return await trainWithArgs(args, factory);
  } catch (e) {
    throw e instanceof ExtraposError ? nameFlags(e, args.options.keys(), TRAIN_FIELDS) : e;
  }
}

/** Flag → config field (file form), so that errors name the flag the user typed (src/cli/flag-names.ts). */
export const TRAIN_FIELDS: FlagFields = {
  ...Object.fromEntries(Object.entries(MODEL_FLAGS).map(([f, k]) => [f, `model.${k}`])),
  ...Object.fromEntries(Object.entries(TRAIN_FLAGS).map(([f, k]) => [f, `training.${k}`])),
  ...Object.fromEntries([...PE_FLAG_OWNERS].map(([f, owners]) => [f, `pe.${owners[0]!.key}`])),
  ...Object.fromEntries([...PE_FLAG_ALIASES].map(([a, f]) => [a, `pe.${PE_FLAG_OWNERS.get(f)![0]!.key}`])),
  tokenizer: "model.tokenizer", "embedding-scale": "embedding.scale", "randomized-max-len": "pe.randomized.max_length", pe: ["model.pe", "model.pe.kind"],
  window: "model.window", dilation: "model.dilation", "global-tokens": "model.global_tokens", // --no-mlp: the config's own message (it names `mlp` and the flag)
};

async function trainWithArgs(args: ParsedArgs, factory: FactoryProvider): Promise<number> {
  if (args.positionals.length > 0) throw new ExtraposError("invalid_argument", `unexpected argument ${JSON.stringify(args.positionals[0])}`, "see `extrapos train --help`");
  const resumeDir = getString(args, "resume"), outFlag = getString(args, "out");
  if (resumeDir !== undefined && outFlag !== undefined && resolve(outFlag) !== resolve(resumeDir)) throw new ExtraposError("invalid_argument", "give either --out DIR (a new run) or --resume DIR, not both");
  const out = resumeDir ?? outFlag;
  if (out === undefined) throw new ExtraposError("invalid_argument", "--out DIR is required (the run directory to create)", "or --resume DIR to continue a run");
  const stored = resumeDir !== undefined ? { model: readRunConfigJson(resumeDir) } : undefined;
  const { model, training } = trainOverrides(args, stored);
  if (stored === undefined) await defaultTaskLengths(args, model, training);
  const maxMiB = maxMemoryFlag(args);
  const data = dataSpec(args);
  const controller = new AbortController();
  const signals = interruptOnSignals(controller);
  try {
    const s = await trainRun({
      out, model, training, resume: resumeDir !== undefined, signal: controller.signal,
      ...(data ? { data } : {}), ...(getFlag(args, "quiet") ? { progress: false as const } : {}),
      ...(maxMiB !== undefined ? { maxMemoryBytes: maxMiB * 2 ** 20 } : {}),
      createModel: lazyFactory(factory),
    });
    process.stderr.write(`extrapos: ${s.steps} steps; train loss ${s.finalTrainLoss.toFixed(4)}, valid loss ${s.finalValidLoss.toFixed(4)} (ppl ${Math.exp(s.finalValidLoss).toFixed(2)}); ${s.wallSeconds.toFixed(1)} s; checkpoint ${out}/model.safetensors\n`);
    if (getFlag(args, "json")) printJson(s);
    return 0;
  } catch (e) {
    if (e instanceof TrainingInterrupted) {
      process.stderr.write(`extrapos: ${e.message}\n`);
      return signals.exitCode();
    }
    throw e;
  } finally {
    signals.remove();
  }
}

/**
 * A new `--task` run without `--task-lengths` trains on a range of lengths — from the task's shortest for the
 * tokenizer (copy and reverse 2, associative recall 4, passkey its template) to --seq-len — as Ruoss et al. and
 * Kazemnejad et al. train: at one fixed length the answer's offset is constant and any encoding can hard-code it.
 * Written into the run's config (`training.task_min_length`), so a resume draws the same range; `--task-lengths
 * T:T` keeps one length. A --seq-len below the shortest is refused by the sampler, naming --seq-len.
 */
async function defaultTaskLengths(args: ParsedArgs, model: Record<string, unknown>, training: Record<string, unknown>): Promise<void> {
  const task = getString(args, "task");
  if (task === undefined || training.task_min_length !== undefined || !(task in TASKS)) return;
  const tok = await loadTokenizer(typeof model.tokenizer === "string" ? model.tokenizer : DEFAULT_TOKENIZER);
  training.task_min_length = TASKS[task as keyof typeof TASKS].minLength(tok);
}

/** The stored model config (file form) of a run, for merging encoding flags on resume (validated). */
function readRunConfigJson(dir: string): Record<string, unknown> {
  return modelConfigToJson(readRunConfig(dir).model);
}

/** A factory that resolves the real one only when a model is actually created (bad input never needs it). */
export function lazyFactory(provider: FactoryProvider): ModelFactory {
  return async (cfg, o) => (await provider())(cfg, o);
}

export function makeTrainCommand(factory: FactoryProvider = cliModelFactory): Command {
  return { summary: SUMMARIES.train, run: (argv) => runTrain(argv, factory) };
}

export const trainCommand: Command = makeTrainCommand();
