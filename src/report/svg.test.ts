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
  assert.equal(escapeXml('"a" < b'), "&quot;a&quot; &lt; b");
});
