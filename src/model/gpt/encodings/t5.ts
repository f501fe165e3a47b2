/**
 * `pe: "t5"`: T5's causal relative buckets (src/pe/t5.ts) with one learned table shared by all
 * layers, `pe.t5.bias` [numBuckets, NH] (PyTorch `Embedding(numBuckets, NH)` layout). Toeplitz table
 * (h, n) = bias[bucket(−n), h]; its gradient scatters back: dBias[bucket(−n), h] += dTable(h, n), summed
 * over layers and batch, once per step.
 */
import { relativePositionBucket } from "../../../pe/index.js";
import type { PeConfig } from "../../config.js";
import { encodingParamNamer } from "../../params.js";
import { addGrad } from "./base.js";
import { toeplitzEncoding } from "./toeplitz.js";
import type { Encoding, EncodingEnv } from "./types.js";


export function t5Encoding(env: EncodingEnv): Encoding {
  const pe = env.cfg.pe as Extract<PeConfig, { kind: "t5" }>;
  const H = env.cfg.nHeads;
  const param = encodingParamNamer(env.cfg)("t5.bias");
  let buckets = new Int32Array(0);
  const bucketsUpTo = (D: number): Int32Array => {
    if (buckets.length !== D + 1) {
      const opts = { bidirectional: false, numBuckets: pe.numBuckets, maxDistance: pe.maxDistance };
      buckets = Int32Array.from({ length: D + 1 }, (_, n) => relativePositionBucket(-n, opts));
    }
    return buckets;
  };
  return toeplitzEncoding(env, {
    name: "t5",
    perLayer: false,
    learnable: true,
    table(read, _layer, D) {
      const b = bucketsUpTo(D), w = read(param), t = new Float64Array(H * (D + 1));
      for (let h = 0; h < H; h++) for (let n = 0; n <= D; n++) t[h * (D + 1) + n] = w[b[n]! * H + h]!;
      return t;
    },
    backward(_read, _layer, dTable, D) {
      const b = bucketsUpTo(D), g = new Float64Array(pe.numBuckets * H);
      for (let h = 0; h < H; h++) for (let n = 0; n <= D; n++) g[b[n]! * H + h]! += dTable[h * (D + 1) + n]!;
      addGrad(env.grads, param, g);
    },
  });
}
