/**
 * The lab's interactive line chart: SVG drawn with the report's palette and tick rules
 * (src/report/svg.ts), plus what a page adds — hover values (nearest point of every visible series),
 * series toggled by clicking the legend, linear/log axes switched by the caller, redraw on new data
 * (live training curves). No charting library: the report's SVG already draws the axes the way the
 * project's figures look, and hover + toggles are ~100 lines (docs/browser.md).
 */
import { niceTicks, PALETTE, type AxisScale } from "../../report/svg.js";

export interface ChartSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color?: string;
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  xScale?: AxisScale;
  yScale?: AxisScale;
  width?: number;
  height?: number;
  /** Vertical reference lines (e.g. the training length). */
  vLines?: { x: number; label: string }[];
}

const NS = "http://www.w3.org/2000/svg";

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(2).replace(/\.?0+e/, "e") : Number(v.toPrecision(5)).toString();
}

/** A chart bound to `host`; `update` redraws with new series or options (hidden series stay hidden). */
export class LineChart {
  private hidden = new Set<string>();
  private series: ChartSeries[] = [];

  constructor(private readonly host: HTMLElement, private opts: ChartOptions) {}

  update(series: ChartSeries[], opts: Partial<ChartOptions> = {}): void {
    this.series = series;
    this.opts = { ...this.opts, ...opts };
    this.draw();
  }

