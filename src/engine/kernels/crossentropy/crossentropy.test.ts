import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine } from "../../engine.js";
import { Rng } from "../../../pe/random.js";
import { ExtraposError } from "../../../pe/errors.js";
import { assertClose, assertSameOutputs, numericGradient, ODD_SIZES, randomArray, runKernel, SplitEngine } from "../testing.js";
import { crossEntropySoftmaxBackward, crossEntropySoftmaxForward, IGNORE_INDEX, type CrossEntropySums } from "./crossentropy.js";
import { crossEntropySoftmaxBackwardRef, crossEntropySoftmaxForwardRef } from "./crossentropy.ref.js";

const serial = new SerialEngine();
const split = new SplitEngine(3);

function targetsFor(rng: Rng, N: number, V: number): number[] {
  return Array.from({ length: N }, (_, r) => (r % 5 === 2 ? IGNORE_INDEX : rng.int(V)));
}

/** Runs forward then backward; `inPlace` puts probs and dLogits over the logits buffer. */
function run(engine: SerialEngine | SplitEngine, logits: Float64Array, targets: number[], N: number, V: number, scale: number, inPlace: boolean) {
  let sums: CrossEntropySums = { sum: NaN, count: -1 };
  const bufs = runKernel(engine, { losses: N, probs: N * V, dLogits: N * V, logits, targets: { i32: targets } }, (p) => {
    const probs = inPlace ? p.logits! : p.probs!;
    const dLogits = inPlace ? p.logits! : p.dLogits!;
    sums = crossEntropySoftmaxForward(engine, p.losses!, probs, p.logits!, p.targets!, N, V);
    if (!inPlace) crossEntropySoftmaxBackward(engine, dLogits, probs, p.targets!, N, V, scale);
    else {
      const saved = Float32Array.from(engine.f32(probs, N * V));
      crossEntropySoftmaxBackward(engine, dLogits, probs, p.targets!, N, V, scale);
      engine.f32(p.probs!, N * V).set(saved); // keep the probabilities visible to the test
      engine.f32(p.dLogits!, N * V).set(engine.f32(dLogits, N * V));
    }
  });
  return { bufs, sums };
}

test("crossEntropySoftmax matches PyTorch F.cross_entropy(ignore_index=-1) on a fixed example", () => {
  // From /usr/bin/python3 + torch 1.13 (float64):
  //   x = torch.tensor([[2*math.sin(r*5+v) for v in range(5)] for r in range(3)], dtype=torch.float64, requires_grad=True)
  //   t = torch.tensor([1, -1, 4]); l = F.cross_entropy(x, t, ignore_index=-1); l.backward()
  const N = 3, V = 5;
  const logits = Float64Array.from({ length: N * V }, (_, i) => Math.fround(2 * Math.sin(Math.floor(i / V) * 5 + (i % V))));
  const torchLoss = 0.660758416363532;
  const torchRowLoss = [0.96257791065289, 0.0, 0.3589389220741741];
  const torchGrad = [0.03548422452554889, -0.30904645324309077, 0.2186960949543783, 0.04705552249985598, 0.0078106112633076555,
    0, 0, 0, 0, 0, 0.016222712121384184, 0.006517390409363212, 0.016466180799009182, 0.11158521271470435, -0.15079149604446102];
  const ref = crossEntropySoftmaxForwardRef(logits, [1, -1, 4], N, V);
  assertClose("ref row losses vs torch", ref.losses, torchRowLoss, 1e-6, 1e-6); // logits rounded to float32
  const { bufs, sums } = run(serial, logits, [1, -1, 4], N, V, 1 / 2, false);
  assert.equal(sums.count, 2);
  assertClose("mean loss vs torch", [sums.sum / sums.count], [torchLoss], 1e-6, 1e-6);
  assertClose("row losses vs torch", bufs.losses!, torchRowLoss, 1e-6, 1e-6);
  assertClose("dLogits vs torch", bufs.dLogits!, torchGrad, 1e-6, 1e-5);
});

test("crossEntropySoftmax forward/backward match the float64 reference on odd sizes (also in place)", () => {
  const rng = new Rng(61);
  for (const N of [1, 3, 17]) {
    for (const V of [...ODD_SIZES, 256]) {
      const logits = randomArray(rng, N * V, 3);
      const targets = targetsFor(rng, N, V);
      const scale = 1 / N;
      const ref = crossEntropySoftmaxForwardRef(logits, targets, N, V);
      const dRef = crossEntropySoftmaxBackwardRef(ref.probs, targets, scale, N, V);
      for (const inPlace of [false, true]) {
        const tag = `crossEntropy N=${N} V=${V}${inPlace ? " in place" : ""}`;
        const { bufs, sums } = run(serial, logits, targets, N, V, scale, inPlace);
        assertClose(`${tag} losses`, bufs.losses!, ref.losses, 1e-6, 1e-6);
        assertClose(`${tag} probs`, bufs.probs!, ref.probs, 1e-8, 1e-5);
        assertClose(`${tag} dLogits`, bufs.dLogits!, dRef, 1e-8, 1e-5);
        assertClose(`${tag} sum`, [sums.sum], [ref.losses.reduce((a, b) => a + b, 0)], 1e-5, 1e-6);
        assert.equal(sums.count, targets.filter((t) => t !== IGNORE_INDEX).length);
      }
    }
  }
});

test("crossEntropySoftmax reference backward matches finite differences of the mean loss", () => {
  const rng = new Rng(62);
  const N = 4, V = 6;
  const logits = randomArray(rng, N * V, 2);
  const targets = [3, IGNORE_INDEX, 0, 5];
  const meanLoss = (x: Float64Array) => crossEntropySoftmaxForwardRef(x, targets, N, V).losses.reduce((a, b) => a + b, 0) / 3;
  const ref = crossEntropySoftmaxForwardRef(logits, targets, N, V);
  assertClose("FD crossEntropy", crossEntropySoftmaxBackwardRef(ref.probs, targets, 1 / 3, N, V), numericGradient(meanLoss, Float64Array.from(logits)), 1e-8, 1e-6);
});

test("crossEntropySoftmax: same bytes under a row split; bad targets are refused", () => {
  const rng = new Rng(63);
  const logits = randomArray(rng, 17 * 129, 3);
  const targets = targetsFor(rng, 17, 129);
  assertSameOutputs("crossEntropy", run(serial, logits, targets, 17, 129, 0.1, false).bufs, run(split, logits, targets, 17, 129, 0.1, false).bufs);
  assert.throws(
    () => run(serial, logits.subarray(0, 10), [0, 5], 2, 5, 1, false),
    (e: unknown) => e instanceof ExtraposError && /crossEntropySoftmaxForward: `targets` \[N=2\] \(V=5, −1 = ignore\) must hold integers in \[-1, 5\), got 5 at position 1/.test(e.message),
  );
});
