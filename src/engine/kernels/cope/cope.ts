/**
 * copeForward / copeBackward: causal multi-head attention with CoPE (Contextual Position Encoding,
 * Golovneva et al. 2024, arXiv 2405.18719, Appendix B; as lucidrains/x-transformers `CoPE`).
 *
 * Size legend: B batch, T time, NH heads, HS head size, C = NH·HS, P = maxPos.
 *
 * Math, per (b, h) and query i (keys j ≤ i):
 *   s_ij = scale·q_i·k_j                      (scale = 1/√HS; the gates use these SCALED logits, as
 *                                              x-transformers and the paper's code: σ of the logits
 *                                              after the 1/√d scaling and the causal mask)
 *   g_ij = σ(s_ij);  p_ij = min(Σ_{t=j..i} g_it, P − 1)   (masked keys t > i have gate 0)
 *   z_i[p] = q_i·e[p]                          (unscaled q, e the embedding table [P, HS] shared by heads)
 *   logit_ij = s_ij + z_i[⌊p_ij⌋]·(1 − w) + z_i[⌈p_ij⌉]·w,  w = p_ij − ⌊p_ij⌋
 *   out_i = softmax_j(logit_ij) · V
 * Where p is clamped (Σ g > P − 1) no gradient flows into the gates through p (as torch.clamp).
 *
 * Layouts: q, k, v, dq, dk, dv [B, NH, T, HS]; out, dout [B, T, C] (head h at channels h·HS…);
 * lse [B, NH, T] saved by the forward; emb [P, HS]; dEmb [B, NH, P, HS] one slab per (b, h), NOT
 * reduced: the caller sums over B and NH (in float64) into the embedding gradient.
 *
 * Algorithm: NOT blockwise. Each query row is processed on its own (the gates' reverse cumulative
 * sum runs over the whole row), with O(T + P) floats of scratch per (b, h), so memory is O(T·HS)
 * per (b, h) but work is O(T²·HS) scalar-heavy (gates and softmax use Mathf.exp per entry): it is
 * several times slower than `attention` and meant for the CoPE model at training lengths.
 * No window, no extra bias, no position ids.
 *
 * Accumulate rule: out, lse, dq, dk, dv and the dEmb slabs are written with `=`.
 * Parallel over B·NH (each (b, h) independent). Scratch: (4T + 2P) floats per (b, h),
 * `copeScratchFloats`; taken from the arena for the call unless `scratch` is given.
 */
import type { Engine } from "../../engine.js";
import { ExtraposError } from "../../../pe/errors.js";
import { COPE_BACKWARD, COPE_FORWARD } from "../names.js";
import { requireBuffer, requireInt, withScratch } from "../attention/checks.js";
import type { AttentionShape } from "../attention/attention.js";

export interface CopeOptions {
  /** Number of embedded positions P (x-transformers `cope_max_pos`, default there 16). */
  maxPos: number;
  /** Multiplier of q·k; default 1/√HS. */
  scale?: number;
  /** Pointer to copeScratchFloats(shape, maxPos) floats; default: taken from the arena for this call. */
  scratch?: number;
}

export function copeScratchFloats(shape: AttentionShape, maxPos: number): number {
  return shape.B * shape.NH * (4 * shape.T + 2 * maxPos);
}

/**
 * out [B, T, C], lse [B, NH, T] (`=`) ← q, k, v [B, NH, T, HS], emb [P, HS].
 * Example: `copeForward(engine, out, lse, q, k, v, emb, {B: 1, T: 64, NH: 4, HS: 32}, {maxPos: 16})`.
 */
export function copeForward(
  engine: Engine, out: number, lse: number, q: number, k: number, v: number, emb: number,
  shape: AttentionShape, options: CopeOptions,
): void {
  const op = "copeForward";
  const scale = checkArgs(engine, op, [["out", out], ["q", q], ["k", k], ["v", v]], lse, emb, shape, options);
  const { B, T, NH, HS } = shape;
  withScratch(engine, "cope", copeScratchFloats(shape, options.maxPos), options.scratch, (scratch) =>
    engine.parallelFor(COPE_FORWARD, B * NH, [out, lse, q, k, v, emb, scratch, T, NH, HS, options.maxPos, scale]));
  const l = engine.f32(lse, B * NH * T);
  for (let x = 0; x < l.length; x++) {
    if (!Number.isFinite(l[x]!)) throw new ExtraposError("non_finite", `${op}: non-finite logsumexp ${l[x]} at (b·NH+h = ${Math.floor(x / T)}, t = ${x % T}) for shape B=${B} T=${T} NH=${NH} HS=${HS}`, "q, k or the CoPE embeddings hold NaN or Inf");
  }
}

/**
 * dq, dk, dv [B, NH, T, HS] and (if dEmb ≠ 0) dEmb [B, NH, P, HS] (`=`) ← dout [B, T, C], out, lse,
 * q, k, v, emb (same arguments as the forward, gradients first).
 */
export function copeBackward(
  engine: Engine, dq: number, dk: number, dv: number, dEmb: number,
  dout: number, out: number, lse: number, q: number, k: number, v: number, emb: number,
  shape: AttentionShape, options: CopeOptions,
): void {
  const op = "copeBackward";
  const scale = checkArgs(engine, op, [["dout", dout], ["out", out], ["q", q], ["k", k], ["v", v], ["dq", dq], ["dk", dk], ["dv", dv]], lse, emb, shape, options);
  const { B, T, NH, HS } = shape;
  if (dEmb !== 0) requireBuffer(engine, op, "dEmb", dEmb, B * NH * options.maxPos * HS);
  withScratch(engine, "cope", copeScratchFloats(shape, options.maxPos), options.scratch, (scratch) =>
    engine.parallelFor(COPE_BACKWARD, B * NH, [dq, dk, dv, dEmb, dout, out, lse, q, k, v, emb, scratch, T, NH, HS, options.maxPos, scale]));
}

function checkArgs(
  engine: Engine, op: string, bufs: [string, number][], lse: number, emb: number, shape: AttentionShape, o: CopeOptions,
): number {
  const { B, T, NH, HS } = shape;
  for (const [n, x] of [["B", B], ["T", T], ["NH", NH], ["HS", HS]] as const) requireInt(op, n, x, 1);
  requireInt(op, "maxPos", o.maxPos, 1);
  for (const [n, p] of bufs) requireBuffer(engine, op, n, p, B * T * NH * HS);
  requireBuffer(engine, op, "lse", lse, B * NH * T);
  requireBuffer(engine, op, "emb", emb, o.maxPos * HS);
  const scale = o.scale ?? 1 / Math.sqrt(HS);
  if (!Number.isFinite(scale)) throw new ExtraposError("invalid_argument", `${op}: \`scale\` must be finite, got ${scale}`);
  return scale;
}

