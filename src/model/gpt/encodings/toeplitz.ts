/**
 * The adapter shared by the additive-bias encodings (ALiBi, T5, KERPLE, FIRE, Sandwich, dynamic bias):
 * a per-head bias that depends on the distance n = pos_i − pos_j ≥ 0 only is a Toeplitz table
 * [NH, D+1] (D = span − 1, the largest distance of the pass, so the kernel never saturates); an
 * encoding that also depends on the query position (FIRE beyond its threshold L) gives a dense bias
 * [NH, q1 − q0, q1] per query chunk instead.
 *
 * Gradients: attentionBackward writes one slab per batch row ([B, NH, D+1] or [B, NH, T, T], `=`); the
 * adapter sums them over B in float64 and hands the sum to the encoding's backward (src/pe analytic
 * gradients), which adds into the parameter gradients (`+=`). Tables shared by all layers (T5,
 * dynamic bias) sum the per-layer sums first and run their backward once per step.
 *
 * Activation tensors: `<name>.table.<l>` (per layer) or `<name>.table` (shared) [NH, D+1];
 * `<name>.dslab` [B, NH, D+1] (training, learnable); dense: `<name>.dense` [NH, rows, T] and
 * `<name>.ddense` [B, NH, T, T] (training).
 */
import type { TensorSpec } from "../../../engine/memory/plan.js";
import type { Params } from "../../params.js";
import { baseEncoding, passKey, sumSlabs, writeTable } from "./base.js";
import type { AttentionMode, Encoding, EncodingEnv, Pass, PlanShape } from "./types.js";

/** Reads parameter `name` as float64 (from the engine arena, or from a Params map for the hooks). */
export type ParamReader = (name: string) => Float64Array;

export interface DenseSpec {
  /** True when, for some layer, a query position ≤ span − 1 makes the Toeplitz form inexact. */
  needed(read: ParamReader, span: number): boolean;
  /** True when `layer`'s bias at query position q is not a function of the distance alone. */
  neededAt(read: ParamReader, layer: number, q: number): boolean;
  /** Bias [NH, Tq, Tk] of `layer` for the given query and key positions. */
  forward(read: ParamReader, layer: number, q: Float64Array, k: Float64Array): Float64Array;
  /** Parameter gradients of `layer` from dBias [NH, Tq, Tk] (summed over the batch). */
  backward(read: ParamReader, layer: number, dBias: Float64Array, q: Float64Array, k: Float64Array): void;
}

export interface ToeplitzSpec {
  /** Prefix of the activation tensors, e.g. "alibi". */
  name: string;
  /** One table per layer (KERPLE, FIRE) or one shared by all layers (ALiBi, Sandwich, T5, dynamic bias). */
  perLayer: boolean;
  /** The table depends on parameters: recomputed at every forward, with gradients. */
  learnable: boolean;
  /** Table [NH, D+1]: entry (h, n) is the bias of head h at distance n (layer ignored when shared). */
  table(read: ParamReader, layer: number, D: number): Float64Array;
  /** Adds the parameter gradients from dTable [NH, D+1] (shared tables: summed over layers, layer −1). */
  backward?(read: ParamReader, layer: number, dTable: Float64Array, D: number): void;
  dense?: DenseSpec;
}

const arange = (n: number, from = 0): Float64Array => Float64Array.from({ length: n }, (_, i) => from + i);

