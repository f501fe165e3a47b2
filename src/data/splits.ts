/**
 * What every corpus loader returns: three plain-text splits. Kept in its own file so that the Brown
 * loader, the user-text loader and the trainer share one type without importing each other.
 *
 * Example: `const s: CorpusSplits = { train: "...", valid: "...", test: "..." }; splitSizes(s).train`
 */
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
  return {
    train: Buffer.byteLength(s.train, "utf8"),
    valid: Buffer.byteLength(s.valid, "utf8"),
    test: Buffer.byteLength(s.test, "utf8"),
  };
}
