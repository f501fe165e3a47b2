/**
 * Float64 reference of relativeAttentionForward (relative.ts): the formula of its header evaluated
 * directly, one (b, h, i) at a time, same layouts. Returns out [B, S, C].
 */
import type { RelativeShape } from "./relative.js";

export interface RefRelativeInputs {
  q: ArrayLike<number>; k: ArrayLike<number>; v: ArrayLike<number>;
  r: ArrayLike<number>; u: ArrayLike<number>; vBias: ArrayLike<number>; maxDistance: number;
}

export function relativeAttentionForwardRef(x: RefRelativeInputs, s: RelativeShape): Float64Array {
  const { B, S, M, NH, HS } = s, K = M + S, C = NH * HS, D = x.maxDistance, scale = 1 / Math.sqrt(HS);
  const out = new Float64Array(B * S * C);
  for (let b = 0; b < B; b++) for (let h = 0; h < NH; h++) for (let i = 0; i < S; i++) {
    const gi = M + i, logits = new Float64Array(gi + 1);
    for (let j = 0; j <= gi; j++) {
      let s1 = 0;
      for (let c = 0; c < HS; c++) {
        const qc = x.q[((b * NH + h) * S + i) * HS + c]!;
        s1 += (qc + x.u[h * HS + c]!) * x.k[((b * NH + h) * K + j) * HS + c]!;
        s1 += (qc + x.vBias[h * HS + c]!) * x.r[(h * (D + 1) + Math.min(gi - j, D)) * HS + c]!;
      }
      logits[j] = scale * s1;
    }
    const m = Math.max(...logits);
    let z = 0;
    for (let j = 0; j <= gi; j++) { logits[j] = Math.exp(logits[j]! - m); z += logits[j]!; }
    for (let j = 0; j <= gi; j++) for (let c = 0; c < HS; c++) out[(b * S + i) * C + h * HS + c]! += (logits[j]! / z) * x.v[((b * NH + h) * K + j) * HS + c]!;
  }
  return out;
}
