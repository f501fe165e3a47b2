/**
 * The report's figures, one standalone SVG each (src/report/svg.ts: no fonts, scripts or network):
 * - perplexity.svg: perplexity vs evaluation length, log–log, one line per method (colour by family, dash and
 *   marker by rank in the family: `styleFor`), band = mean ± std over seeds, dashed line at the training length L;
 * - training-curves.svg: training and validation loss vs step (trained methods; sparse markers);
 * - loss-by-position.svg: mean loss per log-spaced bucket of positions of the longest windows, line at L;
 * - passkey.svg: passkey accuracy vs length;
 * - pe-<method>.svg: each encoding's heatmap and score/bias-vs-distance curve (built by the caller, e.g.
 *   from `extrapos pe plot`'s specs, and passed in as `EncodingFigureSpec`s).
 */
import { canonicalEncodingName, encodingSpec } from "../pe/encodings.js";
import type { EncodingFamily } from "../pe/spec.js";
import { BENCH_METHODS, isBenchMethod, type BenchMethod } from "./presets.js";
import { meanStd, type BenchResults, type MethodResult } from "./results.js";
import { heatmap, lineChart, svgDocument, type HeatmapSpec, type LineChartSpec, type Series } from "./svg.js";

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

/** Encoding families, the legend's groups: each has its own hue range, and its members differ by dash and marker. */
export const FAMILIES = ["absolute", "rotary", "bias", "other"] as const;
export type Family = (typeof FAMILIES)[number];

/** The legend group of each encoding family of the registry (src/pe/spec.ts `FAMILIES`). */
export const FIGURE_FAMILY: Record<EncodingFamily, Family> = { none: "other", absolute: "absolute", rotary: "rotary", bias: "bias", contextual: "other" };

/** Any context: only the encoding a method trains is read from its model config, and it does not depend on the lengths. */
const ANY_CONTEXT = { trainLen: 64, maxEvalLen: 2048, nLayers: 2, nHeads: 4 };

/**
 * The family of a bench method, from the encoding registry: a trained method's model config names its encoding
 * (`pe.kind`), whose spec declares the family; an eval-variant is in its base's family. "other": unknown names, the
 * LSTM, and methods whose attention pattern (a window, global tokens, dilation) rather than their encoding governs
 * how they extrapolate (window-sinks, longformer, adaptive-window).
 */
export function familyOf(name: string): Family {
  if (!isBenchMethod(name)) return "other";
  const m = BENCH_METHODS[name] as BenchMethod;
  if (m.kind === "eval-variant") return familyOf(m.base);
  const cfg = m.model(ANY_CONTEXT);
  if ((cfg.model ?? "transformer") !== "transformer" || ["window", "global_tokens", "dilation"].some((k) => cfg[k] !== undefined && cfg[k] !== null)) return "other";
  const pe = cfg.pe as { kind?: unknown } | string | undefined;
  const kind = canonicalEncodingName(typeof pe === "string" ? pe : pe?.kind);
  return kind === undefined ? "other" : FIGURE_FAMILY[encodingSpec(kind).family];
}

/** Per family: colours (dark to light, all distinguishable on white) — blues, reds, greens, greys/browns. */
const FAMILY_COLOURS: Record<Family, string[]> = {
  absolute: ["#08519c", "#3182bd", "#6baed6", "#6a51a3", "#9e9ac8"],
  rotary: ["#a50f15", "#e6550d", "#c51b8a", "#fb6a4a", "#7f2704", "#f768a1"],
  bias: ["#006d2c", "#31a354", "#00897b", "#74c476", "#41ab5d", "#004d40", "#66bb6a", "#2e7d32"],
  other: ["#333333", "#8c6d31", "#7f7f7f", "#bd9e39", "#636363", "#a0522d", "#b0b0b0"],
};
const DASHES = [undefined, "7 3", "2 3", "9 3 2 3", "4 2", "12 4"];
const MARKERS = ["circle", "square", "triangle", "diamond", "down", "cross"] as const;

/** A method's line style, the same in every figure: family hue, then dash and marker by its rank in the family among `names`. */
export function styleFor(names: readonly string[], name: string): Pick<Series, "name" | "color" | "dash" | "marker" | "group"> {
  const fam = familyOf(name);
  const k = Math.max(0, names.filter((x) => familyOf(x) === fam).indexOf(name));
  const colours = FAMILY_COLOURS[fam];
  const dash = DASHES[k % DASHES.length];
  return { name, color: colours[k % colours.length]!, marker: MARKERS[k % MARKERS.length]!, group: fam, ...(dash ? { dash } : {}) };
}

