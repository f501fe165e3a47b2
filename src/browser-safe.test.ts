/**
 * The browser entries (the `browser` export condition of ".", "./model", "./data", "./train",
 * "./eval", and "./engine") bundle for the browser with esbuild's defaults — no flags, no externals —
 * and reach no Node built-in module; importing the engine changes nothing in the host (V8 flags are
 * set when an engine is created).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The JavaScript file of an export's `browser` condition (a path, or `{types, default}`). */
function browserFile(v: Record<string, unknown>): string | undefined {
  const b = v.browser;
  if (typeof b === "string") return b;
  if (typeof b === "object" && b !== null) return (b as Record<string, string>).default;
  return undefined;
}

test("every browser entry of package.json bundles for the browser and imports no node: module", async () => {
  const { build } = await import("esbuild");
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { exports: Record<string, unknown> };
  const entries = Object.entries(pkg.exports)
    .map(([k, v]) => [k, typeof v === "object" && v !== null ? (browserFile(v as Record<string, unknown>) ?? (k === "./engine" || k === "./pe" ? (v as Record<string, string>).default : undefined)) : undefined] as const)
    .filter((e): e is readonly [string, string] => e[1] !== undefined);
  assert.deepEqual(entries.map(([k]) => k).sort(), [".", "./data", "./engine", "./eval", "./model", "./pe", "./train"]);
  for (const [key, file] of entries) {
    const r = await build({ entryPoints: [join(ROOT, file)], bundle: true, format: "esm", platform: "browser", write: false, metafile: true, logLevel: "silent" });
    const nodeImports = Object.entries(r.metafile.inputs).flatMap(([from, i]) => i.imports.filter((m) => m.path.startsWith("node:") || m.external).map((m) => `${from} → ${m.path}`));
    assert.deepEqual(nodeImports, [], `${key} (${file})`);
    assert.ok(r.outputFiles[0]!.contents.length > 1000, `${key} bundled to something`);
  }
});

test("importing extrapos does not turn on V8's relaxed-SIMD flag; creating an engine does (Node 20), unless EXTRAPOS_FMA=0", () => {
  const script = (create: boolean): string => `
const probe = new Uint8Array([0,97,115,109,1,0,0,0,1,8,1,96,3,125,125,125,1,125,3,2,1,0,7,5,1,1,102,0,0,10,22,1,20,0,32,0,253,19,32,1,253,19,32,2,253,19,253,133,2,253,31,0,11]);
const before = WebAssembly.validate(probe);
const x = await import("extrapos");
const afterImport = WebAssembly.validate(probe);
${create ? "const e = await x.createEngine({ threads: 1 }); await e.dispose();" : ""}
console.log(JSON.stringify({ before, afterImport, after: WebAssembly.validate(probe) }));`;
  const run = (create: boolean, fma: string): { before: boolean; afterImport: boolean; after: boolean } =>
    JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script(create)], { cwd: ROOT, encoding: "utf8", env: { ...process.env, EXTRAPOS_FMA: fma } }));
  const imported = run(false, "1");
  if (imported.before) return; // a Node whose V8 has relaxed SIMD on by default: nothing to observe
  assert.deepEqual(imported, { before: false, afterImport: false, after: false });
  assert.equal(run(true, "1").after, true, "creating an engine turns relaxed SIMD on");
  assert.equal(run(true, "0").after, false, "EXTRAPOS_FMA=0 leaves V8's flags alone");
});
