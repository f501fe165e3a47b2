/**
 * The task registry: one entry per synthetic task, keyed by the name users type (`--task copy`). Kept apart
 * from index.ts so that the sampler can read it without an import cycle (index.ts re-exports both).
 */
import type { Rng } from "../../pe/random.js";
import { ExtraposError, show } from "../../pe/errors.js";
import type { Tokenizer } from "../tokenizer.js";
import { generateAssociativeRecall, RECALL_MIN_LENGTH } from "./associative-recall.js";
import { generateCopy, generateReverse } from "./copy.js";
import type { TaskExample } from "./example.js";
import { generatePasskey, passkeyFixedTokens } from "./passkey.js";

export type TaskName = "copy" | "reverse" | "associative-recall" | "passkey";

export interface TaskEntry {
  summary: string;
  /** Smallest input length the task accepts with this tokenizer. */
  minLength(tok: Tokenizer): number;
  generate(tok: Tokenizer, length: number, rng: Rng): TaskExample;
}

export const TASKS = {
  copy: { summary: "random letters, '=', the same letters again", minLength: () => 2, generate: generateCopy },
  reverse: { summary: "random letters, '=', the letters reversed", minLength: () => 2, generate: generateReverse },
  "associative-recall": { summary: "key–value pairs, '?', every key again → its value (MQAR)", minLength: () => RECALL_MIN_LENGTH, generate: generateAssociativeRecall },
  passkey: { summary: "a 5-digit key hidden in filler text (Mohtashami & Jaggi template)", minLength: (tok) => passkeyFixedTokens(tok) - 1, generate: (tok, length, rng) => generatePasskey(tok, length, rng) },
} satisfies Record<TaskName, TaskEntry>;

export function getTask(name: string): TaskEntry {
  if (!Object.prototype.hasOwnProperty.call(TASKS, name)) {
    throw new ExtraposError("unknown_method", `\`task\` must be one of ${Object.keys(TASKS).join(", ")}, got ${show(name)}`);
  }
  return TASKS[name as TaskName];
}
