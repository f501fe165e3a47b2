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
  | "internal";

export class ExtraposError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  constructor(code: ErrorCode, message: string, hint?: string) {
    super(message);
    this.name = "ExtraposError";
    this.code = code;
    this.hint = hint;
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
