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

test("ticks cover the range with round steps; log ticks: linear steps within a factor 2, ladders of round values evenly spread in log up to 30×, else powers of ten, 1-2-5, 1…9", () => {
  assert.deepEqual(niceTicks(0, 10, "linear"), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(niceTicks(1, 1000, "log"), [1, 10, 100, 1000]);
  // narrow log ranges: the ladder (1-2-5; 1, 1.5, 2, 3, 5, 7; 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8; …) whose count is
  // closest to the target of 6 — on 7.2…21.4: 3, 5 or 11 ticks → the second-finest, 8 10 12 15 20 (not 8, 10, … 20 in steps of 2)
  assert.deepEqual(niceTicks(7.2, 21.4, "log"), [8, 10, 12, 15, 20]);
  assert.deepEqual(niceTicks(6.9, 24, "log"), [7, 8, 10, 12, 15, 20], "4 or 6 ticks: 7 under the 8");
  assert.deepEqual(niceTicks(7.8, 54, "log"), [10, 15, 20, 30, 50], "5 or 9 ticks");
  assert.deepEqual(niceTicks(1.5, 4.5, "log"), [1.5, 2, 2.5, 3, 4]);
  assert.deepEqual(niceTicks(7.3, 7.9, "log"), [7.3, 7.4, 7.5, 7.6, 7.7, 7.8, 7.9], "within a factor 2 a log axis is nearly linear: steps of 0.1");
  assert.deepEqual(niceTicks(3, 300, "log"), [5, 10, 20, 50, 100, 200], "two decades: 1-2-5 multiples when powers give fewer than 4");
  assert.deepEqual(niceTicks(2, 150, "log"), [2, 5, 10, 20, 50, 100]);
  assert.deepEqual(niceTicks(1.3862943611198906, 1.3862943611198908, "linear"), [1.3862943611198906], "a span at rounding level: one tick (no endless loop)");
  assert.equal(escapeXml('"a" < b'), "&quot;a&quot; &lt; b");
});

/** The y-axis tick labels of a line chart panel with their y positions (px), top to bottom. */
function yTickLabels(body: string): Array<{ v: number; y: number }> {
  return [...body.matchAll(/<text x="[\d.]+" y="([\d.]+)" font-size="12" text-anchor="end">([^<]+)<\/text>/g)].map((m) => ({ v: Number(m[2]), y: Number(m[1]) }));
}

test("line chart, log y axis like the README's perplexity figure (best methods at 7.2–7.9, bands up to 28): a tick at or under the lowest value, none crowded", () => {
  // the README figure's extremes: KERPLE 7.23 at 1024 (band to 7.05), xPos 22.5 ± 5.2 at 2048 (band to 27.7)
  const series = [
    { name: "kerple", x: [64, 128, 256, 512, 1024, 2048], y: [7.89, 7.75, 7.77, 7.81, 7.23, 7.32], band: { lo: [7.78, 7.64, 7.66, 7.69, 7.05, 7.15], hi: [8, 7.86, 7.88, 7.93, 7.41, 7.49] } },
    { name: "xpos", x: [64, 128, 256, 512, 1024, 2048], y: [7.49, 7.89, 13.22, 17.77, 19.89, 22.54], band: { lo: [7.38, 7.59, 11.44, 14.78, 15.81, 17.35], hi: [7.6, 8.19, 15, 20.76, 23.97, 27.73] } },
  ];
  const p = lineChart({ title: "ppl", xLabel: "n", yLabel: "ppl", xScale: "log", yScale: "log", series, width: 1160, height: 560 });
  const ticks = yTickLabels(p.body);
  const lowest = Math.min(...ticks.map((t) => t.v));
  assert.ok(lowest <= 7.05, `lowest tick ${lowest} above the lowest value drawn, 7.05 (the old linear step of 2 started at 8)`);
  const ys = ticks.map((t) => t.y).sort((a, b) => a - b);
  for (let i = 1; i < ys.length; i++) assert.ok(ys[i]! - ys[i - 1]! >= 28, `ticks ${ys[i - 1]} and ${ys[i]} px: crowded (the old 26, 28, 30 were 11 px apart)`);
  assert.ok(ticks.length >= 6, `${ticks.length} ticks: enough to read values between 7 and 28`);
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
  // points at 0 (y 338) and 1 (y 45.7), a line falling through the middle: a height clear of both points by 5 px,
  // across the line (a line costs less than a point)
  const mid = labelTop([{ name: "high", x: [64, 2048], y: [1, 1], markers: true }, { name: "low", x: [64, 2048], y: [0, 0], markers: true }, { name: "falling", x: [64, 128], y: [1, 0] }]);
  assert.ok(mid - 5 > 45.7 && mid + 18 + 5 < 338, `label box at ${mid}…${mid + 18} px`);
});

test("line chart: the label hides no point and no line of any series when a free height exists (the README passkey panel: L = 64 sat on the lines falling from 0.58 and 0.63)", () => {
  // the README panel's data: exact match of its 16 methods (3-seed run, rounded) at 64 … 2048, in their 4 legend groups
  const acc = [
    [0.63, 0, 0, 0, 0, 0], [0.08, 0, 0, 0, 0, 0], [0.04, 0, 0, 0, 0, 0], [0.79, 0, 0, 0, 0, 0], [0.79, 0.33, 0.13, 0.13, 0.13, 0],
    [0.79, 0.08, 0.08, 0.04, 0, 0], [0.58, 0.04, 0, 0, 0, 0], [1, 0.96, 0.79, 0.63, 0.29, 0.21], [1, 0.5, 0.04, 0, 0, 0],
    [0.33, 0.33, 0.33, 0.33, 0.33, 0.33], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0.33, 0.17, 0.17, 0, 0, 0], [0, 0, 0, 0, 0, 0],
    [0.29, 0.08, 0.08, 0, 0, 0], [0.79, 0.46, 0.17, 0.08, 0.08, 0.08],
  ];
  const groups = [3, 5, 4, 4].flatMap((n, g) => Array.from({ length: n }, () => ["absolute", "rotary", "bias", "other"][g]!));
  const series = acc.map((y, i) => ({ name: `m${i}`, group: groups[i]!, x: [64, 128, 256, 512, 1024, 2048], y, markers: true }));
  const body = lineChart({ title: "t", xLabel: "x", yLabel: "y", xScale: "log", yRange: [0, 1], vLines: [{ x: 64, label: "L = 64" }], width: 1160, height: 340, series }).body;
  const m = /<rect x="([\d.]+)" y="(\d+)" width="(\d+)" height="18" fill="white" fill-opacity="0.85"/.exec(body);
  assert.ok(m, "label box drawn");
  const [bx, by, bw] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // every marker (circles: cx, cy) of the series, none within the box
  for (const c of body.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="3.5"/g)) {
    const [cx, cy] = [Number(c[1]), Number(c[2])];
    if (cx > 1160 - 170) continue; // the legend
    assert.ok(!(cx >= bx - 3.5 && cx <= bx + bw + 3.5 && cy >= by - 3.5 && cy <= by + 18 + 3.5), `the point at (${cx}, ${cy}) is under the label box at (${bx}, ${by})`);
  }
  // no series line passes under the box (sampled finely along each segment); between 0.04 and 0.29 at x = 64 one
  // height is free of them (the old five fixed slots put the box across xPos's and sinusoidal's lines)
  for (const path of body.matchAll(/<path d="([^"]+)" fill="none"/g)) {
    const q = path[1]!.split(/[ML]/).filter(Boolean).map((t) => t.split(",").map(Number) as [number, number]);
    for (let i = 0; i + 1 < q.length; i++) for (let t = 0; t <= 100; t++) {
      const x = q[i]![0] + ((q[i + 1]![0] - q[i]![0]) * t) / 100, y = q[i]![1] + ((q[i + 1]![1] - q[i]![1]) * t) / 100;
      assert.ok(!(x >= bx && x <= bx + bw && y >= by && y <= by + 18), `a line passes under the label box at (${bx}, ${by}): (${x}, ${y})`);
    }
  }
});

