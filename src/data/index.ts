/** extrapos data: corpora (Brown, user text), tokenizers, batching and evaluation windows, synthetic tasks. */
export { writeFileAtomic } from "./atomic-write.js";
export { BROWN_PROCESSING_VERSION, brownPackageDir, brownParagraphs, brownSplitOf, buildBrown, detokenizeBrown, fnv1a32, listBrownIds, loadBrown, stripTag, type BrownCorpus, type BrownDocument, type BrownLoadOptions } from "./brown.js";
export { DEFAULT_CORPUS, loadCorpus, type CorpusSpec, type LoadedCorpus } from "./corpus.js";
export { SPLIT_NAMES, splitSizes, type CorpusSplits, type SplitName } from "./splits.js";
export { DEFAULT_TAIL_FRACTIONS, globToRegExp, loadTextData, resolveTextFiles, tailSplit, type TextCorpus, type TextDataSpec } from "./text.js";
export { byteTokenizer, DEFAULT_TOKENIZER, isTokenizerName, loadTokenizer, StreamDecoder, TOKENIZERS, type Tokenizer, type TokenizerEntry, type TokenizerName } from "./tokenizer.js";
export { fillWindow, nonOverlappingWindows, RandomWindowSampler, scoredTokens, slidingWindows, type EvalWindow, type RandomWindowState, type TokenBatch } from "./batches.js";
export * from "./tasks/index.js";
