/**
 * `--sinks K --cache W` (generate) and `--streaming [--sinks K] [--cache W]` (eval): StreamingLLM's
 * rolling KV cache (src/model/gpt/rolling-cache.ts). Defaults: 4 sinks (the paper's), and W = T − K
 * recent tokens so that no cache position reaches the training length T.
 */
import { ExtraposError } from "../pe/errors.js";
import type { RollingCache } from "../model/lm.js";
import { checkRollingCache } from "../model/gpt/rolling-cache.js";
import { getNumber, type ParsedArgs } from "./args.js";

/** The rolling cache the flags ask for (`on`: --streaming / --cache given), or undefined. */
export function rollingCacheFlags(args: ParsedArgs, on: boolean, trainingLength: () => number, switchFlag: string): RollingCache | undefined {
  const sinks = getNumber(args, "sinks"), recent = getNumber(args, "cache");
  if (!on) {
    const given = sinks !== undefined ? "sinks" : recent !== undefined ? "cache" : null;
    if (given !== null) throw new ExtraposError("invalid_argument", `--${given} needs ${switchFlag} (the rolling KV cache)`);
    return undefined;
  }
  const k = sinks ?? 4;
  const cache = { sinks: k, recent: recent ?? Math.max(1, trainingLength() - k) };
  checkRollingCache(cache);
  return cache;
}
