/**
 * The figures' legend families come from the encoding registry (src/pe/encodings.ts: each spec's `family`),
 * not from a table of method names in the report: every registered encoding has a family, each bench method
 * lands in the family its encoding declares, and the figures group their legend by it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodingSpec, ENCODING_NAMES } from "../pe/encodings.js";
import { FAMILIES as ENCODING_FAMILIES, type EncodingFamily } from "../pe/spec.js";
import { FAMILIES, FIGURE_FAMILY, familyOf, perplexityFigure } from "./figures.js";
import { BENCH_METHOD_NAMES, BENCH_METHODS, type BenchMethodName } from "./presets.js";
import type { BenchResults, MethodResult } from "./results.js";

test("every registered encoding declares a family, and every family has a legend group", () => {
  for (const n of ENCODING_NAMES) {
    const f = encodingSpec(n).family;
    assert.ok(Object.hasOwn(ENCODING_FAMILIES, f), `${n}: family ${JSON.stringify(f)}`);
    assert.ok((FAMILIES as readonly string[]).includes(FIGURE_FAMILY[f]), `${n}: ${f} → ${FIGURE_FAMILY[f]}`);
  }
  for (const f of Object.keys(ENCODING_FAMILIES) as EncodingFamily[]) assert.ok(FIGURE_FAMILY[f] !== undefined, f);
});

test("bench methods: the family of the encoding they train (as the papers class them); variants follow their base; pattern methods and the LSTM are 'other'", () => {
  // what the methods are, from their papers — not from our code
  const expected: Record<string, string> = {
    sinusoidal: "absolute", adaptive: "absolute", learned: "absolute",
    rope: "rotary", "rope-yarn": "rotary", "rope-linear": "rotary", "rope-dynamic": "rotary", xpos: "rotary", "randomized-rope": "rotary",
    alibi: "bias", t5: "bias", kerple: "bias", "kerple-power": "bias", fire: "bias", sandwich: "bias", "dynamic-bias": "bias", "randomized-alibi": "bias",
    nope: "other", cope: "other", lstm: "other", "transformer-xl": "other", "transformer-xl-mem": "other",
    "window-sinks": "other", longformer: "other", "adaptive-window": "other",
  };
  assert.deepEqual(Object.keys(expected).sort(), [...BENCH_METHOD_NAMES].sort(), "every bench method is classified here");
  for (const n of BENCH_METHOD_NAMES) assert.equal(familyOf(n), expected[n], n);
  assert.equal(familyOf("not-a-method"), "other");
});

function method(name: BenchMethodName): MethodResult {
  const m = BENCH_METHODS[name];
  return {
    name, kind: m.kind, base: m.kind === "eval-variant" ? m.base : null, summary: m.summary, model: {}, status: "ok", positions: "plain", passkey_learned: null, errors: [], seeds: [],
    eval: [16, 64].map((length, i) => ({ length, ppl: 10 + i, ppl_std: null, loss: Math.log(10 + i) })) as unknown as MethodResult["eval"],
  };
}

/** The legend of a figure: its group headings (bold) and series names, in order. */
function legend(svg: string): string[] {
  return [...svg.matchAll(/<text [^>]*font-weight="bold"[^>]*>([^<]+)<\/text>/g)].map((m) => m[1]!).filter((t) => (FAMILIES as readonly string[]).includes(t));
}

test("the perplexity figure groups its legend by the registry's family — change a spec's family and the figure follows", () => {
  const results = {
    schema: "extrapos.bench/2", train_len: 16, eval_lens: [16, 64], preset: "test", seeds: [0], command: "", config: {}, versions: {}, machine: {},
    wall_seconds: 0, generated: "", best_per_length: [], methods: (["alibi", "rope", "sinusoidal", "nope"] as const).map(method),
  } as BenchResults;
  assert.deepEqual(legend(perplexityFigure(results).svg), ["absolute", "rotary", "bias", "other"]);
  // a spec declaring another family moves its methods in every figure, with no change to the report
  const spec = encodingSpec("alibi");
  const was = spec.family;
  try {
    spec.family = "absolute";
    assert.equal(familyOf("alibi"), "absolute");
    assert.equal(familyOf("randomized-alibi"), "absolute");
    assert.deepEqual(legend(perplexityFigure(results).svg), ["absolute", "rotary", "other"]);
    const svg = perplexityFigure(results).svg;
    assert.ok(svg.indexOf(">alibi<") > svg.indexOf(">absolute<") && svg.indexOf(">alibi<") < svg.indexOf(">rotary<"), "alibi listed under absolute");
  } finally {
    spec.family = was;
  }
});
