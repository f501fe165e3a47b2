/**
 * One metrics.jsonl line (Node and browsers): the record as JSON with non-finite numbers written as
 * the strings "NaN", "Infinity", "-Infinity" (metrics.ts writes and reads the file).
 *
 * Example: `metricLine({ step: 3, "train/loss": NaN })` → `{"step":3,"train/loss":"NaN"}\n`
 */
import { invalid, show } from "../../pe/errors.js";

export type MetricValue = number | string;
export interface MetricRecord { step: number; [key: string]: MetricValue }

function encodeValue(v: MetricValue): MetricValue {
  if (typeof v === "number" && !Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
  return v;
}

export function decodeValue(v: unknown): MetricValue {
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  return v as MetricValue;
}

/** The line (with its newline) for `record`; refuses values that are not numbers or strings. */
export function metricLine(record: MetricRecord): string {
  const out: Record<string, MetricValue> = {};
  for (const [k, v] of Object.entries(record)) {
    if (typeof v !== "number" && typeof v !== "string") throw invalid(`metrics value ${show(k)} must be a number or a string, got ${show(v)}`);
    out[k] = encodeValue(v);
  }
  return JSON.stringify(out) + "\n";
}
