/**
 * `associative-recall`: n key–value pairs, then "?" and one of the keys; the answer is its value.
 * Keys are k distinct letters strings (k = 2 while 26^k ≥ 2n, else 3, 4, …), values single digits:
 *
 *   L = 12, k = 2:  "ab3cd7ef1?cd7"  → input "ab3cd7ef1?cd", target only at the last position: "7"
 *
 * For length L the number of pairs is n = ⌊(L − k − 1)/(k + 1)⌋ (sequence = n(k+1) pair tokens + "?"
 * + k key tokens + 1 answer = L+1, with pad tokens " " opening the input for the remainder). Keys are
 * drawn without replacement, values and the queried pair uniformly. Token-level like `copy`.
 * Reference: associative recall as in Ba et al. 2016 (arXiv:1610.06258) and the multi-query form of
 * Arora et al. 2023 (Zoology, arXiv:2312.04927); here with one query at the end.
 *
 * Example: `generateAssociativeRecall(byteTokenizer, 64, new Rng(1))`
 */
import type { Rng } from "../../pe/random.js";
import type { Tokenizer } from "../tokenizer.js";
import { checkTaskLength, exampleFromSequence, taskSymbols, type TaskExample } from "./example.js";

/** Key length and number of pairs for a sequence of input length L. */
export function recallLayout(length: number): { keyLength: number; pairs: number; pad: number } {
  for (let k = 2; ; k++) {
    const pairs = Math.floor((length - k - 1) / (k + 1));
    if (26 ** k >= 2 * pairs) return { keyLength: k, pairs, pad: length - k - 1 - pairs * (k + 1) };
  }
}

export function generateAssociativeRecall(tok: Tokenizer, length: number, rng: Rng): TaskExample {
  checkTaskLength("associative-recall", length, 6);
  const sym = taskSymbols(tok);
  const { keyLength: k, pairs: n, pad } = recallLayout(length);
  const used = new Set<number>();
  const keys: number[] = [];
  while (keys.length < n) {
    const key = rng.int(26 ** k);
    if (!used.has(key)) { used.add(key); keys.push(key); }
  }
  const keyTokens = (key: number): number[] => Array.from({ length: k }, (_, i) => sym.letters[Math.floor(key / 26 ** (k - 1 - i)) % 26]!);
  const values = keys.map(() => sym.digits[rng.int(10)]!);
  const q = rng.int(n);
  const seq: number[] = new Array<number>(pad).fill(sym.pad);
  keys.forEach((key, i) => seq.push(...keyTokens(key), values[i]!));
  seq.push(sym.query, ...keyTokens(keys[q]!), values[q]!);
  return exampleFromSequence(seq, seq.length - 1);
}
