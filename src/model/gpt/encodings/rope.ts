/**
 * `pe: "rope"`: RoPE on the first `rotaryDim` channels of each q/k head, layout "half" (pairs (x_i,
 * x_{i+R/2})) or "interleaved" (pairs (x_{2i}, x_{2i+1})), frequencies theta^(−2i/R) — via the qkv-rope
 * kernel with cos/sin tables [span, R/2] computed in float64 by `computeRope` (src/pe) once per plan.
 * q and k share the tables. Randomized positions: the tables cover `randomized.max_length` rows and the
 * kernel reads the ids.
 *
 * Evaluation only (`EvalOptions.ropeScaling`, an HF `rope_scaling` dict): the scaled frequencies and
 * attention factor come from `ropeParamsFromHfConfig` + `computeRope` with `max_position_embeddings` =
 * `original_max_position_embeddings` = the training length (`context_length`) and seq_len = the
 * evaluated length (dynamic NTK, LongRoPE's switch). The attention factor (YaRN, LongRoPE) multiplies
 * BOTH the q and the k tables, exactly as HF multiplies cos and sin, so the logits scale by factor².
 * Schemes: every ROPE_SCHEMES entry with `contextExtension` (linear, dynamic, ntk, yarn, longrope, llama3) and "default" = none.
 * No parameters; checkpoint: nothing.
 */
import { computeRope, computeRopeFrequencies, makeRopeParams, ropeCosSin, ropeParamsFromHfConfig, ropeScheme, rotateFor, ROPE_TYPES, type RopeParams, type RopeType } from "../../../pe/index.js";
import { ExtraposError, show } from "../../../pe/errors.js";
import { headDim, type ModelConfig, type PeConfig } from "../../config.js";
import type { EvalOptions } from "../../lm.js";
import { baseEncoding, passKey } from "./base.js";
import type { Encoding, EncodingEnv } from "./types.js";

/** The `rope_scaling` types evaluation accepts: "default" (none) and every scheme of ROPE_SCHEMES that extends a context. */
export const EVAL_ROPE_TYPES: readonly RopeType[] = ROPE_TYPES.filter((t) => t === "default" || ropeScheme(t).contextExtension);

type RopePe = Extract<PeConfig, { kind: "rope" }>;

/** partial_rotary_factor whose HF truncation trunc(hs·p) gives exactly R (R/hs can round below). */
function partialFactor(R: number, hs: number): number {
  const p = R / hs;
  return Math.trunc(hs * p) === R ? p : (R + 0.5) / hs;
}

/**
 * The model's RoPE parameters, scaled by `scaling` (an HF rope_scaling dict) when given.
 * Example: `modelRopeParams(cfg, { rope_type: "linear", factor: 2 }).scaling` → {type: "linear", factor: 2}.
 */
export function modelRopeParams(cfg: ModelConfig, scaling: Record<string, unknown> | undefined | null): RopeParams {
  const pe = cfg.pe as RopePe;
  const hs = headDim(cfg);
  const prf = partialFactor(pe.rotaryDim, hs);
  if (scaling === undefined || scaling === null) return makeRopeParams({ theta: pe.theta, headDim: hs, partialRotaryFactor: prf });
  if (typeof scaling !== "object" || Array.isArray(scaling)) throw new ExtraposError("invalid_argument", `\`ropeScaling\` must be an object (an HF rope_scaling dict), got ${show(scaling)}`);
  const type = scaling.rope_type ?? scaling.type;
  if (!(EVAL_ROPE_TYPES as readonly unknown[]).includes(type)) {
    throw new ExtraposError("invalid_argument", `\`ropeScaling.rope_type\` must be one of ${EVAL_ROPE_TYPES.join(", ")}, got ${show(type)}`);
  }
  const hf: Record<string, unknown> = {
    rope_theta: pe.theta, head_dim: hs, partial_rotary_factor: prf, max_position_embeddings: cfg.contextLength, rope_scaling: scaling,
  };
  if (type === "yarn" || type === "llama3" || type === "longrope") hf.original_max_position_embeddings = cfg.contextLength;
  // llama3 requires original < max_position_embeddings (the extended length, factor·original in Llama 3.1's config);
  // its frequencies do not depend on it. dynamic reads max_position_embeddings as the trained length: kept.
  if (type === "llama3") hf.max_position_embeddings = Math.max(cfg.contextLength + 1, Math.ceil(Number(scaling.factor) * cfg.contextLength) || 0);
  return ropeParamsFromHfConfig(hf, { source: "ropeScaling" });
}

