/**
 * Self-contained SVG charts (no network, no fonts, no scripts): a line chart with linear or log axes and a legend,
 * and a heatmap with a colour scale. Each returns a panel; `svgDocument` stacks panels into one file.
 * Used by `extrapos pe plot` and by the experiment report.
 *
 * Example:
 *   const svg = svgDocument([lineChart({ title: "bias", xLabel: "distance", yLabel: "bias",
 *     series: [{ name: "head 1", x: [0, 1, 2], y: [0, -0.5, -1] }] })]);
 */

export type AxisScale = "linear" | "log";
export type MarkerShape = "circle" | "square" | "triangle" | "diamond" | "cross" | "down";

export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Shaded band lo[i]…hi[i] around the line (e.g. mean ± std over seeds); non-finite ends are skipped. */
  band?: { lo: ArrayLike<number>; hi: ArrayLike<number> };
  /** Dashed line (e.g. a variant evaluated from another series' model). */
  dashed?: boolean;
  /** A dot at every point (default: only for a single point). */
  markers?: boolean;
  /**
   * With `markers`: at most one marker per this many px along x (a dense line gets sparse markers), the first one
   * offset by a fraction of the gap that differs between series, so markers of neighbouring lines do not stack.
   */
  markerGap?: number;
  /** Marker shape (default circle). */
  marker?: MarkerShape;
  /** Explicit SVG dash pattern, e.g. "6 3" (overrides `dashed`). */
  dash?: string;
  /** Legend group heading (e.g. an encoding family); consecutive series of one group are listed under it. */
  group?: string;
  /** CSS colour; default: the palette by series index (give one to keep a method's colour across charts). */
  color?: string;
}

/** A vertical reference line, e.g. the training length. */
export interface VerticalLine {
  x: number;
  label: string;
}

/**
 * A horizontal reference line at y (e.g. a chance or no-lookup level), across the plot or only over x ∈ [from, to]
 * (e.g. one test band); drawn grey and dotted under the series, its label (if any) just above its left end.
 */
export interface HorizontalLine {
  y: number;
  label?: string;
  from?: number;
  to?: number;
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Default "linear". On a log axis, points with a value ≤ 0 are left out. */
  xScale?: AxisScale;
  yScale?: AxisScale;
  /** Fixed y range (e.g. [0, 1] for an accuracy); default: the data's extent. */
  yRange?: [number, number];
  vLines?: VerticalLine[];
  /** Horizontal reference lines (their y values are kept inside an automatic y range). */
  hLines?: HorizontalLine[];
  /** Explicit x tick values (e.g. the evaluated lengths); default: round values. */
  xTicks?: number[];
  /** A horizontal line at y = 0 (e.g. for a gain that can be negative). */
  zeroLine?: boolean;
  width?: number;
  height?: number;
}

export interface HeatmapSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  /** [rows × cols] row-major; row 0 is drawn at the top. */
  values: ArrayLike<number>;
  rows: number;
  cols: number;
  /** Axis value of column 0 / row 0 and the step between them (for tick labels). Default 0 and 1. */
  x0?: number;
  dx?: number;
  y0?: number;
  dy?: number;
  /** Larger matrices are averaged down to at most this many cells per side (default 160). */
  maxCells?: number;
  /**
   * Axis value of every column, increasing, drawn on a log axis (e.g. from `logColumns`: distances 1 … n
   * sampled geometrically, so the near distances get as much room as the far ones); overrides x0/dx.
   */
  logX?: number[];
  /**
   * Colour range: "full" (min…max) or "robust" (default: the 2nd…98th percentiles of the cells, so one
   * extreme row — a steep ALiBi or KERPLE head — does not flatten all the others; beyond it colours saturate
   * and the colour bar says so).
   */
  colourRange?: "full" | "robust";
  /**
   * "symlog": colours by sign(v)·log10(1 + |v|), for tables whose magnitudes span decades (ALiBi's steepest
   * head reaches −512 at distance 2048 while the gentlest stays near −4): every head keeps its gradient.
   * The colour bar is labelled in the original values. Default "linear".
   */
  colourScale?: "linear" | "symlog";
  width?: number;
  height?: number;
}

export interface SvgPanel {
  width: number;
  height: number;
  /** SVG elements positioned in [0, width] × [0, height]. */
  body: string;
}

