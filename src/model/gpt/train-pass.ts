/**
 * The training pass of the transformer as two flat call lists (style.md P6): `trainForward` in reading
 * order (embedding s·E[ids] + PE → per layer: ln1, qkv linear, qkv split/rotate, attention with the encoding's bias,
 * proj linear + residual, [ln2, fc linear, gelu, proj linear + residual: not with `mlp: false`] → ln_f → tied head → fused
 * softmax-cross-entropy) and `trainBackward`, the same list reversed, starting from "dloss = scale/count".
 *
 * The block's forward is block.ts's `blockForward` (shared with the evaluation pass) on this plan's
 * per-layer buffers (`layerBuffers`). Buffers: the training plan of acts.ts. Size legend: B, T, C, NH, HS, V, N = B·T (acts.ts).
 * Accumulate rule (engine.ts): parameter gradients `+=` (zeroed by the caller once per step);
 * activation gradients `=` except the residual stream `d.res`, which `+=` (zeroed here before use):
 * each layer norm's input gradient adds into it, and it flows unchanged through both residual adds.
 */
import { attentionBackward } from "../../engine/kernels/attention/attention.js";
import { copeBackward } from "../../engine/kernels/cope/cope.js";
import { relativeAttentionBackward } from "../../engine/kernels/attention/relative.js";
import { ExtraposError } from "../../pe/errors.js";
import { crossEntropySoftmaxBackward, crossEntropySoftmaxForward, type CrossEntropySums } from "../../engine/kernels/crossentropy/crossentropy.js";
import { geluBackward } from "../../engine/kernels/gelu/gelu.js";
import { layerNormBackward, layerNormForward } from "../../engine/kernels/layernorm/layernorm.js";
import { linearBackward, linearForward } from "../../engine/kernels/matmul/matmul.js";
import { qkvRopeBackward } from "../../engine/kernels/qkv-rope/qkv-rope.js";
import { embeddingScale, headDim, type ModelConfig } from "../config.js";
import { scaledEmbeddingBackward, scaledEmbeddingForward } from "../embedding.js";
import type { Pass } from "./encodings/types.js";
import { blockOutput } from "./acts.js";
import { blockForward, layerPattern, type BlockBuffers, type ModelParts } from "./block.js";
import { segmentKeyGradients } from "./segment-memory.js";

export { attendForward, layerPattern, type ModelParts } from "./block.js";

/** Embedding → layers → ln_f → logits → loss; returns the summed loss and the counted targets. */
export function trainForward(m: ModelParts, pass: Pass): CrossEntropySums {
  const { engine: e, cfg } = m, a = pass.acts, p = m.params;
  const { B, T } = pass.shape, N = B * T, C = cfg.dModel, V = cfg.vocabSize;
  m.encoding.prepare(pass);
  const emb = m.encoding.embedding(pass);
  // encoded = s·tok_emb[ids] + table[ids]; d.res (unused until the backward) is the scratch of s ≠ 1
  scaledEmbeddingForward(e, a.ptr("encoded"), a.ptr("d.res"), a.ptr("inputs"), emb?.ids ?? 0, p.ptr("tok_emb.weight"), emb?.table ?? 0, N, C, V, emb?.rows ?? 0, embeddingScale(cfg));
  for (let l = 0; l < cfg.nLayers; l++) blockForward(m, pass, l, layerBuffers(cfg, l));
  const last = blockOutput(cfg, cfg.nLayers - 1);
  layerNormForward(e, a.ptr("lnf"), a.ptr("lnf.mean"), a.ptr("lnf.rstd"), a.ptr(last), p.ptr("ln_f.weight"), p.ptr("ln_f.bias"), N, C);
  linearForward(e, a.ref("logits"), a.ref("lnf"), p.ref("tok_emb.weight"));
  return crossEntropySoftmaxForward(e, a.ptr("losses"), a.ptr("logits"), a.ptr("logits"), a.ptr("targets"), N, V);
}

/** The residual-stream input of layer l: the embeddings, or the previous layer's output. */
const layerInput = (cfg: ModelConfig, l: number): string => (l === 0 ? "encoded" : blockOutput(cfg, l - 1));

/** Block l's buffers in the training plan: every layer keeps its own activations for the backward. */
function layerBuffers(cfg: ModelConfig, l: number): BlockBuffers {
  const t = (s: string): string => `${l}.${s}`;
  return {
    input: layerInput(cfg, l), ln1: t("ln1"), ln1Mean: t("ln1.mean"), ln1Rstd: t("ln1.rstd"),
    qkv: t("qkv"), q: t("q"), k: t("k"), v: t("v"), att: t("att"), lse: t("lse"),
    attnOut: t("res2"), res2: t("res2"), ln2: t("ln2"), ln2Mean: t("ln2.mean"), ln2Rstd: t("ln2.rstd"),
    fc: t("fch"), fcAct: t("fch.gelu"), mlpOut: t("res3"), res3: t("res3"), kf: t("kf"), vf: t("vf"),
  };
}

/**
 * The forward list reversed. `dloss` = gradScale/count: the gradient of the (scaled) mean loss with
 * respect to each counted row's loss. Parameter gradients are added into `m.grads`.
 */
