/**
 * Resonance RoPE: round every wavelength to an integer so each pre-critical pair repeats exactly.
 *
 * Formula: λ_i = 2π/θ_i; λ'_i = round(λ_i) (half to even, like torch.round); θ'_i = 2π/λ'_i.
 *   Zero frequencies (proportional RoPE) stay 0. Applied after any scheme ("Resonance YaRN").
 * Paper: Wang, Tang, Huang, Mei, Jin, Ma, Jin, Yu, Wang 2024, "Resonance RoPE: Improving Context Length
 *   Generalization of Large Language Models", arXiv:2403.00071.
 * Reference: sheryc/resonance_rope src/models/components/positional_embedding/rotary_resonance.py
 *   (`r_wavelengths = torch.round(2 * math.pi / inv_freq)`, `r_inv_freq = 2 * math.pi / r_wavelengths`).
 * Models: research models (the paper's LLaMA fine-tunes).
 * Parameters: invFreq, precision.
 * Config keys: none in HF; `RopeParams.resonance: true` (API) turns it on.
 * Differences: the reference also builds angles as (t mod λ'_i)·θ'_i for pairs with λ'_i ≤ seq_len;
 *   that is equal in exact arithmetic and within float64 rounding in ours, so we keep pos·θ'_i.
 *   A wavelength that rounds to 0 (θ_i > 4π) is refused.
 */
import { ExtraposError } from "../../errors.js";
import { scalarOverTensor, type RopePrecision } from "../inv-freq.js";

/** Round half to even (torch.round). */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Returns the resonance frequencies 2π/round(2π/θ_i).
 * Example: `resonanceInvFreq(new Float64Array([1]))` → [2π/6] (wavelength 6.28 → 6).
 */
export function resonanceInvFreq(invFreq: ArrayLike<number>, precision: RopePrecision = "float64"): Float64Array {
  const out = new Float64Array(invFreq.length);
  for (let i = 0; i < invFreq.length; i++) {
    const f = invFreq[i]!;
    if (f === 0) continue;
    const wavelength = roundHalfEven(scalarOverTensor(2 * Math.PI, f, precision));
    if (wavelength < 1) {
      throw new ExtraposError("invalid_argument", `Resonance RoPE: inv_freq[${i}] = ${f} has wavelength ${2 * Math.PI / f} < 0.5, which rounds to 0`);
    }
    out[i] = scalarOverTensor(2 * Math.PI, wavelength, precision);
  }
  return out;
}
