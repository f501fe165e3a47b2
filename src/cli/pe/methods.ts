/**
 * The explicit table of `extrapos pe` methods (order = --help order), keyed by the encoding registry's canonical
 * names (src/pe/encodings.ts; `satisfies` refuses a name that is not an encoding); aliases (`t5-bucket`) resolve
 * through the registry. Each method lives in its own file in this folder; nothing registers itself by side effect.
 * Encodings without a method (nope, learned, dynamic-bias) have nothing to compute without trained weights.
 */
import { canonicalEncodingName, type EncodingName } from "../../pe/encodings.js";
import type { PeCliMethod } from "./index.js";
import { ropeCliMethod } from "./rope.js";
import { alibiCli } from "./alibi.js";
import { t5Cli } from "./t5.js";
import { sinusoidalCli } from "./sinusoidal.js";
import { adaptiveCli } from "./adaptive.js";
import { xposCli } from "./xpos.js";
import { kerpleCli } from "./kerple.js";
import { fireCli } from "./fire.js";
import { sandwichCli } from "./sandwich.js";
import { copeCli } from "./cope.js";

export const PE_CLI_METHODS = {
  rope: ropeCliMethod,
  alibi: alibiCli,
  t5: t5Cli,
  sinusoidal: sinusoidalCli,
  adaptive: adaptiveCli,
  xpos: xposCli,
  kerple: kerpleCli,
  fire: fireCli,
  sandwich: sandwichCli,
  cope: copeCli,
} satisfies Partial<Record<EncodingName, PeCliMethod>>;

/** The method of a name or alias (`t5-bucket` → t5), or undefined. */
export function peCliMethod(name: string): PeCliMethod | undefined {
  const n = canonicalEncodingName(name);
  return n !== undefined && Object.hasOwn(PE_CLI_METHODS, n) ? PE_CLI_METHODS[n as keyof typeof PE_CLI_METHODS] : undefined;
}
