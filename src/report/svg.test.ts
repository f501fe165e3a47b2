import { test } from "node:test";
import assert from "node:assert/strict";
import { escapeXml, heatmap, lineChart, niceTicks, poolMatrix, svgDocument } from "./svg.js";

/** Tag balance check (a minimal well-formedness test without a DOM). */
function balanced(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (m[0].startsWith("<?")) continue;
    if (m[3] === "/") continue;
    if (m[1] === "/") {
      if (stack.pop() !== m[2]) return false;
    } else stack.push(m[2]!);
  }
  return stack.length === 0;
}

test("line chart: one path per series with one point per finite value; log axis drops values ≤ 0", () => {
  const p = lineChart({ title: "t <&>", xLabel: "x", yLabel: "y", xScale: "log", series: [{ name: "a", x: [0, 1, 10, 100], y: [1, 2, 3, NaN] }, { name: "b", x: [1, 2, 3], y: [0, 1, 2] }] });
  const paths = [...p.body.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1]!);
  assert.equal(paths.length, 2);
  assert.equal(paths[0]!.split(/[ML]/).filter(Boolean).length, 2, "x = 0 (log) and y = NaN are left out");
  assert.equal(paths[1]!.split(/[ML]/).filter(Boolean).length, 3);
  assert.ok(p.body.includes("t &lt;&amp;&gt;"), "title escaped");
  const doc = svgDocument([p]);
  assert.ok(balanced(doc) && doc.startsWith("<?xml") && !/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(doc), "standalone");
});

test("heatmap: pooling averages blocks exactly (vs a direct computation), non-finite cells ignored", () => {
  const rows = 7, cols = 5, v = Float64Array.from({ length: rows * cols }, (_, i) => i * 0.5 - 3);
  v[3] = NaN;
  const p = poolMatrix(v, rows, cols, 3);
  assert.equal(p.fy, 3);
  assert.equal(p.fx, 2);
  for (let r = 0; r < p.rows; r++) for (let c = 0; c < p.cols; c++) {
    let s = 0, n = 0;
    for (let rr = r * 3; rr < Math.min(rows, r * 3 + 3); rr++) for (let cc = c * 2; cc < Math.min(cols, c * 2 + 2); cc++) {
      const x = v[rr * cols + cc]!;
      if (Number.isFinite(x)) { s += x; n++; }
    }
    assert.equal(p.values[r * p.cols + c], s / n);
  }
  const h = heatmap({ title: "h", xLabel: "x", yLabel: "y", values: v, rows, cols });
  assert.ok(balanced(svgDocument([h])));
  assert.ok(h.body.includes('fill="#bbb"'), "NaN cell drawn grey");
});

