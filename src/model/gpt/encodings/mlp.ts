/**
 * Reading and writing the small scalar MLPs of FIRE and the dynamic bias (src/pe/scalar-mlp.ts) from
 * the parameter table: layer k is `<prefix>.{k}.weight` [out, in] and `<prefix>.{k}.bias` [out].
 */
import type { MlpLayer, MlpLayerGrad } from "../../../pe/index.js";
import { addGrad } from "./base.js";
import type { EncodingEnv } from "./types.js";
import type { ParamReader } from "./toeplitz.js";

/** The MLP with the given widths [1, …, out] read from `<prefix>.{k}`. */
export function readMlp(read: ParamReader, prefix: string, widths: readonly number[]): MlpLayer[] {
  const layers: MlpLayer[] = [];
  for (let k = 0; k + 1 < widths.length; k++) {
    layers.push({ weight: read(`${prefix}.${k}.weight`), bias: read(`${prefix}.${k}.bias`), inDim: widths[k]!, outDim: widths[k + 1]! });
  }
  return layers;
}

/** Adds the layers' gradients into `<prefix>.{k}.weight|bias`. */
export function addMlpGrads(env: EncodingEnv, prefix: string, grads: readonly MlpLayerGrad[]): void {
  grads.forEach((g, k) => {
    addGrad(env.grads, `${prefix}.${k}.weight`, g.dWeight);
    addGrad(env.grads, `${prefix}.${k}.bias`, g.dBias);
  });
}
