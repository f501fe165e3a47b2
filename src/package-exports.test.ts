/** The package's public entry points resolve through package.json `exports` (self-reference) and expose their API. */
import { test } from "node:test";
import assert from "node:assert/strict";

test("extrapos, extrapos/pe, /engine, /model, /data, /train, /eval resolve and export their main functions", async () => {
  const root = await import("extrapos");
  for (const name of ["computeRope", "alibiSlopes", "createEngine", "engineInfo", "createModel", "trainRun", "evaluateRun", "evaluateTaskRun", "loadCorpus", "generate"]) {
    assert.equal(typeof (root as Record<string, unknown>)[name], "function", `extrapos exports ${name}`);
  }
  const subpaths: Record<string, string[]> = {
    "extrapos/pe": ["ropeParamsFromHfConfig", "relativePositionBucket", "sinusoidalTable"],
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
