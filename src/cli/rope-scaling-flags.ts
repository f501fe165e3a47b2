/**
 * `--rope-scaling TYPE --factor F [--beta-fast …]`, shared by `extrapos eval` and `extrapos generate`.
 * The flags become a `RopeScalingRequest`; the run's model turns it into the HF dict (src/eval/rope-scaling.ts).
 *
 * Example: `ropeScalingRequest(parseArgs(["--rope-scaling", "yarn", "--factor", "4"], ROPE_SCALING_OPTIONS))`
 */
import { ExtraposError } from "../pe/errors.js";
import { ROPE_SCALING_TYPES, type RopeScalingRequest, type RopeScalingType } from "../eval/rope-scaling.js";
import { getNumber, getNumbers, getString, type OptionSpecs, type ParsedArgs } from "./args.js";

export const ROPE_SCALING_OPTIONS: OptionSpecs = {
  "rope-scaling": { type: "string", metavar: "TYPE", choices: ROPE_SCALING_TYPES, help: "RoPE scaling at evaluation (RoPE models only)" },
  factor: { type: "number", metavar: "F", help: "scaling factor (with --rope-scaling), e.g. 4" },
  "beta-fast": { type: "number", metavar: "X", help: "yarn: β_fast", default: "32" },
  "beta-slow": { type: "number", metavar: "X", help: "yarn: β_slow", default: "1" },
  mscale: { type: "number", metavar: "X", help: "yarn: mscale (DeepSeek)" },
  "mscale-all-dim": { type: "number", metavar: "X", help: "yarn: mscale_all_dim (DeepSeek)" },
  "attention-factor": { type: "number", metavar: "X", help: "yarn/longrope: explicit attention factor" },
  "low-freq-factor": { type: "number", metavar: "X", help: "llama3: low_freq_factor", default: "1" },
  "high-freq-factor": { type: "number", metavar: "X", help: "llama3: high_freq_factor", default: "4" },
  "short-factor": { type: "numbers", metavar: "A,B,…", help: "longrope: short_factor (rotary_dim/2 values)" },
  "long-factor": { type: "numbers", metavar: "A,B,…", help: "longrope: long_factor (rotary_dim/2 values)" },
};

const CAMEL: Record<string, keyof RopeScalingRequest> = {
  "beta-fast": "betaFast", "beta-slow": "betaSlow", mscale: "mscale", "mscale-all-dim": "mscaleAllDim", "attention-factor": "attentionFactor",
  "low-freq-factor": "lowFreqFactor", "high-freq-factor": "highFreqFactor", "short-factor": "shortFactor", "long-factor": "longFactor",
};

/** The request the flags describe, or undefined when --rope-scaling is absent (then no scheme flag may be given). */
export function ropeScalingRequest(args: ParsedArgs): RopeScalingRequest | undefined {
  const type = getString(args, "rope-scaling") as RopeScalingType | undefined;
  const given = Object.keys(CAMEL).filter((f) => args.options.has(f));
  if (type === undefined) {
    const stray = args.options.has("factor") ? "factor" : given[0];
    if (stray !== undefined) throw new ExtraposError("invalid_argument", `--${stray} needs --rope-scaling TYPE (one of ${ROPE_SCALING_TYPES.join(", ")})`);
    return undefined;
  }
  const factor = getNumber(args, "factor");
  if (factor === undefined) throw new ExtraposError("invalid_argument", `--rope-scaling ${type} needs --factor F (e.g. 4 to evaluate at 4× the training length)`);
  const req: RopeScalingRequest = { type, factor };
  for (const f of given) (req as unknown as Record<string, unknown>)[CAMEL[f]!] = f.endsWith("-factor") && (f === "short-factor" || f === "long-factor") ? getNumbers(args, f) : getNumber(args, f);
  return req;
}
