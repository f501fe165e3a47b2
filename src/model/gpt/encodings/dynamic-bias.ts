/**
 * `pe: "dynamic-bias"`: x-transformers' dynamic position bias, an MLP of the signed distance
 * (src/pe/dynamic-bias.ts), shared by all layers: `pe.dynamic_bias.mlp.{k}.weight|bias` (1 → hidden
 * (SiLU) × depth → NH). Causal attention only reads distances n = pos_i − pos_j ≥ 0, so the Toeplitz
 * table is the r ≥ 0 half of `dynamicBiasTable` (columns D…2D); its gradient goes back through
 * `dynamicBiasTableBackward` with zeros on the r < 0 half, once per step (summed over layers).
 */
import { dynamicBiasTable, dynamicBiasTableBackward, type DynamicBiasParams } from "../../../pe/index.js";
import type { PeConfig } from "../../config.js";
import { encodingParamNamer } from "../../params.js";
import { addMlpGrads, readMlp } from "./mlp.js";
import { toeplitzEncoding, type ParamReader } from "./toeplitz.js";
import type { Encoding, EncodingEnv } from "./types.js";

export function dynamicBiasEncoding(env: EncodingEnv): Encoding {
  const pe = env.cfg.pe as Extract<PeConfig, { kind: "dynamic-bias" }>;
  const H = env.cfg.nHeads;
  const prefix = encodingParamNamer(env.cfg)("dynamic_bias.mlp");
  const widths = [1, ...Array<number>(pe.depth).fill(pe.hidden), H];
  const paramsOf = (read: ParamReader): DynamicBiasParams => ({ mlp: readMlp(read, prefix, widths), logDistance: pe.logDistance });
  return toeplitzEncoding(env, {
    name: "dynamic_bias",
    perLayer: false,
    learnable: true,
    table(read, _layer, D) {
      const full = dynamicBiasTable(paramsOf(read), D), w = 2 * D + 1, t = new Float64Array(H * (D + 1));
      for (let h = 0; h < H; h++) for (let n = 0; n <= D; n++) t[h * (D + 1) + n] = full[h * w + D + n]!;
      return t;
    },
    backward(read, _layer, dTable, D) {
      const w = 2 * D + 1, dFull = new Float64Array(H * w);
      for (let h = 0; h < H; h++) for (let n = 0; n <= D; n++) dFull[h * w + D + n] = dTable[h * (D + 1) + n]!;
      addMlpGrads(env, prefix, dynamicBiasTableBackward(dFull, paramsOf(read), D).dMlp);
    },
  });
}
