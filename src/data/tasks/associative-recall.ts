/**
 * `associative-recall`: multi-query associative recall (MQAR, Arora et al. 2023, Zoology,
 * arXiv:2312.04927): n key–value pairs, "?", then n queries, each a key drawn uniformly from the n keys
 * (with replacement) followed by its value. The answers are the values after the queried keys (n answer tokens, one per query), so
 * per-token accuracy is the fraction of queries answered. Keys and values come from disjoint vocabularies
 * as in Zoology: keys are single letters while n ≤ 26 (else k-letter strings, the smallest k with 26^k ≥ n),
 * values single digits:
 *
 *   L = 12, k = 1:  "a3c7f1?c7a3c7"  → input "a3c7f1?c7a3c", targets at the values after "?": "7", "3", "7"
 *
 * For input length L the number of pairs is n = ⌊L/(2(k+1))⌋ (sequence = n(k+1) pair tokens + "?" +
 * n(k+1) query tokens = L+1, with pad tokens " " opening the input for the remainder), so the number of
 * pairs to hold grows with the length: 3 at L = 12, 24 at L = 96. Keys are distinct (drawn without
 * replacement), values uniform. Token-level like `copy`.
 * Why this form (and not one query after 2-letter keys, the form before): it is the form of the recall
 * literature; the lookup of a single-token key is the induction-head pattern a 2-layer model can represent,
 * and n scored answers per example instead of one give n times the training signal. Queries are drawn with
 * replacement: when every key was queried once, models answered the last query by elimination and guessed
 * the others. The task suite learns it with Zoology's model (attention-only blocks, one head; docs/experiment.md
 * "Task suite"); with an MLP and 4 heads its models stayed on the guessing plateau.
 * Reference: Ba et al. 2016 (arXiv:1610.06258); Arora et al. 2023 (MQAR; there the queries sit at random
 * gaps after the pairs, here right after "?").
 *
 * Example: `generateAssociativeRecall(byteTokenizer, 64, new Rng(1))`
 */
import type { Rng } from "../../pe/random.js";
import type { Tokenizer } from "../tokenizer.js";
import { checkTaskLength, IGNORE_INDEX, taskSymbols, type TaskExample } from "./example.js";

/** Shortest input length: one pair and its query ("a3?a" → "3"). */
export const RECALL_MIN_LENGTH = 4;

/** Key length, number of pairs (= queries) and leading pad tokens for an input length L. */
export function recallLayout(length: number): { keyLength: number; pairs: number; pad: number } {
  for (let k = 1; ; k++) {
    const pairs = Math.floor(length / (2 * (k + 1)));
    if (26 ** k >= pairs) return { keyLength: k, pairs, pad: length - 2 * pairs * (k + 1) };
  }
}

/** `n` distinct integers of [0, m), in random order (a partial Fisher–Yates shuffle on a sparse array). */
function distinct(m: number, n: number, rng: Rng): number[] {
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(m - i);
    const vj = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    out.push(vj);
  }
  return out;
}

export function generateAssociativeRecall(tok: Tokenizer, length: number, rng: Rng): TaskExample {
  checkTaskLength("associative-recall", length, RECALL_MIN_LENGTH);
  const sym = taskSymbols(tok);
  const { keyLength: k, pairs: n, pad } = recallLayout(length);
  const keys = distinct(26 ** k, n, rng);
  const keyTokens = (key: number): number[] => Array.from({ length: k }, (_, i) => sym.letters[Math.floor(key / 26 ** (k - 1 - i)) % 26]!);
  const values = keys.map(() => sym.digits[rng.int(10)]!);
  const order = Array.from({ length: n }, () => rng.int(n));
  const seq: number[] = new Array<number>(pad).fill(sym.pad);
  keys.forEach((key, i) => seq.push(...keyTokens(key), values[i]!));
  seq.push(sym.query);
  const answerAt: number[] = [];
  for (const q of order) {
    seq.push(...keyTokens(keys[q]!));
    answerAt.push(seq.length);
    seq.push(values[q]!);
  }
  // s_0 … s_L; input = s_0 … s_{L−1}, target[t] = s_{t+1} at the value positions only.
  const input = Int32Array.from(seq.slice(0, length));
  const target = new Int32Array(length).fill(IGNORE_INDEX);
  for (const a of answerAt) target[a - 1] = seq[a]!;
  return { input, target, answer: Int32Array.from(answerAt, (a) => seq[a]!) };
}
