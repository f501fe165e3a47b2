// Memory estimates (memory.ts) of attention-only blocks (`mlp: false`): the MLP's share leaves both
// estimates exactly — per layer its parameters 8d² + 7d (ln2 2d, fc 4d² + 4d, proj 4d² + d; 16 bytes each
// with gradients and AdamW m, v), its 10·B·T·d saved training activations (ln2, fc, gelu, mlp proj) and
// the evaluation's 4·B·T·d fc buffer, in float32.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseModelConfig } from "../model/config.js";
import { estimateEvalBytes, estimateTrainBytes } from "./memory.js";

test("attention-only estimates = with-MLP estimates minus the MLP's parameters and activations", () => {
  for (const [d, L, B, T] of [[128, 4, 16, 128], [20, 3, 3, 11]] as const) {
    const full = parseModelConfig({ d_model: d, n_layers: L, n_heads: 2, context_length: T });
    const attnOnly = parseModelConfig({ d_model: d, n_layers: L, n_heads: 2, context_length: T, mlp: false });
    const mlpParams = L * (8 * d * d + 7 * d);
    assert.equal(estimateTrainBytes(full, B, T) - estimateTrainBytes(attnOnly, B, T), 16 * mlpParams + 4 * L * 10 * B * T * d);
    assert.equal(estimateEvalBytes(full, B, T) - estimateEvalBytes(attnOnly, B, T), 4 * (mlpParams + 4 * B * T * d));
  }
});
