/**
 * `extrapos eval --run DIR [--text FILE] --lengths 64,128 [--stride S] [--rope-scaling TYPE --factor F]
 * [--passkey N] [--passkey-mix N] [--streaming [--sinks K] [--cache W]] [--segment-len S --mem-len M] [--json]` — evaluates a run's latest checkpoint at any lengths (docs/evaluation.md).
 * `--json` prints one object on stdout:
 *   {"lengths": [...], "loss": [...], "ppl": [...], "tokens": [...], "loss_per_position": [[...]],
 *    "position_bucket_size": [...], "ppl_ci95": [[lo, hi], ...], "positions": "random" | "plain",
 *    "position_draws": N, "passkey_acc": [...] (with --passkey), "passkey_mix_acc", "passkey_mix_token_acc",
 *    "passkey_mix_token_acc_ci95", "passkey_mix_trial_acc" (with --passkey-mix)}
 * `--positions random|plain`: a model trained with randomized positions is evaluated by default as its
 * reference does (fresh sorted random positions from [0, max_length) at every call, --position-draws
 * draws averaged); `plain` gives it positions 0…n−1. Other models always use plain positions.
 * `extrapos eval --run DIR --task NAME --lengths 16,32 [--trials N] [--task-seed K] [--json]` —
 * accuracy on a synthetic task instead (the default for a run trained with --task, unless --text or
 * --split is given): {"task": "copy", "lengths": [...], "accuracy": [...], "token_accuracy": [...],
 * "accuracy_ci95": [[lo, hi], ...], "token_accuracy_ci95": [...], "loss": [...], "trials": N, "positions": "random" | "plain"}.
 * Without --json, a table. Progress on stderr.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ExtraposError } from "../pe/errors.js";
import { evaluateRun, evaluateTaskRun, loadRunCheckpointForEval, runTask } from "../eval/run.js";
import { DEFAULT_TASK_EVAL, type TaskEvalResult } from "../eval/task.js";
import { TASKS } from "../data/tasks/index.js";
import type { EvalResult } from "../eval/evaluate.js";
import { loadCheckpoint } from "../model/checkpoint.js";
import { formatOptions, getFlag, getNumber, getNumbers, getString, parseArgs, type OptionSpecs, type ParsedArgs, wantsHelp } from "./args.js";
import { printJson, type Command } from "./command.js";
import { maxMemoryFlag } from "./signals.js";
import { cliModelFactory, type FactoryProvider } from "./model-factory.js";
import { ROPE_SCALING_OPTIONS, ropeScalingRequest } from "./rope-scaling-flags.js";
import { rollingCacheFlags, segmentFlags } from "./rolling-cache-flags.js";
import { lazyFactory } from "./train.js";
import { SUMMARIES } from "./summaries.js";

export const EVAL_OPTIONS: OptionSpecs = {
  run: { type: "string", metavar: "DIR", help: "run directory (its model.safetensors)" },
  text: { type: "string", metavar: "FILE", help: "evaluate on this file (byte tokenizer: its raw bytes)", default: "the run's test split" },
  split: { type: "string", metavar: "NAME", choices: ["valid", "test"], help: "split of the run's corpus", default: "test" },
  lengths: { type: "ints", metavar: "L,L,…", help: "window lengths", default: "T,2T,4T,8T (T = training length)" },
  stride: { type: "int", metavar: "S", help: "sliding windows with stride S ≤ every L (default: non-overlapping)" },
  "max-tokens": { type: "int", metavar: "N", help: "cap on scored tokens per length (evenly spaced windows)", default: "all" },
  "batch-tokens": { type: "int", metavar: "N", help: "tokens per model call (B = N / L)", default: "4096" },
  "position-buckets": { type: "int", metavar: "N", help: "max entries per loss-per-position curve", default: "1024" },
  passkey: { type: "int", metavar: "N", help: "passkey trials per length (0 = off)", default: "0" },
  "passkey-seed": { type: "int", metavar: "K", help: "seed of the passkey keys", default: "1234" },
  "passkey-mix": { type: "int", metavar: "N", help: "short passkey in the evaluated text (the format of `training.passkey_mix`): N trials per length, per-digit and exact-match accuracy (0 = off)", default: "0" },
  retrieval: { type: "int", metavar: "N", help: "retrieval gain: N windows per length with a text segment repeated n − 16 tokens later (0 = off)", default: "0" },
  task: { type: "string", metavar: "NAME", choices: Object.keys(TASKS), help: "accuracy on a synthetic task per length instead of perplexity", default: "the run's own task, if any" },
  trials: { type: "int", metavar: "N", help: "--task: examples per length", default: String(DEFAULT_TASK_EVAL.trials) },
  "task-seed": { type: "int", metavar: "K", help: "--task: seed of the examples", default: String(DEFAULT_TASK_EVAL.seed) },
  "segment-len": { type: "int", metavar: "S", help: "with --mem-len: read each window in segments of S tokens (Transformer-XL)", default: "T (training length)" },
  "mem-len": { type: "int", metavar: "M", help: "Transformer-XL memory: each segment also sees the M tokens before it (0 = one segment per window)", default: "0" },
  positions: { type: "string", metavar: "MODE", choices: ["random", "plain"], help: "randomized-position models: fresh sorted random positions per call (the reference protocol) or 0…n−1", default: "random for randomized models" },
  "position-draws": { type: "int", metavar: "N", help: "--positions random: draws averaged per window", default: "3" },
  "position-seed": { type: "int", metavar: "K", help: "--positions random: seed of the position draws", default: "0" },
  streaming: { type: "boolean", help: "read each window token by token through a rolling KV cache (StreamingLLM): --sinks + --cache tokens, constant memory" },
  sinks: { type: "int", metavar: "K", help: "--streaming: initial tokens kept (attention sinks)", default: "4" },
  cache: { type: "int", metavar: "W", help: "--streaming: most recent tokens kept", default: "T − sinks (T = training length)" },
  ...ROPE_SCALING_OPTIONS,
  threads: { type: "int", metavar: "N", help: "engine worker threads" },
  "max-memory": { type: "number", metavar: "MIB", help: "refuse lengths whose memory estimate exceeds this", default: "4096" },
  json: { type: "boolean", help: "print the result as one JSON object on stdout" },
  help: { type: "boolean", help: "show this help" },
};

const ci = (x: [number, number] | undefined, digits: number): string => (x ? `[${x[0].toFixed(digits)}, ${x[1].toFixed(digits)}]` : "-");

function table(r: EvalResult): string {
  const pm = r.passkey_mix_token_acc, pmx = r.passkey_mix_acc;
  const rows = [["length", "loss", "ppl", "ppl 95% CI", "tokens", ...(r.passkey_acc ? ["passkey"] : []), ...(pm ? ["passkey-mix digits", "passkey-mix exact"] : [])]];
  const opt = (v: number | null | undefined) => (v === null || v === undefined ? "-" : v.toFixed(2));
  r.lengths.forEach((L, i) => rows.push([String(L), r.loss[i]!.toFixed(4), r.ppl[i]!.toFixed(3), ci(r.ppl_ci95[i], 3), String(r.tokens[i]), ...(r.passkey_acc ? [opt(r.passkey_acc[i])] : []), ...(pm ? [opt(pm[i]), opt(pmx?.[i])] : [])]));
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const note = r.positions === "random" ? `positions: random (reference protocol, ${r.position_draws} draws averaged)\n` : "";
  return note + rows.map((row) => row.map((v, c) => v.padStart(w[c]!)).join("  ")).join("\n") + "\n";
}

function taskTable(r: TaskEvalResult): string {
  const rows = [["length", "exact match", "95% CI", "per token", "95% CI", "loss"], ...r.lengths.map((L, i) => [
    String(L), r.accuracy[i]!.toFixed(3), ci(r.accuracy_ci95[i], 2), r.token_accuracy[i]!.toFixed(3), ci(r.token_accuracy_ci95[i], 2), r.loss[i]!.toFixed(4),
  ])];
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return `${r.task}, ${r.trials} examples per length, positions ${r.positions}\n` + rows.map((row) => row.map((v, c) => v.padStart(w[c]!)).join("  ")).join("\n") + "\n";
}

/** Flags of text evaluation that make no sense with --task, and task flags that need it. */
const TEXT_ONLY = ["text", "split", "stride", "max-tokens", "position-buckets", "passkey", "passkey-seed", "passkey-mix", "retrieval", "streaming", "sinks", "cache", "segment-len", "mem-len"];
const TASK_ONLY = ["trials", "task-seed"];
const RANDOM_ONLY = ["position-draws", "position-seed"];

