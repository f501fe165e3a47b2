/**
 * The explicit table of `extrapos pe` methods (order = --help order). Each method lives in its own
 * file in this folder and is imported here; nothing registers itself by side effect.
 */
import type { PeCliMethod } from "./index.js";
import { ropeCliMethod } from "./rope.js";

export const PE_CLI_METHODS: Record<string, PeCliMethod> = {
  rope: ropeCliMethod,
};
