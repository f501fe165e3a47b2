/**
 * Synthetic length-generalisation tasks, one registry keyed by the name users type. Each entry's
 * `generate(tok, length, rng)` returns a {@link TaskExample} of input length exactly `length`
 * (next-token targets, −1 = ignore), scored by exact match of the answer ({@link scoreExactMatch}).
 *
 * Example:
 *   const tok = await loadTokenizer("byte");
 *   const ex = TASKS.reverse.generate(tok, 32, new Rng(1));
 *   scoreExactMatch(ex, predictedIds) // true when every answer token is predicted
 */
export { getTask, TASKS, type TaskEntry, type TaskName } from "./registry.js";
export { exampleFromSequence, exactMatchAccuracy, IGNORE_INDEX, scoreExactMatch, taskSymbols, type TaskExample } from "./example.js";
export { passkeyFixedTokens, passkeyTrials, generatePasskey, type PasskeyExample } from "./passkey.js";
export { recallLayout } from "./associative-recall.js";
export { checkTaskSeqLen, TaskSampler, taskExamples, type TaskSamplerState } from "./sampler.js";