/** 16 distinguishable colours (tab10, then darker/lighter extras) so a 14-method bench needs no repeats. */
export const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd"];
const M = { left: 70, right: 170, top: 34, bottom: 50 };
/** Font sizes (px at 100 % zoom): every chart is drawn at the size it is shown, so these are what readers see. */
const F = { title: 15, label: 13, tick: 12, legend: 12, note: 11 };

export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function fmt(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  return Number(v.toPrecision(4)).toString();
}

/**
 * Mantissas per decade for a log axis spanning less than 30× (coarse to fine): each ladder's steps are roughly even
 * in log, so ticks neither crowd at the top of the axis nor leave the bottom bare (a linear step of 2 on 7…30 gave
 * 8, 10, … 30: nothing under 8, and 22 … 30 crowded).
 */
const LOG_LADDERS = [
  [1, 2, 5],
  [1, 1.5, 2, 3, 5, 7],
  [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8],
  [1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.8, 2, 2.2, 2.5, 2.8, 3, 3.5, 4, 4.5, 5, 5.5, 6, 7, 8, 9],
];
/** Mantissas per decade for wider log axes: powers of ten, then 1-2-5, then 1…9 when the range spans too few. */
const WIDE_LADDERS = [[1], [1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]];

/** A tick rule: its ticks inside [lo, hi], and the rule's next tick beyond a value (to widen an axis to a tick). */
export interface TickRule {
  ticks: number[];
  /** The rule's first tick strictly above (dir 1) or below (dir −1) `v`. */
  next(v: number, dir: 1 | -1): number;
}

function ladderValues(mults: readonly number[], lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of mults) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

function ladderRule(mults: readonly number[], lo: number, hi: number): TickRule {
  return {
    ticks: ladderValues(mults, lo, hi),
    next: (v, dir) => {
      const near = ladderValues(mults, v / 1000, v * 1000);
      return dir > 0 ? near.find((t) => t > v * (1 + 1e-9))! : near.filter((t) => t < v * (1 - 1e-9)).at(-1)!;
    },
  };
}

/** Linear steps of 1, 2 or 5 × 10^k (the smallest giving at most about `target` ticks); positive only if `positive`. */
function stepRule(lo: number, hi: number, target: number, positive = false): TickRule {
  const raw = (hi - lo) / target;
  // a span at rounding level (a constant series): one tick, not 10^16 steps
  if (!(raw > 1e-12 * Math.max(Math.abs(lo), Math.abs(hi)))) return { ticks: [lo], next: (v, dir) => v + dir * Math.max(Math.abs(v), 1) * 0.1 };
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-9))!;
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) if (!positive || k > 0) ticks.push(Math.abs(k) < 1e-9 ? 0 : Number((k * step).toPrecision(12)));
  const at = (k: number) => (Math.abs(k) < 1e-9 ? 0 : Number((k * step).toPrecision(12)));
  return { ticks, next: (v, dir) => at(dir > 0 ? Math.floor(v / step + 1e-9) + 1 : Math.ceil(v / step - 1e-9) - 1) };
}

/**
 * The tick rule for [lo, hi] with about `target` ticks. Linear: steps of 1, 2, 5 × 10^k. Log: within a factor 2
 * (nearly linear there) linear steps; up to 30× the ladder of `LOG_LADDERS` whose tick count is closest to
 * `target` (ties: the coarser); wider, powers of ten, then 1-2-5, then 1…9 multiples until at least 4 ticks.
 */
export function tickRule(lo: number, hi: number, scale: AxisScale, target = 6): TickRule {
  if (scale === "linear" || lo <= 0) {
    if (lo === hi) return { ticks: [lo], next: (v, dir) => v + dir };
    return stepRule(lo, hi, target);
  }
  if (hi / lo < 2) {
    const r = stepRule(lo, hi, target, true);
    if (r.ticks.length >= 2) return r;
  }
  if (hi / lo < 30) {
    const rules = LOG_LADDERS.map((m) => ladderRule(m, lo, hi));
    const best = rules.reduce((a, b) => (Math.abs(b.ticks.length - target) < Math.abs(a.ticks.length - target) ? b : a));
    if (best.ticks.length >= 3) return best;
    return stepRule(lo, hi, target, true);
  }
  for (const mults of WIDE_LADDERS) {
    const r = ladderRule(mults, lo, hi);
    if (r.ticks.length >= 4 || (mults.length === 9 && r.ticks.length >= 2)) return r;
  }
  return { ticks: [lo, hi], next: (v, dir) => (dir > 0 ? v * 10 : v / 10) };
}

