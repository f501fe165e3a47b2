/**
 * The software versions and the machine a bench ran on, for results.json and the report.
 *
 * Example: `collectEnvironment().machine.cpu` → "AMD EPYC 7B13" (os.cpus()[0].model).
 */
import { readFileSync } from "node:fs";
import { arch, availableParallelism, cpus, platform, release, totalmem } from "node:os";
import type { Environment } from "./results.js";

/** extrapos's version from package.json (two folders above dist/report/ and src/report/). */
export function extraposVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

export function collectEnvironment(): Environment {
  const c = cpus();
  return {
    versions: {
      extrapos: extraposVersion(),
      node: process.version,
      v8: process.versions.v8,
      engine: "WebAssembly SIMD (AssemblyScript kernels), worker threads",
      torch: "not used (torch-free)",
    },
    machine: {
      cpu: c[0]?.model.trim() ?? "unknown",
      cores: c.length,
      available_parallelism: availableParallelism(),
      memory_bytes: totalmem(),
      platform: platform(),
      arch: arch(),
      os_release: release(),
    },
  };
}
