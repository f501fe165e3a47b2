/** extrapos data: corpora (Brown, user text), tokenizers, batching and evaluation windows, synthetic tasks. browser.ts is the browser-safe subset. */
export * from "./browser.js";
export { writeFileAtomic } from "./atomic-write.js";
export { BROWN_PROCESSING_VERSION, brownPackageDir, brownParagraphs, brownSplitOf, buildBrown, detokenizeBrown, fnv1a32, listBrownIds, loadBrown, stripTag, type BrownCorpus, type BrownDocument, type BrownLoadOptions } from "./brown.js";
export { DEFAULT_CORPUS, loadCorpus, type CorpusSpec, type LoadedCorpus } from "./corpus.js";
export { globToRegExp, loadTextData, resolveTextFiles, type TextCorpus, type TextDataSpec } from "./text.js";
