/**
 * The report's figures, one standalone SVG each (src/report/svg.ts: no fonts, scripts or network):
 * - perplexity.svg: perplexity vs evaluation length, log–log, one line per method (dashed: evaluated from
 *   another method's model), band = mean ± std over seeds, dotted line at the training length L;
 * - training-curves.svg: training and validation loss vs step (trained methods);
 * - loss-by-position.svg: mean loss at each position of the longest windows (binned), line at L;
 * - passkey.svg: passkey accuracy vs length;
 * - pe-<method>.svg: each encoding's heatmap and score/bias-vs-distance curve (built by the caller, e.g.
 *   from `extrapos pe plot`'s specs, and passed in as `EncodingFigureSpec`s).
 */
import { meanStd, type BenchResults, type MethodResult } from "./results.js";
import { heatmap, lineChart, PALETTE, svgDocument, type HeatmapSpec, type LineChartSpec, type Series } from "./svg.js";

export interface Figure {
  /** File name in the report folder, e.g. "perplexity.svg". */
  file: string;
  title: string;
  /** How to read it (one or two sentences, shown under the figure). */
  caption: string;
  svg: string;
}

/** An encoding's figure: what `extrapos pe plot` draws for it, and a note on what it shows. */
export interface EncodingFigureSpec {
  method: string;
  note: string;
  heatmap: HeatmapSpec;
  curve: LineChartSpec;
}

/** A method's colour, the same in every figure (its index in the plan). */
function colorOf(r: BenchResults, name: string): string {
  return PALETTE[Math.max(0, r.methods.findIndex((m) => m.name === name)) % PALETTE.length]!;
}

function shown(r: BenchResults): MethodResult[] {
  return r.methods.filter((m) => m.eval.length > 0);
}

function band(mean: number[], std: Array<number | null>): Series["band"] {
  if (std.every((s) => s === null)) return undefined;
  return { lo: mean.map((m, i) => m - (std[i] ?? NaN)), hi: mean.map((m, i) => m + (std[i] ?? NaN)) };
}

export function perplexityFigure(r: BenchResults): Figure {
  const series: Series[] = shown(r).map((m) => {
    const y = m.eval.map((p) => p.ppl);
    return { name: m.name, color: colorOf(r, m.name), x: m.eval.map((p) => p.length), y, band: band(y, m.eval.map((p) => p.ppl_std)), dashed: m.kind === "eval-variant", markers: true };
  });
  const spec: LineChartSpec = {
    title: `Perplexity vs evaluation length (trained at L = ${r.train_len})`, xLabel: "evaluation length (tokens, log scale)", yLabel: "perplexity (log scale)",
    xScale: "log", yScale: "log", series, vLines: [{ x: r.train_len, label: "L" }], width: 860, height: 440,
  };
  return {
    file: "perplexity.svg", title: "Perplexity vs evaluation length", svg: svgDocument([lineChart(spec)]),
    caption: "Lower is better. A method that extrapolates keeps a flat line right of L; one that does not rises steeply. Dashed lines re-evaluate the rope model with a scaling scheme.",
  };
}

/** Mean (and std band) over seeds of curves logged at the same steps; steps missing in a seed are skipped. */
function meanCurve(curves: Array<{ step: number[]; y: number[] }>): { x: number[]; y: number[]; std: Array<number | null> } {
  const bySteps = new Map<number, number[]>();
  for (const c of curves) c.step.forEach((s, i) => {
    const v = c.y[i]!;
    if (Number.isFinite(v)) bySteps.set(s, [...(bySteps.get(s) ?? []), v]);
  });
  const x = [...bySteps.keys()].sort((a, b) => a - b);
  const stats = x.map((s) => meanStd(bySteps.get(s)!));
  return { x, y: stats.map((s) => s.mean), std: stats.map((s) => s.std) };
}

export function trainingCurvesFigure(r: BenchResults): Figure {
  const trained = r.methods.filter((m) => m.kind === "trained" && m.seeds.some((s) => s.train));
  const panel = (which: "train_loss" | "valid_loss", title: string) => lineChart({
    title, xLabel: "step", yLabel: "loss (nats/token)", width: 860, height: 380,
    series: trained.map((m) => {
      const c = meanCurve(m.seeds.flatMap((s) => (s.train ? [{ step: s.train.curve.step, y: s.train.curve[which] }] : [])));
      return { name: m.name, color: colorOf(r, m.name), x: c.x, y: c.y, band: band(c.y, c.std), markers: which === "valid_loss" };
    }),
  });
  return {
    file: "training-curves.svg", title: "Training and validation loss", svg: svgDocument([panel("train_loss", "Training loss"), panel("valid_loss", "Validation loss (at L)")]),
    caption: "Loss at the training length while training. Methods should reach similar losses here; differences in the other figures then come from the positional encoding, not from a failed training.",
  };
}