  private draw(): void {
    const o = this.opts;
    const W = o.width ?? 720, H = o.height ?? 330, L = 64, R = 150, T = 34, B = 44;
    const xs = o.xScale ?? "linear", ys = o.yScale ?? "linear";
    const ok = (v: number, s: AxisScale): boolean => Number.isFinite(v) && (s === "linear" || v > 0);
    const visible = this.series.filter((s) => !this.hidden.has(s.name));
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const s of visible) {
      for (let i = 0; i < s.x.length; i++) {
        const x = s.x[i]!, y = s.y[i]!;
        if (!ok(x, xs) || !ok(y, ys)) continue;
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
    if (!Number.isFinite(x0)) { x0 = xs === "log" ? 1 : 0; x1 = x0 + 1; y0 = ys === "log" ? 1 : 0; y1 = y0 + 1; }
    if (x0 === x1) x1 = x0 + 1;
    if (y0 === y1) { y0 -= 0.5; y1 += 0.5; }
    const tx = (v: number): number => xs === "log" ? Math.log10(v) : v;
    const ty = (v: number): number => ys === "log" ? Math.log10(v) : v;
    const px = (v: number): number => L + ((tx(v) - tx(x0)) / (tx(x1) - tx(x0))) * (W - L - R);
    const py = (v: number): number => H - B - ((ty(v) - ty(y0)) / (ty(y1) - ty(y0))) * (H - T - B);
    const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: "chart", role: "img", "aria-label": o.title });
    svg.append(svgEl("text", { x: L, y: 18, class: "chart-title" }, o.title));
    for (const t of niceTicks(x0, x1, xs)) {
      svg.append(svgEl("line", { x1: px(t), x2: px(t), y1: T, y2: H - B, class: "grid" }));
      svg.append(svgEl("text", { x: px(t), y: H - B + 16, "text-anchor": "middle", class: "tick" }, fmt(t)));
    }
    for (const t of niceTicks(y0, y1, ys)) {
      svg.append(svgEl("line", { x1: L, x2: W - R, y1: py(t), y2: py(t), class: "grid" }));
      svg.append(svgEl("text", { x: L - 6, y: py(t) + 4, "text-anchor": "end", class: "tick" }, fmt(t)));
    }
    svg.append(svgEl("text", { x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle", class: "axis-label" }, o.xLabel + (xs === "log" ? " (log)" : "")));
    svg.append(svgEl("text", { x: 14, y: (T + H - B) / 2, transform: `rotate(-90 14 ${(T + H - B) / 2})`, "text-anchor": "middle", class: "axis-label" }, o.yLabel + (ys === "log" ? " (log)" : "")));
    for (const v of o.vLines ?? []) {
      if (!ok(v.x, xs) || v.x < x0 || v.x > x1) continue;
      svg.append(svgEl("line", { x1: px(v.x), x2: px(v.x), y1: T, y2: H - B, class: "vline" }));
      svg.append(svgEl("text", { x: px(v.x) + 3, y: H - B - 6, class: "tick" }, v.label));
    }
    this.series.forEach((s, i) => {
      const color = s.color ?? PALETTE[i % PALETTE.length]!;
      const ly = T + 4 + i * 16;
      const item = svgEl("g", { class: "legend" + (this.hidden.has(s.name) ? " off" : ""), "data-series": s.name });
      item.append(svgEl("rect", { x: W - R + 10, y: ly, width: 12, height: 3, fill: color }));
      item.append(svgEl("text", { x: W - R + 26, y: ly + 5, class: "tick" }, s.name));
      item.addEventListener("click", () => { if (this.hidden.has(s.name)) this.hidden.delete(s.name); else this.hidden.add(s.name); this.draw(); });
      svg.append(item);
      if (this.hidden.has(s.name)) return;
      let d = "";
      for (let j = 0; j < s.x.length; j++) {
        const x = s.x[j]!, y = s.y[j]!;
        if (!ok(x, xs) || !ok(y, ys)) { d += " "; continue; }
        d += `${d === "" || d.endsWith(" ") ? "M" : "L"}${px(x).toFixed(1)},${py(y).toFixed(1)}`;
      }
      svg.append(svgEl("path", { d: d.trim().replace(/ +(?=M)/g, ""), fill: "none", stroke: color, "stroke-width": 1.8, ...(s.dashed ? { "stroke-dasharray": "5 3" } : {}) }));
      if (s.x.length <= 12) for (let j = 0; j < s.x.length; j++) if (ok(s.x[j]!, xs) && ok(s.y[j]!, ys)) svg.append(svgEl("circle", { cx: px(s.x[j]!), cy: py(s.y[j]!), r: 2.5, fill: color }));
    });
    const cursor = svgEl("line", { y1: T, y2: H - B, class: "cursor", visibility: "hidden" });
    const tip = svgEl("text", { x: L, y: T - 4, class: "hover" });
    svg.append(cursor, tip);
    svg.addEventListener("mousemove", (ev) => {
      const r = svg.getBoundingClientRect();
      const mx = ((ev.clientX - r.left) / r.width) * W;
      if (mx < L || mx > W - R) { cursor.setAttribute("visibility", "hidden"); tip.textContent = ""; return; }
      const parts: string[] = [];
      let at = NaN;
      for (const s of visible) {
        let best = -1, dist = Infinity;
        for (let j = 0; j < s.x.length; j++) {
          if (!ok(s.x[j]!, xs) || !ok(s.y[j]!, ys)) continue;
          const dd = Math.abs(px(s.x[j]!) - mx);
          if (dd < dist) { dist = dd; best = j; }
        }
        if (best >= 0) { at = s.x[best]!; parts.push(`${s.name} ${fmt(s.y[best]!)}`); }
      }
      if (parts.length === 0) return;
      cursor.setAttribute("x1", String(px(at))); cursor.setAttribute("x2", String(px(at))); cursor.setAttribute("visibility", "visible");
      const shown = parts.slice(0, 4).join(" · ") + (parts.length > 4 ? ` · +${parts.length - 4} more` : "");
      tip.textContent = `${o.xLabel} ${fmt(at)}: ${shown}`;
    });
    this.host.replaceChildren(svg);
  }
}

/** A heatmap on a canvas (diverging blue–white–red around 0, or sequential), with hover values. */
export function heatmapCanvas(host: HTMLElement, title: string, values: ArrayLike<number>, rows: number, cols: number, labels: { x: string; y: string }): void {
  const scale = Math.max(1, Math.floor(Math.min(520 / cols, 260 / rows)));
  const c = document.createElement("canvas");
  c.width = cols * scale; c.height = rows * scale;
  c.className = "heatmap";
  const ctx = c.getContext("2d")!;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) { const v = values[i]!; if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
  const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  const diverging = lo < 0 && hi > 0;
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) {
    const v = values[r * cols + k]!;
    if (!Number.isFinite(v)) { ctx.fillStyle = "#f3f4f6"; ctx.fillRect(k * scale, r * scale, scale, scale); continue; }
    const t = diverging ? v / m : (v - lo) / (hi - lo || 1);
    const [R, G, B] = diverging ? (t < 0 ? [255 * (1 + t), 255 * (1 + t), 255] : [255, 255 * (1 - t), 255 * (1 - t)]) : [255 * (1 - t) * 0.9 + 20, 255 * (1 - t) * 0.9 + 20, 255 * (0.5 + 0.5 * (1 - t))];
    ctx.fillStyle = `rgb(${R | 0},${G | 0},${B | 0})`;
    ctx.fillRect(k * scale, r * scale, scale, scale);
  }
  const box = document.createElement("figure");
  const cap = document.createElement("figcaption");
  cap.textContent = `${title} — ${labels.y} (rows) × ${labels.x} (columns), range [${fmt(lo)}, ${fmt(hi)}]`;
  const hover = document.createElement("div");
  hover.className = "hover";
  c.addEventListener("mousemove", (ev) => {
    const r = c.getBoundingClientRect();
    const k = Math.floor(((ev.clientX - r.left) / r.width) * cols), row = Math.floor(((ev.clientY - r.top) / r.height) * rows);
    if (k >= 0 && k < cols && row >= 0 && row < rows) hover.textContent = `${labels.y} ${row}, ${labels.x} ${k}: ${fmt(values[row * cols + k]!)}`;
  });
  box.append(cap, c, hover);
  host.replaceChildren(box);
}
