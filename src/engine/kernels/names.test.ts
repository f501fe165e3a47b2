import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine } from "../engine.js";
import * as names from "./names.js";

test("every kernel name constant in names.ts is exported by the wasm module", () => {
  const engine = new SerialEngine();
  const constants = Object.entries(names).filter(([, v]) => typeof v === "string") as [string, string][];
  assert.ok(constants.length >= 20, `expected the kernel names, found ${constants.length}`);
  for (const [key, name] of constants) assert.equal(typeof engine.kernels[name], "function", `${key} = "${name}" is not a wasm export`);
});

test("parallelFor is typed per kernel: a wrong name, arity or argument is a compile error (checked by tsc on this file)", () => {
  const engine = new SerialEngine();
  // never run: the @ts-expect-error lines fail the build if the typing lets them through
  const compileOnly = (e: SerialEngine): void => {
    // @ts-expect-error residualForward takes (out, a, b)
    e.parallelFor(names.RESIDUAL_FORWARD, 4, [1, 2]);
    // @ts-expect-error not a kernel
    e.parallelFor("residualForwardd", 4, [1, 2, 3]);
    // @ts-expect-error matvecRows takes 7 arguments
    e.parallelFor(names.MATVEC_ROWS, 4, [1, 2, 3, 4, 5, 6]);
    // @ts-expect-error the attention kernels take one parameter block
    e.parallelFor(names.ATTENTION_FORWARD, 4, [1, 2, 3]);
    e.parallelFor(names.RESIDUAL_FORWARD, 4, [1, 2, 3]);
  };
  assert.equal(typeof compileOnly, "function");
  // every name of the KernelArgs map is a wasm export (the map and the module agree at run time too)
  const mapped: names.KernelName[] = [names.MATMUL_AB, names.DECODE_ATTENTION, names.NON_FINITE_SCAN, names.BIAS_GRAD_ACCUMULATE];
  for (const n of mapped) assert.equal(typeof engine.kernels[n], "function", n);
});