test("ticks cover the range with round steps; log ticks: linear steps in a narrow range, else powers of ten, 1-2-5, 1…9", () => {
  assert.deepEqual(niceTicks(0, 10, "linear"), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(niceTicks(1, 1000, "log"), [1, 10, 100, 1000]);
  // a perplexity axis from 7.2 to 21.4 (less than 1.5 decades): (21.4 − 7.2)/6 = 2.37, step rounded down to 2
  // (the case: not just 8, 9, 10, 20)
  assert.deepEqual(niceTicks(7.2, 21.4, "log"), [8, 10, 12, 14, 16, 18, 20]);
  assert.deepEqual(niceTicks(6.9, 24, "log"), [8, 10, 12, 14, 16, 18, 20, 22, 24], "17.1/6 = 2.85 → 2: ticks below 10 too");
  assert.deepEqual(niceTicks(7.8, 54, "log"), [10, 15, 20, 25, 30, 35, 40, 45, 50], "ratio < 30: 46.2 / 6 = 7.7 → step 5");
  assert.deepEqual(niceTicks(1.5, 4.5, "log"), [1.5, 2, 2.5, 3, 3.5, 4, 4.5]);
  assert.deepEqual(niceTicks(3, 300, "log"), [5, 10, 20, 50, 100, 200], "two decades: 1-2-5 multiples when powers give fewer than 4");
  assert.deepEqual(niceTicks(2, 150, "log"), [2, 5, 10, 20, 50, 100]);
  assert.equal(escapeXml('"a" < b'), "&quot;a&quot; &lt; b");
});

test("line chart: band polygon spans lo…hi (reversed lower edge), markers per point, dashes, vertical line at x", () => {
  const p = lineChart({
    title: "t", xLabel: "x", yLabel: "y", xScale: "log", vLines: [{ x: 4, label: "L" }], width: 500, height: 300,
    series: [
      { name: "a", x: [1, 2, 4, 8], y: [2, 3, 4, 5], band: { lo: [1, 2, 3, 4], hi: [3, 4, 5, 6] }, markers: true },
      { name: "b", x: [1, 8], y: [2, 2], dashed: true },
    ],
  });
  const poly = [...p.body.matchAll(/<polygon points="([^"]+)"/g)];
  assert.equal(poly.length, 1, "one band (series b has none)");
  const pts = poly[0]![1]!.split(" ").map((s) => s.split(",").map(Number));
  assert.equal(pts.length, 8, "4 upper + 4 lower vertices");
  // x of the upper edge ascends and the lower edge comes back: the polygon closes on itself
  assert.deepEqual(pts.slice(0, 4).map((q) => q[0]), pts.slice(4).map((q) => q[0]).reverse());
  // y: plot area is [34, 300 − 50] = [34, 250]; the y range is the data's [1, 6] (band ends included) widened by
  // 6 % of its span on each side → [0.7, 6.3]; svg y grows downwards
  const py = (v: number) => 250 - ((v - 0.7) / 5.6) * 216;
  pts.slice(0, 4).forEach((q, i) => assert.ok(Math.abs(q[1]! - py([3, 4, 5, 6][i]!)) < 0.01, `upper vertex ${i}`));
  pts.slice(4).forEach((q, i) => assert.ok(Math.abs(q[1]! - py([4, 3, 2, 1][i]!)) < 0.01, `lower vertex ${i}`));
  assert.equal((p.body.match(/<circle /g) ?? []).length, 5, "markers on series a only: 4 points + its legend entry");
  assert.equal((p.body.match(/stroke-dasharray="6 3"/g) ?? []).length, 2, "series b line and its legend entry");
  // log x from 1 to 8 widened by 8^0.04 each side, over [70, 500 − 170]: x = 4 sits at (2/3 + 0.04) / 1.08 of the width
  const v = /<line x1="([\d.]+)" y1="34" x2="([\d.]+)" y2="250" stroke="#333" stroke-width="1.5" stroke-dasharray="5 3"\/>/.exec(p.body);
  assert.ok(v, "vertical line drawn");
  assert.ok(Math.abs(Number(v[1]) - (70 + ((2 / 3 + 0.04) / 1.08) * 260)) < 0.01);
  assert.ok(p.body.includes(">L</text>"), "its label");
});

test("line chart: the vertical line's label goes where no series passes — the slot that hides the fewest points and lines, drawn over the series", () => {
  const labelTop = (series: Parameters<typeof lineChart>[0]["series"]) => {
    const body = lineChart({ title: "t", xLabel: "x", yLabel: "y", xScale: "log", yRange: [0, 1], vLines: [{ x: 64, label: "L = 64" }], width: 600, height: 400, series }).body;
    const m = /<rect x="[\d.]+" y="(\d+)" width="50" height="18" fill="white" fill-opacity="0.85"/.exec(body);
    assert.ok(m, "label box drawn");
    assert.ok(body.indexOf(m[0]) > body.lastIndexOf("<path "), "after every series line");
    return Number(m[1]);
  };
  // plot area y ∈ [34, 350]; the top slot is y 38, the bottom slot 328
  assert.equal(labelTop([{ name: "low", x: [64, 2048], y: [0.5, 0.5] }]), 38, "free top: the top slot");
  assert.equal(labelTop([{ name: "high", x: [64, 2048], y: [1, 1] }]), 328, "a series at 1.0 where the label would be: the bottom slot");
  const mid = labelTop([{ name: "high", x: [64, 2048], y: [1, 1], markers: true }, { name: "low", x: [64, 2048], y: [0, 0], markers: true }, { name: "falling", x: [64, 128], y: [1, 0] }]);
  assert.equal(mid, 183, "points at 0 and 1, a line falling through the middle: the middle slot (a line costs less than a point)");
});

test("line chart: yRange fixes the axis (widened 4 % so 0 and 1 stay off the frame) and clamps points beyond it to the frame", () => {
  const p = lineChart({ title: "t", xLabel: "x", yLabel: "y", yRange: [0, 1], width: 400, height: 300, series: [{ name: "a", x: [0, 1, 2], y: [0, 1, 2] }] });
  const d = /<path d="([^"]+)"/.exec(p.body)![1]!;
  const ys = d.split(/[ML]/).filter(Boolean).map((s) => Number(s.split(",")[1]));
  // axis [−0.04, 1.04] over [250, 34]: 0 → 250 − 0.04/1.08·216 = 242, 1 → 250 − 1.04/1.08·216 = 42, 2 → the top of the frame, 34
  ys.forEach((y, i) => assert.ok(Math.abs(y - [242, 42, 34][i]!) < 1e-9, `${y}`));
});

