/**
 * Activation tables of the transformer (style.md P5): every buffer a pass uses, as an ordered list
 * `{name, shape, dtype}` that `planArena` lays out once per shape. Nothing else is allocated per step.
 *
 * Size legend: B batch, T time, C = d_model, NH heads, HS = C/NH, V vocabulary, L layers, N = B·T.
 * Layouts: [B, T, C] row-major for the residual stream and every linear input/output; q, k, v
 * [B, NH, T, HS] (qkv-rope's output, attention's input); lse [B, NH, T] ([B, NH, m + T] with m rows of
 * Transformer-XL memory, whose buffers segment-memory.ts adds); logits [B, T, V].
 *
 * Training plan ("train"): every layer's activations are kept for the backward (`<l>.<name>`; without the
 * MLP buffers ln2, fch, fch.gelu, res3 and d.fch* for attention-only blocks, `mlp: false`), plus one
 * set of gradient buffers `d.<name>` reused by every layer (the backward consumes a layer before the
 * next). Evaluation plan ("eval", forward only): ONE set of per-layer buffers reused layer to layer, the
 * residual stream updated in place, and logits for `logitRows` rows at a time, so memory is O(N·C) +
 * O(logitRows·V), never O(L·N·C) or O(N·V) (a 16384-token window of the tiny model plans ≈ 120 MB).
 */
import { attentionScratchFloats } from "../../engine/kernels/attention/attention.js";
import type { TensorSpec } from "../../engine/memory/plan.js";
import { headDim, type ModelConfig } from "../config.js";
import type { PlanShape } from "./encodings/index.js";
import { memoryTensors } from "./segment-memory.js";

const f32 = (name: string, shape: number[]): TensorSpec => ({ name, shape, dtype: "f32" });
const i32 = (name: string, shape: number[]): TensorSpec => ({ name, shape, dtype: "i32" });

/** Rows of logits an evaluation computes at once: ~4 MiB of float32, at least 64 rows. */
export function logitRows(V: number, N: number): number {
  return Math.min(N, Math.max(64, Math.floor(2 ** 20 / V)));
}

/**
 * The training plan's name of block l's output (the next layer's input): `<l>.res3`, or `<l>.res2`
 * for an attention-only block (`mlp: false`, whose plan has no ln2, fch or res3).
 */
export function blockOutput(cfg: ModelConfig, l: number): string {
  return `${l}.${cfg.mlp ? "res3" : "res2"}`;
}

/** Buffers every pass has: token ids, targets, position ids; the per-layer head dilations when configured. */
function ioTable(cfg: ModelConfig, s: PlanShape): TensorSpec[] {
  const io = [i32("inputs", [s.B, s.T]), i32("targets", [s.B, s.T]), i32("pos.ids", [s.B, s.T])];
  return cfg.dilation === null ? io : [...io, i32("attn.dilation", [cfg.nLayers, cfg.nHeads])];
}

/** The training plan: per-layer activations, the loss, the gradient buffers, the attention scratch. */
export function trainingTable(cfg: ModelConfig, s: PlanShape, extra: readonly TensorSpec[]): TensorSpec[] {
  const { B, T } = s, C = cfg.dModel, NH = cfg.nHeads, HS = headDim(cfg), V = cfg.vocabSize;
  const t: TensorSpec[] = [...ioTable(cfg, s), f32("encoded", [B, T, C])];
  for (let l = 0; l < cfg.nLayers; l++) {
    t.push(
      f32(`${l}.ln1`, [B, T, C]), f32(`${l}.ln1.mean`, [B, T]), f32(`${l}.ln1.rstd`, [B, T]),
      f32(`${l}.qkv`, [B, T, 3 * C]), f32(`${l}.q`, [B, NH, T, HS]), f32(`${l}.k`, [B, NH, T, HS]), f32(`${l}.v`, [B, NH, T, HS]),
      f32(`${l}.att`, [B, T, C]), f32(`${l}.lse`, [B, NH, T + (s.memory ?? 0)]), f32(`${l}.res2`, [B, T, C]),
    );
    if (cfg.mlp) {
      t.push(
        f32(`${l}.ln2`, [B, T, C]), f32(`${l}.ln2.mean`, [B, T]), f32(`${l}.ln2.rstd`, [B, T]),
        f32(`${l}.fch`, [B, T, 4 * C]), f32(`${l}.fch.gelu`, [B, T, 4 * C]), f32(`${l}.res3`, [B, T, C]),
      );
    }
  }
  t.push(f32("lnf", [B, T, C]), f32("lnf.mean", [B, T]), f32("lnf.rstd", [B, T]), f32("logits", [B, T, V]), f32("losses", [B, T]));
  t.push(
    f32("d.res", [B, T, C]), f32("d.ln", [B, T, C]), f32("d.qkv", [B, T, 3 * C]),
    f32("d.q", [B, NH, T, HS]), f32("d.k", [B, NH, T, HS]), f32("d.v", [B, NH, T, HS]),
    f32("d.att", [B, T, C]),
  );
  if (cfg.mlp) t.push(f32("d.fch", [B, T, 4 * C]), f32("d.fch.gelu", [B, T, 4 * C]));
  const shape = { B, T, NH, HS };
  t.push(f32("attn.scratch", [Math.max(attentionScratchFloats("forward", shape), attentionScratchFloats("backward", shape))]));
  return [...t, ...memoryTensors(cfg, s), ...extra];
}

/** The forward-only plan: one set of layer buffers, the residual stream in place, chunked logits. */
export function evalTable(cfg: ModelConfig, s: PlanShape, extra: readonly TensorSpec[]): TensorSpec[] {
  const { B, T } = s, C = cfg.dModel, NH = cfg.nHeads, HS = headDim(cfg), V = cfg.vocabSize;
  const rows = logitRows(V, B * T);
  return [
    ...ioTable(cfg, s),
    f32("x", [B, T, C]), f32("ln", [B, T, C]), f32("mean", [B, T]), f32("rstd", [B, T]),
    f32("qkv", [B, T, 3 * C]), f32("q", [B, NH, T, HS]), f32("k", [B, NH, T, HS]), f32("v", [B, NH, T, HS]),
    f32("att", [B, T, C]), f32("lse", [B, NH, T + (s.memory ?? 0)]), ...(cfg.mlp ? [f32("fch", [B, T, 4 * C])] : []),
    f32("logits", [rows, V]), f32("losses", [rows]),
    f32("attn.scratch", [attentionScratchFloats("forward", { B, T, NH, HS })]),
    ...memoryTensors(cfg, s),
    ...extra,
  ];
}
