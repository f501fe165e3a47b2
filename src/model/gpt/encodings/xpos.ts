/**
 * `pe: "xpos"`: RoPE times the xPos decay (src/pe/xpos.ts; microsoft/torchscale XPOS): pair i of a query
 * at exponent position e is scaled by ζ_i^(e/scaleBase), of a key by ζ_i^(−e/scaleBase), so q_m·k_n
 * carries ζ^((m−n)/scaleBase). Separate q and k tables (cos·scale, sin·scale) [T, R/2] for qkv-rope;
 * angles pos·theta^(−2i/R) as RoPE (torchscale's `fixed_pos_embedding`). Exponent positions are
 * centred as torchscale centres a length-T block: e = pos − ⌈T/2⌉ (min_pos = ⌊−T/2⌋). The logits do
 * not depend on the centre (it cancels in m − n); the decoder centres on ⌈context_length/2⌉ once, so
 * cached keys stay valid. No parameters; checkpoint: nothing.
 */
import { defaultInvFreq, ropeCosSin, rotateFor, xposZeta } from "../../../pe/index.js";
import type { PeConfig } from "../../config.js";
import { baseEncoding, passKey } from "./base.js";
import { pairColumns } from "./rope.js";
import type { Encoding, EncodingEnv } from "./types.js";

type XposPe = Extract<PeConfig, { kind: "xpos" }>;
const TABLES = ["xpos.cosQ", "xpos.sinQ", "xpos.cosK", "xpos.sinK"] as const;

export function xposEncoding(env: EncodingEnv): Encoding {
  const pe = env.cfg.pe as XposPe;
  const R = pe.rotaryDim, half = R / 2;
  const invFreq = defaultInvFreq(pe.theta, R);
  const zeta = xposZeta(R);
  const rotate = rotateFor(pe.layout);
  let preparedKey = "";
  return {
    ...baseEncoding(env),
    tensors: (s) => TABLES.map((name) => ({ name, shape: [s.span, half], dtype: "f32" as const })),
    prepare(pass) {
      const key = passKey(pass);
      if (key === preparedKey) return;
      const T = pass.shape.span, centre = Math.ceil(T / 2);
      const t = ropeCosSin(invFreq, Float64Array.from({ length: T }, (_, i) => i));
      const cos = pairColumns(t.cos, T, R), sin = pairColumns(t.sin, T, R);
      const [cq, sq, ck, sk] = TABLES.map((n) => pass.acts.f32(n));
      for (let p = 0; p < T; p++) {
        for (let i = 0; i < half; i++) {
          const up = Math.pow(zeta[i]!, (p - centre) / pe.scaleBase), x = p * half + i;
          cq![x] = cos[x]! * up; sq![x] = sin[x]! * up;
          ck![x] = cos[x]! / up; sk![x] = sin[x]! / up;
        }
      }
      preparedKey = key;
    },
    rotation(pass) {
      const [cosQ, sinQ, cosK, sinK] = TABLES.map((n) => pass.acts.ptr(n)) as [number, number, number, number];
      return { rotation: { layout: pe.layout, rotaryDim: R, tableRows: pass.shape.span, cosQ, sinQ, cosK, sinK }, positions: null };
    },
    hooks(_params, opts) {
      const centre = Math.ceil((opts.decoding ? env.cfg.contextLength : opts.T) / 2);
      return {
        rotate: (v, pos, which) => {
          const t = ropeCosSin(invFreq, [pos]);
          for (let i = 0; i < half; i++) {
            const s = Math.pow(zeta[i]!, ((which === "q" ? 1 : -1) * (pos - centre)) / pe.scaleBase);
            t.cos[i]! *= s; t.cos[i + half]! *= s; t.sin[i]! *= s; t.sin[i + half]! *= s;
          }
          v.set(rotate(v, t.cos, t.sin));
        },
      };
    },
  };
}
