/**
 * The browser entries' type declarations: a TypeScript project for the browser (lib dom, no @types/node,
 * `"types": []`, `customConditions: ["browser"]` as docs/browser.md says) type-checks code written against the
 * `browser` export condition — the declarations of browser.d.ts and the per-layer browser.d.ts, which reference no
 * Node-only module or type — and is told that the Node-only functions (trainRun, loadCorpus, …) are not there,
 * as the browser bundles do not have them. The package is copied (package.json + declarations) into a temporary
 * node_modules with no @types/node anywhere above it, and the repository's own tsc checks it with skipLibCheck off.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

/** Copies every declaration file of dist (tests excepted) to `to`. */
function copyDeclarations(from: string, to: string): void {
  for (const name of readdirSync(from)) {
    const p = join(from, name);
    if (statSync(p).isDirectory()) copyDeclarations(p, join(to, name));
    else if (name.endsWith(".d.ts") && !name.includes(".test.")) {
      mkdirSync(to, { recursive: true });
      cpSync(p, join(to, name));
    }
  }
}

const BROWSER_APP = `
import { createEngine, engineInfo, parseModelConfig, parseTrainingConfig, byteTokenizer, trainLoop, memoryRunSink, createModel,
  encodeCheckpoint, decodeCheckpoint, modelFromCheckpoint, evaluate, generate, alibiSlopes, type TrainData } from "extrapos";
import { computeRope } from "extrapos/pe";
import { createEngine as engineOnly } from "extrapos/engine";
import { encodeSafetensors, decodeSafetensors } from "extrapos/model";
import { loadTokenizer, nonOverlappingWindows } from "extrapos/data";
import { runFolderFiles, tarArchive } from "extrapos/train";
import { evaluate as evaluateOnly, sampleNextToken } from "extrapos/eval";

export async function train(trainText: string, validText: string): Promise<Uint8Array> {
  const model = parseModelConfig({ d_model: 32, n_layers: 2, n_heads: 2, context_length: 32, pe: { kind: "alibi" } });
  const training = parseTrainingConfig({ batch: 4, steps: 30, lr: 3e-3, threads: 2 });
  const data: TrainData = { kind: "text", train: byteTokenizer.encode(trainText), valid: byteTokenizer.encode(validText), spec: null, description: "my text" };
  const sink = memoryRunSink({ onMetric: (r) => console.log(r.step) });
  await trainLoop({ model, training, data, from: null, progress: false }, { createModel }, sink);
  return tarArchive("run", runFolderFiles(sink));
}
export const used = [createEngine, engineInfo, encodeCheckpoint, decodeCheckpoint, modelFromCheckpoint, evaluate, generate, alibiSlopes, computeRope,
  engineOnly, encodeSafetensors, decodeSafetensors, loadTokenizer, nonOverlappingWindows, evaluateOnly, sampleNextToken];
`;

const NODE_ONLY = `
import { trainRun, loadCorpus } from "extrapos";
import { saveCheckpoint } from "extrapos/model";
import { evaluateRun } from "extrapos/eval";
export const used = [trainRun, loadCorpus, saveCheckpoint, evaluateRun];
`;

function check(dir: string, file: string, source: string): { code: number | null; out: string } {
  writeFileSync(join(dir, file), source);
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
    compilerOptions: {
      target: "es2022", module: "esnext", moduleResolution: "bundler", customConditions: ["browser"], lib: ["es2022", "dom"], types: [],
      strict: true, noEmit: true, skipLibCheck: false,
    },
    files: [file],
  }));
  const r = spawnSync(process.execPath, [TSC, "-p", dir], { encoding: "utf8", timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test("browser entries: declarations type-check in a browser project without @types/node, and leave out the Node-only API", () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-browser-types-"));
  try {
    const pkg = join(dir, "node_modules", "extrapos");
    mkdirSync(pkg, { recursive: true });
    cpSync(join(ROOT, "package.json"), join(pkg, "package.json"));
    copyDeclarations(join(ROOT, "dist"), join(pkg, "dist"));
    const app = check(dir, "app.ts", BROWSER_APP);
    assert.equal(app.code, 0, `a browser app type-checks:\n${app.out}`);
    const node = check(dir, "node-only.ts", NODE_ONLY);
    assert.notEqual(node.code, 0, "the Node-only API is not declared for the browser");
    for (const name of ["trainRun", "loadCorpus", "saveCheckpoint", "evaluateRun"]) assert.match(node.out, new RegExp(`has no exported member (named )?'${name}'`), name);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
