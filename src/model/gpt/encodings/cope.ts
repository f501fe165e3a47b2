/**
 * `pe: "cope"`: Contextual Position Encoding (Golovneva et al. 2024) — the cope kernel replaces the
 * attention call: gates σ(q·k/√HS), contextual positions p_ij = min(Σ_{t=j..i} g_it, maxPos − 1),
 * logit += interpolation of q_i·e[⌊p⌋], q_i·e[⌈p⌉]. Embeddings per layer `blocks.{i}.attn.pe.pos_emb`
 * [maxPos, HS] (shared by the heads, as x-transformers; init zeros). The kernel's gradient slabs
 * [B, NH, maxPos, HS] are summed over B and NH (float64) into the parameter gradient. No window (the
 * model refuses `window` with cope), no position ids. The float64 reference is the decoder's CoPE row
 * (decoder.ts), since a CoPE logit depends on q and k, not on positions alone.
 */
import { copeScratchFloats } from "../../../engine/kernels/cope/cope.js";
import type { PeConfig } from "../../config.js";
import { headDim } from "../../config.js";
import { encodingParamNamer } from "../../params.js";
import { addGrad, baseEncoding, sumSlabs } from "./base.js";
import type { Encoding, EncodingEnv } from "./types.js";

export function copeEncoding(env: EncodingEnv): Encoding {
  const pe = env.cfg.pe as Extract<PeConfig, { kind: "cope" }>;
  const NH = env.cfg.nHeads, HS = headDim(env.cfg), P = pe.maxPos;
  const named = encodingParamNamer(env.cfg);
  const param = (l: number): string => named("pos_emb", l);
  return {
    ...baseEncoding(env),
    tensors(s) {
      const t = [{ name: "cope.scratch", shape: [copeScratchFloats({ B: s.B, T: s.T, NH, HS }, P)], dtype: "f32" as const }];
      if (s.training) t.push({ name: "cope.demb", shape: [s.B * NH, P, HS], dtype: "f32" });
      return t;
    },
    attention: (pass, layer) => ({
      kind: "cope", emb: env.params.ptr(param(layer)), maxPos: P, scratch: pass.acts.ptr("cope.scratch"),
      dEmb: pass.shape.training ? pass.acts.ptr("cope.demb") : 0,
    }),
    attentionBackward(pass, layer) {
      addGrad(env.grads, param(layer), sumSlabs(pass.acts.f32("cope.demb"), pass.shape.B * NH, P * HS));
    },
  };
}
