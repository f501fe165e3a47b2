/**
 * `pe: {kind: "kerple", kernel: "log" | "power"}` (aliases "kerple-log", "kerple-power"): KERPLE's per-head kernels (src/pe/kerple.ts) as one Toeplitz
 * table per layer, −r1·ln(1 + r2·n) or −a·n^p, from `blocks.{i}.attn.pe.r1|r2` or `.a|.p` [NH].
 * Gradients: `kerpleDistanceTableBackward` (analytic) of the batch-summed slab. Like the reference
 * (chijames/KERPLE, which clamps the parameters in place before each forward), the parameters are kept
 * clamped (r1, r2, a ≥ 0.01, p ∈ [0.01, 2]) at load and after every optimizer step (`afterUpdate`), so
 * the forward reads them as they are and the gradient is taken at the clamped values.
 */
import { kerpleClamp, kerpleDistanceTable, kerpleDistanceTableBackward, type KerpleParams } from "../../../pe/index.js";
import type { PeConfigOf } from "../../../pe/encodings.js";
import { encodingParamNamer } from "../../params.js";
import { addGrad } from "./base.js";
import { toeplitzEncoding, type ParamReader } from "./toeplitz.js";
import type { Encoding, EncodingEnv } from "./types.js";

export function kerpleEncoding(env: EncodingEnv): Encoding {
  const variant = (env.cfg.pe as PeConfigOf<"kerple">).kernel;
  const [x, y] = variant === "log" ? ["r1", "r2"] : ["a", "p"];
  const named = encodingParamNamer(env.cfg);
  const name = (l: number, p: string): string => named(p, l);
  const paramsOf = (read: ParamReader, l: number): KerpleParams =>
    variant === "log" ? { variant, r1: read(name(l, "r1")), r2: read(name(l, "r2")) } : { variant, a: read(name(l, "a")), p: read(name(l, "p")) };
  const enc = toeplitzEncoding(env, {
    name: "kerple",
    perLayer: true,
    learnable: true,
    table: (read, l, D) => kerpleDistanceTable(paramsOf(read, l), D),
    backward(read, l, dTable, D) {
      const g = kerpleDistanceTableBackward(dTable, paramsOf(read, l), D);
      if (g.variant === "log") { addGrad(env.grads, name(l, "r1"), g.dR1); addGrad(env.grads, name(l, "r2"), g.dR2); }
      else { addGrad(env.grads, name(l, "a"), g.dA); addGrad(env.grads, name(l, "p"), g.dP); }
    },
  });
  const read: ParamReader = (n) => Float64Array.from(env.params.f32(n));
  return {
    ...enc,
    afterUpdate() {
      for (let l = 0; l < env.cfg.nLayers; l++) {
        const c = kerpleClamp(paramsOf(read, l));
        env.params.f32(name(l, x)).set(c.variant === "log" ? c.r1 : c.a);
        env.params.f32(name(l, y)).set(c.variant === "log" ? c.r2 : c.p);
      }
    },
  };
}
