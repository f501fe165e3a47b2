/**
 * ENCODINGS: the explicit table of every encoding a model can use, keyed by canonical name, each entry the
 * spec declared beside its math (spec.ts). The model config (`pe`), `extrapos train --pe` and its flags, the
 * checkpoint parameter table, the docs tables and the bench read this table; nothing registers itself.
 *
 * Formula: see each encoding's file.
 * Paper: see each encoding's spec (`paper`).
 * Reference: see each encoding's spec (`reference`).
 * Models: see each encoding's spec (`usedBy`, and `models`: transformer, lstm).
 * Parameters: EncodingSpec (spec.ts); `RANDOMIZED` is the position sampler that combines with some encodings.
 * Config keys: `pe: NAME` or `pe: {kind: NAME, ...params, randomized?: {max_length}}`; aliases accepted.
 * Differences: none.
 */
import { ADAPTIVE_SPEC } from "./adaptive.js";
import { ALIBI_SPEC } from "./alibi.js";
import { COPE_SPEC } from "./cope.js";
import { DYNAMIC_BIAS_SPEC } from "./dynamic-bias.js";
import { ExtraposError, show } from "./errors.js";
import { FIRE_SPEC } from "./fire.js";
import { KERPLE_SPEC } from "./kerple.js";
import { LEARNED_SPEC } from "./learned.js";
import { NOPE_SPEC } from "./nope.js";
import { ROPE_SPEC } from "./rope/encoding.js";
import { SANDWICH_SPEC } from "./sandwich.js";
import { SINUSOIDAL_SPEC } from "./sinusoidal.js";
import { camelCase, checkParamValue, describeParam, type EncodingSpec, type ModelDims, type EncodingModel, type ParamDecl, type ParamValues } from "./spec.js";
import { T5_SPEC } from "./t5.js";
import { TRANSFORMER_XL_SPEC } from "./transformer-xl.js";
import { XPOS_SPEC } from "./xpos.js";

/** Every encoding, by canonical name (order = docs, --help and table order). */
export const ENCODINGS = {
  nope: NOPE_SPEC,
  sinusoidal: SINUSOIDAL_SPEC,
  adaptive: ADAPTIVE_SPEC,
  learned: LEARNED_SPEC,
  rope: ROPE_SPEC,
  xpos: XPOS_SPEC,
  alibi: ALIBI_SPEC,
  t5: T5_SPEC,
  kerple: KERPLE_SPEC,
  fire: FIRE_SPEC,
  sandwich: SANDWICH_SPEC,
  "dynamic-bias": DYNAMIC_BIAS_SPEC,
  cope: COPE_SPEC,
  "transformer-xl": TRANSFORMER_XL_SPEC,
} as const satisfies { readonly [N in string]: EncodingSpec<N> };

export type EncodingName = keyof typeof ENCODINGS;
export const ENCODING_NAMES = Object.keys(ENCODINGS) as EncodingName[];

/** The position sampler `pe.randomized` (Ruoss et al. 2023): random sorted position ids in [0, max_length) at training. */
export const RANDOMIZED = {
  summary: "random sorted position ids from [0, max_length) at training",
  paper: "Ruoss et al. 2023, arXiv:2305.16843",
  params: { max_length: { type: "int", default: null, min: 1, help: "positions are drawn from [0, max_length) (≥ context_length)", flag: "randomized-max-len" } },
} as const;

/** `pe.randomized` resolved. */
export interface Randomized {
  /** Upper bound (exclusive) of the sampled positions, ≥ the context length, e.g. 2048. */
  maxLength: number;
}

type Spec<N extends EncodingName> = (typeof ENCODINGS)[N];
type Flat<T> = { [K in keyof T]: T[K] };
/** The resolved `pe` of encoding N in code form: `{kind: N, ...parameters, randomized?}`. */
export type PeConfigOf<N extends EncodingName> = Flat<{ kind: N } & ParamValues<Spec<N>["params"]> & (Spec<N>["randomized"] extends true ? { randomized: Randomized | null } : unknown)>;
/** A resolved positional-encoding config (code form); `kind` is the canonical name. */
export type PeConfig = { [N in EncodingName]: PeConfigOf<N> }[EncodingName];

/** The spec of an encoding (typed loosely, for code that dispatches on a runtime name). */
export function encodingSpec(name: EncodingName): EncodingSpec {
  return ENCODINGS[name] as unknown as EncodingSpec;
}

/** Canonical names and aliases: alias → [canonical name, implied parameters]. */
export const ENCODING_ALIASES: ReadonlyMap<string, readonly [EncodingName, Readonly<Record<string, unknown>>]> = new Map(
  ENCODING_NAMES.flatMap((n) => Object.entries(encodingSpec(n).aliases).map(([a, p]) => [a, [n, p]] as const)),
);

/** Every accepted spelling: canonical names, then aliases. */
export const ENCODING_SPELLINGS: readonly string[] = [...ENCODING_NAMES, ...ENCODING_ALIASES.keys()];

/** The canonical name of a spelling (canonical or alias), or undefined. */
export function canonicalEncodingName(s: unknown): EncodingName | undefined {
  if (typeof s !== "string") return undefined;
  if (Object.hasOwn(ENCODINGS, s)) return s as EncodingName;
  return ENCODING_ALIASES.get(s)?.[0];
}

/** Encodings model `m` takes. */
export function encodingsFor(m: EncodingModel): EncodingName[] {
  return ENCODING_NAMES.filter((n) => (ENCODINGS[n].models as readonly EncodingModel[]).includes(m));
}

