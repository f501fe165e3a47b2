/**
 * TEST-ONLY: the fuzzing rule shared by src/cli/fuzz-*.test.ts (issue 12). Every reader of user input
 * gets generated inputs (fast-check, fixed seeds so CI is reproducible; `FUZZ_RUNS` = 10⁴ per reader, or
 * EXTRAPOS_FUZZ_RUNS=N for a longer run) and must either accept each one or refuse it with a typed
 * `ExtraposError` whose code the CLI maps to exit 2 — never another exception (an "internal error",
 * exit 1), never a multi-line message, never a hang (each input is timed). `check` also requires that
 * both outcomes occurred, so that a generator that only produces garbage (or only valid input) fails.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { ExtraposError, INTERNAL_CODES } from "../../pe/errors.js";

export const FUZZ_RUNS = Number(process.env.EXTRAPOS_FUZZ_RUNS ?? 10_000);
/** Wall time one input may take (generous: a hang, not a slow machine, should trip it). */
const PER_INPUT_MS = 5_000;

/** Runs `f`: "ok" when it returns, "refused" on a user-facing ExtraposError; throws on anything else or a hang. */
export function acceptsOrRefuses(f: () => unknown): "ok" | "refused" {
  const t0 = performance.now();
  let outcome: "ok" | "refused" = "ok";
  try {
    f();
  } catch (e) {
    if (!(e instanceof ExtraposError) || INTERNAL_CODES.includes(e.code)) throw e;
    assert.ok(e.message.length > 0 && !e.message.includes("\n"), `one-line message: ${e.message}`);
    outcome = "refused";
  }
  assert.ok(performance.now() - t0 < PER_INPUT_MS, `one input took ${(performance.now() - t0).toFixed(0)} ms`);
  return outcome;
}

/** Checks `f` on `runs` inputs of `arb` with `seed`; returns how many were accepted and refused (both > 0). */
export function check<T>(arb: fc.Arbitrary<T>, seed: number, f: (x: T) => unknown, runs = FUZZ_RUNS): { ok: number; refused: number } {
  const n = { ok: 0, refused: 0 };
  fc.assert(fc.property(arb, (x) => {
    n[acceptsOrRefuses(() => f(x))]++;
  }), { seed, numRuns: runs });
  assert.ok(n.ok > 0 && n.refused > 0, `the generator exercises both outcomes: ${n.ok} accepted, ${n.refused} refused`);
  return n;
}

/** Values that sit on the edges of what configs accept. */
export const edgy = fc.oneof(
  fc.integer({ min: -3, max: 300 }),
  fc.constantFrom(0, 1, 2, 0.5, -1, 1e30, -1e30, 2 ** 53, 1e-300, 4096, 65536, Number.MAX_SAFE_INTEGER),
  fc.double({ noNaN: true }),
  fc.boolean(), fc.constant(null), fc.string({ maxLength: 8 }),
  fc.constantFrom("rope", "alibi", "none", "nope", "sinusoidal", "learned", "t5", "xpos", "fire", "kerple", "cope", "yarn", "linear", "dynamic", "llama3", "longrope", "half", "interleaved", "clamp", "refuse", "sqrt_d", "byte", "gpt2", "lstm", "transformer", "copy"),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Objects over `keys` (and a few unknown ones) with edgy values, nested one level. */
export function configLike(keys: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const key = fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) });
  const value = fc.oneof({ weight: 4, arbitrary: edgy }, { weight: 1, arbitrary: fc.dictionary(key, edgy, { maxKeys: 4 }) });
  return fc.dictionary(key, value, { maxKeys: 6 });
}
