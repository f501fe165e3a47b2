/**
 * Decode lines of `npm run bench` (issue 11): generation tokens/s of the tiny model (d 128, 4 layers,
 * 4 heads, byte vocabulary, ALiBi) at contexts 1k and 4k, batch 1 and 8, 1 and 2 threads, with each
 * point's peak RSS — extrapos (decode-point.ts) and the PyTorch peer (peers/torch_decode.py: a
 * preallocated KV-cache loop), each point in its own process, same protocol; plus extrapos's time to
 * first token of `extrapos generate` (since process start-up) on a freshly trained tiny run.
 * Batch points: both prefill the prompt once for the batch. The peer then copies sequence 0's cache
 * into the batch's (a plain PyTorch KV-cache loop); extrapos keeps the prompt's cache once, as a
 * shared prefix every sequence's attention reads (how the engine decoder decodes a batch:
 * docs/engine.md "Decoding"; same outputs as copying).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchLine } from "./lines.js";
import { runPython } from "./peer.js";

const here = dirname(fileURLToPath(import.meta.url));
/** The peer script ships in the repository (src/bench/peers), beside this file's source. */
export const TORCH_DECODE = resolve(here, "..", "..", "src", "bench", "peers", "torch_decode.py");

export interface DecodePoint { context: number; batch: number; threads: number }

export function decodePoints(quick: boolean): DecodePoint[] {
  if (quick) return [{ context: 1024, batch: 1, threads: 1 }];
  const out: DecodePoint[] = [];
  for (const context of [1024, 4096]) for (const batch of [1, 8]) for (const threads of [1, 2]) out.push({ context, batch, threads });
  return out;
}

const line = (impl: "extrapos" | "pytorch", p: DecodePoint, r: Record<string, unknown>): BenchLine => ({
  name: "decode", impl, config: "tiny", pe: "alibi", context: p.context, batch: p.batch, threads: p.threads,
  tokens_per_s: Number(r.tokens_per_s), cpu_tokens_per_s: Number(r.cpu_tokens_per_s), peak_rss_mb: Number(r.peak_rss_mb), prefill_s: Number(r.prefill_s), ...(r.torch ? { torch: r.torch } : {}),
});

export function decodeExtrapos(points: readonly DecodePoint[]): BenchLine[] {
  return points.map((p) => {
    const r = spawnSync(process.execPath, [join(here, "decode-point.js"), String(p.context), String(p.batch), String(p.threads)], { encoding: "utf8", timeout: 600_000 });
    if (r.status !== 0) throw new Error(`decode-point ${p.context} ${p.batch} ${p.threads} failed: ${r.stderr.trim().split("\n").slice(-2).join(" | ")}`);
    return line("extrapos", p, JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, unknown>);
  });
}

export function decodePytorch(points: readonly DecodePoint[]): BenchLine[] {
  return points.map((p) => line("pytorch", p, runPython([TORCH_DECODE, String(p.context), String(p.batch), String(p.threads)], p.threads)[0]!));
}

/** Median time to first token of `extrapos generate` (tiny run, 1 thread), over `runs` start-ups. */
export function timeToFirstToken(runs = 5): BenchLine {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-ttft-"));
  const main = join(here, "..", "cli", "main.js");
  try {
    writeFileSync(join(dir, "text.txt"), "The quick brown fox jumps over the lazy dog. ".repeat(400));
    const t = spawnSync(process.execPath, [main, "train", "--data", join(dir, "text.txt"), "--out", join(dir, "run"), "--model", "transformer", "--pe", "alibi",
      "--d-model", "128", "--layers", "4", "--heads", "4", "--seq-len", "128", "--batch", "4", "--steps", "1", "--threads", "1", "--quiet"], { encoding: "utf8" });
    if (t.status !== 0) throw new Error(`training the tiny run failed: ${t.stderr.trim()}`);
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const g = spawnSync(process.execPath, [main, "generate", "--run", join(dir, "run"), "--prompt", "The quick brown fox", "--max-tokens", "32", "--threads", "1", "--verbose"], { encoding: "utf8" });
      const m = /first token (\d+) ms after start-up/.exec(g.stderr);
      if (g.status !== 0 || m === null) throw new Error(`generate failed: ${g.stderr.trim()}`);
      ms.push(Number(m[1]));
    }
    ms.sort((a, b) => a - b);
    return { name: "ttft", impl: "extrapos", config: "tiny", pe: "alibi", threads: 1, runs, ms: ms[Math.floor(runs / 2)]!, min_ms: ms[0]! };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
