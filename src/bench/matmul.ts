/**
 * Bench (a): matmul GFLOP/s at 1024×256×1024 in the four transpose combinations, on our engine and
 * (when available) on PyTorch with the same thread count.
 */
import { createEngine } from "../engine/threads/pool.js";
import { matmul, type Transpose } from "../engine/kernels/matmul/matmul.js";
import { engineInfo } from "../engine/wasm.js";
import type { BenchLine } from "./lines.js";
import { runPython } from "./peer.js";
import { round3, timeRuns } from "./timing.js";

export const MATMUL_SHAPE = { m: 1024, k: 256, n: 1024 };
export const TRANSPOSES: Transpose[] = ["NN", "NT", "TN", "TT"];

export async function matmulExtrapos(threads: number, runs: number): Promise<BenchLine[]> {
  const { m, k, n } = MATMUL_SHAPE;
  const engine = await createEngine({ threads });
  try {
    const a = engine.alloc(4 * m * k), b = engine.alloc(4 * k * n), c = engine.alloc(4 * m * n);
    const av = engine.f32(a, m * k), bv = engine.f32(b, k * n);
    for (let i = 0; i < av.length; i++) av[i] = Math.sin(i) * 0.5;
    for (let i = 0; i < bv.length; i++) bv[i] = Math.cos(i) * 0.5;
    const lines: BenchLine[] = [];
    for (const t of TRANSPOSES) {
      const aRef = { ptr: a, shape: t[0] === "T" ? [k, m] : [m, k] };
      const bRef = { ptr: b, shape: t[1] === "T" ? [n, k] : [k, n] };
      const timing = timeRuns(() => matmul(engine, { ptr: c, shape: [m, n] }, aRef, bRef, { transpose: t }), runs);
      const flop = 2 * m * k * n;
      lines.push({
        name: "matmul", impl: "extrapos", m, k, n, transpose: t, threads, gflops: round3(flop / timing.bestMs / 1e6),
        gflops_median: round3(flop / timing.medianMs / 1e6), runs, fma: engineInfo().fma, // which kernel build (docs/engine.md)
        // flops per CPU-second of the process: when far above gflops / threads, other load slowed the run
        gflops_per_cpu_second: round3((flop * runs) / timing.cpuMs / 1e6),
      });
    }
    return lines;
  } finally {
    await engine.dispose();
  }
}

/** The same products in PyTorch (operands made with .t() views, as a backward pass would). */
export function matmulPytorch(threads: number, runs: number): BenchLine[] {
  const { m, k, n } = MATMUL_SHAPE;
  const script = `
import json, time, torch
torch.set_num_threads(${threads})
m, k, n = ${m}, ${k}, ${n}
for t in ["NN", "NT", "TN", "TT"]:
    a = torch.randn(k, m).t() if t[0] == "T" else torch.randn(m, k)
    b = torch.randn(n, k).t() if t[1] == "T" else torch.randn(k, n)
    c = torch.empty(m, n)
    for _ in range(2): torch.mm(a, b, out=c)
    ts = []
    for _ in range(${runs}):
        s = time.perf_counter(); torch.mm(a, b, out=c); ts.append(time.perf_counter() - s)
    ts.sort()
    f = 2 * m * k * n
    print(json.dumps({"name": "matmul", "impl": "pytorch", "m": m, "k": k, "n": n, "transpose": t, "threads": torch.get_num_threads(),
                      "gflops": float("%.3g" % (f / ts[0] / 1e9)), "gflops_median": float("%.3g" % (f / ts[len(ts) // 2] / 1e9)), "runs": ${runs}}))
`;
  return runPython(["-c", script], threads) as BenchLine[];
}
