/**
 * Test kit for the browser tests: Debian's Chromium driven by playwright-core (headless, fresh
 * profile, no network side traffic), pages on the lab's static server, and the test app bundled by
 * esbuild and by Vite in a temp folder. Not shipped (src/**\/testing).
 *
 * A missing Chromium fails when CI=true (the browser tests must run there); elsewhere the caller
 * skips with the reason.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const CHROMIUM = process.env.EXTRAPOS_CHROMIUM ?? "/usr/bin/chromium";

/** Why the browser tests cannot run here, or null. Under CI=true the caller must fail instead of skipping. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is not installed (apt-get install chromium)`;
}

export interface Browser {
  page(): Promise<Page>;
  close(): Promise<void>;
}

/** The subset of a playwright Page the tests use. */
export type Page = import("playwright-core").Page;

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "extrapos-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync",
    ],
    viewport: { width: 1280, height: 860 },
  });
  return {
    page: () => context.newPage(),
    close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); },
  };
}

/** Collects console errors and page errors of `page` (the tests assert there are none). */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

/** A temp folder with node_modules/extrapos → this repository and the test app (test/browser-app). */
export function appWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-app-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(ROOT, join(dir, "node_modules", "extrapos"), "dir");
  cpSync(join(ROOT, "test", "browser-app"), join(dir, "app"), { recursive: true });
  return dir;
}

/** esbuild: the page, its worker and the engine's pool worker as entry points, flat in `out`. */
export function bundleWithEsbuild(ws: string, out: string): void {
  const bin = join(ROOT, "node_modules", ".bin", "esbuild");
  execFileSync(bin, [
    "app/main.js", "app/worker.js", "worker-browser=extrapos/engine/worker",
    "--bundle", "--format=esm", `--outdir=${out}`, "--log-level=warning",
  ], { cwd: ws, stdio: ["ignore", "pipe", "pipe"] });
  cpSync(join(ws, "app", "index.html"), join(out, "index.html"));
}

/** Vite (its own defaults: no config file, no flags). */
export function bundleWithVite(ws: string, out: string): void {
  const bin = join(ROOT, "node_modules", ".bin", "vite");
  writeFileSync(join(ws, "app", "vite-placeholder.txt"), "");
  execFileSync(bin, ["build", "app", "--outDir", out, "--emptyOutDir", "--logLevel", "warn"], { cwd: ws, stdio: ["ignore", "pipe", "pipe"] });
}