/** Round tick positions covering [lo, hi] (`tickRule`'s ticks). */
export function niceTicks(lo: number, hi: number, scale: AxisScale, target = 6): number[] {
  return tickRule(lo, hi, scale, target).ticks;
}

function mapper(lo: number, hi: number, a: number, b: number, scale: AxisScale): (v: number) => number {
  const f = scale === "log" ? Math.log10 : (v: number) => v;
  const l = f(lo), h = f(hi);
  return (v) => (h === l ? (a + b) / 2 : a + ((f(v) - l) / (h - l)) * (b - a));
}

/** The data's range, widened by `pad` of its span on each side (multiplicatively on a log axis), so no point sits on the frame. */
function extent(values: number[], scale: AxisScale, pad = 0.05): [number, number] {
  const vs = values.filter((v) => Number.isFinite(v) && (scale === "linear" || v > 0));
  if (vs.length === 0) return scale === "log" ? [1, 10] : [0, 1];
  let lo = vs.reduce((a, b) => Math.min(a, b)), hi = vs.reduce((a, b) => Math.max(a, b));
  if (hi - lo <= 1e-12 * Math.max(Math.abs(lo), Math.abs(hi))) [lo, hi] = scale === "log" ? [lo / 2, hi * 2] : [lo - 1, hi + 1];
  if (scale === "log") {
    const f = (hi / lo) ** pad;
    return [lo / f, hi * f];
  }
  const d = (hi - lo) * pad;
  return [lo - d, hi + d];
}

/**
 * Widens an automatic axis [lo, hi] to the rule's next tick beyond its outermost one when the data reach past that
 * tick and the widening is small (≤ 15 % of the span, in the axis's scale): every value then lies between two ticks
 * (the perplexity axis had its lowest tick at 8 while the best methods sat at 7.2–7.9). Adds those ticks to `ticks`.
 */
function widenToTicks(rule: TickRule, ticks: number[], values: number[], lo: number, hi: number, scale: AxisScale): [number, number] {
  const f = scale === "log" ? Math.log10 : (v: number) => v;
  const vs = values.filter((v) => Number.isFinite(v) && (scale === "linear" || v > 0));
  if (vs.length === 0 || ticks.length === 0) return [lo, hi];
  const vMin = vs.reduce((a, b) => Math.min(a, b)), vMax = vs.reduce((a, b) => Math.max(a, b)), span = f(hi) - f(lo);
  const ok = (t: number) => Number.isFinite(t) && (scale === "linear" || t > 0);
  if (ticks[0]! > vMin) {
    const t = rule.next(ticks[0]!, -1);
    if (ok(t) && f(lo) - f(t) <= 0.15 * span) { ticks.unshift(t); lo = Math.min(lo, t); }
  }
  if (ticks.at(-1)! < vMax) {
    const t = rule.next(ticks.at(-1)!, 1);
    if (ok(t) && f(t) - f(hi) <= 0.15 * span) { ticks.push(t); hi = Math.max(hi, t); }
  }
  return [lo, hi];
}

/** A marker of `shape` centred at (x, y). */
function markerSvg(shape: MarkerShape, x: number, y: number, color: string, r = 3.5): string {
  const X = x.toFixed(2), Y = y.toFixed(2);
  switch (shape) {
    case "square": return `<rect x="${(x - r).toFixed(2)}" y="${(y - r).toFixed(2)}" width="${2 * r}" height="${2 * r}" fill="${color}"/>`;
    case "triangle": return `<polygon points="${X},${(y - r * 1.2).toFixed(2)} ${(x - r * 1.1).toFixed(2)},${(y + r * 0.8).toFixed(2)} ${(x + r * 1.1).toFixed(2)},${(y + r * 0.8).toFixed(2)}" fill="${color}"/>`;
    case "down": return `<polygon points="${X},${(y + r * 1.2).toFixed(2)} ${(x - r * 1.1).toFixed(2)},${(y - r * 0.8).toFixed(2)} ${(x + r * 1.1).toFixed(2)},${(y - r * 0.8).toFixed(2)}" fill="${color}"/>`;
    case "diamond": return `<polygon points="${X},${(y - r * 1.3).toFixed(2)} ${(x + r * 1.3).toFixed(2)},${Y} ${X},${(y + r * 1.3).toFixed(2)} ${(x - r * 1.3).toFixed(2)},${Y}" fill="${color}"/>`;
    case "cross": return `<path d="M${(x - r).toFixed(2)},${(y - r).toFixed(2)}L${(x + r).toFixed(2)},${(y + r).toFixed(2)}M${(x - r).toFixed(2)},${(y + r).toFixed(2)}L${(x + r).toFixed(2)},${(y - r).toFixed(2)}" stroke="${color}" stroke-width="2"/>`;
    default: return `<circle cx="${X}" cy="${Y}" r="${r}" fill="${color}"/>`;
  }
}

