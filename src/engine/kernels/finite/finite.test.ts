import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../../../pe/errors.js";
import { createEngine } from "../../threads/pool.js";
import { checkFinite, firstNonFinite } from "./finite.js";

test("firstNonFinite finds the first NaN/±Inf like the plain reference, at odd sizes and chunk edges, 1 and 2 threads", async () => {
  for (const threads of [1, 2]) {
    const engine = await createEngine({ threads });
    try {
      for (const n of [1, 3, 17, 129, 16384, 16385, 50_001]) {
        const ptr = engine.alloc(4 * n);
        const x = engine.f32(ptr, n);
        for (let i = 0; i < n; i++) x[i] = Math.sin(i) * 1e30; // large but finite
        assert.equal(firstNonFinite(engine, ptr, n), -1, `n=${n}: all finite`);
        for (const [pos, bad] of [[n - 1, Number.NaN], [Math.floor(n / 2), Number.POSITIVE_INFINITY], [0, Number.NEGATIVE_INFINITY], [16384, Number.NaN]] as const) {
          if (pos >= n) continue;
          x[pos] = bad;
          const ref = Array.from(engine.f32(ptr, n)).findIndex((v) => !Number.isFinite(v));
          assert.equal(firstNonFinite(engine, ptr, n), ref, `n=${n} threads=${threads} after x[${pos}] = ${bad}`);
        }
      }
    } finally {
      await engine.dispose();
    }
  }
});

test("checkFinite names the op, the shape, the index and the value", async () => {
  const engine = await createEngine({ threads: 1 });
  const ptr = engine.alloc(24);
  engine.f32(ptr, 6).set([0, 1, 2, Number.NEGATIVE_INFINITY, 4, 5]);
  assert.throws(() => checkFinite(engine, ptr, 6, "layerNormForward `inp`", [2, 3]), (e: unknown) =>
    e instanceof ExtraposError && e.code === "non_finite" && e.message === "layerNormForward `inp`: tensor of shape [2, 3] holds -Infinity at flat index 3");
  checkFinite(engine, ptr, 3, "ok"); // the first three are finite
});