export function toeplitzEncoding(env: EncodingEnv, spec: ToeplitzSpec): Encoding {
  const { cfg } = env;
  const NH = cfg.nHeads, L = cfg.nLayers;
  const read: ParamReader = (n) => Float64Array.from(env.params.f32(n));
  const tableName = (l: number): string => (spec.perLayer ? `${spec.name}.table.${l}` : `${spec.name}.table`);
  const isDense = (s: PlanShape): boolean => spec.dense !== undefined && spec.dense.needed(read, s.span);
  let preparedKey = "";
  let sharedDTable: Float64Array | null = null;

  const tensors = (s: PlanShape): TensorSpec[] => {
    const D = s.span - 1;
    if (isDense(s)) {
      const rows = s.training ? s.T : Math.min(s.T, s.queryChunk);
      const t: TensorSpec[] = [{ name: `${spec.name}.dense`, shape: [NH, rows, s.T], dtype: "f32" }];
      if (s.training) t.push({ name: `${spec.name}.ddense`, shape: [s.B, NH, s.T, s.T], dtype: "f32" });
      return t;
    }
    const t: TensorSpec[] = [];
    for (let l = 0; l < (spec.perLayer ? L : 1); l++) t.push({ name: tableName(l), shape: [NH, D + 1], dtype: "f32" });
    if (spec.learnable && s.training) t.push({ name: `${spec.name}.dslab`, shape: [s.B, NH, D + 1], dtype: "f32" });
    return t;
  };

  const denseMode = (pass: Pass, layer: number, q0: number, q1: number): AttentionMode => {
    const dense = spec.dense!;
    const bias = dense.forward(read, layer, arange(q1 - q0, q0), arange(q1));
    const ptr = pass.acts.ptr(`${spec.name}.dense`);
    env.engine.f32(ptr, bias.length).set(bias);
    const dSlab = pass.shape.training ? pass.acts.ptr(`${spec.name}.ddense`) : 0;
    return { kind: "attention", bias: { kind: "dense", bias: ptr }, positions: null, dSlab };
  };

  return {
    ...baseEncoding(env),
    planVariant: (s) => (isDense(s) ? "dense" : "toeplitz"),
    tensors,
    prepare(pass) {
      if (isDense(pass.shape)) return;
      const key = passKey(pass);
      if (!spec.learnable && key === preparedKey) return;
      const D = pass.shape.span - 1;
      for (let l = 0; l < (spec.perLayer ? L : 1); l++) writeTable(pass.acts, tableName(l), spec.table(read, l, D));
      preparedKey = key;
    },
    attention(pass, layer, q0, q1) {
      if (isDense(pass.shape)) return denseMode(pass, layer, q0, q1);
      const learn = spec.learnable && pass.shape.training;
      return {
        kind: "attention",
        bias: { kind: "toeplitz", table: pass.acts.ptr(tableName(layer)), maxDistance: pass.shape.span - 1 },
        positions: pass.explicitPositions ? { ptr: pass.posIdsPtr, perBatch: true } : null,
        dSlab: learn ? pass.acts.ptr(`${spec.name}.dslab`) : 0,
      };
    },
    denseAt: (pass) => isDense(pass.shape),
    attentionBackward(pass, layer) {
      if (!spec.learnable) return;
      const { B, T, span } = pass.shape;
      if (isDense(pass.shape)) {
        const dBias = sumSlabs(pass.acts.f32(`${spec.name}.ddense`), B, NH * T * T);
        spec.dense!.backward(read, layer, dBias, arange(T), arange(T));
        return;
      }
      const dTable = sumSlabs(pass.acts.f32(`${spec.name}.dslab`), B, NH * span);
      if (spec.perLayer) spec.backward!(read, layer, dTable, span - 1);
      else if (sharedDTable === null) sharedDTable = dTable;
      else for (let i = 0; i < dTable.length; i++) sharedDTable[i]! += dTable[i]!;
    },
    finishBackward(pass) {
      if (sharedDTable !== null) spec.backward!(read, -1, sharedDTable, pass.shape.span - 1);
      sharedDTable = null;
    },
    hooks: (params) => {
      const read = paramsReader(params);
      return {
        bias: toeplitzHook(spec, read),
        biasTable: (layer, D) => (spec.dense?.neededAt(read, layer, D) ? null : spec.table(read, spec.perLayer ? layer : 0, D)),
      };
    },
  };
}

/** The float64 bias hook of a Toeplitz spec: tables grown on demand, dense rows cached per (layer, query). */
function toeplitzHook(spec: ToeplitzSpec, read: ParamReader): (layer: number, head: number, qPos: number, kPos: number) => number {
  const tables = new Map<number, { D: number; t: Float64Array }>();
  let row: { layer: number; q: number; b: Float64Array } | null = null;
  return (layer, head, qPos, kPos) => {
    const n = qPos - kPos;
    if (spec.dense?.neededAt(read, layer, qPos)) {
      if (row === null || row.layer !== layer || row.q !== qPos) {
        row = { layer, q: qPos, b: spec.dense.forward(read, layer, Float64Array.of(qPos), arange(qPos + 1)) };
      }
      return row.b[head * (qPos + 1) + kPos]!;
    }
    const key = spec.perLayer ? layer : 0;
    let e = tables.get(key);
    if (e === undefined || n > e.D) {
      const D = Math.max(n, 2 * (e?.D ?? 0), 63);
      e = { D, t: spec.table(read, key, D) };
      tables.set(key, e);
    }
    return e.t[head * (e.D + 1) + n]!;
  };
}

/** Reader over a Params map (float32 → float64, memoised: hooks serve one fixed set of parameters). */
export function paramsReader(params: Params): ParamReader {
  const cache = new Map<string, Float64Array>();
  return (n) => {
    let v = cache.get(n);
    if (v === undefined) {
      v = Float64Array.from(params.get(n)!);
      cache.set(n, v);
    }
    return v;
  };
}
