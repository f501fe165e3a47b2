/**
 * Each bench method's encoding figure for the report: the same heatmap and curve `extrapos pe plot` draws
 * (built by the `extrapos pe` method table, with the bench's sizes as its options), and for the RoPE
 * family, the q·k score vs distance from `ropeScoreCurve` (src/pe/rope/score.ts), with the evaluation-time
 * scaling of rope-yarn / rope-linear at the longest length overlaid. Learnable encodings are shown at
 * their initialisation. Methods without a fixed encoding (learned, nope, lstm) have no figure.
 */
import { computeRopeFrequencies, defaultInvFreq, makeRopeParams, ropeScoreCurve } from "../pe/rope/index.js";
import { xposScales } from "../pe/xpos.js";
import type { EncodingFigureSpec } from "../report/figures.js";
import type { BenchPlan } from "../report/plan.js";
import { benchMethod, type BenchMethodName } from "../report/presets.js";
import { modelJsonFor, trainedMethodOf } from "../report/plan.js";
import { headDim, parseModelConfig, type ModelConfig } from "../model/config.js";
import { ENCODINGS, type EncodingName, type PeConfigOf } from "../pe/encodings.js";
import type { HeatmapSpec, Series } from "../report/svg.js";
import { parseArgs } from "./args.js";
import { peCliMethod } from "./pe/methods.js";
import type { PlotRange } from "./pe/plot-spec.js";

type Figure = (pe: never, c: ModelConfig, plan: BenchPlan) => { argv: string[]; note: string };

/**
 * `extrapos pe <encoding>` options that draw an encoding as the bench's model of it uses it (its resolved
 * config: the model's sizes and the encoding's parameters), by canonical name. Encodings without a fixed
 * picture (learned, nope, dynamic-bias, cope: nothing to draw before training) are absent; the rotary family
 * is drawn by `ropeFamilyFigure`.
 */
const PE_FIGURES = {
  sinusoidal: (_pe: PeConfigOf<"sinusoidal">, c, plan) => ({ argv: ["--positions", String(maxEvalLen(plan)), "--dim", String(c.dModel)], note: "The sinusoidal table over every evaluated position, and the similarity of the last position's encoding with earlier ones." }),
  adaptive: (_pe: PeConfigOf<"adaptive">, c, plan) => ({ argv: ["--positions", String(maxEvalLen(plan)), "--dim", String(c.dModel)], note: "The seed's adaptive encoding for a sequence of the longest evaluated length." }),
  alibi: (_pe: PeConfigOf<"alibi">, c) => ({ argv: ["--heads", String(c.nHeads)], note: "ALiBi's fixed linear bias per head." }),
  t5: (pe: PeConfigOf<"t5">) => ({ argv: ["--causal", "--buckets", String(pe.numBuckets), "--max-distance", String(pe.maxDistance)], note: "T5's causal buckets (the bias value of each bucket and head is learned)." }),
  kerple: (pe: PeConfigOf<"kerple">, c) => ({ argv: ["--kernel", pe.kernel, "--heads", String(c.nHeads), "--seed", "0"], note: `KERPLE-${pe.kernel} bias per head at initialisation (${pe.kernel === "log" ? "r1, r2" : "a, p"} are learned).` }),
  fire: (pe: PeConfigOf<"fire">, c) => ({ argv: ["--heads", String(c.nHeads), "--seed", "0", "--width", String(pe.hidden), "--c", String(pe.initC), "--init-l", String(pe.initL)], note: "FIRE's MLP bias at initialisation, for the last query of the longest window." }),
  sandwich: (_pe: PeConfigOf<"sandwich">, c) => ({ argv: ["--dim", String(headDim(c)), "--heads", String(c.nHeads)], note: "Sandwich's fixed bias per head." }),
} satisfies Partial<Record<EncodingName, (pe: never, c: ModelConfig, plan: BenchPlan) => { argv: string[]; note: string }>>;

function maxEvalLen(plan: BenchPlan): number {
  return plan.evalLens[plan.evalLens.length - 1]!;
}

/** The resolved model config of a trained bench method. */
function methodConfig(plan: BenchPlan, method: BenchMethodName): ModelConfig {
  return parseModelConfig(modelJsonFor(plan, trainedMethodOf(method)));
}

/** `extrapos pe <name>` options for a bench method (from its model's config), or null when it has no pe plot. */
function peArgs(plan: BenchPlan, method: BenchMethodName): { name: string; argv: string[]; note: string } | null {
  const c = methodConfig(plan, method);
  if (c.model !== "transformer") return null;
  const figure = (PE_FIGURES as Partial<Record<EncodingName, Figure>>)[c.pe.kind];
  return figure ? { name: c.pe.kind, ...figure(c.pe as never, c, plan) } : null;
}

/** Score heatmap query × key (causal; the upper triangle is left grey) from a score-by-distance curve. */
function toeplitz(title: string, score: Float64Array, n: number): HeatmapSpec {
  const values = new Float64Array(n * n).fill(NaN);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) values[i * n + j] = score[i - j]!;
  return { title, xLabel: "key position", yLabel: "query position", values, rows: n, cols: n };
}

