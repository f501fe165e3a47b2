import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine } from "../../engine.js";
import { Rng } from "../../../pe/random.js";
import { assertClose, assertSameOutputs, numericGradient, ODD_SIZES, randomArray, runKernel, SplitEngine } from "../testing.js";
import { geluBackward, geluForward } from "./gelu.js";
import { geluBackwardRef, geluForwardRef, geluGradRef, geluRef } from "./gelu.ref.js";

const serial = new SerialEngine();
const split = new SplitEngine(3);

// From /usr/bin/python3 + torch 1.13, float64:
//   x = torch.tensor(XS, dtype=torch.float64, requires_grad=True)
//   y = F.gelu(x, approximate="tanh"); y.sum().backward(); print(y.tolist(), x.grad.tolist())
const XS = [-6.0, -3.0, -1.0, -0.5, -1e-3, 0.0, 0.25, 1.0, 2.5, 8.0];
const TORCH_Y = [-8.43964897967453e-11, -0.0036373920817729943, -0.1588080093917233, -0.15428599017485606, -0.000499601057786418, 0.0, 0.149675350701685, 0.8411919906082768, 2.484915733910001, 8.0];
const TORCH_DY = [-7.709976012836329e-10, -0.011584166630969648, -0.08296408384578258, 0.13263009646535764, 0.499202115706475, 0.5, 0.6953540951510604, 1.0829640838457826, 1.037951576212666, 1.0];

function run(engine: SerialEngine | SplitEngine, inp: ArrayLike<number>, dOut: ArrayLike<number>) {
  const n = inp.length;
  return runKernel(engine, { out: n, dInp: n, inp, dOut }, (p) => {
    geluForward(engine, p.out!, p.inp!, n);
    geluBackward(engine, p.dInp!, p.dOut!, p.inp!, n);
  });
}

test("gelu float64 reference equals PyTorch's tanh-approximate GELU and its gradient", () => {
  assertClose("geluRef vs torch", XS.map(geluRef), TORCH_Y, 1e-15, 1e-13);
  assertClose("geluGradRef vs torch", XS.map(geluGradRef), TORCH_DY, 1e-15, 1e-13);
});

test("gelu forward/backward match the float64 reference (odd sizes, wide range, torch goldens)", () => {
  const rng = new Rng(21);
  for (const n of [...ODD_SIZES, 1000]) {
    const inp = randomArray(rng, n, 3);
    const dOut = randomArray(rng, n);
    const got = run(serial, inp, dOut);
    assertClose(`gelu n=${n} out`, got.out!, geluForwardRef(inp), 1e-7, 2e-6);
    assertClose(`gelu n=${n} dInp`, got.dInp!, geluBackwardRef(dOut, inp), 1e-7, 2e-6);
  }
  const xs = Float64Array.from(XS, Math.fround);
  const got = run(serial, xs, new Float64Array(xs.length).fill(1));
  assertClose("gelu goldens out", got.out!, TORCH_Y, 1e-7, 2e-6);
  assertClose("gelu goldens dInp", got.dInp!, TORCH_DY, 1e-7, 2e-6);
});

test("gelu reference gradient matches finite differences; extreme inputs stay finite", () => {
  const xs = Float64Array.from([-7, -2.2, -0.3, 0, 0.01, 0.9, 4.5]);
  assertClose("FD gelu", Float64Array.from(xs, geluGradRef), numericGradient((x) => x.reduce((s, v) => s + geluRef(v), 0), xs), 1e-8, 1e-6);
  const big = Float64Array.from([-1e4, -60, 60, 1e4]);
  const got = run(serial, big, [1, 1, 1, 1]);
  assert.ok(Math.abs(got.out![0]!) < 1e-30 && Math.abs(got.out![1]!) < 1e-20, `gelu(−1e4), gelu(−60) = ${got.out![0]}, ${got.out![1]}`);
  assert.equal(got.out![2], 60);
  assert.equal(got.out![3], 1e4);
  assertClose("gelu extreme dInp", got.dInp!, [0, 0, 1, 1], 1e-30, 0);
});

test("gelu gives the same bytes when elements are split across threads; in-place works", () => {
  const rng = new Rng(22);
  const inp = randomArray(rng, 131, 2);
  const dOut = randomArray(rng, 131);
  assertSameOutputs("gelu", run(serial, inp, dOut), run(split, inp, dOut));
  const inPlace = runKernel(serial, { x: inp }, (p) => geluForward(serial, p.x!, p.x!, 131)).x!;
  assertClose("gelu in place", inPlace, geluForwardRef(inp), 1e-7, 2e-6);
});
