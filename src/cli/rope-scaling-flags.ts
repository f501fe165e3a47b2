/**
 * `--rope-scaling TYPE --factor F [--beta-fast …]`, shared by `extrapos eval` and `extrapos generate`.
 * The flags become a `RopeScalingRequest`; the run's model turns it into the HF dict (src/eval/rope-scaling.ts).
 *
 * Example: `ropeScalingRequest(parseArgs(["--rope-scaling", "yarn", "--factor", "4"], ROPE_SCALING_OPTIONS))`
 */
import { ExtraposError } from "../pe/errors.js";
import { ROPE_SCALING_KEYS, ROPE_SCALING_TYPES, snakeKey, type RopeScalingRequest, type RopeScalingType } from "../eval/rope-scaling.js";
import { getNumber, getNumbers, getString, type OptionSpec, type OptionSpecs, type ParsedArgs } from "./args.js";

/** Scheme keys whose value is a list (one value per rotary pair). */
const LIST_KEYS: ReadonlySet<string> = new Set(["shortFactor", "longFactor"] satisfies (keyof RopeScalingRequest)[]);

/** Flag of a scheme key: "betaFast" → "beta-fast". */
const flagOf = (k: string): string => snakeKey(k).replace(/_/g, "-");

/** Flag → scheme key, one per key of ROPE_SCHEMES the request takes (from the scheme table, nothing restated). */
const KEY_OF_FLAG = new Map([...ROPE_SCALING_KEYS.keys()].map((k) => [flagOf(k), k]));

export const ROPE_SCALING_OPTIONS: OptionSpecs = {
  "rope-scaling": { type: "string", metavar: "TYPE", choices: ROPE_SCALING_TYPES, help: "RoPE scaling at evaluation (RoPE models only)" },
  factor: { type: "number", metavar: "F", help: "scaling factor (with --rope-scaling), e.g. 4" },
  ...Object.fromEntries([...ROPE_SCALING_KEYS].map(([k, e]): [string, OptionSpec] => [flagOf(k), {
    type: LIST_KEYS.has(k) ? "numbers" : "number", metavar: LIST_KEYS.has(k) ? "A,B,…" : "X",
    help: `${e.schemes.join("/")}: \`${snakeKey(k)}\`${LIST_KEYS.has(k) ? " (rotary_dim/2 values)" : ""}`,
    ...(e.default !== undefined ? { default: String(e.default) } : {}),
  }])),
};

/** The request the flags describe, or undefined when --rope-scaling is absent (then no scheme flag may be given). */
export function ropeScalingRequest(args: ParsedArgs): RopeScalingRequest | undefined {
  const type = getString(args, "rope-scaling") as RopeScalingType | undefined;
  const given = [...KEY_OF_FLAG.keys()].filter((f) => args.options.has(f));
  if (type === undefined) {
    const stray = args.options.has("factor") ? "factor" : given[0];
    if (stray !== undefined) throw new ExtraposError("invalid_argument", `--${stray} needs --rope-scaling TYPE (one of ${ROPE_SCALING_TYPES.join(", ")})`);
    return undefined;
  }
  const factor = getNumber(args, "factor");
  if (factor === undefined) throw new ExtraposError("invalid_argument", `--rope-scaling ${type} needs --factor F (e.g. 4 to evaluate at 4× the training length)`);
  const req: RopeScalingRequest = { type, factor };
  for (const f of given) {
    const k = KEY_OF_FLAG.get(f)!;
    (req as unknown as Record<string, unknown>)[k] = LIST_KEYS.has(k) ? getNumbers(args, f) : getNumber(args, f);
  }
  return req;
}
