/**
 * NoPE: no position encoding at all — a documented no-op.
 *
 * Formula: none: x ↦ x (no table added, no rotation, no bias). Under a causal mask the model can still infer
 *   position (Kazemnejad et al. prove the first layer can recover absolute positions, Thm 1).
 * Paper: Haviv et al. 2022, "Transformer Language Models without Positional Encodings Still Learn Positional
 *   Information", arXiv:2203.16634; Kazemnejad et al. 2023, "The Impact of Positional Encoding on Length
 *   Generalization in Transformers", NeurIPS 2023, arXiv:2305.19466.
 * Reference: McGill-NLP/length-generalization (the paper's code); lucidrains/x-transformers
 *   `TransformerWrapper(use_abs_pos_emb=False)` without rotary or bias.
 * Models: the papers' decoder-only models.
 * Parameters: none.
 * Config keys: `pe: "nope"` (alias `"none"`).
 * Differences: none. Only meaningful with causal attention (a bidirectional model without positions is
 *   permutation-invariant).
 */
import { defineEncoding } from "./spec.js";

/**
 * The identity: what NoPE does to the embeddings, the queries/keys and the logits.
 *
 * Example: `nope(x) === x`
 */
export function nope<T>(x: T): T {
  return x;
}

/** The registry entry (spec.ts): `pe: "nope"` (alias `"none"`). */
export const NOPE_SPEC = defineEncoding({
  name: "nope", aliases: { none: {} }, family: "none",
  summary: "NoPE: no position signal (causal attention only)",
  paper: "Kazemnejad et al. 2023, arXiv:2305.19466", reference: "McGill-NLP/length-generalization", usedBy: "NoPE decoders",
  models: ["transformer", "lstm"], randomized: false, params: {},
});
