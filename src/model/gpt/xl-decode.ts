/**
 * Transformer-XL's relative attention in the engine decoder (engine-decoder.ts): the attention of a decoding
 * step for `pe: "transformer-xl"` by the decodeRelativeAttention kernel (engine/kernels/decode-relative), over
 * the decoder's KV cache — the plain append-only cache, StreamingLLM's rolling cache (positions inside the
 * cache, engine-rolling-cache.ts) or Transformer-XL's segment memory (engine-segment-cache.ts).
 *
 * Per layer l the cache arena holds r_l [NH, D+1, HS] = W_r·R_δ (δ = 0 … D: the forward's "txl.r" rows,
 * encodings/transformer-xl.ts, computed the same way in float64 and stored as float32, so the same bytes),
 * D = min(clamp_len, S − 1), or S − 1 without clamping (S = the cache's slots: no distance in the cache
 * exceeds it). Rows are filled lazily, up to the largest distance a step can see (its last query slot),
 * C·d multiply-adds per new distance and layer — a long generation never pays for rows it does not reach.
 * u (`r_w_bias`) and v (`r_r_bias`) are read from the engine's parameters in place.
 *
 * Arena tensors (kv-cache.ts adds them for transformer-xl, `relativeDecodeTensors`): `txl.r.<l>`, the
 * kernel's parameter block `txl.block` and its scratch `txl.scratch` [B·NH, decodeRelativeScratchStride(S, HS)].
 *
 * Example: `const rel = new RelativeDecode(m); rel.attend(cache, l, { out: att, outStride: C, q: qkv, qStride: 3 * C, B: 1, nq: 1, shared: 0 })`.
 */
import { DECODE_RELATIVE_PARAM_WORDS, decodeRelativeScratchStride, decodeRelativeUnitMacs, writeDecodeRelativeParams } from "../../engine/kernels/decode-relative/decode-relative.js";
import { DECODE_RELATIVE } from "../../engine/kernels/names.js";
import type { TensorSpec } from "../../engine/memory/plan.js";
import { txlInvFreq, txlRelativeRow } from "../../pe/transformer-xl.js";
import { headDim, type ModelConfig, type PeConfig } from "../config.js";
import type { ModelParts } from "./block.js";
import { chunkGrain } from "./decode-step.js";
import { txlParamNames } from "./encodings/transformer-xl.js";
import type { KvCache } from "./kv-cache.js";

type XlPe = Extract<PeConfig, { kind: "transformer-xl" }>;

/** The largest distance row of r for a cache of S slots. */
export function relativeMaxDistance(cfg: ModelConfig, slots: number): number {
  const pe = cfg.pe as XlPe;
  return pe.clampLen > 0 ? Math.min(pe.clampLen, slots - 1) : slots - 1;
}

/** The arena tensors of the relative attention for B sequences of S slots (none unless transformer-xl). */
export function relativeDecodeTensors(cfg: ModelConfig, B: number, slots: number): TensorSpec[] {
  if (cfg.pe.kind !== "transformer-xl") return [];
  const NH = cfg.nHeads, HS = headDim(cfg), D = relativeMaxDistance(cfg, slots);
  return [
    ...Array.from({ length: cfg.nLayers }, (_, l): TensorSpec => ({ name: `txl.r.${l}`, shape: [NH, D + 1, HS], dtype: "f32" })),
    { name: "txl.block", shape: [DECODE_RELATIVE_PARAM_WORDS], dtype: "i32" },
    { name: "txl.scratch", shape: [B * NH, decodeRelativeScratchStride(slots, HS)], dtype: "f32" },
  ];
}

/** The step's query rows and output (the rest of the call comes from the cache). */
export interface RelativeStep {
  out: number;
  outStride: number;
  q: number;
  qStride: number;
  /** Sequences computed (Bc) and query rows per sequence. */
  B: number;
  nq: number;
  /** Shared prefix slots (decode-relative.ts `shared`). */
  shared: number;
}

export class RelativeDecode {
  private readonly pe: XlPe;
  private readonly invFreq: Float64Array;
  private readonly row: Float64Array<ArrayBufferLike>;
  /** The cache whose r rows are filled, and how far (rows 0 … filled − 1 of every layer). */
  private cache: KvCache | null = null;
  private filled = 0;

  constructor(private readonly m: ModelParts) {
    this.pe = m.cfg.pe as XlPe;
    this.invFreq = txlInvFreq(m.cfg.dModel);
    this.row = new Float64Array(m.cfg.dModel);
  }

  /** Layer l's attention for the step's rows (the cache's `lens` and `pos` already set, keys and values appended). */
  attend(cache: KvCache, l: number, s: RelativeStep): void {
    const { cfg, engine: e, params } = this.m, NH = cfg.nHeads, HS = headDim(cfg), S = cache.slots, a = cache.acts;
    const D = relativeMaxDistance(cfg, S);
    const lens = a.i32("lens"), len = Math.max(...lens.subarray(0, s.B));
    if (this.cache !== cache) [this.cache, this.filled] = [cache, 0];
    // every layer at once, at its first layer: a step's largest distance is below its longest sequence
    if (l === 0) this.fill(cache, Math.min(D, len - 1));
    const names = txlParamNames(this.pe, l), block = a.ptr("txl.block");
    const call = {
      out: s.out, outStride: s.outStride, q: s.q, qStride: s.qStride, k: cache.k(l), v: cache.v(l), lens: a.ptr("lens"), pos: a.ptr("pos"),
      slots: S, B: s.B, NH, HS, nq: s.nq, r: a.ptr(`txl.r.${l}`), u: params.ptr(names.u), vb: params.ptr(names.v), maxDistance: D,
      shared: s.shared, scratch: a.ptr("txl.scratch"), scratchStride: decodeRelativeScratchStride(S, HS),
    };
    writeDecodeRelativeParams(e, block, call);
    e.parallelFor(DECODE_RELATIVE, s.B * NH, [block], chunkGrain(e, s.B * NH, decodeRelativeUnitMacs({ nq: s.nq, slots: len, HS })), "decodeRelativeAttention");
  }

  /** Rows filled … upTo of r in every layer: r[h, δ, x] = Σ_c W_r[h·HS + x, c]·R_δ[c] (float64, the forward's order). */
  private fill(cache: KvCache, upTo: number): void {
    if (upTo < this.filled) return;
    const { cfg, params } = this.m, NH = cfg.nHeads, HS = headDim(cfg), d = cfg.dModel, C = NH * HS;
    const D = relativeMaxDistance(cfg, cache.slots), R = this.row;
    for (let l = 0; l < cfg.nLayers; l++) {
      const w = params.f32(txlParamNames(this.pe, l).rNet), out = cache.acts.f32(`txl.r.${l}`);
      for (let k = this.filled; k <= upTo; k++) {
        txlRelativeRow(k, this.invFreq, R);
        for (let o = 0; o < C; o++) {
          let sum = 0;
          for (let c = 0; c < d; c++) sum += w[o * d + c]! * R[c]!;
          out[(Math.floor(o / HS) * (D + 1) + k) * HS + (o % HS)] = sum;
        }
      }
    }
    this.filled = upTo + 1;
  }
}
