/**
 * `npm run bench [-- --quick] [-- --threads N]`: one JSON line per measurement on stdout (schema in
 * lines.ts). Each measurement is a function below; ratio lines (ours / PyTorch) close the run.
 * --quick: only the matmul lines, the tiny config and one decode point (context 1k, batch 1, 1 thread).
 * Decode lines (decode.ts): generation tokens/s and peak RSS, extrapos vs the PyTorch KV-cache peer
 * (src/bench/peers/torch_decode.py), and the time to first token of `extrapos generate`.
 * --only NAME: just the measurements whose id starts with NAME (e.g. `--only decode`, `--only ttft`).
 * --threads: threads for training/eval (default:
 * available cores); the matmul lines always use 1 and 2 threads.
 */
import { availableParallelism } from "node:os";
import { decodeExtrapos, decodePoints, decodePytorch, timeToFirstToken } from "./decode.js";
import { decodeXlExtrapos, decodeXlPoints } from "./decode-xl.js";
import { emit, ratios, type BenchLine } from "./lines.js";
import { matmulExtrapos, matmulPytorch } from "./matmul.js";
import { torchUnavailable } from "./peer.js";
import { evalMemoryExtrapos, trainExtrapos, trainPytorch, type TrainConfig } from "./train.js";

interface BenchContext {
  quick: boolean;
  threads: number;
  /** Why PyTorch is unavailable, or undefined. */
  noTorch: string | undefined;
}

interface Measurement {
  id: string;
  run(ctx: BenchContext): Promise<BenchLine[]> | BenchLine[];
}

const MATMUL_THREADS = [1, 2];

const MEASUREMENTS: Measurement[] = [
  { id: "matmul extrapos", run: async (ctx) => (await sequential(MATMUL_THREADS, (t) => matmulExtrapos(t, ctx.quick ? 10 : 50))).flat() },
  { id: "matmul pytorch", run: (ctx) => ctx.noTorch ? [skipTorch(ctx)] : MATMUL_THREADS.flatMap((t) => matmulPytorch(t, ctx.quick ? 10 : 50)) },
  { id: "train extrapos", run: (ctx) => trainExtrapos(configs(ctx), ctx.threads) },
  { id: "train pytorch", run: (ctx) => ctx.noTorch ? [skipTorch(ctx)] : trainPytorch(configs(ctx), ctx.threads) },
  { id: "eval_memory extrapos", run: (ctx) => ctx.quick ? [] : evalMemoryExtrapos(ctx.threads) },
  { id: "decode extrapos", run: (ctx) => decodeExtrapos(decodePoints(ctx.quick)) },
  { id: "decode pytorch", run: (ctx) => ctx.noTorch ? [skipTorch(ctx)] : decodePytorch(decodePoints(ctx.quick)) },
  { id: "decode transformer-xl extrapos", run: (ctx) => decodeXlExtrapos(decodeXlPoints(ctx.quick)) },
  { id: "ttft extrapos", run: () => [timeToFirstToken()] },
];

function configs(ctx: BenchContext): TrainConfig[] {
  return ctx.quick ? ["tiny"] : ["tiny", "small"];
}

function skipTorch(ctx: BenchContext): BenchLine {
  return { name: "skip", what: "pytorch", why: ctx.noTorch ?? "" };
}

async function sequential<T, R>(xs: readonly T[], f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const x of xs) out.push(await f(x));
  return out;
}

function parseArgs(argv: string[]): { quick: boolean; threads: number; only: string | undefined } {
  let quick = false;
  let only: string | undefined;
  let threads = availableParallelism();
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--quick") quick = true;
    else if (argv[i] === "--threads") {
      threads = Number(argv[++i]);
      if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads must be a positive integer, got ${argv[i]}`);
    } else if (argv[i] === "--only") {
      only = argv[++i];
      if (!only) throw new Error("--only needs a measurement name, e.g. decode");
    } else throw new Error(`unknown option ${argv[i]} (known: --quick, --threads N, --only NAME)`);
  }
  return { quick, threads, only };
}

async function main(): Promise<void> {
  let args: { quick: boolean; threads: number; only: string | undefined };
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const ctx: BenchContext = { ...args, noTorch: torchUnavailable() };
  const all: BenchLine[] = [];
  for (const m of MEASUREMENTS) {
    if (args.only !== undefined && !m.id.startsWith(args.only)) continue;
    let lines: BenchLine[];
    try {
      lines = await m.run(ctx);
    } catch (e) {
      lines = [{ name: "skip", what: m.id, why: `failed: ${(e as Error).message}` }];
    }
    for (const l of lines) emit(l);
    all.push(...lines);
  }
  for (const l of ratios(all)) emit(l);
}

await main();
