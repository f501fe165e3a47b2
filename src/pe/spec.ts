/**
 * The format of an encoding's spec: the one declaration from which config parsing, defaults and validation,
 * CLI flags, the checkpoint parameter table, the docs tables and the bench read what an encoding is.
 * Each encoding declares its spec beside its math (`ALIBI_SPEC` in alibi.ts, …) with `defineEncoding`;
 * `ENCODINGS` (encodings.ts) is the explicit table of them. docs/adding-an-encoding.md walks through it.
 *
 * Formula: none (a declaration format; validation of one parameter value: type, range, choices).
 * Paper: none.
 * Reference: the shape of HF's `ROPE_INIT_FUNCTIONS` + `_validate_*` pairs (compute and validate together),
 *   as `ROPE_SCHEMES` in rope/scaling does for the RoPE scaling schemes.
 * Models: every model of src/model reads these specs.
 * Parameters: EncodingSpec = {name, aliases, family, summary, paper, reference, models, randomized, params,
 *   validate, tensors}; ParamDecl = {type, default | derive, range or choices, help, flag, flagAliases}.
 * Config keys: parameter names are the file-form (snake_case) keys under `pe`; code form is their camelCase.
 * Differences: none.
 */

/** Families of encodings: which hook of a model an encoding uses. Add a family here, then give the models a hook. */
export const FAMILIES = {
  none: "no position signal (causal masking alone)",
  absolute: "a [T, d] table added to the token embeddings",
  rotary: "rotates q and k by position",
  bias: "an additive per-head logit bias of the query and key positions",
  contextual: "a logit term computed from q and k themselves",
} as const;
export type EncodingFamily = keyof typeof FAMILIES;

/** Models an encoding can be used with. */
export type EncodingModel = "transformer" | "lstm";

/** Standard deviation of the reference initialisation of the transformer's weights (torch_debug_state.py). */
export const REFERENCE_INIT_STD = 0.02;

/** How one learnable tensor is initialised. */
export type InitSpec =
  | { kind: "normal"; std: number }
  | { kind: "uniform"; low: number; high: number }
  | { kind: "constant"; value: number };

/** What a derived default and a tensor shape may depend on (the model's dimensions). */
export interface ModelDims {
  dModel: number;
  nHeads: number;
  /** d_model / n_heads (may be fractional for the LSTM, which has no heads). */
  headDim: number;
  nLayers: number;
  /** Training sequence length T. */
  contextLength: number;
  /** `pe.randomized.max_length` when the config samples positions, else null. */
  randomizedMaxLength: number | null;
}

interface ParamBase {
  /** One line for docs and --help, e.g. "frequency base θ". */
  help: string;
  /** `extrapos train` flag (without dashes); default `<encoding>-<name with dashes>`. Encodings may share one. */
  flag?: string;
  /** Older spellings of the flag, still accepted (e.g. `transformer-xl-clamp-len` for `clamp-len`). */
  flagAliases?: readonly string[];
}
/** A derived default: `null` in the file form, resolved when parsing. */
export interface Derivation {
  /** The rule in words, for docs and --help, e.g. "the head dimension". */
  rule: string;
  value(dims: ModelDims): number;
}
export interface IntParam extends ParamBase { type: "int"; default: number | null; derive?: Derivation; min: number; max?: number }
export interface NumberParam extends ParamBase { type: "number"; default: number | null; derive?: Derivation; /** exclusive lower bound */ above?: number; min?: number }
export interface BooleanParam extends ParamBase { type: "boolean"; default: boolean }
export interface ChoiceParam<C extends string = string> extends ParamBase { type: "choice"; choices: readonly C[]; default: C }
export type ParamDecl = IntParam | NumberParam | BooleanParam | ChoiceParam;

/** The value type of a declared parameter. */
export type ParamValue<P> = P extends { type: "choice"; choices: readonly (infer C)[] } ? C : P extends { type: "boolean" } ? boolean : number;
/** "max_distance" → "maxDistance". */
export type CamelCase<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;
/** The resolved parameters of an encoding, in code form. */
export type ParamValues<P extends Record<string, ParamDecl>> = { -readonly [K in keyof P & string as CamelCase<K>]: ParamValue<P[K]> };

