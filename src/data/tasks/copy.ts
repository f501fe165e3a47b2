/**
 * `copy` and `reverse`: a random string of n letters, "=", then the string again (copy) or reversed
 * (reverse). The answer is the n letters after "=". For length L: n = ⌊L/2⌋ and one pad token (" ")
 * opens the input when L is odd, so the sequence has exactly L+1 tokens:
 *
 *   copy,    L = 8:  "abcd=abcd"   input "abcd=abc", answer "abcd" (targets at input positions 4…7)
 *   reverse, L = 9:  " abcd=dcba"
 *
 * Tokens are the single-token ids of each letter under the given tokenizer (bytes for `byte`; for
 * `gpt2`, ids 64…89), concatenated at the token level: with `gpt2` the sequence is not the BPE
 * encoding of its decoded text, which is what these token-level tasks intend.
 * Reference: the copy/reverse tasks of Delétang et al. 2023 (arXiv:2207.02098) and Ruoss et al. 2023
 * (arXiv:2305.16843), here as plain next-token prediction with an ignore mask.
 *
 * Example: `generateCopy(byteTokenizer, 8, new Rng(1))`
 */
import type { Rng } from "../../pe/random.js";
import type { Tokenizer } from "../tokenizer.js";
import { checkTaskLength, exampleFromSequence, taskSymbols, type TaskExample } from "./example.js";

function generateCopyOrReverse(name: string, reverse: boolean, tok: Tokenizer, length: number, rng: Rng): TaskExample {
  checkTaskLength(name, length, 2);
  const sym = taskSymbols(tok);
  const n = Math.floor(length / 2);
  const content = Array.from({ length: n }, () => sym.letters[rng.int(sym.letters.length)]!);
  const answer = reverse ? [...content].reverse() : content;
  const seq = [...(length % 2 === 1 ? [sym.pad] : []), ...content, sym.equals, ...answer];
  return exampleFromSequence(seq, seq.length - n);
}

export function generateCopy(tok: Tokenizer, length: number, rng: Rng): TaskExample {
  return generateCopyOrReverse("copy", false, tok, length, rng);
}

export function generateReverse(tok: Tokenizer, length: number, rng: Rng): TaskExample {
  return generateCopyOrReverse("reverse", true, tok, length, rng);
}