/** xPos score for q = k = 1: Σ_i 2·cos(Δ·θ_i)·ζ_i^(Δ/scale_base) (the decay of q·k with distance). */
function xposScore(headDim: number, distances: number[], theta: number, scaleBase: number): Float64Array {
  const inv = defaultInvFreq(theta, headDim);
  const scale = xposScales(headDim, distances, scaleBase);
  const k = headDim / 2;
  return Float64Array.from(distances, (dist, r) => {
    let s = 0;
    for (let i = 0; i < k; i++) s += 2 * Math.cos(dist * inv[i]!) * scale[r * k + i]!;
    return s;
  });
}

function ropeFamilyFigure(plan: BenchPlan, method: BenchMethodName): EncodingFigureSpec | null {
  const headDim = plan.model.d_model / plan.model.n_heads;
  const maxLen = plan.evalLens[plan.evalLens.length - 1]!;
  const distances = Array.from({ length: maxLen }, (_, k) => k);
  const curve = (invFreq: ArrayLike<number>, attentionFactor = 1) => ropeScoreCurve({ invFreq, attentionFactor, headDim, layout: "half", distances, vectors: { kind: "constant" } });
  const n = Math.min(maxLen, 4 * plan.trainLen);
  const c = methodConfig(plan, method);
  if (c.pe.kind === "xpos") {
    const s = xposScore(headDim, distances, c.pe.theta, c.pe.scaleBase);
    return {
      method, note: `xPos: RoPE's q·k (q = k = 1) with its exponential decay ζ^(Δ/${c.pe.scaleBase}).`, heatmap: toeplitz("xPos: q·k by query and key position", s, n),
      curve: { title: "xPos: q·k vs relative distance", xLabel: "relative distance (log scale)", yLabel: "q·k", xScale: "log", series: [{ name: "xPos", x: distances, y: s }], vLines: [{ x: plan.trainLen, label: `L = ${plan.trainLen}` }] },
    };
  }
  if (c.pe.kind !== "rope") return null;
  const theta = c.pe.theta;
  const spec = benchMethod(method);
  const rope = curve(defaultInvFreq(theta, headDim));
  const series: Series[] = [{ name: "rope", x: distances, y: rope }];
  let note = "RoPE: q·k for q = k = 1 at distance Δ, Σ_i 2·cos(Δ·θ_i) (RoFormer's long-term decay); for random q = k this is the expected score.";
  if (spec.kind === "eval-variant" && spec.ropeType !== undefined) {
    const factor = maxLen / plan.trainLen;
    const scaling = spec.ropeType === "yarn" ? { type: "yarn" as const, factor, originalMaxPositionEmbeddings: plan.trainLen } : { type: spec.ropeType, factor };
    const f = computeRopeFrequencies(makeRopeParams({ theta, headDim, maxPositionEmbeddings: plan.trainLen, scaling }), { seqLen: maxLen });
    series.push({ name: `${spec.ropeType} ×${+factor.toFixed(2)}`, x: distances, y: curve(f.invFreq, f.attentionFactor) });
    note = `RoPE's q·k vs distance without scaling and with ${spec.ropeType} scaling at factor ${+factor.toFixed(2)} (the setting used at the longest evaluation length).`;
  } else if (method === "randomized-rope") {
    note = "Same rotation as rope; at training, position ids are a random sorted subset of [0, longest evaluation length).";
  }
  const last = series.at(-1)!;
  return {
    method, note, heatmap: toeplitz(`${method}: q·k by query and key position`, Float64Array.from(last.y as ArrayLike<number>), n),
    curve: { title: `${method}: q·k vs relative distance`, xLabel: "relative distance (log scale)", yLabel: "q·k", xScale: "log", series, vLines: [{ x: plan.trainLen, label: `L = ${plan.trainLen}` }] },
  };
}

/** The encoding figures of a plan's methods (in plan order; methods without one are skipped). */
export function benchEncodingFigures(plan: BenchPlan): EncodingFigureSpec[] {
  const out: EncodingFigureSpec[] = [];
  const range: PlotRange = { maxDistance: plan.evalLens[plan.evalLens.length - 1]!, logX: true };
  for (const method of plan.methods) {
    const c = methodConfig(plan, method);
    if (c.model === "transformer" && ENCODINGS[c.pe.kind].family === "rotary") {
      const f = ropeFamilyFigure(plan, method);
      if (f) out.push(f);
      continue;
    }
    const a = peArgs(plan, method);
    const m = a ? peCliMethod(a.name) : undefined;
    if (!a || !m?.plot) continue;
    const spec = m.plot(parseArgs(a.argv, m.options), range);
    out.push({ method, note: a.note, heatmap: spec.heatmap, curve: { ...spec.curve, vLines: [{ x: plan.trainLen, label: `L = ${plan.trainLen}` }] } });
  }
  return out;
}
