/**
 * Signals and limits shared by the commands that train.
 *
 * `interruptOnSignals(controller)`: SIGINT (Ctrl-C), SIGTERM (batch schedulers, `docker stop`,
 * systemd) and SIGHUP (the terminal closed) all mean "stop after this step and save": the first one
 * aborts `controller` (the trainer checkpoints and throws `TrainingInterrupted`), a second one quits at
 * once. The exit code is 128 + the signal's number, as shells report it: 130 (INT), 143 (TERM), 129 (HUP).
 *
 * `maxMemoryFlag(args)`: `--max-memory MIB`, refused unless 0 < MIB ≤ 4096 (WebAssembly's 32-bit
 * address space is 4 GiB: a larger limit would pass the estimate and then fail growing memory).
 *
 * Example:
 *   const signals = interruptOnSignals(controller);
 *   try { await trainRun({ ..., signal: controller.signal }) } catch (e) { if (e instanceof TrainingInterrupted) return signals.exitCode() }
 *   finally { signals.remove() }
 */
import { constants } from "node:os";
import { ExtraposError } from "../pe/errors.js";
import { WASM_MEMORY_LIMIT_BYTES } from "../train/memory.js";
import { getNumber, type ParsedArgs } from "./args.js";

export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

const NAMES: Record<StopSignal, string> = { SIGINT: "Ctrl-C", SIGTERM: "SIGTERM", SIGHUP: "SIGHUP" };

/** 128 + the signal number (130, 143, 129). */
export function signalExitCode(sig: StopSignal): number {
  return 128 + constants.signals[sig];
}

export interface SignalHandlers {
  /** Exit code for the signal received (130 when none was, e.g. an abort from elsewhere). */
  exitCode(): number;
  remove(): void;
}

/** See the file header. `onFirst` prints the notice (default: one line on stderr). */
export function interruptOnSignals(controller: AbortController, onFirst?: (sig: StopSignal) => void): SignalHandlers {
  let received: StopSignal | null = null;
  const handlers = new Map<StopSignal, () => void>();
  for (const sig of STOP_SIGNALS) {
    const h = (): void => {
      if (received !== null) process.exit(signalExitCode(sig));
      received = sig;
      if (onFirst) onFirst(sig);
      else process.stderr.write(`\nextrapos: ${NAMES[sig]} — saving a checkpoint after this step (${sig === "SIGINT" ? "Ctrl-C" : "a second signal"} again to quit now)\n`);
      controller.abort();
    };
    handlers.set(sig, h);
    process.on(sig, h);
  }
  return {
    exitCode: () => signalExitCode(received ?? "SIGINT"),
    remove: () => {
      for (const [sig, h] of handlers) process.off(sig, h);
    },
  };
}

/** `--max-memory MIB` (see the file header), or undefined when not given. */
export function maxMemoryFlag(args: ParsedArgs): number | undefined {
  const v = getNumber(args, "max-memory");
  const limit = WASM_MEMORY_LIMIT_BYTES / 2 ** 20;
  if (v !== undefined && !(v > 0 && v <= limit)) {
    throw new ExtraposError("invalid_argument", `--max-memory must be in (0, ${limit}] MiB, got ${v}`, `WebAssembly memory is at most 4 GiB (${limit} MiB)`);
  }
  return v;
}