/** The task to evaluate, or null for text: --task, else the run's own task unless --text/--split asks for text. */
function evalTask(args: ParsedArgs, run: string): string | null {
  const flag = getString(args, "task");
  if (flag !== undefined) {
    const clash = TEXT_ONLY.find((f) => args.options.has(f));
    if (clash !== undefined) throw new ExtraposError("invalid_argument", `--task cannot be combined with --${clash} (a task evaluation generates its own examples)`);
    return flag;
  }
  const task = args.options.has("text") || args.options.has("split") ? null : runTask(run);
  if (task === null) {
    const orphan = TASK_ONLY.find((f) => args.options.has(f));
    if (orphan !== undefined) throw new ExtraposError("invalid_argument", `--${orphan} needs --task NAME`);
  }
  return task;
}

async function runEval(argv: string[], factory: FactoryProvider): Promise<number> {
  if (wantsHelp(argv, EVAL_OPTIONS)) {
    process.stdout.write(`Usage: extrapos eval --run DIR [--text FILE | --task NAME] --lengths 64,128 [options]\n\n${formatOptions(EVAL_OPTIONS)}\n`);
    return 0;
  }
  const args = parseArgs(argv, EVAL_OPTIONS);
  if (args.positionals.length > 0) throw new ExtraposError("invalid_argument", `unexpected argument ${JSON.stringify(args.positionals[0])}`, "see `extrapos eval --help`");
  const run = getString(args, "run");
  if (run === undefined) throw new ExtraposError("invalid_argument", "--run DIR is required (a run directory written by `extrapos train`)");
  let lengths = getNumbers(args, "lengths");
  if (lengths === undefined) {
    const path = join(run, "model.safetensors");
    const T = existsSync(path) ? loadCheckpoint(path).config.contextLength : 0;
    lengths = T > 0 ? [T, 2 * T, 4 * T, 8 * T] : [];
  }
  const maxMiB = maxMemoryFlag(args);
  const ropeScaling = ropeScalingRequest(args);
  const num = (f: string): number | undefined => getNumber(args, f);
  const task = evalTask(args, run);
  const positions = getString(args, "positions") as "random" | "plain" | undefined;
  const orphan = RANDOM_ONLY.find((f) => args.options.has(f));
  if (positions === "plain" && orphan !== undefined) throw new ExtraposError("invalid_argument", `--${orphan} applies to --positions random, got --positions plain`);
  if (task !== null && args.options.has("position-draws")) throw new ExtraposError("invalid_argument", "--position-draws applies to text evaluation (a task draws fresh positions for every example)");
  const posOpts = { ...(positions !== undefined ? { positions } : {}), ...(num("position-seed") !== undefined ? { positionSeed: num("position-seed")! } : {}) };
  if (task !== null) {
    const r = await evaluateTaskRun(run, {
      ...posOpts,
      task, lengths, ...(num("trials") !== undefined ? { trials: num("trials")! } : {}), ...(num("task-seed") !== undefined ? { seed: num("task-seed")! } : {}),
      ...(num("batch-tokens") !== undefined ? { batchTokens: num("batch-tokens")! } : {}), ...(ropeScaling ? { ropeScaling } : {}),
      ...(num("threads") !== undefined ? { threads: num("threads")! } : {}), ...(maxMiB !== undefined ? { maxMemoryBytes: maxMiB * 2 ** 20 } : {}),
      createModel: lazyFactory(factory),
    });
    if (getFlag(args, "json")) printJson(r);
    else process.stdout.write(taskTable(r));
    return 0;
  }
  const text = getString(args, "text"), split = getString(args, "split") as "valid" | "test" | undefined;
  const json = getFlag(args, "json");
  const trainLen = () => loadRunCheckpointForEval(run).config.contextLength;
  const segments = segmentFlags(args, trainLen);
  const cache = segments ?? rollingCacheFlags(args, getFlag(args, "streaming"), trainLen, "--streaming");
  const result = await evaluateRun(run, {
    lengths, ...posOpts, ...(num("position-draws") !== undefined ? { positionDraws: num("position-draws")! } : {}),
    ...(text !== undefined ? { text } : {}), ...(split !== undefined ? { split } : {}),
    ...(num("stride") !== undefined ? { stride: num("stride")! } : {}), ...(num("max-tokens") !== undefined ? { maxTokens: num("max-tokens")! } : {}),
    ...(num("batch-tokens") !== undefined ? { batchTokens: num("batch-tokens")! } : {}), ...(num("position-buckets") !== undefined ? { positionBuckets: num("position-buckets")! } : {}),
    ...(num("passkey") !== undefined ? { passkey: num("passkey")! } : {}), ...(num("retrieval") !== undefined ? { retrieval: num("retrieval")! } : {}), ...(num("passkey-mix") !== undefined ? { passkeyMix: num("passkey-mix")! } : {}), ...(num("passkey-seed") !== undefined ? { passkeySeed: num("passkey-seed")! } : {}),
    ...(ropeScaling ? { ropeScaling } : {}), ...(num("threads") !== undefined ? { threads: num("threads")! } : {}),
    ...(maxMiB !== undefined ? { maxMemoryBytes: maxMiB * 2 ** 20 } : {}), ...(cache ? { cache } : {}),
    onProgress: (p) => { if (p.windowsDone === p.windows) process.stderr.write(`extrapos: length ${p.length}: ${p.windows} windows\n`); },
    createModel: lazyFactory(factory),
  });
  if (json) printJson(result);
  else process.stdout.write(table(result));
  return 0;
}

export function makeEvalCommand(factory: FactoryProvider = cliModelFactory): Command {
  return { summary: SUMMARIES.eval, run: (argv) => runEval(argv, factory) };
}

export const evalCommand: Command = makeEvalCommand();
