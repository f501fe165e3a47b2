/**
 * One line per subcommand for `extrapos --help` — kept apart from the commands themselves so that the
 * dispatcher (commands.ts) can list them without importing (and loading the dependencies of) any.
 */
export const SUMMARIES = {
  pe: "compute a positional encoding (RoPE from a model config, ALiBi slopes, T5 buckets, ...) as JSON",
  train: "train a language model with any positional encoding (writes a run directory)",
  eval: "evaluate a run at any lengths: loss, perplexity, loss per position, passkey, task accuracy (--json)",
  generate: "generate text from a run (streamed, KV cache; --chat for a small dialogue loop)",
  bench: "train short, test long: train every encoding at L, evaluate up to 32L, write an HTML report (npm start)",
  lab: "serve the lab: encodings, training, runs and generation in the browser",
  worker: "run the cells of queued benches (extrapos bench --queue URL) on this machine",
} as const;