/** Encodings `randomized` combines with. */
export const RANDOMIZABLE: readonly EncodingName[] = ENCODING_NAMES.filter((n) => ENCODINGS[n].randomized);

function bad(message: string, hint?: string): ExtraposError {
  return new ExtraposError("invalid_config", message, hint);
}
const quoted = (xs: readonly string[]): string => xs.map((x) => `"${x}"`).join(", ");

/** Checks one parameter value (file form) against its declaration; errors name `pe.<key>`, the constraint, the value. */
export function parseParamValue(decl: ParamDecl, v: unknown, key: string): unknown {
  if (!checkParamValue(decl, v)) throw bad(`\`${key}\` must be ${describeParam(decl)}, got ${show(v)}`);
  return v;
}

function parseRandomized(v: unknown, contextLength: number): Randomized | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== "object" || Array.isArray(v)) throw bad(`\`pe.randomized\` must be an object, got ${show(v)}`);
  const r = v as Record<string, unknown>;
  for (const k of Object.keys(r)) if (k !== "max_length") throw bad(`unknown key \`pe.randomized.${k}\` in \`pe.randomized\``, "allowed keys: max_length");
  const maxLength = parseParamValue(RANDOMIZED.params.max_length, r.max_length, "pe.randomized.max_length") as number;
  if (maxLength < contextLength) throw bad(`\`pe.randomized.max_length\` must be ≥ \`context_length\`, got ${maxLength} and ${contextLength}`);
  return { maxLength };
}

/**
 * Parses `pe` in file form — a name (`"alibi"`, an alias `"kerple-power"`) or `{kind, ...parameters}` —
 * against the spec: unknown keys refused, defaults filled, derived values resolved from `dims`, every value
 * and constraint checked. Returns the code form with the canonical `kind`.
 *
 * Example: `parsePe("kerple-power", dims)` → `{ kind: "kerple", kernel: "power" }`.
 */
export function parsePe(v: unknown, dims: Omit<ModelDims, "randomizedMaxLength">): PeConfig {
  if (typeof v !== "string" && (typeof v !== "object" || v === null || Array.isArray(v))) throw bad(`\`pe\` must be an object, got ${show(v)}`);
  const given: Record<string, unknown> = typeof v === "string" ? { kind: v } : (v as Record<string, unknown>);
  const name = canonicalEncodingName(given.kind);
  if (name === undefined) {
    throw bad(`\`pe.kind\` must be one of ${quoted(ENCODING_NAMES)}, got ${show(given.kind)}`, `also accepted: ${[...ENCODING_ALIASES].map(([a, [n]]) => `${a} (= ${n})`).join(", ")}`);
  }
  const spec = encodingSpec(name);
  const implied = ENCODING_ALIASES.get(given.kind as string)?.[1] ?? {};
  if (given.randomized !== undefined && !spec.randomized) throw bad(`\`pe.randomized\` combines only with ${quoted(RANDOMIZABLE)}, got pe "${name}"`);
  const allowed = ["kind", ...Object.keys(spec.params), ...(spec.randomized ? ["randomized"] : [])];
  for (const k of Object.keys(given)) if (!allowed.includes(k)) throw bad(`unknown key \`pe.${k}\` in \`pe\``, `allowed keys: ${allowed.join(", ")}`);
  for (const [k, x] of Object.entries(implied)) {
    if (given[k] !== undefined && given[k] !== x) throw bad(`\`pe.${k}\` is ${show(given[k])}, but \`pe.kind\` "${String(given.kind)}" means ${show(x)}`, `write pe.kind "${name}" with pe.${k}`);
  }
  const randomized = spec.randomized ? parseRandomized(given.randomized, dims.contextLength) : null;
  const full: ModelDims = { ...dims, randomizedMaxLength: randomized?.maxLength ?? null };
  const out: Record<string, unknown> = { kind: name };
  for (const [k, decl] of Object.entries(spec.params)) {
    const x = Object.hasOwn(given, k) && given[k] !== undefined ? given[k] : (implied[k] ?? decl.default);
    if (x === null && (decl.type === "int" || decl.type === "number") && decl.derive) out[camelCase(k)] = decl.derive.value(full);
    else out[camelCase(k)] = parseParamValue(decl, x, `pe.${k}`);
  }
  if (spec.randomized) out.randomized = randomized;
  const problem = spec.validate?.(out as never, full) ?? null;
  if (problem !== null) throw typeof problem === "string" ? bad(problem) : bad(problem.message, problem.hint);
  return out as PeConfig;
}

/** The file form of a resolved `pe` (snake_case keys, canonical kind). */
export function peToJson(pe: PeConfig): Record<string, unknown> {
  const spec = encodingSpec(pe.kind);
  const src = pe as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { kind: pe.kind };
  for (const k of Object.keys(spec.params)) out[k] = src[camelCase(k)];
  if (spec.randomized) {
    const r = src.randomized as Randomized | null;
    out.randomized = r === null ? null : { max_length: r.maxLength };
  }
  return out;
}

/** The model dimensions a spec's derivations and tensor shapes read, for a resolved config. */
export function encodingDims(c: { dModel: number; nHeads: number; nLayers: number; contextLength: number; pe: PeConfig }): ModelDims {
  const r = (c.pe as { randomized?: Randomized | null }).randomized ?? null;
  return { dModel: c.dModel, nHeads: c.nHeads, headDim: c.dModel / c.nHeads, nLayers: c.nLayers, contextLength: c.contextLength, randomizedMaxLength: r?.maxLength ?? null };
}
