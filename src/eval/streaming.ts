/**
 * Streaming evaluation (StreamingLLM, Xiao et al. 2023): the NLL of every target of a window computed
 * token by token through the model's rolling KV cache (`startDecoding({ cache })`: the float32 engine
 * decoder's rolling cache, src/model/gpt/engine-rolling-cache.ts; semantics in rolling-cache.ts) — the first
 * `sinks` tokens and the last `recent` ones, positions assigned inside the cache — instead of one
 * forward over the window. Memory is constant in the window length; the perplexity at 32 L measures
 * whether a model stays stable far past its training length with a fixed cache.
 *
 * Transformer-XL's segments (`cache.segment`, no sinks) go to the model's `segmentNll` when it has one: the same
 * NLL from one forward per segment with the segment memory on the engine (src/model/gpt/segment-memory.ts); other
 * encodings read segments token by token through the engine decoder's segment cache (engine-segment-cache.ts).
 *
 * Example: `streamingNll(model, { B: 1, T: 2048, inputs, targets }, {}, { sinks: 4, recent: 60 })`.
 */
import { ExtraposError } from "../pe/errors.js";
import type { EvalOptions, RollingCache, TokenBatch, TrainableModel } from "../model/lm.js";

/** NLL (nats) of each target [B·T] (NaN where target < 0), each row streamed through a fresh rolling cache. */
export function streamingNll(model: TrainableModel, batch: TokenBatch, evalOpts: EvalOptions, cache: RollingCache): Float64Array {
  // Transformer-XL segments: one forward per segment on the engine when the model has it (same values, tested)
  if (cache.segment !== undefined && cache.sinks === 0 && cache.recent > 0 && model.segmentNll) return model.segmentNll(batch, evalOpts, cache.segment, cache.recent);
  const { B, T } = batch;
  const out = new Float64Array(B * T);
  for (let b = 0; b < B; b++) {
    const dec = model.startDecoding({ ...evalOpts, cache });
    try {
      for (let t = 0; t < T; t++) {
        const logits = dec.feed(batch.inputs.subarray(b * T + t, b * T + t + 1));
        const target = batch.targets[b * T + t]!;
        if (target < 0) { out[b * T + t] = NaN; continue; }
        if (target >= logits.length) throw new ExtraposError("invalid_argument", `target ${target} is outside the vocabulary of ${logits.length}`);
        let m = -Infinity;
        for (const v of logits) m = Math.max(m, v);
        let z = 0;
        for (const v of logits) z += Math.exp(v - m);
        out[b * T + t] = m + Math.log(z) - logits[target]!;
      }
    } finally {
      dec.dispose?.();
    }
  }
  return out;
}
