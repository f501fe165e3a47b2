import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine } from "../../engine.js";
import { Rng } from "../../../pe/random.js";
import { assertClose, assertSameOutputs, ODD_SIZES, randomArray, runKernel, SplitEngine } from "../testing.js";
import { matvecRows } from "./matvec.js";
import { matvecRowsRef } from "./matvec.ref.js";

const serial = new SerialEngine();
const split = new SplitEngine(3);

function run(engine: SerialEngine | SplitEngine, x: Float64Array, w: Float64Array, b: Float64Array | null, R: number, IN: number, OUT: number) {
  return runKernel(engine, { y: R * OUT, x, w, ...(b ? { b } : {}) }, (p) => matvecRows(engine, p.y!, p.x!, p.w!, b ? p.b! : 0, R, IN, OUT));
}

test("matvecRows matches the float64 reference on odd sizes (rows, inputs, outputs; with and without bias)", () => {
  const rng = new Rng(71);
  for (const R of [1, 3, 8]) for (const IN of ODD_SIZES) for (const OUT of [...ODD_SIZES, 6]) {
    const x = randomArray(rng, R * IN), w = randomArray(rng, OUT * IN, 0.5), b = randomArray(rng, OUT);
    const tol = 2e-6 * Math.sqrt(IN);
    assertClose(`matvec R=${R} IN=${IN} OUT=${OUT}`, run(serial, x, w, b, R, IN, OUT).y!, matvecRowsRef(x, w, b, R, IN, OUT), tol, tol);
    assertClose(`matvec no bias R=${R} IN=${IN} OUT=${OUT}`, run(serial, x, w, null, R, IN, OUT).y!, matvecRowsRef(x, w, null, R, IN, OUT), tol, tol);
  }
});

test("matvecRows: the same bytes for any split of the outputs; a 4-wide block equals the scalar tail's order", () => {
  const rng = new Rng(72);
  const R = 3, IN = 131, OUT = 23;
  const x = randomArray(rng, R * IN), w = randomArray(rng, OUT * IN), b = randomArray(rng, OUT);
  assertSameOutputs("matvec split", run(serial, x, w, b, R, IN, OUT), run(split, x, w, b, R, IN, OUT));
  // output 20 is in the last 4-block of 23 outputs; alone (OUT = 1 with its row) it runs the scalar tail
  const alone = run(serial, x, w.subarray(20 * IN, 21 * IN), b.subarray(20, 21), R, IN, 1).y!;
  const all = run(serial, x, w, b, R, IN, OUT).y!;
  for (let r = 0; r < R; r++) assert.equal(alone[r], all[r * OUT + 20], `row ${r}`);
});

test("matvecRows refuses bad sizes and buffers with the argument named", () => {
  assert.throws(() => matvecRows(serial, 64, 64, 64, 0, 0, 4, 4), /matvecRows: size R must be an integer ≥ 1, got 0/);
  assert.throws(() => matvecRows(serial, 64, 64, 2 ** 40, 0, 1, 4, 4), /matvecRows: `w` \[OUT=4, IN=4\]/);
});
