/**
 * `pe: "nope"` (NoPE; alias "none"): no positional signal; causal masking alone (Kazemnejad et al. 2023,
 * arXiv:2305.19466). No hook, no parameter; checkpoint: nothing.
 */
import { baseEncoding } from "./base.js";
import type { Encoding, EncodingEnv } from "./types.js";

export function nopeEncoding(env: EncodingEnv): Encoding {
  return baseEncoding(env);
}
