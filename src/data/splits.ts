/**
 * What every corpus loader returns: three plain-text splits. Kept in its own file so that the Brown
 * loader, the user-text loader and the trainer share one type without importing each other.
 *
 * Example: `const s: CorpusSplits = { train: "...", valid: "...", test: "..." }; splitSizes(s).train`
 */
import { invalid, show } from "../pe/errors.js";

export type SplitName = "train" | "valid" | "test";

export const SPLIT_NAMES: readonly SplitName[] = ["train", "valid", "test"];

export interface CorpusSplits {
  /** Text the model trains on. */
  train: string;
  /** Text for evaluation during training (early stopping, curves). */
  valid: string;
  /** Held-out text for the final numbers. */
  test: string;
}

/** Size of each split in UTF-8 bytes (= tokens for the byte tokenizer). */
export function splitSizes(s: CorpusSplits): Record<SplitName, number> {
  const utf8 = new TextEncoder();
  return { train: utf8.encode(s.train).length, valid: utf8.encode(s.valid).length, test: utf8.encode(s.test).length };
}

/** Default tail fractions carved from one text for valid and test. */
export const DEFAULT_TAIL_FRACTIONS = { validFraction: 0.05, testFraction: 0.05 } as const;

function safeCut(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return i > 0 && i < text.length && c >= 0xdc00 && c <= 0xdfff ? i - 1 : i;
}

function checkFraction(name: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0 && v < 1)) throw invalid(`\`${name}\` must be a number in [0, 1), got ${show(v)}`);
}

/**
 * Cuts `text` into train | valid | test by tail fractions (test last).
 *
 * Example: `tailSplit("0123456789", 0.2, 0.1)` → `{ train: "0123456", valid: "78", test: "9" }`
 */
export function tailSplit(text: string, validFraction: number, testFraction: number): CorpusSplits {
  checkFraction("validFraction", validFraction);
  checkFraction("testFraction", testFraction);
  if (validFraction + testFraction >= 1) throw invalid(`\`validFraction + testFraction\` must be < 1, got ${show(validFraction + testFraction)}`);
  const n = text.length;
  const validStart = safeCut(text, Math.round(n * (1 - validFraction - testFraction)));
  const testStart = safeCut(text, Math.round(n * (1 - testFraction)));
  return { train: text.slice(0, validStart), valid: text.slice(validStart, testStart), test: text.slice(testStart) };
}

