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
import type { HeatmapSpec, Series } from "../report/svg.js";
import { parseArgs } from "./args.js";
import { PE_CLI_METHODS } from "./pe/methods.js";
import type { PlotRange } from "./pe/plot-spec.js";

/** `extrapos pe <name>` options for a bench method (the model's sizes), or null when it has no pe plot. */
function peArgs(plan: BenchPlan, method: BenchMethodName): { name: string; argv: string[]; note: string } | null {
  const H = String(plan.model.n_heads), d = String(plan.model.d_model), head = String(plan.model.d_model / plan.model.n_heads);
  const maxLen = String(plan.evalLens[plan.evalLens.length - 1]!);
  switch (method) {
    case "sinusoidal": return { name: "sinusoidal", argv: ["--positions", maxLen, "--dim", d], note: "The sinusoidal table over every evaluated position, and the similarity of the last position's encoding with earlier ones." };
    case "adaptive": return { name: "adaptive", argv: ["--positions", maxLen, "--dim", d], note: "The seed's adaptive encoding for a sequence of the longest evaluated length." };
    case "alibi": case "randomized-alibi": return { name: "alibi", argv: ["--heads", H], note: "ALiBi's fixed linear bias per head." };
    case "t5": return { name: "t5-bucket", argv: ["--causal", "--buckets", "32", "--max-distance", "128"], note: "T5's causal buckets (the bias value of each bucket and head is learned)." };
    case "kerple": return { name: "kerple", argv: ["--variant", "log", "--heads", H, "--seed", "0"], note: "KERPLE-log bias per head at initialisation (r1, r2 are learned)." };
    case "kerple-power": return { name: "kerple", argv: ["--variant", "power", "--heads", H, "--seed", "0"], note: "KERPLE-power bias per head at initialisation (a, p are learned)." };
    case "fire": return { name: "fire", argv: ["--heads", H, "--seed", "0", "--init-l", String(plan.trainLen)], note: "FIRE's MLP bias at initialisation, for the last query of the longest window." };
    case "sandwich": return { name: "sandwich", argv: ["--dim", head, "--heads", H], note: "Sandwich's fixed bias per head." };
    default: return null;
  }
}

/** Score heatmap query × key (causal; the upper triangle is left grey) from a score-by-distance curve. */
function toeplitz(title: string, score: Float64Array, n: number): HeatmapSpec {
  const values = new Float64Array(n * n).fill(NaN);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) values[i * n + j] = score[i - j]!;
  return { title, xLabel: "key position", yLabel: "query position", values, rows: n, cols: n };
}

/** xPos score for q = k = 1: Σ_i 2·cos(Δ·θ_i)·ζ_i^(Δ/scale_base) (the decay of q·k with distance). */
function xposScore(headDim: number, distances: number[]): Float64Array {
  const inv = defaultInvFreq(10000, headDim);
  const scale = xposScales(headDim, distances, 512);
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
  if (method === "xpos") {
    const s = xposScore(headDim, distances);
    return {
      method, note: "xPos: RoPE's q·k (q = k = 1) with its exponential decay ζ^(Δ/512).", heatmap: toeplitz("xPos: q·k by query and key position", s, n),
      curve: { title: "xPos: q·k vs relative distance", xLabel: "relative distance (log scale)", yLabel: "q·k", xScale: "log", series: [{ name: "xPos", x: distances, y: s }], vLines: [{ x: plan.trainLen, label: `L = ${plan.trainLen}` }] },
    };
  }
  const spec = benchMethod(method);
  const rope = curve(defaultInvFreq(10000, headDim));
  const series: Series[] = [{ name: "rope", x: distances, y: rope }];
  let note = "RoPE: q·k for q = k = 1 at distance Δ, Σ_i 2·cos(Δ·θ_i) (RoFormer's long-term decay); for random q = k this is the expected score.";
  if (spec.kind === "eval-variant") {
    const factor = maxLen / plan.trainLen;
    const scaling = spec.ropeType === "yarn" ? { type: "yarn" as const, factor, originalMaxPositionEmbeddings: plan.trainLen } : { type: spec.ropeType, factor };
    const f = computeRopeFrequencies(makeRopeParams({ headDim, maxPositionEmbeddings: plan.trainLen, scaling }), { seqLen: maxLen });
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
    if (["rope", "rope-yarn", "rope-linear", "rope-dynamic", "randomized-rope", "xpos"].includes(method)) {
      const f = ropeFamilyFigure(plan, method);
      if (f) out.push(f);
      continue;
    }
    const a = peArgs(plan, method);
    const m = a ? PE_CLI_METHODS[a.name] : undefined;
    if (!a || !m?.plot) continue;
    const spec = m.plot(parseArgs(a.argv, m.options), range);
    out.push({ method, note: a.note, heatmap: spec.heatmap, curve: { ...spec.curve, vLines: [{ x: plan.trainLen, label: `L = ${plan.trainLen}` }] } });
  }
  return out;
}
