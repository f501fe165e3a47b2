/**
 * `metrics.jsonl`: one JSON object per logged step, one per line, appended with a single `write` per
 * line on an append-only descriptor (no user-space buffering, so each line is in the file as soon as
 * `append` returns; `flush()` also fsyncs). Every object has an integer `step`; other fields are
 * numbers or strings. JSON has no NaN/Infinity: such values are written as the strings "NaN",
 * "Infinity", "-Infinity" (and read back as numbers by {@link readMetrics}).
 *
 * Resume: a run killed with kill -9 may leave a partial last line, and may have logged steps after
 * its last checkpoint. {@link truncateMetrics} rewrites the file atomically keeping only complete
 * lines with `step` ≤ the checkpoint's step, so the resumed run appends the same lines the
 * uninterrupted run would have.
 *
 * Example:
 *   const m = new MetricsWriter("runs/a/metrics.jsonl");
 *   m.append({ step: 10, "train/loss": 2.31, lr: 1e-3 });
 *   m.close();
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { invalid, show } from "../../pe/errors.js";
import { writeFileAtomic } from "../../data/atomic-write.js";
import { decodeValue, metricLine, type MetricRecord, type MetricValue } from "./metric-line.js";

export type { MetricRecord, MetricValue } from "./metric-line.js";


export class MetricsWriter {
  private fd: number | undefined;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, "a");
  }

  append(record: MetricRecord): void {
    if (this.fd === undefined) throw invalid(`metrics file ${show(this.path)} is closed`);
    if (!(Number.isSafeInteger(record.step) && record.step >= 0)) throw invalid(`metrics \`step\` must be an integer ≥ 0, got ${show(record.step)}`);
    const line = Buffer.from(metricLine(record), "utf8");
    let off = 0;
    while (off < line.length) off += writeSync(this.fd, line, off, line.length - off);
  }

  flush(): void {
    if (this.fd !== undefined) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === undefined) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Complete records of a metrics file, in file order; a partial or unparsable last line is skipped. */
export function readMetrics(path: string): MetricRecord[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, "utf8").split("\n");
  const out: MetricRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(line) as Record<string, unknown>;
    } catch {
      if (i >= lines.length - 2) return; // the torn last line of a killed run
      throw invalid(`metrics file ${show(path)} line ${i + 1} is not JSON`);
    }
    const rec: Record<string, MetricValue> = {};
    for (const [k, v] of Object.entries(obj)) rec[k] = decodeValue(v);
    out.push(rec as MetricRecord);
  });
  return out;
}

/** Keeps only complete records with step ≤ `lastStep` (atomic rewrite); returns how many were kept. */
export function truncateMetrics(path: string, lastStep: number): number {
  if (!existsSync(path)) return 0;
  const lines = readFileSync(path, "utf8").split("\n");
  const kept: string[] = [];
  for (const line of lines) {
    if (line.trim() === "") continue;
    try {
      const obj = JSON.parse(line) as { step?: unknown };
      if (typeof obj.step === "number" && obj.step <= lastStep) kept.push(line);
    } catch {
      // torn line: dropped
    }
  }
  writeFileAtomic(path, kept.map((l) => l + "\n").join(""));
  return kept.length;
}
