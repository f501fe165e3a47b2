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
