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

test("ticks cover the range with round steps; log ticks are powers of ten", () => {
  assert.deepEqual(niceTicks(0, 10, "linear"), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(niceTicks(1, 1000, "log"), [1, 10, 100, 1000]);
  assert.deepEqual(niceTicks(7.8, 54, "log"), [10, 20, 50], "within about a decade: 1-2-5 multiples");
  assert.deepEqual(niceTicks(2.1, 3.3, "log"), [2.1, 3.3], "nothing nice inside: the ends");
  assert.deepEqual(niceTicks(1.5, 4.5, "log"), [2, 3, 4], "1…9 multiples when 1-2-5 gives too few");
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
  // y: plot area is [30, 300 − 44] with y range [1, 6] (band ends included in the extent); svg y grows downwards
  const py = (v: number) => 256 - ((v - 1) / 5) * 226;
  pts.slice(0, 4).forEach((q, i) => assert.ok(Math.abs(q[1]! - py([3, 4, 5, 6][i]!)) < 0.01, `upper vertex ${i}`));
  pts.slice(4).forEach((q, i) => assert.ok(Math.abs(q[1]! - py([4, 3, 2, 1][i]!)) < 0.01, `lower vertex ${i}`));
  assert.equal((p.body.match(/<circle /g) ?? []).length, 4, "markers on series a only");
  assert.equal((p.body.match(/stroke-dasharray="6 3"/g) ?? []).length, 2, "series b line and its legend entry");
  // log x from 1 to 8 over [64, 500 − 150]: x = 4 sits at 2/3 of the width
  const v = /<line x1="([\d.]+)" y1="30" x2="([\d.]+)" y2="256" stroke="#555" stroke-dasharray="2 3"\/>/.exec(p.body);
  assert.ok(v, "vertical line drawn");
  assert.ok(Math.abs(Number(v[1]) - (64 + (2 / 3) * 286)) < 0.01);
});

test("line chart: yRange fixes the axis and clamps points to the frame", () => {
  const p = lineChart({ title: "t", xLabel: "x", yLabel: "y", yRange: [0, 1], width: 400, height: 300, series: [{ name: "a", x: [0, 1, 2], y: [0, 1, 2] }] });
  const d = /<path d="([^"]+)"/.exec(p.body)![1]!;
  const ys = d.split(/[ML]/).filter(Boolean).map((s) => Number(s.split(",")[1]));
  assert.deepEqual(ys, [256, 30, 30], "0 → bottom, 1 → top, 2 clamped to the top");
});

test("xmlProblem accepts the charts and rejects malformed XML", async () => {
  const { xmlProblem } = await import("./testing.js");
  const doc = svgDocument([lineChart({ title: "a & b", xLabel: "x", yLabel: "y", series: [{ name: "<s>", x: [1, 2], y: [1, 2], band: { lo: [0, 1], hi: [2, 3] } }] }), heatmap({ title: "h", xLabel: "x", yLabel: "y", values: [1, 2, 3, 4], rows: 2, cols: 2 })]);
  assert.equal(xmlProblem(doc), null);
  for (const bad of ["<a><b></a></b>", "<a>x & y</a>", '<a b="1" b="2"/>', "<a>", "<a/><b/>", '<a b="<"/>', "<a>1 < 2</a>", "text<a/>"]) {
    assert.notEqual(xmlProblem(bad), null, bad);
  }
});
