/**
 * The engine decoder's hot path (engine-decoder.ts): one generation step — one new token for each of
 * Bc sequences — as a fixed list of kernel calls whose buffers, shapes and argument lists are checked
 * and built ONCE (the plan), then replayed every step without the glue's per-call checks, template
 * strings and parameter-block rewrites: at the tiny model's sizes a step is ~50 kernel calls of a few
 * microseconds each, so the JavaScript around them used to cost as much as the arithmetic.
 *
 * The calls, their arguments and their order are exactly those of the checked path (the same kernels
 * on the same buffers), so the bytes are the same; the decoder's tests compare both paths' logits.
 *
 * Thread policy (`splitGrain`), two of them, picked per step by timing (split-tuner.ts; the same
 * bytes either way): coarse — a kernel is split across the pool only when every thread's share is at
 * least SPLIT_MIN_MACS multiply-adds (waking a sleeping worker costs more than a 128×128
 * matrix–vector product); fine — at FINE_SPLIT_MIN_MACS, with the workers kept spinning between
 * calls. Attention splits by (sequence, head); the linear layers by output channels (multiples of 4:
 * the same bytes for any split, see matvec.ts); layer norms, GELU and residual adds are never split.
 *
 * A plan is valid for one cache (its arena's pointers) and one Bc; the decoder drops it when the cache
 * regrows. The per-layer attention parameter blocks (`attn.blocks` [L, words]) are rewritten only when
 * the layer's bias changes form (FIRE's table → dense rows) — `lens`, read by the kernel from memory,
 * is the only thing a step changes.
 */
import type { Engine } from "../../engine/engine.js";
import { DECODE_ATTENTION_PARAM_WORDS, writeDecodeAttentionParams, type DecodeAttentionCall } from "../../engine/kernels/decode-attention/decode-attention.js";
import { DEFAULT_LAYERNORM_EPS } from "../../engine/kernels/layernorm/layernorm.js";
import { matvecRows } from "../../engine/kernels/matvec/matvec.js";
import {
  DECODE_ATTENTION, GELU_FORWARD, LAYERNORM_FORWARD, MATVEC_ROWS, RESIDUAL_FORWARD,
  type DecodeAttentionArgs, type GeluForwardArgs, type LayerNormForwardArgs, type MatvecRowsArgs, type ResidualForwardArgs,
} from "../../engine/kernels/names.js";
import { layerNormForward } from "../../engine/kernels/layernorm/layernorm.js";
import { geluForward } from "../../engine/kernels/gelu/gelu.js";
import { residualForward } from "../../engine/kernels/residual/residual.js";
import type { Arena } from "../../engine/memory/plan.js";
import type { ModelConfig } from "../config.js";
import type { KvCache } from "./kv-cache.js";

/** Smallest share of a split kernel, in multiply-adds per thread (coarse policy). */
export const SPLIT_MIN_MACS = 262144;
/**
 * The fine policy's smallest share: 64 KiB of float32 weights, ≈ 2 µs of streaming from L3 — twice
 * a dispatch to a spinning worker. At batch 1 it splits the qkv, MLP and head products and the
 * attention over ≥ 128 cached keys per head; not the 128 × 128 output projection.
 */
export const FINE_SPLIT_MIN_MACS = 16384;

/** The grain (a multiple of `align`) that gives no thread less than `minMacs` when `macsPerUnit` each. */
export function splitGrain(engine: Engine, macsPerUnit: number, align = 1, minMacs = SPLIT_MIN_MACS): number {
  // minValuesPerThread 0: a test engine asking for every kernel to be split (kernels/testing.ts SplitEngine)
  const min = engine.minValuesPerThread === 0 ? 0 : minMacs;
  if (engine.threads === 1) return 1 << 30;
  const units = Math.ceil(min / Math.max(1, macsPerUnit));
  return Math.ceil(Math.max(units, align) / align) * align;
}

/** A linear layer's call and its grains under the coarse and the fine policy. */
interface Linear { args: MatvecRowsArgs; grain: number; fine: number }

interface LayerCalls {
  ln1: LayerNormForwardArgs;
  qkv: Linear;
  attn: DecodeAttentionArgs;
  /** The bias form the layer's block was written for ("" = not yet). */
  biasKey: string;
  proj: Linear;
  ln2: LayerNormForwardArgs;
  fc: Linear;
  mlpProj: Linear;
}

export class StepPlan {
  /** The thread policy of the next calls: false = coarse, true = fine (set by the decoder's SplitTuner). */
  fine = false;
  private readonly layers: LayerCalls[];
  private readonly lnF: LayerNormForwardArgs;
  private readonly head: Linear;
  private readonly residual: ResidualForwardArgs;
  private readonly gelu: GeluForwardArgs;
  private readonly C: number;

