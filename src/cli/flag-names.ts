/**
 * Errors name the flag the user typed, not the config key behind it. The config parsers speak file
 * form (`` `context_length` must be …``, `` `training.steps` …``, `` `pe.theta` …``) because they serve
 * config.json and the programmatic API too; a command knows which flag set which field (its flag table),
 * so it rewrites the error once, generically: `ExtraposError.field` when the parser set it, else every
 * backticked field path in the message or hint whose field came from a flag that was given.
 *
 * Example:
 *   nameFlags(err, ["seq-len"], { "seq-len": "model.context_length" })
 *   // "`context_length` must be an integer ≥ 1, got 0" → "--seq-len must be an integer ≥ 1, got 0"
 */
import { ExtraposError } from "../pe/errors.js";

/** Flag (without dashes) → config field path(s) in file form, with its section: "model.context_length" (a flag may set several). */
export type FlagFields = Record<string, string | readonly string[]>;

function fieldsOf(f: string | readonly string[] | undefined): readonly string[] {
  return f === undefined ? [] : typeof f === "string" ? [f] : f;
}

/** The spellings under which a parser may name `field`: with and without its section ("model.", "training."). */
function spellings(field: string): string[] {
  const out = [field];
  const rest = field.replace(/^(model|training)\./, "");
  if (rest !== field) out.push(rest);
  return out;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** See the file header; returns `e` unchanged when no given flag's field is named. */
export function nameFlags(e: ExtraposError, givenFlags: Iterable<string>, fields: FlagFields): ExtraposError {
  const given = [...givenFlags];
  let message = e.message, hint = e.hint;
  let changed = false;
  for (const flag of given) {
    for (const s of fieldsOf(fields[flag]).flatMap(spellings)) {
      const re = new RegExp("`" + escape(s) + "`", "g");
      const m2 = message.replace(re, `--${flag}`);
      const h2 = hint?.replace(re, `--${flag}`);
      if (m2 !== message || h2 !== hint) changed = true;
      message = m2;
      hint = h2;
    }
  }
  if (!changed && e.field !== undefined) {
    const flag = Object.keys(fields).find((f) => fieldsOf(fields[f]).includes(e.field!) && given.includes(f));
    if (flag !== undefined) {
      message = `--${flag}: ${message}`;
      changed = true;
    }
  }
  if (!changed) return e;
  const out = new ExtraposError(e.code, message, hint, e.field);
  out.stack = e.stack;
  return out;
}
