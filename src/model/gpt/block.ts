/**
 * The transformer block's forward, written once for both passes (train-pass.ts keeps every layer's
 * activations for the backward; eval-pass.ts reuses one set of buffers and updates the residual
 * stream in place): the passes differ only in the arena tensors they name (`BlockBuffers`) and in
 * whether the attention runs in query chunks (evaluation plans with a dense bias).
 *
 *   ln1 = LN(input);  qkv = ln1·Wqkvᵀ + b;  q, k, v = split + rotate(qkv);  att = attention(q, k, v)
 *   res2 = attnOut + input,  attnOut = att·Wprojᵀ + b
 *   ln2 = LN(res2);  fc = ln2·Wfcᵀ + b;  fcAct = GELU(fc)
 *   res3 = mlpOut + res2,  mlpOut = fcAct·Wprojᵀ + b
 * An attention-only block (`mlp: false`) stops at res2, its output (its buffers' MLP names are unused).
 * (residual adds are commutative in IEEE arithmetic, so naming res2 = input = "x" and attnOut = "ln"
 * is the evaluation's in-place update with the same bytes). With Transformer-XL segment memory the block
 * also records its input for the next memory and attends over [memory; segment] (segment-memory.ts).
 */
import { attentionForward } from "../../engine/kernels/attention/attention.js";
import { ExtraposError } from "../../pe/errors.js";
import { relativeAttentionForward } from "../../engine/kernels/attention/relative.js";
import { copeForward } from "../../engine/kernels/cope/cope.js";
import { geluForward } from "../../engine/kernels/gelu/gelu.js";
import { layerNormForward } from "../../engine/kernels/layernorm/layernorm.js";
import { linearForward } from "../../engine/kernels/matmul/matmul.js";
import { qkvRopeForward } from "../../engine/kernels/qkv-rope/qkv-rope.js";
import { residualForward } from "../../engine/kernels/residual/residual.js";
import type { Engine } from "../../engine/engine.js";
import type { Arena } from "../../engine/memory/plan.js";
import { layerWindow } from "../attention-pattern.js";
import { headDim, type ModelConfig } from "../config.js";
import type { AttentionMode, Encoding, Pass } from "./encodings/types.js";
import { captureMemory, memoryKeysValues } from "./segment-memory.js";

/** What a pass reads from the model. */
export interface ModelParts {
  readonly cfg: ModelConfig;
  readonly engine: Engine;
  readonly params: Arena;
  readonly grads: Arena;
  readonly encoding: Encoding;
}

/** The arena tensors one block forward reads and writes (names in the pass's plan). */
export interface BlockBuffers {
  input: string;
  ln1: string; ln1Mean: string; ln1Rstd: string;
  qkv: string; q: string; k: string; v: string; att: string; lse: string;
  attnOut: string; res2: string;
  ln2: string; ln2Mean: string; ln2Rstd: string;
  fc: string; fcAct: string; mlpOut: string; res3: string;
  /** Keys and values over [memory; segment] when the pass has segment memory (segment-memory.ts). */
  kf: string; vf: string;
}

/** Window, dilation (the plan's "attn.dilation" rows, see acts.ts) and global tokens of layer l. */
export function layerPattern(cfg: ModelConfig, pass: Pass, l: number): { window: number; dilation: number; globalTokens: number } {
  const dilation = cfg.dilation === null ? 0 : pass.acts.ptr("attn.dilation") + 4 * l * cfg.nHeads;
  return { window: layerWindow(cfg, l), dilation, globalTokens: cfg.globalTokens };
}

