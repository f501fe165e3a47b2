/** The package's public entry points resolve through package.json `exports` (self-reference) and expose their API. */
import { test } from "node:test";
import assert from "node:assert/strict";

test("extrapos, extrapos/pe, /engine, /model, /data, /train, /eval resolve and export their main functions", async () => {
  const root = await import("extrapos");
  for (const name of ["computeRope", "alibiSlopes", "createEngine", "engineInfo", "createModel", "trainRun", "evaluateRun", "evaluateTaskRun", "loadCorpus", "generate"]) {
    assert.equal(typeof (root as Record<string, unknown>)[name], "function", `extrapos exports ${name}`);
  }
  const subpaths: Record<string, string[]> = {
    "extrapos/pe": ["ropeParamsFromHfConfig", "relativePositionBucket", "sinusoidalTable", "parsePe", "defineEncoding", "canonicalEncodingName"],
    "extrapos/engine": ["createEngine", "engineInfo", "SerialEngine"],
    "extrapos/model": ["createModel", "loadCheckpoint", "referenceForward"],
    "extrapos/data": ["loadBrown", "loadTokenizer", "TaskSampler"],
    "extrapos/train": ["trainRun", "learningRate", "TensorBoardWriter"],
    "extrapos/eval": ["evaluate", "sampleNextToken", "passkeyAccuracy"],
  };
  for (const [spec, names] of Object.entries(subpaths)) {
    const mod = (await import(spec)) as Record<string, unknown>;
    for (const name of names) assert.equal(typeof mod[name], "function", `${spec} exports ${name}`);
  }
});

test("the published package (npm pack) leaves out test-only modules, and every module it holds finds its imports in it", async () => {
  const { spawnSync } = await import("node:child_process");
  const { readFileSync } = await import("node:fs");
  const { dirname, join, normalize } = await import("node:path");
  const root = new URL("../", import.meta.url).pathname;
  const r = spawnSync("npm", ["pack", "--dry-run", "--ignore-scripts", "--json"], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const files = new Set((JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
  const testOnly = [...files].filter((f) => /\.test\.|(^|\/)testing(\/|\.)|runner-fake/.test(f));
  assert.deepEqual(testOnly, [], "test-only modules in the package");
  for (const must of ["dist/index.js", "dist/pe/index.js", "dist/pe/encodings.js", "dist/cli/main.js", "dist/report/runner-real.js"]) assert.ok(files.has(must), must);
  const missing: string[] = [];
  for (const f of files) {
    if (!f.endsWith(".js")) continue;
    const text = readFileSync(join(root, f), "utf8");
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      const target = normalize(join(dirname(f), m[1]!));
      if (!files.has(target)) missing.push(`${f} imports ${m[1]}`);
    }
  }
  assert.deepEqual(missing, [], "modules the package imports but does not hold");
});
