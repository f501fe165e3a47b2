/**
 * Learned absolute position embeddings: the initialiser, the lookup and its backward.
 *
 * Formula: PE[pos] = table[pos] (a [maxPositions × d] parameter of the model), table₀ ~ N(0, std²) with std = 0.02.
 * Paper: Gehring et al. 2017, "Convolutional Sequence to Sequence Learning", arXiv:1705.03122; GPT-2 (Radford et al. 2019).
 * Reference: karpathy/nanoGPT model.py (`wpe = nn.Embedding(block_size, n_embd)`, `_init_weights`: normal std 0.02);
 *   shared/peers/torch_gpt.py (the project's PyTorch reference model).
 * Models: GPT-2, BERT, OPT, nanoGPT.
 * Parameters: `maxPositions` (rows; the model passes its training `seq_len`), `dim` d, `std` (default 0.02, as
 *   nanoGPT/GPT-2), `seed`; `beyondTable` ("refuse" default | "clamp").
 * Config keys: `pe: "learned"` with `table_size`, `beyond_table` (LEARNED_SPEC below); checkpoint key `pos_emb.weight`.
 * Differences: the values differ from PyTorch's for the same seed (our generator is xoshiro128** + Box–Muller,
 *   src/pe/random.ts). Positions ≥ maxPositions: PyTorch raises an index error; `refuse` does the same with a
 *   message, `clamp` uses the last row (so a model can still be evaluated past its training length — it has no
 *   information there; the gradient of clamped positions goes to the last row).
 */
import { defineEncoding, REFERENCE_INIT_STD } from "./spec.js";
import { checkChoice, checkInt, checkLength, checkPositive } from "./check.js";
import { invalid } from "./errors.js";
import { Rng } from "./random.js";

export type BeyondTable = "refuse" | "clamp";
export const DEFAULT_LEARNED = { std: 0.02, beyondTable: "refuse" } as const;

/**
 * A fresh [maxPositions × dim] table, N(0, std²) from a seeded generator (same seed → same table everywhere).
 *
 * Example: `learnedTableInit(1024, 256, 42)` → Float64Array(262144)
 */
export function learnedTableInit(maxPositions: number, dim: number, seed: number | Rng, std: number = DEFAULT_LEARNED.std): Float64Array {
  checkInt("maxPositions", maxPositions);
  checkInt("dim", dim);
  checkPositive("std", std);
  const rng = typeof seed === "number" ? new Rng(seed) : seed;
  const out = new Float64Array(maxPositions * dim);
  for (let i = 0; i < out.length; i++) out[i] = std * rng.gaussian();
  return out;
}

/** The table row used for `pos` under the policy (throws for `refuse` beyond the table or any negative position). */
export function learnedRow(pos: number, maxPositions: number, beyondTable: BeyondTable = DEFAULT_LEARNED.beyondTable): number {
  if (!Number.isInteger(pos) || pos < 0) throw invalid(`learned position must be an integer ≥ 0, got ${pos}`);
  if (pos < maxPositions) return pos;
  if (beyondTable === "clamp") return maxPositions - 1;
  throw invalid(
    `learned position ${pos} is beyond the table of ${maxPositions} positions (valid 0..${maxPositions - 1})`,
    `a learned table cannot extrapolate; use beyondTable "clamp" to reuse the last row`,
  );
}

/**
 * Rows of the table for the given positions: [positions.length × dim].
 *
 * Example: `learnedLookupForward(table, 1024, 256, [0, 1, 2])`
 */
export function learnedLookupForward(table: ArrayLike<number>, maxPositions: number, dim: number, positions: ArrayLike<number>, beyondTable: BeyondTable = DEFAULT_LEARNED.beyondTable): Float64Array {
  checkLength("table", table, maxPositions * dim, "[maxPositions, dim]");
  checkChoice("beyondTable", beyondTable, ["refuse", "clamp"] as const);
  const out = new Float64Array(positions.length * dim);
  for (let r = 0; r < positions.length; r++) {
    const row = learnedRow(positions[r]!, maxPositions, beyondTable) * dim;
    for (let c = 0; c < dim; c++) out[r * dim + c] = table[row + c]!;
  }
  return out;
}

/** Gradient of the table: dTable[row(pos)] += dOut[r] (scatter-add), [maxPositions × dim]. */
export function learnedLookupBackward(dOut: ArrayLike<number>, maxPositions: number, dim: number, positions: ArrayLike<number>, beyondTable: BeyondTable = DEFAULT_LEARNED.beyondTable): Float64Array {
  checkLength("dOut", dOut, positions.length * dim, "[positions, dim]");
  const dTable = new Float64Array(maxPositions * dim);
  for (let r = 0; r < positions.length; r++) {
    const row = learnedRow(positions[r]!, maxPositions, beyondTable) * dim;
    for (let c = 0; c < dim; c++) dTable[row + c]! += dOut[r * dim + c]!;
  }
  return dTable;
}

/** The registry entry (spec.ts): `pos_emb.weight` [table_size, d_model], N(0, 0.02²) as GPT-2. */
export const LEARNED_SPEC = defineEncoding({
  name: "learned", aliases: {}, family: "absolute",
  summary: "a learned [table_size, d] table added to the embeddings",
  paper: "Gehring et al. 2017, arXiv:1705.03122", reference: "GPT-2 / nanoGPT wpe", usedBy: "GPT-2, BERT, OPT",
  models: ["transformer", "lstm"], randomized: true,
  params: {
    table_size: { type: "int", default: null, min: 1, derive: { rule: "context_length (or randomized.max_length)", value: (d) => d.randomizedMaxLength ?? d.contextLength }, help: "rows of the table", flag: "table-size" },
    beyond_table: { type: "choice", choices: ["clamp", "refuse"], default: "clamp", help: "positions ≥ table_size: clamp to the last row, or refuse", flag: "beyond-table" },
  },
  validate(p, d) {
    const need = d.randomizedMaxLength ?? d.contextLength;
    return p.tableSize < need ? `\`pe.table_size\` must be ≥ ${d.randomizedMaxLength !== null ? "`pe.randomized.max_length`" : "`context_length`"}, got ${p.tableSize} and ${need}` : null;
  },
  tensors: (p, d) => [{ name: "pos_emb.weight", scope: "embedding", shape: [p.tableSize, d.dModel], init: { kind: "normal", std: REFERENCE_INIT_STD } }],
});
