/**
 * `extrapos generate --run DIR --prompt "..." [--max-tokens N] [--temperature X] [--top-k K]
 * [--top-p P] [--seed K] [--num-samples N] [--verbose] [--sinks K --cache W] [--chat]` — streams a
 * continuation to stdout (docs/evaluation.md), decoded on the engine in float32 with a KV cache.
 * `--num-samples N`: N samples of the prompt decoded as one batch that shares the prompt's prefill.
 * `--verbose`: timings on stderr (time to first token since start-up, prefill, tokens/s; per turn with --chat).
 * `--sinks K --cache W`: StreamingLLM's rolling cache on the engine decoder: constant memory, and the
 * continuation is streamed without being kept (generateStream).
 * `--chat`: reads lines from stdin (terminal or pipe), answers each, keeps the conversation as
 * context, ends at EOF.
 */
import { ExtraposError } from "../pe/errors.js";
import { createInterface } from "node:readline";
import { chat, DEFAULT_GENERATE, formatChatTurn, formatStats, generateStream, type ChatTurnStats, type GenerateOptions, type GenerateStats } from "../eval/generate.js";
import { loadRunCheckpointForEval, resolveRopeScaling } from "../eval/run.js";
import { validateSampling } from "../eval/sampling.js";
import { loadTokenizer } from "../data/tokenizer.js";
import { formatOptions, getFlag, getNumber, getString, parseArgs, type OptionSpecs, wantsHelp } from "./args.js";
import type { Command } from "./command.js";
import { cliModelFactory, type FactoryProvider } from "./model-factory.js";
import { ROPE_SCALING_OPTIONS, ropeScalingRequest } from "./rope-scaling-flags.js";
import { rollingCacheFlags } from "./rolling-cache-flags.js";
import { SUMMARIES } from "./summaries.js";

export const GENERATE_OPTIONS: OptionSpecs = {
  run: { type: "string", metavar: "DIR", help: "run directory (its model.safetensors)" },
  prompt: { type: "string", metavar: "TEXT", help: "text to continue (not with --chat)" },
  chat: { type: "boolean", help: "interactive: one reply per stdin line, the conversation kept as context" },
  "max-tokens": { type: "int", metavar: "N", help: "tokens to generate (chat: per reply)", default: String(DEFAULT_GENERATE.maxTokens) },
  temperature: { type: "number", metavar: "X", help: "sampling temperature (0 = greedy)", default: String(DEFAULT_GENERATE.temperature) },
  "top-k": { type: "int", metavar: "K", help: "keep the K most likely tokens (0 = off)", default: String(DEFAULT_GENERATE.topK) },
  "top-p": { type: "number", metavar: "P", help: "nucleus mass (1 = off)", default: String(DEFAULT_GENERATE.topP) },
  seed: { type: "int", metavar: "K", help: "sampling seed (same seed → same text)", default: String(DEFAULT_GENERATE.seed) },
  "num-samples": { type: "int", metavar: "N", help: "independent samples of the prompt, decoded as one batch sharing the prompt's prefill (not with --chat)", default: "1" },
  verbose: { type: "boolean", help: "timings on stderr: time to first token (since start-up), prefill, tokens/s" },
  sinks: { type: "int", metavar: "K", help: "rolling KV cache (StreamingLLM): initial tokens kept (attention sinks); with --cache", default: "4" },
  cache: { type: "int", metavar: "W", help: "rolling KV cache: most recent tokens kept — constant memory for unbounded generation", default: "off (the cache grows)" },
  ...ROPE_SCALING_OPTIONS,
  threads: { type: "int", metavar: "N", help: "engine worker threads" },
  help: { type: "boolean", help: "show this help" },
};

