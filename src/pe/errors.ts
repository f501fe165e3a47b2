/**
 * One error class for the whole package. `code` is machine-readable; `message` is one sentence that
 * names the field, the constraint and the value ("`rope_scaling.factor` must be a finite number ≥ 1,
 * got -2"); `hint` is an optional second line ("set `factor` or `original_max_position_embeddings`").
 * The CLI prints `message` (and `hint`) to stderr and exits 2 — never a stack trace.
 */
export type ErrorCode =
  | "invalid_argument"
  | "invalid_config"
  | "unknown_method"
  | "shape_mismatch"
  | "non_finite"
  | "io"
  | "corrupt_file"
  | "out_of_memory"
  | "thread_crash"
  | "locked"
  | "internal";

/** Codes that are not the user's fault (a bug, a crashed worker): the CLI exits 1 for them, 2 for the rest. */
export const INTERNAL_CODES: readonly ErrorCode[] = ["thread_crash", "internal"];

export class ExtraposError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  /** The config field at fault in file form ("training.steps", "model.context_length"), when known: the CLI
   *  names the flag the user typed instead (src/cli/flag-names.ts). */
  field: string | undefined;
  constructor(code: ErrorCode, message: string, hint?: string, field?: string) {
    super(message);
    this.name = "ExtraposError";
    this.code = code;
    this.hint = hint;
    this.field = field;
  }
}

/** Shorthand for the most common case: a bad user-supplied value. */
export function invalid(message: string, hint?: string): ExtraposError {
  return new ExtraposError("invalid_argument", message, hint);
}

/** Formats a value for an error message: numbers as JS prints them, strings quoted, the rest as JSON. */
export function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
