/**
 * Transformer-XL decode lines of `npm run bench` (issue 11): generation tokens/s of the bench's tiny model
 * (decode-point.ts: d 128, 4 layers, 4 heads, byte vocabulary, seeded random weights, training length 128)
 * with `pe: "transformer-xl"` on the engine decoder's relative attention (src/model/gpt/xl-decode.ts) —
 * without memory (the growing cache, context 1k and 4k) and with `mem_len` 128 (the segment cache: segments
 * of 128 with 128 positions of memory, so at most 256 positions per layer whatever the context). Batch 1,
 * 1 thread, same protocol as the ALiBi lines (decode.ts). extrapos only: the PyTorch peer
 * (peers/torch_decode.py) has no relative attention, so there is no ratio here.
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchLine } from "./lines.js";

const here = dirname(fileURLToPath(import.meta.url));

interface XlPoint { pe: "transformer-xl" | "transformer-xl-mem"; context: number }

export function decodeXlPoints(quick: boolean): XlPoint[] {
  if (quick) return [{ pe: "transformer-xl", context: 1024 }];
  return [{ pe: "transformer-xl", context: 1024 }, { pe: "transformer-xl", context: 4096 }, { pe: "transformer-xl-mem", context: 1024 }, { pe: "transformer-xl-mem", context: 4096 }];
}

export function decodeXlExtrapos(points: readonly XlPoint[]): BenchLine[] {
  return points.map((p) => {
    const pe = p.pe === "transformer-xl" ? { kind: "transformer-xl" } : { kind: "transformer-xl", mem_len: 128 };
    const r = spawnSync(process.execPath, [join(here, "decode-point.js"), String(p.context), "1", "1", "64", JSON.stringify(pe)], { encoding: "utf8", timeout: 600_000 });
    if (r.status !== 0) throw new Error(`decode-point ${p.pe} ${p.context} failed: ${r.stderr.trim().split("\n").slice(-2).join(" | ")}`);
    const x = JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, unknown>;
    return {
      name: "decode", impl: "extrapos", config: "tiny", pe: p.pe, context: p.context, batch: 1, threads: 1,
      tokens_per_s: Number(x.tokens_per_s), cpu_tokens_per_s: Number(x.cpu_tokens_per_s), peak_rss_mb: Number(x.peak_rss_mb), prefill_s: Number(x.prefill_s),
    };
  });
}
