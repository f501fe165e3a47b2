/**
 * `extrapos pe t5 --relative -300:300 --num-buckets 32 --max-distance 128 [--causal]` → {"relative", "buckets"}
 * (alias `pe t5-bucket`). `--buckets` is the old name of `--num-buckets` (the spec's `num_buckets`), still accepted.
 */
import { invalid } from "../../pe/errors.js";
import { relativePositionBucket, t5Buckets, T5_SPEC, type T5BucketOptions } from "../../pe/t5.js";
import { getFlag, type ParsedArgs } from "../args.js";
import type { PeCliMethod } from "./index.js";
import { intOption, listOption } from "./options.js";
import { givenFlag, specOptions } from "./spec-options.js";

const T5 = T5_SPEC.params;

function t5Options(a: ParsedArgs): T5BucketOptions {
  const bidirectional = !getFlag(a, "causal");
  const bucketsFlag = givenFlag(a, "num-buckets", "buckets");
  const numBuckets = intOption(a, bucketsFlag, bidirectional ? 4 : 2, T5.num_buckets.default);
  const maxDistance = intOption(a, "max-distance", 1, T5.max_distance.default);
  const maxExact = Math.floor((bidirectional ? Math.floor(numBuckets / 2) : numBuckets) / 2);
  if (maxDistance <= maxExact) throw invalid(`--max-distance must be > ${maxExact} (the exact range of ${numBuckets} ${bidirectional ? "bidirectional" : "causal"} buckets), got ${maxDistance}`);
  return { bidirectional, numBuckets, maxDistance };
}

export const t5Cli: PeCliMethod = {
  summary: "T5 relative position buckets; relative = key − query (Raffel et al. 2020)",
  options: {
    relative: { type: "ints", help: "relative positions key − query: list and/or inclusive ranges a:b (required)", metavar: "A:B" },
    ...specOptions("t5", { num_buckets: "B", max_distance: "N" }),
    buckets: { type: "int", help: "old name of --num-buckets", metavar: "B" },
    // the math's `bidirectional` (T5 encoders) is an option the model does not have (its buckets are causal)
    causal: { type: "boolean", help: "decoder buckets (default: bidirectional, as a T5 encoder)" },
  },
  specParams: { takes: ["num_buckets", "max_distance"] },
  compute(a) {
    const o = t5Options(a);
    const relative = listOption(a, "relative", Number.isInteger, "integers");
    return { relative, buckets: relative.map((r) => relativePositionBucket(r, o)) };
  },
  plot(a, r) {
    const o = t5Options(a);
    const relative = listOption(a, "relative", Number.isInteger, "integers", Array.from({ length: 2 * r.maxDistance + 1 }, (_, i) => i - r.maxDistance));
    const n = Math.min(r.maxDistance + 1, 160);
    const pos = Array.from({ length: n }, (_, i) => i);
    const x = r.logX ? relative.map((v) => -v) : relative;
    return {
      heatmap: { title: "T5: bucket of (query, key)", xLabel: "key position", yLabel: "query position", values: Float64Array.from(t5Buckets(pos, pos, o)), rows: n, cols: n },
      curve: {
        title: "T5: bucket vs relative position (the bias is a learned value per bucket and head)",
        xLabel: r.logX ? "query − key" : "key − query", yLabel: "bucket", xScale: r.logX ? "log" : "linear",
        series: [{ name: o.bidirectional ? "bidirectional" : "causal", x, y: relative.map((v) => relativePositionBucket(v, o)) }],
      },
    };
  },
};
