import { test } from "node:test";
import assert from "node:assert/strict";
import { formatDuration, formatRate, ProgressBar } from "./progress.js";

function fakeStream(isTTY: boolean): { write(s: string): void; isTTY: boolean; columns: number; out: string } {
  return { isTTY, columns: 100, out: "", write(s: string) { this.out += s; } };
}

test("duration and rate formatting (hand-written)", () => {
  assert.deepEqual([0, 12.4, 59.6, 65, 3599, 3600, 3725, 90000].map(formatDuration), ["0s", "12s", "1m00s", "1m05s", "59m59s", "1h00m", "1h02m", "25h00m"]);
  assert.equal(formatDuration(NaN), "--");
  assert.equal(formatDuration(Infinity), "--");
  assert.deepEqual([950, 41234, 1.5e6].map(formatRate), ["950", "41.2k", "1.50M"]);
});

test("plain mode (not a terminal): first line, then at most one per interval, final step always; ETA from measured rate", () => {
  let t = 0;
  const s = fakeStream(false);
  const bar = new ProgressBar({ total: 100, stream: s, now: () => t, plainIntervalMs: 10_000, label: "rope" });
  bar.update({ step: 0, loss: 5.5, tokensPerSec: 950 });
  for (let step = 1; step <= 100; step++) {
    t += 500; // 0.5 s per step
    bar.update({ step, loss: 5.5 - step / 100, tokensPerSec: 41234 });
  }
  bar.finish();
  const lines = s.out.trimEnd().split("\n");
  // t = 0 (first), then every 10 s = every 20 steps: 20, 40, 60, 80, 100 (also the final one); finish adds nothing.
  assert.equal(lines.length, 6);
  assert.equal(lines[0], "rope step 0/100 (0%) | loss 5.5000 | 950 tok/s | ETA --");
  assert.equal(lines[1], "rope step 20/100 (20%) | loss 5.3000 | 41.2k tok/s | ETA 40s"); // 80 steps × 0.5 s
  assert.equal(lines[5], "rope step 100/100 (100%) | loss 4.5000 | 41.2k tok/s | ETA 0s");
  assert.ok(!/[\r\x1b]/.test(s.out), "no control characters");
  bar.log("saved checkpoint");
  assert.ok(s.out.endsWith("saved checkpoint\n"));
});

test("terminal mode: redraws in place with a bar, throttled; log() keeps the bar; finish ends the line", () => {
  let t = 0;
  const s = fakeStream(true);
  const bar = new ProgressBar({ total: 10, stream: s, now: () => t });
  bar.update({ step: 0, loss: 3 });
  t += 50;
  bar.update({ step: 1, loss: 2.9 }); // within 100 ms: not drawn
  assert.equal(s.out.split("\r\x1b[2K").length - 1, 1);
  t += 100;
  bar.update({ step: 2, loss: 2.8 });
  assert.equal(s.out.split("\r\x1b[2K").length - 1, 2);
  assert.match(s.out, /step 2\/10 \(20%\) \[#+-+\] \| loss 2\.8000 \| ETA 1s/); // 2 steps in 0.15 s → 8 × 0.075 s = 0.6 s, rounded
  bar.log("eval: valid loss 2.7");
  assert.ok(s.out.includes("\r\x1b[2Keval: valid loss 2.7\n\r\x1b[2K"), "message, then the bar again");
  bar.finish({ step: 10, loss: 2 });
  assert.ok(s.out.endsWith("\n"));
  assert.ok(s.out.trimEnd().endsWith("ETA 0s"));
  for (const row of s.out.split(/\r\x1b\[2K/)) assert.ok(row.replace(/\n$/, "").length <= 99, "fits the terminal width");
});