test("line chart: horizontal reference lines over the whole plot or an x range, inside the automatic y range, label at the left end", () => {
  const p = lineChart({
    title: "t", xLabel: "x", yLabel: "y", width: 500, height: 300, series: [{ name: "a", x: [0, 10], y: [0.5, 0.6] }],
    hLines: [{ y: 0.2, label: "no lookup", from: 2, to: 4 }, { y: 0.55 }],
  });
  const lines = [...p.body.matchAll(/<line x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)" stroke="#555" stroke-width="1.6" stroke-dasharray="1 3"/g)].map((m) => m.slice(1).map(Number));
  assert.equal(lines.length, 2);
  // x from 0 to 10 widened 4 % each side over [70, 330]: x = 2 → 70 + (2.4 / 10.8) · 260
  const px = (v: number) => 70 + ((v + 0.4) / 10.8) * 260;
  assert.ok(Math.abs(lines[0]![0]! - px(2)) < 0.01 && Math.abs(lines[0]![2]! - px(4)) < 0.01, "the segment spans x 2…4");
  assert.equal(lines[0]![1], lines[0]![3], "horizontal");
  assert.ok(lines[1]![0] === 70 && lines[1]![2] === 330, "no range: across the plot");
  assert.ok(lines[0]![1]! < 250 && lines[0]![1]! > 34, "0.2, below the data (0.5…0.6), is inside the y range");
  assert.ok(p.body.includes(">no lookup</text>"));
});

test("line chart: markerGap thins the markers of a dense line (at most one per gap px along x), every point without it", () => {
  const x = Array.from({ length: 101 }, (_, i) => i), y = x.map((v) => Math.sin(v / 10));
  const count = (gap?: number) => (lineChart({ title: "t", xLabel: "x", yLabel: "y", width: 500, height: 300, series: [{ name: "a", x, y, markers: true, marker: "square", ...(gap ? { markerGap: gap } : {}) }] }).body.match(/<rect x="[\d.]+" y="[\d.]+" width="7"/g) ?? []).length;
  assert.equal(count(), 101 + 1, "every point and the legend entry");
  // the plot spans 260 px for 100 steps (≈ 2.4 px each after the 4 % padding): a 40 px gap leaves 6 or 7 markers
  const sparse = count(40) - 1;
  assert.ok(sparse >= 6 && sparse <= 7, `${sparse} markers`);
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
