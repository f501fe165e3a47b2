/**
 * The software versions, the source (git commit) and the machine a bench ran on, for results.json and the report.
 *
 * Example: `collectEnvironment().machine.cpu` → "AMD EPYC 7B13" (os.cpus()[0].model);
 * `collectEnvironment().git` → { commit: "a564c48…" (40 hex digits), dirty: false } in a clean checkout,
 * { commit: null, dirty: null } in an installed package.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { arch, availableParallelism, cpus, platform, release, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Environment, GitSource } from "./results.js";

/** The package's root folder (two folders above dist/report/ and src/report/). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** The git directory of the checkout at `root`: `.git` itself, or the folder a worktree's `.git` file points to. */
function gitDirOf(root: string): string | null {
  const dotGit = join(root, ".git");
  if (!existsSync(dotGit)) return null;
  if (statSync(dotGit).isDirectory()) return dotGit;
  const m = /^gitdir:\s*(.+)$/m.exec(readText(dotGit) ?? "");
  return m ? resolve(root, m[1]!.trim()) : null;
}

/**
 * The commit checked out at `root`, read from the git files themselves (HEAD, then the loose ref or
 * packed-refs, in a worktree's common directory too): no git program needed; null outside a checkout.
 */
export function gitCommit(root: string = PACKAGE_ROOT): string | null {
  const gitDir = gitDirOf(root);
  if (gitDir === null) return null;
  const head = readText(join(gitDir, "HEAD"))?.trim() ?? "";
  if (/^[0-9a-f]{40}$/.test(head)) return head; // detached
  const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
  if (ref === undefined) return null;
  const common = readText(join(gitDir, "commondir"))?.trim();
  const dirs = [gitDir, ...(common ? [resolve(gitDir, common)] : [])];
  for (const d of dirs) {
    const loose = readText(join(d, ref))?.trim();
    if (loose && /^[0-9a-f]{40}$/.test(loose)) return loose;
  }
  for (const d of dirs) {
    for (const line of (readText(join(d, "packed-refs")) ?? "").split("\n")) {
      const [sha, name] = line.trim().split(" ");
      if (name === ref && sha !== undefined && /^[0-9a-f]{40}$/.test(sha)) return sha;
    }
  }
  return null; // a branch without commits
}

/**
 * Whether tracked files at `root` differ from the commit (`git status --porcelain --untracked-files=no`):
 * null when git (`program`) is not installed or fails (spawned with a guard: a missing program is an error value,
 * not a throw).
 */
export function gitDirty(root: string = PACKAGE_ROOT, program = "git"): boolean | null {
  const r = spawnSync(program, ["status", "--porcelain", "--untracked-files=no"], { cwd: root, encoding: "utf8", timeout: 20_000, stdio: ["ignore", "pipe", "ignore"] });
  if (r.error || r.status !== 0 || typeof r.stdout !== "string") return null;
  return r.stdout.trim().length > 0;
}

/** The commit and dirtiness of the checkout the running code comes from; both null outside a git checkout. */
export function gitSource(root: string = PACKAGE_ROOT): GitSource {
  const commit = gitCommit(root);
  return { commit, dirty: commit === null ? null : gitDirty(root) };
}

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
    git: gitSource(),
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
