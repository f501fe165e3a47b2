/**
 * `extrapos train`'s encoding flags, derived from the encoding registry (src/pe/encodings.ts): one flag per
 * parameter (`paramFlag`: the spec's `flag`, else `--<encoding>-<param>`), shared by the encodings that
 * declare the same flag (`--rope-theta` for rope and xpos), typed, with choices, default and help from the
 * specs; plus `--randomized-max-len` for the `randomized` sampler. `peOverride` turns the given flags into
 * the `pe` override (file form) that the config parser validates. A parameter's `flagAliases` (older
 * spellings, e.g. `--transformer-xl-clamp-len` for `--clamp-len`) are accepted as the same flag.
 *
 * Example: `PE_TRAIN_OPTIONS["t5-buckets"]` → {type: "int", help: "t5: number of buckets", default: "32", …}
 */
import { canonicalEncodingName, encodingSpec, ENCODING_NAMES, ENCODING_SPELLINGS, RANDOMIZABLE, RANDOMIZED, type EncodingName } from "../pe/encodings.js";
import { ExtraposError } from "../pe/errors.js";
import { describeDefault, paramFlag, type ParamDecl } from "../pe/spec.js";
import { getNumber, getString, type OptionSpec, type OptionSpecs, type ParsedArgs } from "./args.js";

interface FlagOwner { encoding: EncodingName; key: string; decl: ParamDecl }

/** Flag → the encodings' parameters it sets. */
export const PE_FLAG_OWNERS: ReadonlyMap<string, readonly FlagOwner[]> = (() => {
  const m = new Map<string, FlagOwner[]>();
  for (const encoding of ENCODING_NAMES) {
    for (const [key, decl] of Object.entries(encodingSpec(encoding).params)) {
      const flag = paramFlag(encoding, key, decl);
      m.set(flag, [...(m.get(flag) ?? []), { encoding, key, decl }]);
    }
  }
  return m;
})();

/** Older spelling → the flag it stands for (a parameter's `flagAliases`). */
export const PE_FLAG_ALIASES: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const encoding of ENCODING_NAMES) {
    for (const [key, decl] of Object.entries(encodingSpec(encoding).params)) for (const a of decl.flagAliases ?? []) m.set(a, paramFlag(encoding, key, decl));
  }
  return m;
})();

const OPTION_TYPE = { int: "int", number: "number", boolean: "boolean", choice: "string" } as const;

function optionOf(owners: readonly FlagOwner[]): OptionSpec {
  const first = owners[0]!;
  const types = new Set(owners.map((o) => o.decl.type));
  if (types.size !== 1) throw new ExtraposError("internal", `flag for ${owners.map((o) => `${o.encoding}.${o.key}`).join(", ")} has several types`);
  const defaults = new Map<string, string[]>();
  for (const o of owners) defaults.set(describeDefault(o.decl), [...(defaults.get(describeDefault(o.decl)) ?? []), o.encoding]);
  const [main, ...others] = [...defaults.keys()];
  const def = main + others.map((d) => ` (${defaults.get(d)!.join(", ")}: ${d})`).join("");
  const choices = [...new Set(owners.flatMap((o) => (o.decl.type === "choice" ? o.decl.choices : [])))];
  const metavar = first.decl.type === "choice" ? "NAME" : first.decl.type === "int" ? "N" : "X";
  return {
    type: OPTION_TYPE[first.decl.type], metavar, help: `${owners.map((o) => o.encoding).join(" | ")}: ${first.decl.help}`,
    ...(first.decl.type === "boolean" ? {} : { default: def }), ...(choices.length > 0 ? { choices } : {}),
  };
}

/** `--pe` and every encoding flag, for `extrapos train`'s option table. */
export const PE_TRAIN_OPTIONS: OptionSpecs = {
  pe: { type: "string", metavar: "NAME", choices: ENCODING_SPELLINGS, help: "positional encoding (canonical names, then the old spellings accepted as aliases)", default: "rope" },
  ...Object.fromEntries([...PE_FLAG_OWNERS].map(([flag, owners]) => [flag, optionOf(owners)])),
  ...Object.fromEntries([...PE_FLAG_ALIASES].map(([alias, flag]) => {
    const { default: _d, ...o } = optionOf(PE_FLAG_OWNERS.get(flag)!);
    return [alias, { ...o, help: `old spelling of --${flag}` }];
  })),
  [RANDOMIZED.params.max_length.flag]: { type: "int", metavar: "N", help: `randomized positions in [0, N) at training (${RANDOMIZABLE.join(", ")})` },
};

/**
 * The `pe` override (file form) from the given flags, over the stored run's `pe` when resuming with the same
 * encoding; undefined when no encoding flag is given. A flag of another encoding is refused, naming its owners.
 */
export function peOverride(args: ParsedArgs, storedPe: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const kindFlag = getString(args, "pe");
  const given = [...PE_FLAG_OWNERS.keys(), ...PE_FLAG_ALIASES.keys()].filter((f) => args.options.has(f));
  for (const [alias, flag] of PE_FLAG_ALIASES) {
    if (args.options.has(alias) && args.options.has(flag)) throw new ExtraposError("invalid_argument", `--${alias} is the old spelling of --${flag}; give one of them, got both`);
  }
  const randomizedFlag = RANDOMIZED.params.max_length.flag;
  const randomized = getNumber(args, randomizedFlag);
  if (kindFlag === undefined && given.length === 0 && randomized === undefined) return undefined;
  const storedKind = canonicalEncodingName(storedPe?.kind);
  const kind = canonicalEncodingName(kindFlag) ?? storedKind ?? "rope";
  // resuming with the same encoding keeps the stored parameters (an alias's implied ones are checked by the parser)
  const pe: Record<string, unknown> = storedPe && storedKind === kind ? { ...storedPe, kind: kindFlag ?? storedPe.kind } : { kind: kindFlag ?? kind };
  for (const f of given) {
    const owners = PE_FLAG_OWNERS.get(PE_FLAG_ALIASES.get(f) ?? f)!;
    const own = owners.find((o) => o.encoding === kind);
    if (own === undefined) throw new ExtraposError("invalid_argument", `--${f} applies to --pe ${owners.map((o) => o.encoding).join(" | ")}, got --pe ${kindFlag ?? kind}`);
    pe[own.key] = args.options.get(f);
  }
  if (randomized !== undefined) {
    if (!RANDOMIZABLE.includes(kind)) throw new ExtraposError("invalid_argument", `--${randomizedFlag} combines with --pe ${RANDOMIZABLE.join(" | ")}, got --pe ${kindFlag ?? kind}`);
    pe.randomized = { max_length: randomized };
  }
  return pe;
}