/**
 * A learnable tensor of an encoding. `scope` places and names it in the model's parameter table:
 * "embedding": `<name>` right after `tok_emb.weight` (absolute tables, e.g. `pos_emb.weight`);
 * "shared": `pe.<name>`, one tensor for all layers, before the blocks (e.g. `t5.bias` → `pe.t5.bias`);
 * "layer": `blocks.{i}.attn.pe.<name>`, one per layer, after the attention projection.
 * A spec may choose the scope from its parameters (e.g. shared or per-layer by a flag such as `untie_r`).
 */
export interface TensorDecl {
  name: string;
  scope: "embedding" | "shared" | "layer";
  shape: number[];
  init: InitSpec;
}

/** One encoding, declared once: name N, parameters P (file form), R = combines with `randomized`. */
export interface EncodingSpec<N extends string = string, P extends Record<string, ParamDecl> = Record<string, ParamDecl>, R extends boolean = boolean> {
  /** Canonical name: config `pe.kind`, `--pe`, `extrapos pe <name>`, the bench method, the file names. */
  name: N;
  /** Other accepted spellings, each with the parameters it implies (e.g. `kerple-log` → {kernel: "log"}). */
  aliases: Readonly<Record<string, Readonly<Record<string, string | number | boolean>>>>;
  family: EncodingFamily;
  /** One line: what it does. */
  summary: string;
  /** Short citation: authors year, arXiv id. */
  paper: string;
  /** Reference implementation the math was checked against. */
  reference: string;
  /** Models known to use it. */
  usedBy: string;
  /** Models of src/model that take it. */
  models: readonly EncodingModel[];
  /** Whether `pe.randomized` (random sorted positions at training, Ruoss et al. 2023) combines with it. */
  randomized: R;
  /** Parameters in file form (snake_case), in the order the config lists them. */
  params: P;
  /** Constraints between parameters or with the model: a message naming the keys and values (+ a hint), or null. */
  validate?(p: ParamValues<P>, dims: ModelDims): string | { message: string; hint: string } | null;
  /** Learnable tensors, in initialisation order. */
  tensors?(p: ParamValues<P>, dims: ModelDims): TensorDecl[];
}

/** Declares an encoding (types its `validate` and `tensors` by its own parameters). */
export function defineEncoding<const N extends string, const P extends Record<string, ParamDecl>, const R extends boolean>(spec: EncodingSpec<N, P, R>): EncodingSpec<N, P, R> {
  return spec;
}

/** "max_distance" → "maxDistance" (the code form of a file-form key). */
export function camelCase(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The `extrapos train` flag of a parameter. */
export function paramFlag(encoding: string, name: string, p: ParamDecl): string {
  return p.flag ?? `${encoding}-${name.replace(/_/g, "-")}`;
}

/** The constraint of a parameter in words ("an integer ≥ 2", "a finite number > 0", `one of "a", "b"`). */
export function describeParam(p: ParamDecl): string {
  switch (p.type) {
    case "int": return `an integer ${p.max === undefined ? `≥ ${p.min}` : `in [${p.min}, ${p.max}]`}`;
    case "number": return p.above !== undefined ? `a finite number > ${p.above}` : p.min !== undefined ? `a finite number ≥ ${p.min}` : "a finite number";
    case "boolean": return "true or false";
    case "choice": return `one of ${p.choices.map((c) => `"${c}"`).join(", ")}`;
  }
}

/** The default in words: the value, or the derivation rule. */
export function describeDefault(p: ParamDecl): string {
  if (p.default === null) return (p.type === "int" || p.type === "number") && p.derive ? p.derive.rule : "derived";
  return String(p.default);
}

/** True when `v` satisfies the declaration (null/derived values are resolved before this check). */
export function checkParamValue(p: ParamDecl, v: unknown): boolean {
  switch (p.type) {
    case "int": return typeof v === "number" && Number.isInteger(v) && v >= p.min && (p.max === undefined || v <= p.max);
    case "number": return typeof v === "number" && Number.isFinite(v) && (p.above === undefined || v > p.above) && (p.min === undefined || v >= p.min);
    case "boolean": return typeof v === "boolean";
    case "choice": return typeof v === "string" && p.choices.includes(v);
  }
}
