/**
 * Defaults shared by the encoding adapters (an encoding overrides only the hook points it uses) and
 * small helpers: reading parameters as float64, adding float64 gradients into the float32 gradient
 * arena (`+=`, the parameter-gradient accumulate rule), writing float64 tables into float32 tensors.
 */
import { ExtraposError } from "../../../pe/errors.js";
import type { Arena } from "../../../engine/memory/plan.js";
import type { EvalOptions } from "../../lm.js";
import type { Encoding, EncodingEnv, Pass } from "./types.js";

/** An encoding with no hook: plain causal attention, no table, no parameters. */
export function baseEncoding(env: EncodingEnv): Encoding {
  return {
    planVariant: () => "",
    tensors: () => [],
    prepare: () => {},
    embedding: () => null,
    rotation: () => null,
    attention: () => ({ kind: "attention", bias: { kind: "none" }, positions: null, dSlab: 0 }),
    denseAt: () => false,
    attentionBackward: () => {},
    finishBackward: () => {},
    afterUpdate: () => {},
    hooks: () => ({}),
    cachePolicy: () => "keys-after-rotation",
    frequencyKey: () => "",
    checkEvalOptions: (o) => refuseRopeScaling(env, o),
  };
}

/** RoPE scaling applies to RoPE models only. */
export function refuseRopeScaling(env: EncodingEnv, o: EvalOptions): void {
  if (o.ropeScaling !== undefined && o.ropeScaling !== null) {
    throw new ExtraposError("invalid_argument", `\`ropeScaling\` applies to RoPE models only, this model's pe is "${env.cfg.pe.kind}"`,
      "evaluate without --rope-scaling, or use a model trained with pe rope");
  }
}

/** Parameter `name` as a fresh float64 array. */
export function paramF64(params: Arena, name: string): Float64Array {
  return Float64Array.from(params.f32(name));
}

/** grads[name] += values (float32 accumulation of a float64 gradient). */
export function addGrad(grads: Arena, name: string, values: ArrayLike<number>): void {
  const g = grads.f32(name);
  if (g.length !== values.length) throw new ExtraposError("internal", `gradient of \`${name}\` has ${values.length} values, the parameter ${g.length}`);
  for (let i = 0; i < g.length; i++) g[i]! += values[i]!;
}

/** Writes a float64 table into the float32 activation tensor `name` (rounding to nearest). */
export function writeTable(acts: Arena, name: string, values: ArrayLike<number>): void {
  const t = acts.f32(name);
  if (t.length !== values.length) throw new ExtraposError("internal", `table \`${name}\` has ${t.length} slots, got ${values.length} values`);
  t.set(values);
}

/**
 * Σ over the B per-batch slabs [B, X] (float64, in batch order: deterministic) → [X].
 * Example: `sumSlabs(acts.f32("pe.dslab"), B, NH * (D + 1))`.
 */
export function sumSlabs(slabs: Float32Array, B: number, X: number): Float64Array {
  const out = new Float64Array(X);
  for (let b = 0; b < B; b++) for (let x = 0; x < X; x++) out[x]! += slabs[b * X + x]!;
  return out;
}

/** A cache key of a pass: the plan (a new plan re-creates, and zeroes, the arena) plus what else a table depends on. */
export function passKey(pass: Pass, extra = ""): string {
  return `${pass.planId}:${extra}`;
}

/**
 * An absolute encoding that is a constant table added to the embeddings (no parameters): `table(span)`
 * gives rows 0…span−1 [span, d], computed in float64 once per plan and indexed by the position ids;
 * `row(pos, T)` is one row for the float64 reference/decoder hooks (T = the sequence length).
 */
export function constantTableEncoding(
  env: EncodingEnv, name: string, table: (span: number) => ArrayLike<number>, row: (pos: number, T: number) => ArrayLike<number>,
): Encoding {
  const d = env.cfg.dModel;
  let preparedKey = "";
  return {
    ...baseEncoding(env),
    tensors: (s) => [{ name, shape: [s.span, d], dtype: "f32" }],
    prepare(pass) {
      const key = passKey(pass);
      if (key === preparedKey) return;
      writeTable(pass.acts, name, table(pass.shape.span));
      preparedKey = key;
    },
    embedding: (pass) => ({ table: pass.acts.ptr(name), rows: pass.shape.span, ids: pass.posIdsPtr, dTable: 0 }),
    hooks: (_params, opts) => ({
      absolute: (pos, x) => {
        const r = row(pos, opts.T);
        for (let k = 0; k < d; k++) x[k]! += r[k]!;
      },
    }),
  };
}
