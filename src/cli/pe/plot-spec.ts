/**
 * What a `pe` method gives `extrapos pe plot`: a heatmap of the encoding and the curve readers of PE papers
 * expect (bias or score vs relative distance). Shared builders for per-head distance tables.
 */
import { logColumns, type HeatmapSpec, type LineChartSpec } from "../../report/svg.js";

export interface PlotRange {
  /** Largest distance on the curve. */
  maxDistance: number;
  logX: boolean;
}

export interface PlotSpec {
  heatmap: HeatmapSpec;
  curve: LineChartSpec;
}

/** Heatmap (heads × distance) and one curve per head from a [H, maxDistance+1] table. */
export function distanceTablePlot(name: string, table: ArrayLike<number>, heads: number, r: PlotRange, yLabel = "bias added to the logit"): PlotSpec {
  const w = r.maxDistance + 1;
  const x = Array.from({ length: w }, (_, k) => k);
  return {
    heatmap: r.logX && r.maxDistance >= 2
      ? (() => { const c = logColumns(table, heads, r.maxDistance); return { title: `${name}: bias by head and distance`, xLabel: "relative distance i − j (log scale)", yLabel: "head", values: c.values, rows: heads, cols: c.cols, logX: c.x, y0: 1, colourScale: "symlog" as const }; })()
      : { title: `${name}: bias by head and distance`, xLabel: "relative distance i − j", yLabel: "head", values: table, rows: heads, cols: w, y0: 1 },
    curve: {
      title: `${name}: ${yLabel} vs relative distance`,
      xLabel: "relative distance i − j",
      yLabel,
      xScale: r.logX ? "log" : "linear",
      series: Array.from({ length: heads }, (_, h) => ({ name: `head ${h + 1}`, x, y: Array.from({ length: w }, (_, k) => table[h * w + k]!) })),
    },
  };
}

/** Heatmap of an absolute table and the similarity PE(t)·PE(t − k) vs k for a reference row t. */
export function absoluteTablePlot(name: string, table: ArrayLike<number>, rows: number, dim: number, refRow: number, r: PlotRange): PlotSpec {
  const kmax = Math.min(r.maxDistance, refRow);
  const x = Array.from({ length: kmax + 1 }, (_, k) => k);
  const y = x.map((k) => {
    let s = 0;
    for (let c = 0; c < dim; c++) s += table[refRow * dim + c]! * table[(refRow - k) * dim + c]!;
    return s;
  });
  return {
    heatmap: { title: `${name}: table (positions × dimensions)`, xLabel: "dimension", yLabel: "position", values: table, rows, cols: dim },
    curve: { title: `${name}: PE(${refRow}) · PE(${refRow} − k)`, xLabel: "relative distance k", yLabel: "dot product", xScale: r.logX ? "log" : "linear", series: [{ name: "PE·PE", x, y }] },
  };
}
