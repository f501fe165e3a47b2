import { round3 } from "./timing.js";

/** The JSON line schema of `npm run bench` (issue 3); extra keys are allowed. */
export type Impl = "extrapos" | "pytorch";
export type BenchLine =
  | { name: "matmul"; impl: Impl; m: number; k: number; n: number; transpose: string; threads: number; gflops: number; [extra: string]: unknown }
  | { name: "train"; impl: Impl; config: string; pe: string; threads: number; tokens_per_s: number; [extra: string]: unknown }
  | { name: "eval"; impl: Impl; config: string; length: number; tokens_per_s: number; [extra: string]: unknown }
  | { name: "eval_memory"; config: string; length: number; peak_rss_mb: number; [extra: string]: unknown }
  | { name: "decode"; impl: Impl; config: string; context: number; batch: number; threads: number; tokens_per_s: number; peak_rss_mb: number; [extra: string]: unknown }
  | { name: "ttft"; impl: Impl; config: string; ms: number; [extra: string]: unknown }
  | { name: "ratio"; what: string; value: number; [extra: string]: unknown }
  | { name: "skip"; what: string; why: string };

export function emit(line: BenchLine): void {
  process.stdout.write(JSON.stringify(line) + "\n");
}

/** ours / PyTorch for each pair of comparable lines (same matmul transpose and threads; same config). */
export function ratios(lines: readonly BenchLine[]): BenchLine[] {
  const key = (l: BenchLine): string | undefined => {
    if (l.name === "matmul") return `matmul ${l.transpose} ${l.threads} threads`;
    if (l.name === "train") return `train ${l.config}`;
    if (l.name === "eval") return `eval ${l.config} ${l.length}`;
    // the peer decodes ALiBi only: another encoding's line (decode-xl.ts) has its own key, so no ratio
    if (l.name === "decode") return `decode ${l.config}${l.pe !== undefined && l.pe !== "alibi" ? ` ${String(l.pe)}` : ""} context ${l.context} batch ${l.batch} ${l.threads} threads`;
    return undefined;
  };
  const value = (l: BenchLine): number => (l.name === "matmul" ? l.gflops : "tokens_per_s" in l ? Number(l.tokens_per_s) : NaN);
  const ours = new Map<string, number>(), theirs = new Map<string, number>();
  for (const l of lines) {
    const k = key(l);
    if (k === undefined || !("impl" in l)) continue;
    (l.impl === "extrapos" ? ours : theirs).set(k, value(l));
  }
  const out: BenchLine[] = [];
  for (const [k, v] of ours) {
    const p = theirs.get(k);
    if (p !== undefined && p > 0) out.push({ name: "ratio", what: k, value: round3(v / p) });
  }
  return out;
}