/** Finite (x, y) pairs of a series that the axes can show, with their band ends (NaN when absent). */
function seriesPoints(s: Series, keep: (x: number, y: number) => boolean): Array<[number, number, number, number]> {
  const out: Array<[number, number, number, number]> = [];
  for (let i = 0; i < s.x.length; i++) {
    const x = s.x[i]!, y = s.y[i]!;
    if (keep(x, y)) out.push([x, y, s.band ? s.band.lo[i]! : NaN, s.band ? s.band.hi[i]! : NaN]);
  }
  return out;
}

/**
 * A line chart panel: one polyline per series (optional band, dashes, markers), axes with ticks,
 * optional vertical reference lines, and a legend on the right.
 */
export function lineChart(spec: LineChartSpec): SvgPanel {
  const W = spec.width ?? 720, H = Math.max(spec.height ?? 360, legendBottom(spec.series) + 8);
  const xs = spec.xScale ?? "linear", ys = spec.yScale ?? "linear";
  const keep = (x: number, y: number) => Number.isFinite(x) && Number.isFinite(y) && (xs === "linear" || x > 0) && (ys === "linear" || y > 0);
  const pts = spec.series.map((s) => seriesPoints(s, keep));
  const [x0, x1] = extent([...pts.flat().map((p) => p[0]), ...(spec.vLines ?? []).map((v) => v.x)], xs, 0.04);
  const yValues = [...pts.flat().flatMap((p) => [p[1], p[2], p[3]]), ...(spec.zeroLine ? [0] : []), ...(spec.hLines ?? []).map((h) => h.y)];
  let [y0, y1] = spec.yRange ? padRange(spec.yRange, ys) : extent(yValues, ys, 0.06);
  const yLo = spec.yRange ? spec.yRange[0] : y0, yHi = spec.yRange ? spec.yRange[1] : y1;
  // a log axis gets about one tick per 60 px (its ladders keep them apart); a linear one about 6
  const yRule = tickRule(yLo, yHi, ys, ys === "log" ? Math.max(4, Math.round((H - M.top - M.bottom) / 60)) : 6);
  const yTicks = [...yRule.ticks];
  if (!spec.yRange && yTicks.length > 0) [y0, y1] = widenToTicks(yRule, yTicks, yValues, y0, y1, ys);
  const px = mapper(x0, x1, M.left, W - M.right, xs);
  const pyRaw = mapper(y0, y1, H - M.bottom, M.top, ys);
  const py = (v: number) => Math.min(H - M.bottom, Math.max(M.top, pyRaw(v)));
  const parts: string[] = [frame(W, H, spec.title, spec.xLabel, spec.yLabel)];
  const vLines = (spec.vLines ?? []).filter((v) => Number.isFinite(v.x) && (xs === "linear" || v.x > 0) && v.x >= x0 && v.x <= x1);
  // the region beyond a vertical line (longer than training) is shaded, under the grid so values stay readable there
  for (const v of vLines) parts.push(`<rect x="${px(v.x).toFixed(2)}" y="${M.top}" width="${(W - M.right - px(v.x)).toFixed(2)}" height="${H - M.top - M.bottom}" fill="#f3f3f3"/>`);
  const xTicks = (spec.xTicks ?? niceTicks(x0, x1, xs)).filter((t) => t >= x0 && t <= x1 && (xs === "linear" || t > 0));
  for (const t of xTicks) parts.push(tick(px(t), H - M.bottom, fmt(t), "x", M.top));
  for (const t of yTicks) if (t >= y0 && t <= y1) parts.push(tick(M.left, py(t), fmt(t), "y", W - M.right));
  if (spec.zeroLine && ys === "linear" && y0 < 0 && y1 > 0) parts.push(`<line x1="${M.left}" y1="${py(0).toFixed(2)}" x2="${W - M.right}" y2="${py(0).toFixed(2)}" stroke="#888"/>`);
  for (const h of spec.hLines ?? []) {
    if (!Number.isFinite(h.y) || h.y < y0 || h.y > y1) continue;
    const a = Math.max(M.left, h.from !== undefined && (xs === "linear" || h.from > 0) ? px(h.from) : M.left);
    const b = Math.min(W - M.right, h.to !== undefined && (xs === "linear" || h.to > 0) ? px(h.to) : W - M.right);
    if (!(b > a)) continue;
    const y = py(h.y).toFixed(2);
    parts.push(`<line x1="${a.toFixed(2)}" y1="${y}" x2="${b.toFixed(2)}" y2="${y}" stroke="#555" stroke-width="1.6" stroke-dasharray="1 3" stroke-linecap="round"/>`);
    if (h.label) parts.push(`<text x="${(a + 3).toFixed(2)}" y="${(py(h.y) - 5).toFixed(2)}" font-size="${F.note}" fill="#444">${escapeXml(h.label)}</text>`);
  }
  const labels: string[] = [];
  for (const v of vLines) {
    const x = px(v.x);
    // the label sits inside the plot, on a white box, where it hides the fewest series points and lines (drawn
    // after the series, so on top of them)
    parts.push(`<line x1="${x.toFixed(2)}" y1="${M.top}" x2="${x.toFixed(2)}" y2="${H - M.bottom}" stroke="#333" stroke-width="1.5" stroke-dasharray="5 3"/>`);
    const w = 8 + 7 * v.label.length;
    const polylines = pts.map((p) => p.map(([a, b]): [number, number] => [px(a), py(b)]));
    const at = labelPlace(polylines, x, w, W, H);
    labels.push(`<rect x="${at.x.toFixed(2)}" y="${at.y}" width="${w}" height="18" fill="white" fill-opacity="0.85" stroke="#333" stroke-width="0.8"/>`);
    labels.push(`<text x="${(at.x + 4).toFixed(2)}" y="${at.y + 13}" font-size="${F.note + 1}" fill="#222">${escapeXml(v.label)}</text>`);
  }
  const okY = (v: number) => Number.isFinite(v) && (ys === "linear" || v > 0);
  let ly = M.top + 8, lastGroup: string | undefined;
  pts.forEach((p, k) => {
    const s = spec.series[k]!;
    const color = s.color ?? PALETTE[k % PALETTE.length]!;
    const banded = p.filter((q) => okY(q[2]) && okY(q[3]));
    if (banded.length >= 2) {
      const upper = banded.map((q) => `${px(q[0]).toFixed(2)},${py(q[3]).toFixed(2)}`);
      const lower = banded.map((q) => `${px(q[0]).toFixed(2)},${py(q[2]).toFixed(2)}`).reverse();
      parts.push(`<polygon points="${[...upper, ...lower].join(" ")}" fill="${color}" fill-opacity="0.13" stroke="none"/>`);
    }
    const d = p.map(([x, y], i) => `${i === 0 ? "M" : "L"}${px(x).toFixed(2)},${py(y).toFixed(2)}`).join("");
    const pattern = s.dash ?? (s.dashed ? "6 3" : undefined);
    const dash = pattern ? ` stroke-dasharray="${pattern}"` : "";
    if (p.length > 1) parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8"${dash}/>`);
    const shape = s.marker ?? "circle";
    if (p.length === 1 || s.markers) {
      const gap = s.markerGap ?? 0, start = M.left + ((k * 0.618034) % 1) * gap;
      let last = -Infinity;
      for (const [x, y] of p) {
        const X = px(x);
        if (gap > 0 && (X < start || X - last < gap)) continue;
        last = X;
        parts.push(markerSvg(shape, X, py(y), color));
      }
    }
    if (s.group !== undefined && s.group !== lastGroup) {
      if (lastGroup !== undefined) ly += 4;
      parts.push(`<text x="${W - M.right + 10}" y="${ly + 4}" font-size="${F.legend - 1}" font-weight="bold" fill="#555">${escapeXml(s.group)}</text>`);
      ly += 15;
      lastGroup = s.group;
    }
    parts.push(`<line x1="${W - M.right + 12}" y1="${ly}" x2="${W - M.right + 40}" y2="${ly}" stroke="${color}" stroke-width="2.2"${dash}/>`);
    if (s.markers || p.length === 1) parts.push(markerSvg(shape, W - M.right + 26, ly, color));
    parts.push(`<text x="${W - M.right + 46}" y="${ly + 4}" font-size="${F.legend}">${escapeXml(s.name)}</text>`);
    ly += 16;
  });
  parts.push(...labels);
  return { width: W, height: H, body: parts.join("\n") };
}

