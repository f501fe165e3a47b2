/**
 * `extrapos generate --run DIR --prompt "..." [--max-tokens N] [--temperature X] [--top-k K]
 * [--top-p P] [--seed K] [--chat]` — streams a continuation to stdout (docs/evaluation.md).
 * `--chat`: reads lines from stdin (terminal or pipe), answers each, keeps the conversation as
 * context, ends at EOF.
 */
import { ExtraposError } from "../pe/errors.js";
import { createInterface } from "node:readline";
import { chat, DEFAULT_GENERATE, generate, type GenerateOptions } from "../eval/generate.js";
import { loadRunCheckpointForEval, resolveRopeScaling } from "../eval/run.js";
import { validateSampling } from "../eval/sampling.js";
import { loadTokenizer } from "../data/tokenizer.js";
import { formatOptions, getFlag, getNumber, getString, parseArgs, type OptionSpecs } from "./args.js";
import type { Command } from "./command.js";
import { cliModelFactory, type FactoryProvider } from "./model-factory.js";
import { ROPE_SCALING_OPTIONS, ropeScalingRequest } from "./rope-scaling-flags.js";

export const GENERATE_OPTIONS: OptionSpecs = {
  run: { type: "string", metavar: "DIR", help: "run directory (its model.safetensors)" },
  prompt: { type: "string", metavar: "TEXT", help: "text to continue (not with --chat)" },
  chat: { type: "boolean", help: "interactive: one reply per stdin line, the conversation kept as context" },
  "max-tokens": { type: "int", metavar: "N", help: "tokens to generate (chat: per reply)", default: String(DEFAULT_GENERATE.maxTokens) },
  temperature: { type: "number", metavar: "X", help: "sampling temperature (0 = greedy)", default: String(DEFAULT_GENERATE.temperature) },
  "top-k": { type: "int", metavar: "K", help: "keep the K most likely tokens (0 = off)", default: String(DEFAULT_GENERATE.topK) },
  "top-p": { type: "number", metavar: "P", help: "nucleus mass (1 = off)", default: String(DEFAULT_GENERATE.topP) },
  seed: { type: "int", metavar: "K", help: "sampling seed (same seed → same text)", default: String(DEFAULT_GENERATE.seed) },
  ...ROPE_SCALING_OPTIONS,
  threads: { type: "int", metavar: "N", help: "engine worker threads" },
  help: { type: "boolean", help: "show this help" },
};

async function runGenerate(argv: string[], factory: FactoryProvider): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
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
  };
  validateSampling(o);
  if (!Number.isInteger(o.maxTokens) || o.maxTokens < 0) throw new ExtraposError("invalid_argument", `--max-tokens must be an integer ≥ 0, got ${o.maxTokens}`);
  const ckpt = loadRunCheckpointForEval(run);
  const ropeScaling = resolveRopeScaling(ropeScalingRequest(args), ckpt.config);
  if (ropeScaling) o.ropeScaling = ropeScaling;
  const tok = await loadTokenizer(ckpt.config.tokenizer);
  if (prompt !== undefined && tok.encode(prompt).length === 0) throw new ExtraposError("invalid_argument", "--prompt must not be empty");
  const threads = getNumber(args, "threads");
  const model = await (await factory())(ckpt.config, { seed: 0, params: ckpt.params, ...(threads !== undefined ? { threads } : {}) });
  try {
    const write = (s: string): void => void process.stdout.write(s);
    if (isChat) {
      const tty = process.stdin.isTTY === true;
      if (tty) process.stderr.write("extrapos chat — a small model continuing a \"User:/Assistant:\" transcript; Ctrl-D to end\n");
      await chat(model, tok, createInterface({ input: process.stdin, terminal: false }), o, write, tty ? (s) => void process.stderr.write(s) : undefined);
    } else {
      generate(model, tok, prompt!, o, write);
      write("\n");
    }
  } finally {
    await model.dispose();
  }
  return 0;
}

export function makeGenerateCommand(factory: FactoryProvider = cliModelFactory): Command {
  return { summary: "generate text from a run (streamed, KV cache; --chat for a small dialogue loop)", run: (argv) => runGenerate(argv, factory) };
}

export const generateCommand: Command = makeGenerateCommand();