/** The frequencies depend on the current length (dynamic NTK, LongRoPE's short/long switch). */
export function lengthDependent(p: RopeParams): boolean {
  return p.scaling.type === "dynamic" || p.scaling.type === "longrope";
}

/** cos/sin [rows, R/2] (one value per pair) from HF's [rows, R] `cat(freqs, freqs)` layout. */
export function pairColumns(full: Float64Array, rows: number, R: number): Float64Array {
  const out = new Float64Array((rows * R) / 2);
  for (let r = 0; r < rows; r++) for (let i = 0; i < R / 2; i++) out[(r * R) / 2 + i] = full[r * R + i]!;
  return out;
}

export function ropeEncoding(env: EncodingEnv): Encoding {
  const pe = env.cfg.pe as RopePe;
  const R = pe.rotaryDim;
  const rotate = rotateFor(pe.layout);
  let preparedKey = "";
  const scalingOf = (o: EvalOptions): Record<string, unknown> | undefined => o.ropeScaling ?? undefined;
  return {
    ...baseEncoding(env),
    tensors: (s) => [{ name: "rope.cos", shape: [s.span, R / 2], dtype: "f32" }, { name: "rope.sin", shape: [s.span, R / 2], dtype: "f32" }],
    prepare(pass) {
      const key = passKey(pass, JSON.stringify(scalingOf(pass.evalOptions) ?? null));
      if (key === preparedKey) return;
      const span = pass.shape.span;
      const positions = Float64Array.from({ length: span }, (_, i) => i);
      const r = computeRope(modelRopeParams(env.cfg, scalingOf(pass.evalOptions)), { positions, seqLen: span });
      pass.acts.f32("rope.cos").set(pairColumns(r.cos!, span, R));
      pass.acts.f32("rope.sin").set(pairColumns(r.sin!, span, R));
      preparedKey = key;
    },
    rotation(pass) {
      const cos = pass.acts.ptr("rope.cos"), sin = pass.acts.ptr("rope.sin");
      return {
        rotation: { layout: pe.layout, rotaryDim: R, tableRows: pass.shape.span, cosQ: cos, sinQ: sin, cosK: cos, sinK: sin },
        positions: pass.explicitPositions ? { ptr: pass.posIdsPtr, perBatch: true } : null,
      };
    },
    hooks(_params, opts) {
      const f = computeRopeFrequencies(modelRopeParams(env.cfg, scalingOf(opts.evalOptions ?? {})), { seqLen: opts.T });
      return {
        rotate: (v, pos) => {
          const t = ropeCosSin(f.invFreq, [pos], f.attentionFactor);
          v.set(rotate(v, t.cos, t.sin));
        },
      };
    },
    cachePolicy: (o) => (lengthDependent(modelRopeParams(env.cfg, scalingOf(o))) ? "recompute-on-frequency-change" : "keys-after-rotation"),
    frequencyKey(o, T) {
      const p = modelRopeParams(env.cfg, scalingOf(o));
      if (!lengthDependent(p)) return "";
      const f = computeRopeFrequencies(p, { seqLen: T });
      return `${f.attentionFactor}:${f.invFreq.join(",")}`;
    },
    checkEvalOptions: (o) => void modelRopeParams(env.cfg, scalingOf(o)),
  };
}