export function trainBackward(m: ModelParts, pass: Pass, dloss: number): void {
  const { engine: e, cfg } = m, a = pass.acts, p = m.params, g = m.grads;
  const { B, T } = pass.shape, N = B * T, C = cfg.dModel, V = cfg.vocabSize;
  crossEntropySoftmaxBackward(e, a.ptr("logits"), a.ptr("logits"), a.ptr("targets"), N, V, dloss);
  linearBackward(e, a.ref("d.ln"), g.ref("tok_emb.weight"), undefined, a.ref("logits"), a.ref("lnf"), p.ref("tok_emb.weight"));
  a.f32("d.res").fill(0);
  const last = blockOutput(cfg, cfg.nLayers - 1);
  layerNormBackward(e, a.ptr("d.res"), g.ptr("ln_f.weight"), g.ptr("ln_f.bias"), a.ptr("d.ln"), a.ptr(last), p.ptr("ln_f.weight"), a.ptr("lnf.mean"), a.ptr("lnf.rstd"), N, C);
  for (let l = cfg.nLayers - 1; l >= 0; l--) layerBackward(m, pass, l);
  m.encoding.finishBackward(pass);
  const emb = m.encoding.embedding(pass);
  const learned = emb !== null && emb.dTable !== 0;
  // dtok_emb += s·scatter(d.res) (on top of the tied head's gradient); d.res is consumed
  scaledEmbeddingBackward(e, g.ptr("tok_emb.weight"), learned ? emb.dTable : 0, a.ptr("d.res"), a.ptr("inputs"), learned ? emb.ids : 0, N, C, V, learned ? emb.rows : 0, embeddingScale(cfg));
}

function layerBackward(m: ModelParts, pass: Pass, l: number): void {
  const { engine: e, cfg } = m, acts = pass.acts;
  const { B, T } = pass.shape, N = B * T, C = cfg.dModel, shape = { B, T, NH: cfg.nHeads, HS: headDim(cfg) };
  const a = (s: string): number => acts.ptr(`${l}.${s}`), r = (s: string) => acts.ref(`${l}.${s}`);
  const d = (s: string): number => acts.ptr(`d.${s}`), dr = (s: string) => acts.ref(`d.${s}`);
  const w = (s: string): number => m.params.ptr(`blocks.${l}.${s}`), wr = (s: string) => m.params.ref(`blocks.${l}.${s}`);
  const gw = (s: string): number => m.grads.ptr(`blocks.${l}.${s}`), gr = (s: string) => m.grads.ref(`blocks.${l}.${s}`);
  if (cfg.mlp) {
    // MLP branch of res3 = res2 + proj(gelu(fc(ln2(res2)))); d.res holds d res3
    linearBackward(e, dr("fch.gelu"), gr("mlp.proj.weight"), gr("mlp.proj.bias"), dr("res"), r("fch.gelu"), wr("mlp.proj.weight"));
    geluBackward(e, d("fch"), d("fch.gelu"), a("fch"), N * 4 * C);
    linearBackward(e, dr("ln"), gr("mlp.fc.weight"), gr("mlp.fc.bias"), dr("fch"), r("ln2"), wr("mlp.fc.weight"));
    layerNormBackward(e, d("res"), gw("ln2.weight"), gw("ln2.bias"), d("ln"), a("res2"), w("ln2.weight"), a("ln2.mean"), a("ln2.rstd"), N, C);
  }
  // attention branch of res2 = x + proj(attention(qkv(ln1(x)))); d.res now holds d res2
  linearBackward(e, dr("att"), gr("attn.proj.weight"), gr("attn.proj.bias"), dr("res"), r("att"), wr("attn.proj.weight"));
  const mode = m.encoding.attention(pass, l, 0, T);
  const scratch = acts.ptr("attn.scratch");
  if (mode.kind === "relative") {
    if (mode.grads === null) throw new ExtraposError("internal", "relative attention backward without gradient buffers");
    const M = pass.memory?.current.rows ?? 0;
    if (M === 0) {
      relativeAttentionBackward(e, { dq: d("q"), dk: d("k"), dv: d("v"), ...mode.grads }, d("att"), a("att"), a("lse"), a("q"), a("k"), a("v"),
        { B, S: T, M, NH: shape.NH, HS: shape.HS }, mode.params);
    } else { // keys over [memory; segment]; the memory rows' gradients are dropped (stop-gradient)
      relativeAttentionBackward(e, { dq: d("q"), dk: d("kf"), dv: d("vf"), ...mode.grads }, d("att"), a("att"), a("lse"), a("q"), a("kf"), a("vf"),
        { B, S: T, M, NH: shape.NH, HS: shape.HS }, mode.params);
      segmentKeyGradients(m, pass, l, "d.k", "d.v");
    }
  } else if (mode.kind === "cope") {
    copeBackward(e, d("q"), d("k"), d("v"), mode.dEmb, d("att"), a("att"), a("lse"), a("q"), a("k"), a("v"), mode.emb, shape, { maxPos: mode.maxPos, scratch: mode.scratch });
  } else {
    attentionBackward(e, d("q"), d("k"), d("v"), mode.dSlab, d("att"), a("att"), a("lse"), a("q"), a("k"), a("v"), shape,
      { bias: mode.bias, positions: mode.positions, ...layerPattern(cfg, pass, l), scratch });
  }
  m.encoding.attentionBackward(pass, l);
  const rot = m.encoding.rotation(pass, l);
  qkvRopeBackward(e, d("qkv"), d("q"), d("k"), d("v"), shape, rot?.rotation ?? null, rot?.positions ?? null);
  linearBackward(e, dr("ln"), gr("attn.qkv.weight"), gr("attn.qkv.bias"), dr("qkv"), r("ln1"), wr("attn.qkv.weight"));
  layerNormBackward(e, d("res"), gw("ln1.weight"), gw("ln1.bias"), d("ln"), acts.ptr(layerInput(cfg, l)), w("ln1.weight"), a("ln1.mean"), a("ln1.rstd"), N, C);
}