/** Runs the attention of one layer (attention kernel or CoPE) for the query rows [q0, q1). */
export function attendForward(m: ModelParts, pass: Pass, mode: AttentionMode, out: number, lse: number, qkv: [number, number, number], q0: number, q1: number, l: number): void {
  const { B, T } = pass.shape, shape = { B, T, NH: m.cfg.nHeads, HS: headDim(m.cfg) };
  const scratch = pass.acts.ptr("attn.scratch");
  if (mode.kind === "cope") {
    copeForward(m.engine, out, lse, ...qkv, mode.emb, shape, { maxPos: mode.maxPos, scratch: mode.scratch });
    return;
  }
  if (mode.kind === "relative") {
    if (q0 !== 0 || q1 !== T) throw new ExtraposError("internal", "relative attention runs over whole windows (no query chunks)");
    // with segment memory, qkv holds the keys and values over [memory; segment] (memoryKeysValues)
    relativeAttentionForward(m.engine, out, lse, ...qkv, { B, S: T, M: pass.memory?.current.rows ?? 0, NH: shape.NH, HS: shape.HS }, mode.params);
    return;
  }
  const queries = q0 === 0 && q1 === T ? {} : { queries: { start: q0, end: q1 } };
  attentionForward(m.engine, out, lse, ...qkv, shape, { bias: mode.bias, positions: mode.positions, ...layerPattern(m.cfg, pass, l), scratch, ...queries });
}

/** The forward of block l (see the file header). Evaluation plans run the attention in query chunks when the bias is dense. */
export function blockForward(m: ModelParts, pass: Pass, l: number, n: BlockBuffers): void {
  const { engine: e, cfg } = m, acts = pass.acts;
  const { B, T } = pass.shape, N = B * T, C = cfg.dModel, shape = { B, T, NH: cfg.nHeads, HS: headDim(cfg) };
  const a = (s: string): number => acts.ptr(s), r = (s: string) => acts.ref(s);
  const w = (s: string): number => m.params.ptr(`blocks.${l}.${s}`), wr = (s: string) => m.params.ref(`blocks.${l}.${s}`);
  captureMemory(m, pass, l, n.input); // before an evaluation pass overwrites its input in place
  layerNormForward(e, a(n.ln1), a(n.ln1Mean), a(n.ln1Rstd), a(n.input), w("ln1.weight"), w("ln1.bias"), N, C);
  linearForward(e, r(n.qkv), r(n.ln1), wr("attn.qkv.weight"), wr("attn.qkv.bias"));
  const rot = m.encoding.rotation(pass, l);
  qkvRopeForward(e, a(n.q), a(n.k), a(n.v), a(n.qkv), shape, rot?.rotation ?? null, rot?.positions ?? null);
  const withMemory = (pass.memory?.current.rows ?? 0) > 0;
  if (withMemory) memoryKeysValues(m, pass, l, n.k, n.v, n.kf, n.vf);
  const keys = withMemory ? [a(n.kf), a(n.vf)] as const : [a(n.k), a(n.v)] as const;
  const chunk = !pass.shape.training && m.encoding.denseAt(pass) ? Math.min(T, pass.shape.queryChunk) : T;
  for (let q0 = 0; q0 < T; q0 += chunk) {
    const q1 = Math.min(T, q0 + chunk);
    attendForward(m, pass, m.encoding.attention(pass, l, q0, q1), a(n.att), a(n.lse), [a(n.q), ...keys], q0, q1, l);
  }
  linearForward(e, r(n.attnOut), r(n.att), wr("attn.proj.weight"), wr("attn.proj.bias"));
  residualForward(e, a(n.res2), a(n.attnOut), a(n.input), N * C);
  if (!cfg.mlp) return; // attention-only block: res2 is its output
  layerNormForward(e, a(n.ln2), a(n.ln2Mean), a(n.ln2Rstd), a(n.res2), w("ln2.weight"), w("ln2.bias"), N, C);
  linearForward(e, r(n.fc), r(n.ln2), wr("mlp.fc.weight"), wr("mlp.fc.bias"));
  geluForward(e, a(n.fcAct), a(n.fc), N * 4 * C);
  linearForward(e, r(n.mlpOut), r(n.fcAct), wr("mlp.proj.weight"), wr("mlp.proj.bias"));
  residualForward(e, a(n.res3), a(n.mlpOut), a(n.res2), N * C);
}
