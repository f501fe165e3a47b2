/**
 * `pe: "sandwich"`: the parameter-free Toeplitz table (Σ_i cos(n·ω_i) − d/2)/(h·8/H) over the head
 * dimension d (src/pe/sandwich.ts, NeMo's corrected formula). Constant: computed once per plan.
 * Checkpoint: nothing.
 */
import { sandwichDistanceTable } from "../../../pe/index.js";
import { headDim } from "../../config.js";
import { toeplitzEncoding } from "./toeplitz.js";
import type { Encoding, EncodingEnv } from "./types.js";

export function sandwichEncoding(env: EncodingEnv): Encoding {
  const hs = headDim(env.cfg), H = env.cfg.nHeads;
  return toeplitzEncoding(env, { name: "sandwich", perLayer: false, learnable: false, table: (_read, _l, D) => sandwichDistanceTable(hs, H, D) });
}
