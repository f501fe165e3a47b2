import { test } from "node:test";
import assert from "node:assert/strict";
import { ratios, type BenchLine } from "./lines.js";

test("ratio lines pair ours with PyTorch by transpose+threads and by config; unmatched lines give none", () => {
  const mm = (impl: "extrapos" | "pytorch", transpose: string, threads: number, gflops: number): BenchLine =>
    ({ name: "matmul", impl, m: 1024, k: 256, n: 1024, transpose, threads, gflops });
  const lines: BenchLine[] = [
    mm("extrapos", "NN", 2, 50), mm("pytorch", "NN", 2, 100), mm("pytorch", "NN", 1, 60), mm("extrapos", "TT", 1, 30),
    { name: "train", impl: "extrapos", config: "tiny", pe: "rope", threads: 2, tokens_per_s: 6000 },
    { name: "train", impl: "pytorch", config: "tiny", pe: "rope", threads: 2, tokens_per_s: 4000 },
    { name: "eval", impl: "pytorch", config: "tiny", length: 1024, tokens_per_s: 1 },
    { name: "skip", what: "x", why: "y" },
    { name: "decode", impl: "extrapos", config: "tiny", context: 1024, batch: 8, threads: 1, tokens_per_s: 3000, peak_rss_mb: 90 },
    { name: "decode", impl: "pytorch", config: "tiny", context: 1024, batch: 8, threads: 1, tokens_per_s: 1200, peak_rss_mb: 250 },
    { name: "decode", impl: "pytorch", config: "tiny", context: 1024, batch: 8, threads: 2, tokens_per_s: 1500, peak_rss_mb: 250 },
    // another encoding at the same point (decode-xl.ts): no peer, no ratio, and the ALiBi ratio unchanged
    { name: "decode", impl: "extrapos", config: "tiny", pe: "transformer-xl", context: 1024, batch: 8, threads: 1, tokens_per_s: 500, peak_rss_mb: 90 },
  ];
  assert.deepEqual(ratios(lines), [
    { name: "ratio", what: "matmul NN 2 threads", value: 0.5 },
    { name: "ratio", what: "train tiny", value: 1.5 },
    { name: "ratio", what: "decode tiny context 1024 batch 8 1 threads", value: 2.5 },
  ]);
});
