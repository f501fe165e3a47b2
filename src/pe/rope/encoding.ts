/**
 * The registry entry of RoPE as a model encoding (`pe: "rope"`), and the rotary parameters it shares with xPos.
 *
 * Formula: q, k rotated pairwise by pos·θ^(−2i/R) on the first R = rotary_dim channels of each head (see apply.ts).
 * Paper: Su et al. 2021, "RoFormer", arXiv:2104.09864.
 * Reference: huggingface/transformers modeling_rope_utils.py (default rope_type), GPT-NeoX (half), GPT-J (interleaved).
 * Models: Llama, GPT-NeoX, Mistral, Qwen, GPT-J.
 * Parameters: layout "half" | "interleaved", theta, rotary_dim (derived: the head dimension).
 * Config keys: `pe: {kind: "rope", layout, theta, rotary_dim, randomized}`.
 * Differences: none; frequency scaling is an evaluation option (rope-scaling), not a training parameter.
 */
import { defineEncoding, type ModelDims } from "../spec.js";
import { DEFAULT_ROPE_THETA } from "./inv-freq.js";

/** Parameters of every rotary encoding (RoPE, xPos). */
export const ROTARY_PARAMS = {
  layout: { type: "choice", choices: ["half", "interleaved"], default: "half", help: "channel pairing: half (GPT-NeoX, HF Llama) or interleaved (GPT-J, Meta)", flag: "rope-layout" },
  theta: { type: "number", default: DEFAULT_ROPE_THETA, above: 0, help: "frequency base θ", flag: "rope-theta" },
  rotary_dim: { type: "int", default: null, min: 2, derive: { rule: "the head dimension", value: (d: ModelDims) => d.headDim }, help: "rotated channels per head", flag: "rotary-dim" },
} as const;

/** rotary_dim must be even and ≤ the head dimension (a message naming the values, or null). */
export function validateRotaryDim(r: number, d: ModelDims): string | { message: string; hint: string } | null {
  if (r === d.headDim && r % 2 !== 0) {
    return { message: `a rotary encoding needs an even head dimension (\`d_model\`/\`n_heads\`), got ${r}`, hint: "set `pe.rotary_dim` to an even number ≤ the head dimension" };
  }
  if (r % 2 !== 0 || r > d.headDim) return `\`pe.rotary_dim\` must be even and ≤ the head dimension ${d.headDim}, got ${r}`;
  return null;
}

export const ROPE_SPEC = defineEncoding({
  name: "rope", aliases: {}, family: "rotary",
  summary: "rotary position embedding of q/k (math in src/pe/rope)",
  paper: "Su et al. 2021, arXiv:2104.09864", reference: "HF transformers modeling_rope_utils.py", usedBy: "Llama, GPT-NeoX, Mistral, Qwen, GPT-J",
  models: ["transformer"], randomized: true,
  params: ROTARY_PARAMS,
  validate: (p, d) => validateRotaryDim(p.rotaryDim, d),
});
