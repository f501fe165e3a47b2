/**
 * The adapter table: one engine adapter per encoding of the registry (src/pe/encodings.ts), under the same
 * canonical name (explicit registration, no side effects). `satisfies Record<EncodingName, …>` makes a
 * missing or misspelled encoding a compile error.
 */
import type { EncodingName } from "../../../pe/encodings.js";
import { adaptiveEncoding } from "./adaptive.js";
import { alibiEncoding } from "./alibi.js";
import { copeEncoding } from "./cope.js";
import { dynamicBiasEncoding } from "./dynamic-bias.js";
import { fireEncoding } from "./fire.js";
import { kerpleEncoding } from "./kerple.js";
import { learnedEncoding } from "./learned.js";
import { nopeEncoding } from "./nope.js";
import { ropeEncoding } from "./rope.js";
import { sandwichEncoding } from "./sandwich.js";
import { sinusoidalEncoding } from "./sinusoidal.js";
import { t5Encoding } from "./t5.js";
import { transformerXlEncoding } from "./transformer-xl.js";
import { xposEncoding } from "./xpos.js";
import type { Encoding, EncodingEnv } from "./types.js";

export const ENCODING_ADAPTERS = {
  nope: nopeEncoding,
  sinusoidal: sinusoidalEncoding,
  adaptive: adaptiveEncoding,
  learned: learnedEncoding,
  rope: ropeEncoding,
  xpos: xposEncoding,
  alibi: alibiEncoding,
  t5: t5Encoding,
  kerple: kerpleEncoding,
  fire: fireEncoding,
  sandwich: sandwichEncoding,
  "dynamic-bias": dynamicBiasEncoding,
  cope: copeEncoding,
  "transformer-xl": transformerXlEncoding,
} satisfies Record<EncodingName, (env: EncodingEnv) => Encoding>;

/** The adapter of `env.cfg.pe.kind`. */
export function createEncoding(env: EncodingEnv): Encoding {
  return ENCODING_ADAPTERS[env.cfg.pe.kind](env);
}

export type { Encoding, EncodingEnv, Pass, PlanShape, CachePolicy, HookOptions } from "./types.js";
