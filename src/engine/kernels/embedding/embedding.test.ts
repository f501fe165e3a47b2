import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine } from "../../engine.js";
import { Rng } from "../../../pe/random.js";
import { assertClose, assertSameOutputs, dot, numericGradient, ODD_SIZES, randomArray, runKernel, SplitEngine } from "../testing.js";
import { embeddingBackward, embeddingForward } from "./embedding.js";
import { embeddingBackwardRef, embeddingForwardRef } from "./embedding.ref.js";

const serial = new SerialEngine();
const split = new SplitEngine(3);

function make(rng: Rng, N: number, C: number, V: number, P: number) {
  return {
    // repeated ids on purpose (V small), non-contiguous shuffled positions
    ids: Array.from({ length: N }, () => rng.int(V)), posIds: Array.from({ length: N }, () => rng.int(P)),
    tok: randomArray(rng, V * C), pos: randomArray(rng, P * C), dOut: randomArray(rng, N * C),
    dTok0: randomArray(rng, V * C), dPos0: randomArray(rng, P * C),
  };
}

function run(engine: SerialEngine | SplitEngine, x: ReturnType<typeof make>, N: number, C: number, V: number, P: number, withPos: boolean) {
  return runKernel(engine, {
    out: N * C, ids: { i32: x.ids }, posIds: { i32: x.posIds }, tok: x.tok, pos: x.pos, dTok: x.dTok0, dPos: x.dPos0, dOut: x.dOut,
  }, (p) => {
    const [posIds, pos, dPos, PP] = withPos ? [p.posIds!, p.pos!, p.dPos!, P] : [0, 0, 0, 0];
    embeddingForward(engine, p.out!, p.ids!, posIds, p.tok!, pos, N, C, V, PP);
    embeddingBackward(engine, p.dTok!, dPos, p.dOut!, p.ids!, posIds, N, C, V, PP);
  });
}

test("embedding gather / scatter-add (+=) match the float64 reference, with and without positions", () => {
  const rng = new Rng(71);
  for (const N of [1, 3, 17]) {
    for (const C of [...ODD_SIZES, 32]) {
      const V = 5, P = 7;
      const x = make(rng, N, C, V, P);
      for (const withPos of [true, false]) {
        const tag = `embedding N=${N} C=${C} pos=${withPos}`;
        const got = run(serial, x, N, C, V, P, withPos);
        assertClose(`${tag} out`, got.out!, embeddingForwardRef(x.ids, x.posIds, x.tok, withPos ? x.pos : null, N, C), 0, 6e-8);
        const g = embeddingBackwardRef(x.dOut, x.ids, x.posIds, N, C, V, P);
        assertClose(`${tag} dTok`, got.dTok!, g.dTok.map((v, i) => v + x.dTok0[i]!), 1e-6, 1e-6);
        assertClose(`${tag} dPos`, got.dPos!, withPos ? g.dPos.map((v, i) => v + x.dPos0[i]!) : x.dPos0, 1e-6, 1e-6);
      }
    }
  }
});

test("embedding reference backward matches finite differences (repeated ids)", () => {
  const rng = new Rng(72);
  const N = 6, C = 3, V = 3, P = 4;
  const x = make(rng, N, C, V, P);
  const tok = Float64Array.from(x.tok), pos = Float64Array.from(x.pos);
  const loss = () => dot(embeddingForwardRef(x.ids, x.posIds, tok, pos, N, C), x.dOut);
  const g = embeddingBackwardRef(x.dOut, x.ids, x.posIds, N, C, V, P);
  assertClose("FD dTok", g.dTok, numericGradient(loss, tok), 1e-7, 1e-7);
  assertClose("FD dPos", g.dPos, numericGradient(loss, pos), 1e-7, 1e-7);
});

test("embedding: same bytes under a split; out-of-range ids and half-given position tables are refused", () => {
  const rng = new Rng(73);
  const x = make(rng, 129, 37, 11, 9);
  assertSameOutputs("embedding", run(serial, x, 129, 37, 11, 9, true), run(split, x, 129, 37, 11, 9, true));
  const bad = { ...x, ids: x.ids.map((v, i) => (i === 4 ? 11 : v)) };
  assert.throws(() => run(serial, bad, 129, 37, 11, 9, true), /embeddingForward: `ids` \[N=129\] \(V=11\) must hold integers in \[0, 11\), got 11 at position 4/);
  const badPos = { ...x, posIds: x.posIds.map((v, i) => (i === 0 ? -1 : v)) };
  assert.throws(() => run(serial, badPos, 129, 37, 11, 9, true), /embeddingForward: `posIds` \[N=129\] \(P=9\) must hold integers in \[0, 9\), got -1 at position 0/);
  const p = serial.alloc(64);
  assert.throws(() => embeddingForward(serial, p, p, 0, p, p, 1, 1, 1, 1), /must be given together/);
});
