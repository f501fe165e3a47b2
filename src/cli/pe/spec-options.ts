/**
 * `extrapos pe <method>` options of encoding parameters, derived from the encoding registry (src/pe/encodings.ts):
 * the name is the kebab-case of the spec's snake_case key (`min_period` → `--min-period`); type, choices, default
 * and help are the spec's. A derived default (e.g. `context_length`) has no model here, so such an option is
 * required where it applies. `specDefault` is the value a method falls back to. Request-shape options (--positions,
 * --dim, --heads, …) and options of the math functions that the model does not have stay in each method's file.
 *
 * Example: `specOptions("cope", ["max_pos"])` → {"max-pos": {type: "int", default: "16", help: "number of integer position embeddings", …}}
 */
import { encodingSpec, type EncodingName } from "../../pe/encodings.js";
import { ExtraposError, invalid } from "../../pe/errors.js";
import type { ParamDecl } from "../../pe/spec.js";
import type { OptionSpec, OptionSpecs, ParsedArgs } from "../args.js";

/** "min_period" → "min-period". */
export const kebabCase = (s: string): string => s.replace(/_/g, "-");

function decl(encoding: EncodingName, key: string): ParamDecl {
  const d = encodingSpec(encoding).params[key];
  if (d === undefined) throw new ExtraposError("internal", `encoding ${encoding} has no parameter ${key}`);
  return d;
}

/** The option of one parameter (help suffixed with how a derived default is replaced here). */
export function paramOption(d: ParamDecl, metavar?: string): OptionSpec {
  const derived = (d.type === "int" || d.type === "number") && d.default === null;
  const rule = (d.type === "int" || d.type === "number") && d.derive ? d.derive.rule : "the model";
  return {
    type: d.type === "choice" ? "string" : d.type,
    help: derived ? `${d.help} (a model derives it from ${rule}; required here where it applies)` : d.help,
    ...(metavar === undefined ? {} : { metavar }),
    ...(d.type === "boolean" || d.default === null ? {} : { default: String(d.default) }),
    ...(d.type === "choice" ? { choices: d.choices } : {}),
  };
}

/** The options of `keys` (file-form parameter names → metavar) of `encoding`, keyed by kebab-case name, in the given order. */
export function specOptions(encoding: EncodingName, keys: Readonly<Record<string, string | undefined>>): OptionSpecs {
  return Object.fromEntries(Object.entries(keys).map(([k, metavar]) => [kebabCase(k), paramOption(decl(encoding, k), metavar)]));
}

/** The spec's default of a parameter with a literal default (an internal error for a derived one). */
export function specDefault<T extends number | string | boolean>(encoding: EncodingName, key: string): T {
  const d = decl(encoding, key);
  if (d.default === null) throw new ExtraposError("internal", `${encoding}.${key} has a derived default`);
  return d.default as T;
}

/**
 * The flag the user gave for a parameter that also has an older `extrapos pe` name (`--buckets` for `--num-buckets`):
 * the old one when only it is given, else the new one; both given is refused.
 */
export function givenFlag(a: ParsedArgs, flag: string, old: string): string {
  if (a.options.has(flag) && a.options.has(old)) throw invalid(`--${old} is the old name of --${flag}; give one of them`);
  return a.options.has(old) ? old : flag;
}
