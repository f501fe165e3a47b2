/**
 * Memory estimates made *before* a model is allocated, so that a window the machine cannot hold is
 * refused with the estimate instead of failing half-way (the engine's planner allocates the real
 * arenas later; these numbers are an upper-bound sketch of the same tables, in float32 bytes).
 *
 * Training (transformer, B windows of T tokens, d model width, H heads, N layers, V vocabulary,
 * P parameters):
 *   state        16·P                      parameters, gradients, AdamW m and v
 *   per layer    (17·B·T·d + B·H·T·T)·4     saved activations (ln1, qkv, attention out, proj,
 *                                          ln2, fc, gelu, mlp proj, residuals) and the attention
 *                                          probabilities (counted in full: a bound, not the
 *                                          blockwise kernel's O(T) statistics); attention-only
 *                                          blocks (`mlp: false`): 7·B·T·d, without ln2, fc, gelu, mlp proj
 *   head         2·B·T·V·4                 logits and their gradient
 * LSTM: per layer 10·B·T·d·4 (gates, cell and hidden states, their gradients) instead.
 * Evaluation (forward only, blockwise attention: O(T·d) memory): parameters 4·P, activations of one
 * layer 12·B·T·d·4 (attention only: 8·B·T·d·4, without the fc buffer), logits B·T·V·4, KV cache 2·N·B·T·d·4.
 *
 * The limit is the WebAssembly 32-bit address space (4 GiB, the engine's `--maximumMemory 65536`
 * pages), or a smaller `maxBytes` given by the caller.
 *
 * Example: `estimateTrainBytes(parseModelConfig({}), 16, 128)` → about 100 MiB (the tiny preset)
 */
import { ExtraposError } from "../pe/errors.js";
import { segmentMemoryLength, type ModelConfig } from "../model/config.js";
import { paramCount, paramTable } from "../model/params.js";

/** WebAssembly memory32 maximum: 65536 pages of 64 KiB. */
export const WASM_MEMORY_LIMIT_BYTES = 65536 * 65536;

const F32 = 4;

/** Estimated bytes to train `cfg` on B windows of T tokens. */
export function estimateTrainBytes(cfg: ModelConfig, B: number, T: number): number {
  const P = paramCount(paramTable(cfg));
  const d = cfg.dModel, N = cfg.nLayers, V = cfg.vocabSize;
  const M = segmentMemoryLength(cfg); // Transformer-XL memory: keys/values over M + T per layer, the memory itself, scratch
  const memory = M > 0 ? N * (2 * B * (M + T) * d + B * M * d) + 2 * B * (M + T) * d + 9 * B * M * d : 0;
  const perLayer = cfg.model === "lstm" ? 10 * B * T * d : (cfg.mlp ? 17 : 7) * B * T * d + B * cfg.nHeads * T * T;
  return 16 * P + F32 * (N * perLayer + 2 * B * T * V + 4 * B * T + memory);
}

/** Estimated bytes to evaluate `cfg` on B windows of L tokens (forward only). */
export function estimateEvalBytes(cfg: ModelConfig, B: number, L: number): number {
  const P = paramCount(paramTable(cfg));
  const d = cfg.dModel, N = cfg.nLayers, V = cfg.vocabSize;
  const kv = cfg.model === "lstm" ? 0 : 2 * N * B * L * d;
  return F32 * (P + (cfg.mlp ? 12 : 8) * B * L * d + B * L * V + kv + 2 * B * L);
}

/** "1.5 GiB", "48.2 MiB", "900 KiB". */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.ceil(n / 1024)} KiB`;
}

/** Throws `out_of_memory` naming `what`, the estimate and the limit (at most 4 GiB) when the estimate exceeds it. */
export function checkMemory(estimate: number, what: string, maxBytes: number = WASM_MEMORY_LIMIT_BYTES, hint?: string): void {
  maxBytes = Math.min(maxBytes, WASM_MEMORY_LIMIT_BYTES); // a larger limit cannot be honoured: memory32 stops at 4 GiB
  if (estimate > maxBytes) {
    throw new ExtraposError("out_of_memory", `${what} needs an estimated ${formatBytes(estimate)}, more than the ${formatBytes(maxBytes)} available`, hint);
  }
}