/** `styleFor` over a bench's methods. */
export function styleOf(r: BenchResults, m: MethodResult): Pick<Series, "name" | "color" | "dash" | "marker" | "group"> {
  return styleFor(r.methods.map((x) => x.name), m.name);
}

/** Methods in legend order: grouped by family (absolute, rotary, bias, other), plan order inside a family. */
function byFamily(ms: MethodResult[]): MethodResult[] {
  return FAMILIES.flatMap((f) => ms.filter((m) => familyOf(m.name) === f));
}

function shown(r: BenchResults): MethodResult[] {
  return byFamily(r.methods.filter((m) => m.eval.length > 0));
}

function band(mean: number[], std: Array<number | null>): Series["band"] {
  if (std.every((s) => s === null)) return undefined;
  return { lo: mean.map((m, i) => m - (std[i] ?? NaN)), hi: mean.map((m, i) => m + (std[i] ?? NaN)) };
}

/** Chart width in px: the report shows figures at this size (body 1240 px at 1280 px windows), so font sizes are what readers see. */
export const FIGURE_WIDTH = 1160;

export function perplexityFigure(r: BenchResults): Figure {
  const series: Series[] = shown(r).map((m) => {
    const y = m.eval.map((p) => p.ppl);
    return { ...styleOf(r, m), x: m.eval.map((p) => p.length), y, band: band(y, m.eval.map((p) => p.ppl_std)), markers: true };
  });
  const spec: LineChartSpec = {
    title: `Perplexity vs evaluation length (trained at L = ${r.train_len})`, xLabel: "evaluation length (tokens, log scale)", yLabel: "perplexity (log scale)",
    xScale: "log", yScale: "log", series, vLines: [{ x: r.train_len, label: `L = ${r.train_len}` }], xTicks: r.eval_lens, width: FIGURE_WIDTH, height: 560,
  };
  return {
    file: "perplexity.svg", title: "Perplexity vs evaluation length", svg: svgDocument([lineChart(spec)]),
    caption: `Lower is better. Right of the dashed line (shaded) the models read sequences longer than they were trained on: a method that extrapolates stays flat there, one that does not rises. Colours group the families (blue: absolute, red: rotary, green: relative bias, grey: other), dashes and markers tell the members of a family apart; rope-yarn and rope-linear re-evaluate the rope model with a scaling scheme.${r.seeds.length > 1 ? ` Bands: ± one standard deviation over ${r.seeds.length} seeds.` : ""}`,
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
  const trained = byFamily(r.methods.filter((m) => m.kind === "trained" && m.seeds.some((s) => s.train)));
  const panel = (which: "train_loss" | "valid_loss", title: string) => lineChart({
    title, xLabel: "step", yLabel: "loss (nats/token)", width: FIGURE_WIDTH, height: 420,
    series: trained.map((m) => {
      const c = meanCurve(m.seeds.flatMap((s) => (s.train ? [{ step: s.train.curve.step, y: s.train.curve[which] }] : [])));
      // markers at most every 60 px: the training curve has a point per logged step, the validation curve fewer
      return { ...styleOf(r, m), x: c.x, y: c.y, band: band(c.y, c.std), markers: true, markerGap: 60 };
    }),
  });
  return {
    file: "training-curves.svg", title: "Training and validation loss", svg: svgDocument([panel("train_loss", "Training loss"), panel("valid_loss", "Validation loss (at L)")]),
    caption: "Loss at the training length while training. Methods should reach similar losses here; differences in the other figures then come from the positional encoding, not from a failed training.",
  };
}

/**
 * Mean of a per-position curve over log-spaced buckets of positions: bucket edges at anchor · 2^(k/perOctave)
 * (rounded, integer k), skipping an edge that would leave a bucket narrower than `minWidth` positions, but always
 * keeping the anchor: with the training length as anchor no bucket mixes positions inside and beyond it.
 * Per bucket: x = its mean 1-based position, y = the mean of its finite values, [from, to] = its 1-based positions.
 * Example: `logBuckets(loss, 64, 2, 8)` on 2048 positions → 1–8, 9–16, 17–32, 33–45, 46–64, 65–91, …, 1449–2048.
 */
export function logBuckets(loss: readonly number[], anchor: number, perOctave: number, minWidth = 1): { x: number[]; y: number[]; from: number[]; to: number[] } {
  const len = loss.length, es = [0];
  for (let k = Math.floor(-perOctave * Math.log2(anchor)) - 1; ; k++) {
    const e = Math.round(anchor * 2 ** (k / perOctave));
    if (e >= len) break;
    if (e - es.at(-1)! >= minWidth || e === anchor) es.push(e);
  }
  if (len - es.at(-1)! < minWidth && es.length > 1 && es.at(-1) !== anchor) es.pop();
  es.push(len);
  const x: number[] = [], y: number[] = [], from: number[] = [], to: number[] = [];
  for (let i = 0; i + 1 < es.length; i++) {
    const a = es[i]!, b = es[i + 1]!, part = loss.slice(a, b).filter(Number.isFinite);
    x.push((a + 1 + b) / 2);
    y.push(part.length ? part.reduce((s, v) => s + v, 0) / part.length : NaN);
    from.push(a + 1);
    to.push(b);
  }
  return { x, y, from, to };
}

/**
 * The loss-by-position figure's buckets: half an octave wide, at least 8 positions. The curve is the mean over the
 * longest length's windows, few of them (the token cap: 4 windows of 2048 by default), so single positions swing
 * with the text of those windows; wider buckets average that out.
 */
export const LOSS_BUCKETS = { perOctave: 2, minWidth: 8 } as const;

export function lossByPositionFigure(r: BenchResults): Figure | null {
  const series: Series[] = [];
  let length = 0, windows = 0, seeds = 0, buckets: ReturnType<typeof logBuckets> | null = null;
  for (const m of shown(r)) {
    const curves = m.seeds.flatMap((s) => (s.loss_per_position ? [s.loss_per_position] : []));
    if (curves.length === 0) continue;
    length = Math.max(length, curves[0]!.length);
    const n = Math.min(...curves.map((c) => c.loss.length));
    // per seed: the bucket means of its curve (itself the mean over that seed's windows); then mean ± std over seeds
    const perSeed = curves.map((c) => logBuckets(c.loss.slice(0, n), r.train_len, LOSS_BUCKETS.perOctave, LOSS_BUCKETS.minWidth));
    buckets ??= perSeed[0]!;
    const stats = perSeed[0]!.x.map((_, i) => meanStd(perSeed.map((b) => b.y[i]!).filter(Number.isFinite)));
    const y = stats.map((st) => st.mean);
    series.push({ ...styleOf(r, m), x: perSeed[0]!.x, y, band: band(y, stats.map((st) => st.std)), markers: true });
    windows = Math.max(windows, ...m.seeds.flatMap((s) => s.eval.filter((e) => e.length === n).map((e) => Math.floor(e.tokens / n))));
    seeds = Math.max(seeds, curves.length);
  }
  if (series.length === 0 || buckets === null) return null;
  const inside = buckets.from.flatMap((f, i) => (buckets!.to[i]! <= r.train_len ? [f === buckets!.to[i] ? `${f}` : `${f}–${buckets!.to[i]}`] : []));
  const scored = windows > 0 ? `${windows} window${windows === 1 ? "" : "s"} of ${length} tokens` : `the scored windows of ${length} tokens`;
  return {
    file: "loss-by-position.svg", title: `Loss by position within a ${length}-token window`,
    svg: svgDocument([lineChart({
      title: `Loss vs position in windows of ${length} tokens (mean per bucket of positions, half an octave wide; ${seeds} seed${seeds === 1 ? "" : "s"})`,
      xLabel: "position in the window (1-based, log scale; a point per bucket, at its mean position)", yLabel: "loss (nats/token)", xScale: "log", series,
      vLines: [{ x: r.train_len, label: `L = ${r.train_len}` }], width: FIGURE_WIDTH, height: 560,
    })]),
    caption: `Where extrapolation breaks. Each point is the mean loss over a bucket of positions — ${inside.join(", ")} up to L (no bucket straddles it), then half an octave each — over the ${scored} the evaluation scored${seeds > 1 ? `, averaged over ${seeds} seeds (band: ± one standard deviation of the seeds' bucket means)` : ""}. Every method reads the same windows, so the ups and downs the lines share come from the text of those windows, not from the methods. Left of the dashed line every model is in familiar territory; a curve that jumps right after L marks a method that fails beyond the training length, a flat or falling one a method that still predicts (or uses the longer context).`,
  };
}

export function passkeyFigure(r: BenchResults): Figure | null {
  const withDigits = shown(r).filter((m) => m.eval.some((p) => p.passkey_token_acc !== null));
  const withAcc = shown(r).filter((m) => m.eval.some((p) => p.passkey_acc !== null));
  if (withDigits.length === 0 && withAcc.length === 0) return null;
  const lens = r.eval_lens.filter((n) => r.methods.some((m) => m.eval.some((p) => p.length === n && (p.passkey_acc !== null || p.passkey_token_acc !== null))));
  const xRange = lens.length && lens[0]! <= r.train_len ? { vLines: [{ x: r.train_len, label: `L = ${r.train_len}` }] } : {};
  const series = (ms: typeof withDigits, pick: (p: BenchResults["methods"][number]["eval"][number]) => [number | null, number | null]): Series[] => ms.map((m) => {
    const y = m.eval.map((p) => pick(p)[0] ?? NaN);
    return { ...styleOf(r, m), x: m.eval.map((p) => p.length), y, band: band(y, m.eval.map((p) => pick(p)[1])), markers: true };
  });
  const panels = [];
  if (withDigits.length) {
    panels.push(lineChart({
      title: "Passkey: key digits retrieved vs context length", xLabel: "context length (tokens, log scale)", yLabel: "per-digit accuracy (chance 0.1)", xScale: "log", yRange: [0, 1],
      series: series(withDigits, (p) => [p.passkey_token_acc, p.passkey_token_acc_std]), ...xRange, xTicks: lens, width: FIGURE_WIDTH, height: 460,
    }));
  }
  if (withAcc.length) {
    panels.push(lineChart({
      title: "Passkey exact-match accuracy vs context length", xLabel: "context length (tokens, log scale)", yLabel: "accuracy", xScale: "log", yRange: [0, 1],
      series: series(withAcc, (p) => [p.passkey_acc, p.passkey_acc_std]), ...xRange, xTicks: lens, width: FIGURE_WIDTH, height: 340,
    }));
  }
  return {
    file: "passkey.svg", title: "Passkey retrieval vs length", svg: svgDocument(panels),
    caption: `The mixed passkey (docs/experiment.md "Passkey"): a 5-digit key hidden at a depth in held-out text, asked at the end (" key:48213." … " key:"), scored on a copy of each model fine-tuned on this form at L = ${r.train_len} (eval variants: the rope copy with their scaling). Top: fraction of key digits predicted right (teacher-forced argmax; 0.1 is chance for a model that predicts some digit). Bottom: exact match of all 5 digits. Right of L the key can sit farther back than any distance seen in training.`,
  };
}

/** Width of each encoding figure: two per row in the report, drawn at the size they are shown. */
export const ENCODING_WIDTH = 600;

/** Heatmaps in the report are averaged down to at most this many cells per side (keeps index.html small). */
export const REPORT_HEATMAP_CELLS = 80;

export function encodingFigure(e: EncodingFigureSpec): Figure {
  const h = { ...e.heatmap, maxCells: Math.min(e.heatmap.maxCells ?? REPORT_HEATMAP_CELLS, REPORT_HEATMAP_CELLS), width: ENCODING_WIDTH, height: 420 };
  return { file: `pe-${e.method}.svg`, title: e.method, caption: e.note, svg: svgDocument([heatmap(h), lineChart({ ...e.curve, width: ENCODING_WIDTH, height: 380 })]) };
}

/** The result figures, in page order (missing data → the figure is left out). */
export function resultFigures(r: BenchResults): Figure[] {
  return [perplexityFigure(r), trainingCurvesFigure(r), lossByPositionFigure(r), passkeyFigure(r)].filter((f): f is Figure => f !== null);
}

/** Every figure of the report: results, then the encodings. */
export function allFigures(r: BenchResults, encodings: EncodingFigureSpec[]): { results: Figure[]; encodings: Figure[] } {
  return { results: resultFigures(r), encodings: encodings.map(encodingFigure) };
}