/**
 * Where an 18 px high, `w` px wide label box beside the vertical line at x goes: right of the line (left of it
 * when the right has no room), at the height that hides the least — a point of any series within 5 px of the box
 * counts 10, a line passing through it (sampled along each segment) 1. Heights: the top and bottom of the plot,
 * then every 4 px from the top down; ties go to the earlier one.
 */
function labelPlace(polylines: ReadonlyArray<ReadonlyArray<[number, number]>>, x: number, w: number, W: number, H: number): { x: number; y: number } {
  const top = M.top + 4, bottom = H - M.bottom - 22;
  const heights = [top, bottom];
  for (let y = top + 4; y < bottom; y += 4) heights.push(y);
  const lefts = [x + 4 + w <= W - M.right - 2 ? x + 4 : x - 4 - w];
  const cost = (bx: number, y: number) => {
    const inside = (qx: number, qy: number) => qx >= bx - 5 && qx <= bx + w + 5 && qy >= y - 5 && qy <= y + 18 + 5;
    let c = 0;
    for (const line of polylines) {
      c += 10 * line.filter(([qx, qy]) => inside(qx, qy)).length;
      const crosses = line.some(([ax, ay], i) => {
        const [cx, cy] = line[i + 1] ?? [ax, ay];
        for (let t = 0; t <= 24; t++) if (inside(ax + ((cx - ax) * t) / 24, ay + ((cy - ay) * t) / 24)) return true;
        return false;
      });
      if (crosses) c += 1;
    }
    return c;
  };
  let best = { x: lefts[0]!, y: top }, least = Infinity;
  for (const bx of lefts) for (const y of heights) {
    const c = cost(bx, y);
    if (c < least) { best = { x: bx, y }; least = c; }
  }
  return best;
}

