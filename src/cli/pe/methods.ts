/**
 * The explicit table of `extrapos pe` methods (order = --help order). Each method lives in its own file in this
 * folder and is imported here; nothing registers itself by side effect. (`rope` comes from the RoPE work.)
 */
import type { PeCliMethod } from "./index.js";
import { ropeCliMethod } from "./rope.js";
import { alibiCli } from "./alibi.js";
import { t5BucketCli } from "./t5-bucket.js";
import { sinusoidalCli } from "./sinusoidal.js";
import { adaptiveCli } from "./adaptive.js";
import { xposCli } from "./xpos.js";
import { kerpleCli } from "./kerple.js";
import { fireCli } from "./fire.js";
import { sandwichCli } from "./sandwich.js";
import { copeCli } from "./cope.js";

export const PE_CLI_METHODS: Record<string, PeCliMethod> = {
  rope: ropeCliMethod,
  alibi: alibiCli,
  "t5-bucket": t5BucketCli,
  sinusoidal: sinusoidalCli,
  adaptive: adaptiveCli,
  xpos: xposCli,
  kerple: kerpleCli,
  fire: fireCli,
  sandwich: sandwichCli,
  cope: copeCli,
};