/** Averages a per-position curve into at most `bins` bins; x = the bin's middle position. */
export function binCurve(loss: number[], bins: number): { x: number[]; y: number[] } {
  const w = Math.max(1, Math.ceil(loss.length / bins));
  const x: number[] = [], y: number[] = [];
  for (let a = 0; a < loss.length; a += w) {
    const part = loss.slice(a, a + w).filter(Number.isFinite);
    x.push(a + (Math.min(a + w, loss.length) - 1 - a) / 2);
    y.push(part.length ? part.reduce((s, v) => s + v, 0) / part.length : NaN);
  }
  return { x, y };
}

export function lossByPositionFigure(r: BenchResults): Figure | null {
  const series: Series[] = [];
  let length = 0;
  for (const m of shown(r)) {
    const curves = m.seeds.flatMap((s) => (s.loss_per_position ? [s.loss_per_position] : []));
    if (curves.length === 0) continue;
    length = Math.max(length, curves[0]!.length);
    const n = Math.min(...curves.map((c) => c.loss.length));
    const mean = Array.from({ length: n }, (_, i) => curves.reduce((a, c) => a + c.loss[i]!, 0) / curves.length);
    const b = binCurve(mean, 64); // 64 bins: each averages ≥ length/64 positions of every window (less noise)
    series.push({ name: m.name, color: colorOf(r, m.name), x: b.x, y: b.y, dashed: m.kind === "eval-variant" });
  }
  if (series.length === 0) return null;
  return {
    file: "loss-by-position.svg", title: `Loss by position within a ${length}-token window`,
    svg: svgDocument([lineChart({ title: `Loss vs position in windows of ${length} tokens (mean over windows and seeds, binned)`, xLabel: "position in the window", yLabel: "loss (nats/token)", series, vLines: [{ x: r.train_len, label: "L" }], width: 860, height: 440 })]),
    caption: "Where extrapolation breaks: left of L every model is in familiar territory; a curve that jumps right after L marks a method that fails beyond the training length, a flat or falling one a method that uses the longer context.",
  };
}

export function passkeyFigure(r: BenchResults): Figure | null {
  const series: Series[] = shown(r).filter((m) => m.eval.some((p) => p.passkey_acc !== null)).map((m) => {
    const y = m.eval.map((p) => p.passkey_acc ?? NaN);
    return { name: m.name, color: colorOf(r, m.name), x: m.eval.map((p) => p.length), y, band: band(y, m.eval.map((p) => p.passkey_acc_std)), dashed: m.kind === "eval-variant", markers: true };
  });
  if (series.length === 0) return null;
  return {
    file: "passkey.svg", title: "Passkey accuracy vs length",
    svg: svgDocument([lineChart({ title: "Passkey retrieval accuracy vs context length", xLabel: "context length (tokens, log scale)", yLabel: "accuracy", xScale: "log", yRange: [0, 1], series, vLines: [{ x: r.train_len, label: "L" }], width: 860, height: 400 })]),
    caption: "Fraction of trials where the model reproduces a 5-digit key hidden in filler text. Tiny models trained briefly on ordinary text may stay near 0 at every length: read this figure together with the perplexity one.",
  };
}

/** Heatmaps in the report are averaged down to at most this many cells per side (keeps index.html small). */
export const REPORT_HEATMAP_CELLS = 80;

export function encodingFigure(e: EncodingFigureSpec): Figure {
  const h = { ...e.heatmap, maxCells: Math.min(e.heatmap.maxCells ?? REPORT_HEATMAP_CELLS, REPORT_HEATMAP_CELLS) };
  return { file: `pe-${e.method}.svg`, title: e.method, caption: e.note, svg: svgDocument([heatmap(h), lineChart(e.curve)]) };
}

/** The result figures, in page order (missing data → the figure is left out). */
export function resultFigures(r: BenchResults): Figure[] {
  return [perplexityFigure(r), trainingCurvesFigure(r), lossByPositionFigure(r), passkeyFigure(r)].filter((f): f is Figure => f !== null);
}

/** Every figure of the report: results, then the encodings. */
export function allFigures(r: BenchResults, encodings: EncodingFigureSpec[]): { results: Figure[]; encodings: Figure[] } {
  return { results: resultFigures(r), encodings: encodings.map(encodingFigure) };
}