  /** Builds the calls for `Bc` sequences on `cache`'s buffers and checks them once (`verify`). */
  constructor(private readonly engine: Engine, private readonly cfg: ModelConfig, params: Arena, private readonly cache: KvCache, readonly Bc: number) {
    const C = cfg.dModel, R = Bc, a = cache.acts, eps = DEFAULT_LAYERNORM_EPS;
    this.C = C;
    const x = a.ptr("x"), ln = a.ptr("ln"), mean = a.ptr("mean"), rstd = a.ptr("rstd"), qkv = a.ptr("qkv"), att = a.ptr("att"), fc = a.ptr("fc");
    const lin = (out: number, inp: number, name: string, IN: number, OUT: number): Linear => ({
      args: [out, inp, params.ptr(`${name}.weight`), params.ptr(`${name}.bias`), R, IN, OUT],
      grain: splitGrain(engine, IN * R, 4), fine: splitGrain(engine, IN * R, 4, FINE_SPLIT_MIN_MACS),
    });
    this.layers = [];
    for (let l = 0; l < cfg.nLayers; l++) {
      const w = (s: string): number => params.ptr(`blocks.${l}.${s}`);
      this.layers.push({
        ln1: [ln, mean, rstd, x, w("ln1.weight"), w("ln1.bias"), C, eps],
        qkv: lin(qkv, ln, `blocks.${l}.attn.qkv`, C, 3 * C),
        attn: [a.ptr("attn.blocks") + 4 * l * DECODE_ATTENTION_PARAM_WORDS],
        biasKey: "",
        proj: lin(ln, att, `blocks.${l}.attn.proj`, C, C),
        ln2: [ln, mean, rstd, x, w("ln2.weight"), w("ln2.bias"), C, eps],
        fc: lin(fc, ln, `blocks.${l}.mlp.fc`, C, 4 * C),
        mlpProj: lin(ln, fc, `blocks.${l}.mlp.proj`, 4 * C, C),
      });
    }
    this.lnF = [ln, mean, rstd, x, params.ptr("ln_f.weight"), params.ptr("ln_f.bias"), C, eps];
    this.head = {
      args: [a.ptr("logits"), ln, params.ptr("tok_emb.weight"), 0, R, C, cfg.vocabSize],
      grain: splitGrain(engine, C * R, 4), fine: splitGrain(engine, C * R, 4, FINE_SPLIT_MIN_MACS),
    };
    this.residual = [x, x, ln];
    this.gelu = [fc, fc];
    this.verify();
  }

  /** Runs every call's checked glue once on the planned buffers (the checks the replay skips). */
  private verify(): void {
    const e = this.engine, R = this.Bc, C = this.C;
    for (const L of [...this.layers.flatMap((c) => [c.qkv, c.proj, c.fc, c.mlpProj]), this.head]) {
      const [y, x, w, b, , IN, OUT] = L.args;
      matvecRows(e, y, x, w, b, R, IN, OUT);
    }
    for (const ln of [...this.layers.flatMap((c) => [c.ln1, c.ln2]), this.lnF]) {
      const [out, mean, rstd, inp, w, b, , eps] = ln;
      layerNormForward(e, out, mean, rstd, inp, w, b, R, C, eps);
    }
    residualForward(e, this.residual[0], this.residual[1], this.residual[2], R * C);
    geluForward(e, this.gelu[0], this.gelu[1], R * 4 * C);
  }

  /**
   * Layer l's attention for this step: (re)writes its parameter block when the bias form changed
   * (`key` names the form: kind and pointer), then runs it split by (sequence, head) when that pays.
   */
  attention(l: number, call: DecodeAttentionCall, key: string, len: number): void {
    const c = this.layers[l]!;
    if (c.biasKey !== key) {
      writeDecodeAttentionParams(this.engine, c.attn[0], call);
      c.biasKey = key;
    }
    const NH = this.cfg.nHeads;
    const grain = splitGrain(this.engine, 2 * len * call.HS, 1, this.fine ? FINE_SPLIT_MIN_MACS : SPLIT_MIN_MACS);
    this.engine.parallelFor(DECODE_ATTENTION, this.Bc * NH, c.attn, grain, "decodeAttention");
  }

  /** ln1 → qkv of layer l (the step's input rows in `x`). */
  beforeAttention(l: number): void {
    const e = this.engine, c = this.layers[l]!;
    e.parallelFor(LAYERNORM_FORWARD, this.Bc, c.ln1, 1 << 30);
    this.linear(c.qkv);
  }

  /** proj + residual → ln2 → fc → gelu → proj + residual of layer l. */
  afterAttention(l: number): void {
    const e = this.engine, c = this.layers[l]!, n = this.Bc * this.C;
    this.linear(c.proj);
    e.parallelFor(RESIDUAL_FORWARD, n, this.residual, 1 << 30);
    e.parallelFor(LAYERNORM_FORWARD, this.Bc, c.ln2, 1 << 30);
    this.linear(c.fc);
    e.parallelFor(GELU_FORWARD, 4 * n, this.gelu, 1 << 30);
    this.linear(c.mlpProj);
    e.parallelFor(RESIDUAL_FORWARD, n, this.residual, 1 << 30);
  }

  /** ln_f → tied head: logits [Bc, V] in the cache's `logits`. */
  logits(): void {
    this.engine.parallelFor(LAYERNORM_FORWARD, this.Bc, this.lnF, 1 << 30);
    this.linear(this.head);
  }

  private linear(L: Linear): void {
    this.engine.parallelFor(MATVEC_ROWS, L.args[6], L.args, this.fine ? L.fine : L.grain);
  }
}
