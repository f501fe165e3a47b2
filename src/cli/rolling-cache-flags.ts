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

/**
 * `--segment-len S --mem-len M` (eval): Transformer-XL's segment-level recurrence as the cache {sinks 0,
 * recent M, segment S}; S defaults to T. `--mem-len 0` (or absent) = one segment per window (no cache).
 */
export function segmentFlags(args: ParsedArgs, trainingLength: () => number): RollingCache | undefined {
  const S = getNumber(args, "segment-len"), M = getNumber(args, "mem-len");
  if (M === undefined || M === 0) {
    if (S !== undefined) throw new ExtraposError("invalid_argument", `--segment-len needs --mem-len M > 0 (without memory a window is read as one segment)`);
    return undefined;
  }
  if (args.options.has("streaming")) throw new ExtraposError("invalid_argument", "--mem-len (Transformer-XL segments) and --streaming (a rolling window) are two different caches; give one");
  const cache = { sinks: 0, recent: M, segment: S ?? trainingLength() };
  checkRollingCache(cache);
  return cache;
}
