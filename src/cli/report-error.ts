/**
 * How the CLI reports a failure: exactly one line on stderr, nothing on stdout, no stack trace.
 *   exit 2  the user's input or environment: bad flags or files (`ExtraposError`), and environment
 *           errors — permissions, read-only disks, a full disk, memory limits (src/data/env-errors.ts),
 *           named with the path;
 *   exit 1  not the user's fault: a bug ("internal error") or a crashed worker thread
 *           (`ExtraposError` with a code in INTERNAL_CODES); the stack only with EXTRAPOS_DEBUG=1.
 *
 * Example: `process.exitCode = reportError(e)`
 */
import { ExtraposError, INTERNAL_CODES } from "../pe/errors.js";
import { envError } from "../data/env-errors.js";

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ");
}

export function reportError(e: unknown, stderr: { write(s: string): unknown } = process.stderr): number {
  const known = e instanceof ExtraposError ? e : envError(e);
  const debug = process.env.EXTRAPOS_DEBUG === "1";
  if (known) {
    const internal = INTERNAL_CODES.includes(known.code);
    const prefix = known.code === "thread_crash" ? "a worker thread failed (not caused by your input): " : internal ? "internal error: " : "";
    stderr.write(`extrapos: ${prefix}${oneLine(known.message)}${known.hint ? ` — hint: ${oneLine(known.hint)}` : ""}\n`);
    if (internal && debug && known.stack) stderr.write(known.stack + "\n");
    return internal ? 1 : 2;
  }
  const err = e as Error;
  stderr.write(`extrapos: internal error: ${oneLine(String(err?.message ?? e))}${debug ? "" : " (run with EXTRAPOS_DEBUG=1 for the stack trace, and please report it)"}\n`);
  if (debug && err?.stack) stderr.write(err.stack + "\n");
  return 1;
}
