/**
 * `pe: "fire"`: FIRE (src/pe/fire.ts), per layer `blocks.{i}.attn.pe.mlp.{0,1}.weight|bias`, `.c` and
 * `.L_multiplier` (threshold L = |L_multiplier|·init_l). While every query position is ≤ L the
 * normaliser is ψ(L) for all queries and the bias is a function of the distance: one Toeplitz table per
 * layer (`fireDistanceTable`, gradients by `fireDistanceTableBackward`). Beyond L the normaliser is the
 * query's own ψ(pos): a dense bias per query chunk (`fireForward`; training: the full [NH, T, T] and its
 * gradient slabs, `fireBackward`). Gradients flow into the MLP, c and L_multiplier.
 */
import { DEFAULT_FIRE, fireBackward, fireDistanceTable, fireDistanceTableBackward, fireForward, type FireGrads, type FireParams } from "../../../pe/index.js";
import type { PeConfig } from "../../config.js";
import { encodingParamNamer } from "../../params.js";
import { addGrad } from "./base.js";
import { addMlpGrads, readMlp } from "./mlp.js";
import { toeplitzEncoding, type ParamReader } from "./toeplitz.js";
import type { Encoding, EncodingEnv } from "./types.js";

export function fireEncoding(env: EncodingEnv): Encoding {
  const pe = env.cfg.pe as Extract<PeConfig, { kind: "fire" }>;
  const H = env.cfg.nHeads;
  const named = encodingParamNamer(env.cfg);
  const paramsOf = (read: ParamReader, l: number): FireParams => ({
    mlp: readMlp(read, named("mlp", l), [1, pe.hidden, H]),
    c: read(named("c", l))[0]!,
    lMultiplier: read(named("L_multiplier", l))[0]!,
    initL: pe.initL,
    eps: DEFAULT_FIRE.eps,
  });
  const addGrads = (l: number, g: FireGrads): void => {
    addMlpGrads(env, named("mlp", l), g.dMlp);
    addGrad(env.grads, named("c", l), [g.dC]);
    addGrad(env.grads, named("L_multiplier", l), [g.dLMultiplier]);
  };
  const threshold = (read: ParamReader, l: number): number => Math.abs(read(named("L_multiplier", l))[0]! * pe.initL);
  return toeplitzEncoding(env, {
    name: "fire",
    perLayer: true,
    learnable: true,
    table: (read, l, D) => fireDistanceTable(paramsOf(read, l), D),
    backward: (read, l, dTable, D) => addGrads(l, fireDistanceTableBackward(dTable, paramsOf(read, l), D)),
    dense: {
      needed(read, span) {
        for (let l = 0; l < env.cfg.nLayers; l++) if (span - 1 > threshold(read, l)) return true;
        return false;
      },
      neededAt: (read, l, q) => q > threshold(read, l),
      forward: (read, l, q, k) => fireForward(paramsOf(read, l), q, k),
      backward: (read, l, dBias, q, k) => addGrads(l, fireBackward(dBias, paramsOf(read, l), q, k)),
    },
  });
}
