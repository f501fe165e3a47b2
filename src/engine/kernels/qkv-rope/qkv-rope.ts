/**
 * qkvRopeForward / qkvRopeBackward: fused qkv activations → per-head q, k, v, with an optional
 * rotation of q and k (RoPE and everything expressible as a per-position 2×2 rotation-and-scale).
 *
 * Size legend: B batch, T time, NH heads, HS head size, C = NH·HS, R = rotaryDim (even, 0 ≤ R ≤ HS),
 * P = rows of the cos/sin tables.
 *
 * Layouts:
 * - qkv [B, T, 3C]: each row holds q (C), then k (C), then v (C); inside each, heads are contiguous
 *   (head h = channels h·HS … h·HS+HS−1). This is the output of the fused qkv linear of
 *   shared/peers/torch_gpt.py (`view(B, T, 3, NH, HS)`).
 * - q, k, v [B, NH, T, HS] (what `attention` reads).
 * - cos/sin tables [P, R/2], float32, ONE value per rotated pair (not HF's duplicated
 *   `cat(freqs, freqs)` [P, R] layout: take its first R/2 columns). Entry (p, i) rotates pair i at
 *   position p. Pair i is (x[i], x[i + R/2]) for layout "half" (HF / GPT-NeoX) and (x[2i], x[2i+1])
 *   for "interleaved" (GPT-J / Meta); the rotation is (x1, x2) → (x1·c − x2·s, x1·s + x2·c).
 *   Channels R … HS−1 pass through unrotated (partial rotary).
 * - Separate tables for q and k: xPos passes cos·ζ^(n/scaleBase) and sin·ζ^(n/scaleBase) for q and the
 *   ζ^(−n/scaleBase) versions for k; YaRN folds its attention factor into both tables. Nothing in the
 *   kernel knows about either. Pass the same pointers for q and k for plain RoPE.
 * - Position ids (optional, randomized positions): table row of (b, t) is ids[b, t] (or ids[t] when
 *   shared by the batch); default t.
 *
 * Backward: dqkv = transpose rotation of dq and dk (dx1 = c·dy1 + s·dy2, dx2 = −s·dy1 + c·dy2, exact
 * also for scaled tables), dv copied. Accumulate rule: q, k, v and dqkv are written with `=`.
 * Nothing is saved for backward beyond the tables and position ids. Parallel over the B·T rows.
 *
 * With `rotation: null` the op is just the split/permute (NoPE, absolute and bias encodings).
 */
import { workGrain } from "../../engine.js";
import type { Engine } from "../../engine.js";
import { ExtraposError } from "../../../pe/errors.js";
import { QKV_ROPE_BACKWARD, QKV_ROPE_FORWARD, type QkvRopeRotationArgs } from "../names.js";
import { checkPositionIds, requireBuffer, requireInt, type PositionIds } from "../attention/checks.js";

export type RopeLayout = "half" | "interleaved";

/** Sizes of a qkv-rope call. */
export interface QkvShape {
  B: number;
  T: number;
  NH: number;
  HS: number;
}

/** The rotation applied to q and k (pointers to float32 tables [tableRows, rotaryDim/2]). */
export interface QkvRotation {
  layout: RopeLayout;
  /** Number of leading channels of each head that rotate (even, ≤ HS); typical: HS. */
  rotaryDim: number;
  /** Rows P of each table; every position used must be < P. */
  tableRows: number;
  cosQ: number;
  sinQ: number;
  cosK: number;
  sinK: number;
}

/**
 * q, k, v [B, NH, T, HS] (`=`) ← qkv [B, T, 3C], rotating q and k by `rotation` at `positions`.
 * Example: `qkvRopeForward(engine, q, k, v, qkv, {B: 2, T: 16, NH: 4, HS: 8}, null)` (split only).
 */
export function qkvRopeForward(
  engine: Engine, q: number, k: number, v: number, qkv: number,
  shape: QkvShape, rotation: QkvRotation | null, positions: PositionIds | null = null,
): void {
  const a = checkArgs(engine, "qkvRopeForward", [["q", q], ["k", k], ["v", v]], ["qkv", qkv], shape, rotation, positions);
  engine.parallelFor(QKV_ROPE_FORWARD, shape.B * shape.T, [q, k, v, qkv, ...a], workGrain(engine, 6 * shape.NH * shape.HS));
}

/**
 * dqkv [B, T, 3C] (`=`) ← dq, dk, dv [B, NH, T, HS] through the transpose of the forward rotation.
 * Same arguments as the forward, gradients in place of activations.
 */
export function qkvRopeBackward(
  engine: Engine, dqkv: number, dq: number, dk: number, dv: number,
  shape: QkvShape, rotation: QkvRotation | null, positions: PositionIds | null = null,
): void {
  const a = checkArgs(engine, "qkvRopeBackward", [["dq", dq], ["dk", dk], ["dv", dv]], ["dqkv", dqkv], shape, rotation, positions);
  engine.parallelFor(QKV_ROPE_BACKWARD, shape.B * shape.T, [dqkv, dq, dk, dv, ...a], workGrain(engine, 6 * shape.NH * shape.HS));
}

/** Validates everything; returns the kernel arguments after the four leading buffer pointers. */
function checkArgs(
  engine: Engine, op: string, heads: [string, number][], fused: [string, number],
  shape: QkvShape, rotation: QkvRotation | null, positions: PositionIds | null,
): QkvRopeRotationArgs {
  const { B, T, NH, HS } = shape;
  for (const [n, x] of [["B", B], ["T", T], ["NH", NH], ["HS", HS]] as const) requireInt(op, n, x, 1);
  const C = NH * HS;
  for (const [n, p] of heads) requireBuffer(engine, op, n, p, B * T * C);
  requireBuffer(engine, op, fused[0], fused[1], B * T * 3 * C);
  if (rotation === null) {
    if (positions !== null) throw new ExtraposError("invalid_argument", `${op}: \`positions\` given without a rotation`);
    return [0, 0, 0, 0, 0, 0, T, NH, HS, 0, 0];
  }
  const { layout, rotaryDim: R, tableRows: P } = rotation;
  if (layout !== "half" && layout !== "interleaved") {
    throw new ExtraposError("invalid_argument", `${op}: \`rotation.layout\` must be "half" or "interleaved", got ${JSON.stringify(layout)}`);
  }
  requireInt(op, "rotation.rotaryDim", R, 0, HS);
  if (R % 2 !== 0) throw new ExtraposError("invalid_argument", `${op}: \`rotation.rotaryDim\` must be even, got ${R}`);
  requireInt(op, "rotation.tableRows", P, 1);
  for (const n of ["cosQ", "sinQ", "cosK", "sinK"] as const) requireBuffer(engine, op, `rotation.${n}`, rotation[n], (P * R) / 2);
  let stride = 0;
  if (positions !== null) stride = checkPositionIds(engine, op, positions, B, T, P);
  else if (T > P) {
    throw new ExtraposError("shape_mismatch", `${op}: the cos/sin tables have ${P} rows but T = ${T} positions are used`);
  }
  return [rotation.cosQ, rotation.sinQ, rotation.cosK, rotation.sinK, positions?.ptr ?? 0, stride,
    T, NH, HS, R, layout === "interleaved" ? 1 : 0];
}