test("heatmap: robust colour range (2nd–98th percentiles) so one extreme row does not flatten the others; notes clear of the ticks", () => {
  // 60 rows × 10 columns: row 0 at −1000 (a steep head: 1.7 % of the cells, below the 2nd percentile), the others 0 … 1
  const rows = 60, cols = 10, v = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) v[r * cols + c] = r === 0 ? -1000 : c / 9; // one row of extreme values
  const robust = heatmap({ title: "h", xLabel: "x", yLabel: "y", values: v, rows, cols, width: 600, height: 400 });
  const full = heatmap({ title: "h", xLabel: "x", yLabel: "y", values: v, rows, cols, colourRange: "full", width: 600, height: 400 });
  // colours of the cells of rows 1…59 (the colour bar, right of the plot, excluded)
  const distinct = (b: string) => new Set([...b.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="[\d.]+" height="[\d.]+" fill="(rgb[^"]+)"/g)].filter((m) => Number(m[1]) < 600 - 170 && Number(m[2]) > 34 + 316 / 60).map((m) => m[3])).size;
  assert.ok(distinct(robust.body) >= 8 && distinct(full.body) <= 2, `robust ${distinct(robust.body)} colours in rows 1…59 vs full ${distinct(full.body)}`);
  assert.ok(robust.body.includes("colours clipped at the"), "the clipping is said");
  assert.ok(!full.body.includes("colours clipped"));
  // notes are in the right margin (x ≥ width − 170), never under the plot's tick labels
  for (const m of robust.body.matchAll(/<text x="([\d.]+)" y="[\d.]+" font-size="11" fill="#555">/g)) assert.ok(Number(m[1]) >= 600 - 170);
});

test("xmlProblem accepts the charts and rejects malformed XML", async () => {
  const { xmlProblem } = await import("./testing.js");
  const doc = svgDocument([lineChart({ title: "a & b", xLabel: "x", yLabel: "y", series: [{ name: "<s>", x: [1, 2], y: [1, 2], band: { lo: [0, 1], hi: [2, 3] } }] }), heatmap({ title: "h", xLabel: "x", yLabel: "y", values: [1, 2, 3, 4], rows: 2, cols: 2 })]);
  assert.equal(xmlProblem(doc), null);
  for (const bad of ["<a><b></a></b>", "<a>x & y</a>", '<a b="1" b="2"/>', "<a>", "<a/><b/>", '<a b="<"/>', "<a>1 < 2</a>", "text<a/>"]) {
    assert.notEqual(xmlProblem(bad), null, bad);
  }
});

test("line chart: a legend longer than the requested height grows the panel so no entry is cut off", () => {
  const groups = ["absolute", "rotary", "bias", "other"];
  const series = Array.from({ length: 18 }, (_, k) => ({ name: `m${k}`, group: groups[Math.floor(k / 5)], x: [1, 2], y: [k, k + 1] }));
  const p = lineChart({ title: "t", xLabel: "x", yLabel: "y", height: 200, series });
  const ys = [...p.body.matchAll(/<text x="[^"]+" y="([^"]+)" font-size="\d+">m\d+<\/text>/g)].map((m) => Number(m[1]));
  assert.equal(ys.length, 18);
  assert.ok(p.height > 200, `panel height ${p.height}`);
  for (const y of ys) assert.ok(y + 4 <= p.height, `legend entry at y ${y} lies outside the ${p.height}-px panel`);
  const short = lineChart({ title: "t", xLabel: "x", yLabel: "y", height: 300, series: series.slice(0, 3) });
  assert.equal(short.height, 300, "a legend that fits leaves the requested height alone");
});
