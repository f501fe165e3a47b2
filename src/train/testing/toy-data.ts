/** TEST-ONLY: deterministic pseudo-English text (seeded word salad) for trainer and eval tests. */
import { Rng } from "../../pe/random.js";

const WORDS = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "house", "with", "red", "door", "it", "was", "very", "big", "small", "tree"];

/** About `chars` characters of sentences from a fixed vocabulary, the same for a given seed. */
export function toyText(chars: number, seed = 7): string {
  const rng = new Rng(seed);
  const parts: string[] = [];
  let n = 0;
  while (n < chars) {
    const len = 3 + rng.int(6);
    const s = Array.from({ length: len }, () => WORDS[rng.int(WORDS.length)]!).join(" ");
    const sentence = s[0]!.toUpperCase() + s.slice(1) + ". ";
    parts.push(sentence);
    n += sentence.length;
  }
  return parts.join("").slice(0, chars);
}

/** Train / valid / test splits of toy text. */
export function toyCorpus(trainChars = 6000, seed = 7): { train: string; valid: string; test: string; description: string } {
  return { train: toyText(trainChars, seed), valid: toyText(1500, seed + 1), test: toyText(1500, seed + 2), description: `toy text (seed ${seed})` };
}
