/**
 * `extrapos/pe` RoPE: inverse frequencies, every HF scaling scheme, cos/sin tables, application to
 * q/k in both layouts, weight permutation between layouts, HF config.json parsing.
 *
 * Formula: see the files re-exported here.
 * Paper: Su et al. 2021, "RoFormer", arXiv:2104.09864 (and each scheme's paper).
 * Reference: huggingface/transformers src/transformers/modeling_rope_utils.py.
 * Models: all RoPE models.
 * Parameters: see RopeParams (scaling/types.ts).
 * Config keys: see hf-config.ts.
 * Differences: see each file.
 */
export { DEFAULT_ROPE_THETA, checkRotaryDim, checkTheta, defaultInvFreq, ropeAngle, scalarOverTensor, tensorRound, type RopePrecision } from "./inv-freq.js";
export { applyRope, ropeCosSin, rotateHalfSplit, rotateInterleaved, rotateFor, type RopeLayout, type RopeTable } from "./apply.js";
export { ropeScore, ropeScoreCurve, type RopeScoreOptions, type RopeScoreCurveOptions, type ScoreVectors } from "./score.js";
export { permuteHalfToInterleaved, permuteInterleavedToHalf } from "./permute.js";
export { DEFAULT_ROPE_PARAMS, makeRopeParams, rotaryDimFor, validateRopeParams, type RopeParamsInput } from "./params.js";
export { computeRope, computeRopeFrequencies, type ComputeRopeOptions, type RopeResult } from "./compute.js";
export { ropeParamsFromHfConfig, type HfConfigOptions } from "./hf-config.js";
export * from "./scaling/index.js";
