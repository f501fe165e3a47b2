/**
 * `pe: "transformer-xl"` (Dai et al. 2019): the relative attention of engine/kernels/attention/relative.ts
 * replaces the attention call. Per forward, `prepare` projects the relative sinusoids R_δ (δ = 0 … D,
 * src/pe/transformer-xl.ts; D = min(clamp_len, T − 1), or T − 1 without clamping) by each layer's
 * `r_net` W_r into r [NH, D+1, HS] (activation "txl.r"). The backward's dr is mapped to
 * dW_r = Σ_δ dr_δ ⊗ R_δ, du and dv go to `r_w_bias` / `r_r_bias` (summed over the layers when tied).
 * With segment memory (segment-memory.ts) the keys span m + T rows, so D = min(clamp_len, m + T − 1) (or
 * m + T − 1). The float64 reference is the decoder's relative row (decoder.ts, `hooks.relative`), since
 * the BD term needs q.
 */
import { headDim, type PeConfig } from "../../config.js";
import { txlRelativeEmbedding } from "../../../pe/transformer-xl.js";
import { addGrad, baseEncoding, paramF64 } from "./base.js";
import type { Encoding, EncodingEnv, PlanShape } from "./types.js";

/** R_δ for δ = 0 … D, row-major [D + 1, d]: the pe module's R (rows D … 0, fixture-checked) reversed. */
function sinusoids(D: number, d: number): Float64Array {
  const desc = txlRelativeEmbedding(D + 1, d), out = new Float64Array((D + 1) * d);
  for (let k = 0; k <= D; k++) out.set(desc.subarray((D - k) * d, (D - k + 1) * d), k * d);
  return out;
}

/** The parameter names of layer l's relative attention: W_r (`r_net`), u (`r_w_bias`), v (`r_r_bias`; per layer with untie_r). */
export function txlParamNames(pe: Extract<PeConfig, { kind: "transformer-xl" }>, l: number): { rNet: string; u: string; v: string } {
  const bias = (name: string): string => (pe.untieR ? `blocks.${l}.attn.pe.${name}` : `pe.${name}`);
  return { rNet: `blocks.${l}.attn.pe.r_net.weight`, u: bias("r_w_bias"), v: bias("r_r_bias") };
}

export function transformerXlEncoding(env: EncodingEnv): Encoding {
  const pe = env.cfg.pe as Extract<PeConfig, { kind: "transformer-xl" }>;
  const L = env.cfg.nLayers, NH = env.cfg.nHeads, HS = headDim(env.cfg), C = NH * HS, d = env.cfg.dModel;
  /** D for a plan: keys span memory + T rows. */
  const maxDistance = (s: PlanShape): number => {
    const K = s.T + (s.memory ?? 0);
    return pe.clampLen > 0 ? Math.min(pe.clampLen, K - 1) : K - 1;
  };
  const bias = (name: "r_w_bias" | "r_r_bias", l: number): string => txlParamNames(pe, l)[name === "r_w_bias" ? "u" : "v"];
  const rNet = (l: number): string => txlParamNames(pe, l).rNet;
  /** r_l [NH, D+1, HS] = W_r·R_δ (W_r [C, d]: row h·HS + x). */
  const project = (w: ArrayLike<number>, R: Float64Array, D: number): Float64Array => {
    const r = new Float64Array(NH * (D + 1) * HS);
    for (let k = 0; k <= D; k++) for (let o = 0; o < C; o++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += w[o * d + c]! * R[k * d + c]!;
      r[(Math.floor(o / HS) * (D + 1) + k) * HS + (o % HS)] = s;
    }
    return r;
  };
  let R: Float64Array = new Float64Array(0), RD = -1;
  const table = (D: number): Float64Array => {
    if (RD !== D) { R = sinusoids(D, d); RD = D; }
    return R;
  };
  return {
    ...baseEncoding(env),
    tensors(s: PlanShape) {
      const D = maxDistance(s);
      const t = [{ name: "txl.r", shape: [L, NH, D + 1, HS], dtype: "f32" as const }];
      if (s.training) t.push({ name: "txl.dr", shape: [NH, D + 1, HS], dtype: "f32" }, { name: "txl.du", shape: [NH, HS], dtype: "f32" }, { name: "txl.dv", shape: [NH, HS], dtype: "f32" });
      return t;
    },
    prepare(pass) {
      const D = maxDistance(pass.shape), Rt = table(D), out = pass.acts.f32("txl.r"), per = NH * (D + 1) * HS;
      for (let l = 0; l < L; l++) out.set(project(env.params.f32(rNet(l)), Rt, D), l * per);
    },
    attention(pass, layer) {
      const D = maxDistance(pass.shape);
      return {
        kind: "relative",
        params: { r: pass.acts.ptr("txl.r") + 4 * layer * NH * (D + 1) * HS, u: env.params.ptr(bias("r_w_bias", layer)), v: env.params.ptr(bias("r_r_bias", layer)), maxDistance: D },
        grads: pass.shape.training ? { dr: pass.acts.ptr("txl.dr"), du: pass.acts.ptr("txl.du"), dvBias: pass.acts.ptr("txl.dv") } : null,
      };
    },
    attentionBackward(pass, layer) {
      const D = maxDistance(pass.shape), Rt = table(D), dr = pass.acts.f32("txl.dr");
      const dW = new Float64Array(C * d);
      for (let o = 0; o < C; o++) {
        const h = Math.floor(o / HS), x = o % HS;
        for (let k = 0; k <= D; k++) {
          const g = dr[(h * (D + 1) + k) * HS + x]!;
          if (g !== 0) for (let c = 0; c < d; c++) dW[o * d + c]! += g * Rt[k * d + c]!;
        }
      }
      addGrad(env.grads, rNet(layer), dW);
      addGrad(env.grads, bias("r_w_bias", layer), pass.acts.f32("txl.du"));
      addGrad(env.grads, bias("r_r_bias", layer), pass.acts.f32("txl.dv"));
    },
    hooks(params) {
      const layers = new Map<number, { u: Float32Array; v: Float32Array; r: (head: number, distance: number) => Float64Array<ArrayBufferLike> }>();
      return {
        relative(layer: number) {
          const known = layers.get(layer);
          if (known) return known;
          const w = params.get(rNet(layer))!, cache = new Map<number, Float64Array<ArrayBufferLike>>();
          const hook = {
            u: params.get(bias("r_w_bias", layer))!, v: params.get(bias("r_r_bias", layer))!,
            r(head: number, distance: number) {
              const k = pe.clampLen > 0 ? Math.min(distance, pe.clampLen) : distance;
              let all = cache.get(k);
              if (all === undefined) {
                all = project(w, sinusoids(k, d).subarray(k * d), 0);
                cache.set(k, all);
              }
              return all.subarray(head * HS, (head + 1) * HS);
            },
          };
          layers.set(layer, hook);
          return hook;
        },
      };
    },
  };
}