async function runGenerate(argv: string[], factory: FactoryProvider): Promise<number> {
  if (wantsHelp(argv, GENERATE_OPTIONS)) {
    process.stdout.write(`Usage: extrapos generate --run DIR --prompt TEXT [options]     (or --chat)\n\n${formatOptions(GENERATE_OPTIONS)}\n`);
    return 0;
  }
  const args = parseArgs(argv, GENERATE_OPTIONS);
  if (args.positionals.length > 0) throw new ExtraposError("invalid_argument", `unexpected argument ${JSON.stringify(args.positionals[0])}`, "see `extrapos generate --help`");
  const run = getString(args, "run");
  if (run === undefined) throw new ExtraposError("invalid_argument", "--run DIR is required (a run directory written by `extrapos train`)");
  const prompt = getString(args, "prompt"), isChat = getFlag(args, "chat");
  if (isChat === (prompt !== undefined)) throw new ExtraposError("invalid_argument", isChat ? "--chat reads its prompts from stdin; drop --prompt" : "--prompt TEXT is required (or --chat)");
  const o: GenerateOptions = {
    maxTokens: getNumber(args, "max-tokens") ?? DEFAULT_GENERATE.maxTokens,
    temperature: getNumber(args, "temperature") ?? DEFAULT_GENERATE.temperature,
    topK: getNumber(args, "top-k") ?? DEFAULT_GENERATE.topK,
    topP: getNumber(args, "top-p") ?? DEFAULT_GENERATE.topP,
    seed: getNumber(args, "seed") ?? DEFAULT_GENERATE.seed,
    numSamples: getNumber(args, "num-samples") ?? 1,
  };
  const verbose = getFlag(args, "verbose");
  if (isChat && o.numSamples !== 1) throw new ExtraposError("invalid_argument", `--num-samples applies to --prompt, not --chat, got ${o.numSamples}`, "drop --num-samples, or generate from a --prompt");
  validateSampling(o, { temperature: "--temperature", topK: "--top-k", topP: "--top-p" });
  if (!Number.isInteger(o.maxTokens) || o.maxTokens < 0) throw new ExtraposError("invalid_argument", `--max-tokens must be an integer ≥ 0, got ${o.maxTokens}`);
  const ckpt = loadRunCheckpointForEval(run);
  const ropeScaling = resolveRopeScaling(ropeScalingRequest(args), ckpt.config);
  if (ropeScaling) o.ropeScaling = ropeScaling;
  const cache = rollingCacheFlags(args, args.options.has("cache"), () => ckpt.config.contextLength, "--cache W");
  if (cache) o.cache = cache;
  const tok = await loadTokenizer(ckpt.config.tokenizer);
  if (prompt !== undefined && tok.encode(prompt).length === 0) throw new ExtraposError("invalid_argument", "--prompt must not be empty");
  const threads = getNumber(args, "threads");
  const model = await (await factory())(ckpt.config, { seed: 0, params: ckpt.params, ...(threads !== undefined ? { threads } : {}) });
  try {
    // a reader that stops early (`| head`) ends generation quietly, as Unix tools do
    process.stdout.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(0);
      throw e;
    });
    const write = (s: string): void => void process.stdout.write(s);
    if (isChat) {
      const tty = process.stdin.isTTY === true;
      if (tty) process.stderr.write("extrapos chat — a small model continuing a \"User:/Assistant:\" transcript; Ctrl-D to end\n");
      const turnStats = verbose ? (t: ChatTurnStats): void => void process.stderr.write(`\n[${formatChatTurn(t)}]\n`) : undefined;
      await chat(model, tok, createInterface({ input: process.stdin, terminal: false }), o, write, tty ? (s) => void process.stderr.write(s) : undefined, turnStats);
    } else {
      const stats: GenerateStats = { promptTokens: 0, prefillDoneMs: 0, firstTextMs: NaN, tokens: 0, startMs: 0, endMs: 0 };
      generateStream(model, tok, prompt!, o, write, stats);
      write("\n");
      if (verbose) process.stderr.write(`${formatStats(stats)}\n`);
    }
  } finally {
    await model.dispose();
  }
  return 0;
}

export function makeGenerateCommand(factory: FactoryProvider = cliModelFactory): Command {
  return { summary: SUMMARIES.generate, run: (argv) => runGenerate(argv, factory) };
}

export const generateCommand: Command = makeGenerateCommand();
