/**
 * The PyTorch peer: whether `/usr/bin/python3 -c "import torch"` works, where the project's own peer
 * training script is (`src/bench/peers/torch_train.py`, inside the repository: `npm run bench` needs
 * nothing outside it), and running Python snippets that print JSON lines.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PYTHON = "/usr/bin/python3";
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Why PyTorch cannot be used, or undefined when it can. */
export function torchUnavailable(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) return `${PYTHON} -c "import torch" failed: ${(r.stderr || String(r.error ?? "")).trim().split("\n").pop()}`;
  return undefined;
}

/** The repository's PyTorch training peer (src/bench/peers/torch_train.py; see its header), or undefined if missing. */
export function findTorchTrain(): string | undefined {
  const p = join(REPO_ROOT, "src", "bench", "peers", "torch_train.py");
  return existsSync(p) ? p : undefined;
}

/**
 * Runs python with `args` and `threads` BLAS/OpenMP threads; returns the JSON objects it printed, one per
 * line. Throws on failure. `torch.set_num_threads` alone does not bound OpenBLAS's own thread pool
 * (measured: a "1-thread" torch.mm ran at 150–170 GFLOP/s, beyond one core), hence the variables.
 */
export function runPython(args: string[], threads: number, timeoutMs = 600_000): Record<string, unknown>[] {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const r = spawnSync(PYTHON, args, { encoding: "utf8", timeout: timeoutMs, maxBuffer: 16 << 20, env });
  if (r.status !== 0) {
    throw new Error(`python3 ${args[0] === "-c" ? "-c <snippet>" : args.join(" ")} failed (${r.error ? String(r.error) : `exit ${r.status}`}): ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  }
  return r.stdout.split("\n").filter((l) => l.trim().startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
}
