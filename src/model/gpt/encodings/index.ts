/**
 * The encoding table: one adapter per `PeConfig.kind` (explicit registration, no side effects). The
 * type makes a missing kind a compile error.
 */
import type { PeKind } from "../../config.js";
import { adaptiveEncoding } from "./adaptive.js";
import { alibiEncoding } from "./alibi.js";
import { copeEncoding } from "./cope.js";
import { dynamicBiasEncoding } from "./dynamic-bias.js";
import { fireEncoding } from "./fire.js";
import { kerpleEncoding } from "./kerple.js";
import { learnedEncoding } from "./learned.js";
import { noneEncoding } from "./none.js";
import { ropeEncoding } from "./rope.js";
import { sandwichEncoding } from "./sandwich.js";
import { sinusoidalEncoding } from "./sinusoidal.js";
import { t5Encoding } from "./t5.js";
import { xposEncoding } from "./xpos.js";
import type { Encoding, EncodingEnv } from "./types.js";

export const ENCODINGS: Record<PeKind, (env: EncodingEnv) => Encoding> = {
  none: noneEncoding,
  sinusoidal: sinusoidalEncoding,
  adaptive: adaptiveEncoding,
  learned: learnedEncoding,
  rope: ropeEncoding,
  xpos: xposEncoding,
  alibi: alibiEncoding,
  t5: t5Encoding,
  "kerple-log": kerpleEncoding,
  "kerple-power": kerpleEncoding,
  fire: fireEncoding,
  sandwich: sandwichEncoding,
  "dynamic-bias": dynamicBiasEncoding,
  cope: copeEncoding,
};

/** The adapter of `env.cfg.pe.kind`. */
export function createEncoding(env: EncodingEnv): Encoding {
  return ENCODINGS[env.cfg.pe.kind](env);
}

export type { Encoding, EncodingEnv, Pass, PlanShape, CachePolicy, HookOptions } from "./types.js";