/** The y just below the legend's last entry (same steps as lineChart's legend): the panel grows to it. */
function legendBottom(series: readonly Series[]): number {
  let ly = M.top + 8, lastGroup: string | undefined;
  for (const s of series) {
    if (s.group !== undefined && s.group !== lastGroup) {
      ly += lastGroup !== undefined ? 19 : 15;
      lastGroup = s.group;
    }
    ly += 16;
  }
  return ly - 16 + 8;
}

/** A fixed range widened slightly so points at its ends (accuracy 0 or 1) stay off the frame. */
function padRange([lo, hi]: [number, number], scale: AxisScale): [number, number] {
  if (scale === "log") { const f = (hi / lo) ** 0.04; return [lo / f, hi * f]; }
  const d = (hi - lo) * 0.04;
  return [lo - d, hi + d];
}

function frame(W: number, H: number, title: string, xLabel: string, yLabel: string): string {
  return [
    `<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="20" font-size="${F.title}" font-weight="bold">${escapeXml(title)}</text>`,
    `<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#444"/>`,
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 10}" font-size="${F.label}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text x="16" y="${(M.top + H - M.bottom) / 2}" font-size="${F.label}" text-anchor="middle" transform="rotate(-90 16 ${(M.top + H - M.bottom) / 2})">${escapeXml(yLabel)}</text>`,
  ].join("\n");
}

/** A tick with its label; `gridTo` draws a light grid line across the plot (to that y for x ticks, that x for y ticks). */
function tick(x: number, y: number, label: string, axis: "x" | "y", gridTo?: number): string {
  if (axis === "x") {
    const grid = gridTo !== undefined ? `<line x1="${x.toFixed(2)}" y1="${gridTo}" x2="${x.toFixed(2)}" y2="${y}" stroke="#e4e4e4"/>` : "";
    return `${grid}<line x1="${x.toFixed(2)}" y1="${y}" x2="${x.toFixed(2)}" y2="${y + 5}" stroke="#444"/><text x="${x.toFixed(2)}" y="${y + 19}" font-size="${F.tick}" text-anchor="middle">${label}</text>`;
  }
  return `<line x1="${x}" y1="${y.toFixed(2)}" x2="${gridTo ?? x - 5}" y2="${y.toFixed(2)}" stroke="#e4e4e4"/><line x1="${x - 5}" y1="${y.toFixed(2)}" x2="${x}" y2="${y.toFixed(2)}" stroke="#444"/><text x="${x - 8}" y="${(y + 4).toFixed(2)}" font-size="${F.tick}" text-anchor="end">${label}</text>`;
}

/** Colour for t ∈ [0, 1]: diverging blue–white–red when the data change sign, otherwise a sequential ramp. */
export function colour(t: number, diverging: boolean): string {
  const stops = diverging ? [[33, 102, 172], [247, 247, 247], [178, 24, 43]] : [[68, 1, 84], [33, 145, 140], [253, 231, 37]];
  const u = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
  const i = Math.min(Math.floor(u), stops.length - 2), f = u - i;
  const c = stops[i]!.map((a, k) => Math.round(a + (stops[i + 1]![k]! - a) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Averages a [rows × cols] matrix down to at most `max` cells per side. */
export function poolMatrix(values: ArrayLike<number>, rows: number, cols: number, max: number): { values: Float64Array; rows: number; cols: number; fy: number; fx: number } {
  const fy = Math.max(1, Math.ceil(rows / max)), fx = Math.max(1, Math.ceil(cols / max));
  const r2 = Math.ceil(rows / fy), c2 = Math.ceil(cols / fx);
  const out = new Float64Array(r2 * c2), n = new Float64Array(r2 * c2);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
    const v = values[r * cols + c]!;
    if (!Number.isFinite(v)) continue;
    const e = Math.floor(r / fy) * c2 + Math.floor(c / fx);
    out[e]! += v;
    n[e]! += 1;
  }
  for (let e = 0; e < out.length; e++) out[e] = n[e]! > 0 ? out[e]! / n[e]! : NaN;
  return { values: out, rows: r2, cols: c2, fy, fx };
}

/** A heatmap panel with a colour bar (non-finite cells are drawn grey). */
export function heatmap(spec: HeatmapSpec): SvgPanel {
  const W = spec.width ?? 720, H = spec.height ?? 420;
  const symlog = spec.colourScale === "symlog";
  const tf = (v: number) => (symlog ? Math.sign(v) * Math.log10(1 + Math.abs(v)) : v);
  const p0 = poolMatrix(spec.values, spec.rows, spec.cols, spec.maxCells ?? 160);
  const p = symlog ? { ...p0, values: p0.values.map(tf) } : p0;
  const finite = Float64Array.from(Array.from(p.values).filter(Number.isFinite)).sort();
  const at = (q: number) => finite[Math.min(finite.length - 1, Math.max(0, Math.round(q * (finite.length - 1))))]!;
  const robust = (spec.colourRange ?? (symlog ? "full" : "robust")) === "robust" && finite.length > 0;
  let lo = finite.length ? (robust ? at(0.02) : finite[0]!) : 0, hi = finite.length ? (robust ? at(0.98) : finite[finite.length - 1]!) : 1;
  const clippedLo = finite.length > 0 && finite[0]! < lo, clippedHi = finite.length > 0 && finite[finite.length - 1]! > hi;
  const diverging = lo < 0 && hi > 0;
  if (diverging) [lo, hi] = [-Math.max(-lo, hi), Math.max(-lo, hi)];
  if (lo === hi) hi = lo + 1;
  const pw = W - M.left - M.right, ph = H - M.top - M.bottom;
  const cw = pw / p.cols, ch = ph / p.rows;
  const parts: string[] = [frame(W, H, spec.title, spec.xLabel, spec.yLabel)];
  const fillOf = (v: number) => (Number.isFinite(v) ? colour((v - lo) / (hi - lo), diverging) : "#bbb");
  for (let r = 0; r < p.rows; r++) {
    // one rect per run of equal colour in a row keeps files small (T5 buckets, ALiBi rows)
    for (let c = 0; c < p.cols; ) {
      const fill = fillOf(p.values[r * p.cols + c]!);
      let e = c + 1;
      while (e < p.cols && fillOf(p.values[r * p.cols + e]!) === fill) e++;
      parts.push(`<rect x="${(M.left + c * cw).toFixed(2)}" y="${(M.top + r * ch).toFixed(2)}" width="${((e - c) * cw + 0.3).toFixed(2)}" height="${(ch + 0.3).toFixed(2)}" fill="${fill}"/>`);
      c = e;
    }
  }
  const x0 = spec.x0 ?? 0, dx = spec.dx ?? 1, y0 = spec.y0 ?? 0, dy = spec.dy ?? 1;
  const bx = W - M.right + 20, steps = 40;
  if (spec.logX && spec.logX.length === spec.cols) {
    const cx = spec.logX, lx = (v: number) => Math.log10(v);
    const colOf = (v: number) => { // fractional column of axis value v (log interpolation between columns)
      let c = cx.findIndex((u) => u >= v);
      if (c <= 0) return 0;
      return c - 1 + (lx(v) - lx(cx[c - 1]!)) / (lx(cx[c]!) - lx(cx[c - 1]!) || 1);
    };
    for (const t of niceTicks(cx[0]!, cx[cx.length - 1]!, "log")) parts.push(tick(M.left + ((colOf(t) + 0.5) / spec.cols) * pw, H - M.bottom, fmt(t), "x"));
  } else {
    for (const t of niceTicks(0, spec.cols - 1, "linear", 6)) if (Number.isInteger(t)) parts.push(tick(M.left + ((t + 0.5) / spec.cols) * pw, H - M.bottom, fmt(x0 + t * dx), "x"));
  }
  for (const t of niceTicks(0, spec.rows - 1, "linear", 6)) if (Number.isInteger(t)) parts.push(tick(M.left, M.top + ((t + 0.5) / spec.rows) * ph, fmt(y0 + t * dy), "y", M.left - 4));
  for (let s = 0; s < steps; s++) {
    parts.push(`<rect x="${bx}" y="${(M.top + (s * ph) / steps).toFixed(2)}" width="16" height="${(ph / steps + 0.3).toFixed(2)}" fill="${colour(1 - s / (steps - 1), diverging)}"/>`);
  }
  // colour-bar ticks: round values of the data (for symlog: 0, ±1, ±10, ±100, … placed at their transform)
  const barTicks = symlog
    ? [0, ...[1, 10, 100, 1000, 10000, 100000].flatMap((v) => [v, -v])].map((v) => ({ v, at: tf(v) })).filter((t) => t.at >= lo - 1e-9 && t.at <= hi + 1e-9)
    : niceTicks(lo, hi, "linear", 5).map((v) => ({ v, at: v }));
  for (const t of barTicks) {
    const y = M.top + ((hi - t.at) / (hi - lo)) * ph;
    parts.push(`<line x1="${bx + 16}" y1="${y.toFixed(2)}" x2="${bx + 20}" y2="${y.toFixed(2)}" stroke="#444"/><text x="${bx + 23}" y="${(y + 4).toFixed(2)}" font-size="${F.tick}">${fmt(t.v)}</text>`);
  }
  const notes = [
    ...(p.fy > 1 || p.fx > 1 ? [`cells: means of ${p.fy}×${p.fx}`] : []),
    ...(clippedLo || clippedHi ? ["colours clipped at the", "2nd–98th percentiles"] : []),
    ...(symlog ? ["colour: symmetric log", "scale of the value"] : []),
  ];
  // notes sit in the right margin under the colour bar, clear of every tick label
  notes.forEach((n, i) => parts.push(`<text x="${W - M.right + 12}" y="${H - M.bottom + 16 + 13 * i}" font-size="${F.note}" fill="#555">${escapeXml(n)}</text>`));
  return { width: W, height: H, body: parts.join("\n") };
}

/**
 * Samples the columns of a [rows × (maxD + 1)] distance table at about `n` geometrically spaced distances
 * 1 … maxD (distinct integers), for a heatmap on a log distance axis (`HeatmapSpec.logX`).
 *
 * Example: `logColumns(table, 4, 2048)` → { values: [4 × k], cols: k, x: [1, 2, 3, …, 2048] }
 */
export function logColumns(table: ArrayLike<number>, rows: number, maxD: number, n = 96): { values: Float64Array; cols: number; x: number[] } {
  const x = [...new Set(Array.from({ length: n }, (_, k) => Math.round(maxD ** (k / (n - 1)))))].filter((d) => d >= 1 && d <= maxD);
  const w = maxD + 1, values = new Float64Array(rows * x.length);
  for (let r = 0; r < rows; r++) x.forEach((d, c) => { values[r * x.length + c] = table[r * w + d]!; });
  return { values, cols: x.length, x };
}

/** Stacks panels vertically into one standalone SVG document. */
export function svgDocument(panels: SvgPanel[]): string {
  const width = Math.max(...panels.map((p) => p.width));
  let y = 0;
  const groups = panels.map((p) => {
    const g = `<g transform="translate(0 ${y})">\n${p.body}\n</g>`;
    y += p.height;
    return g;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif">\n${groups.join("\n")}\n</svg>\n`;
}
