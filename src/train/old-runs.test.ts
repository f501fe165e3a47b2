// Runs and checkpoints written before the encoding registry (issue 8) renamed encodings still load and resume:
// test/fixtures/old-pe/ was made by make_old_pe_fixture.mjs with main at f32c02d, where `pe.kind` was "none",
// "kerple-log", "kerple-power" (now aliases of nope, kerple {kernel: log | power}). A run interrupted there at
// step 2 of 4, resumed here, ends bit-identical to the same run trained here from scratch under the new name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCheckpoint } from "../model/checkpoint.js";
import { modelConfigToJson, parseModelConfig } from "../model/config.js";
import { paramTable } from "../model/params.js";
import { trainingConfigToJson } from "./config.js";
import { readRunConfig } from "./run-dir.js";
import { trainRun } from "./run.js";

const FIXTURES = new URL("../../test/fixtures/old-pe/", import.meta.url).pathname;
const RENAMED = { none: { kind: "nope" }, "kerple-log": { kind: "kerple", kernel: "log" }, "kerple-power": { kind: "kerple", kernel: "power" } } as const;

test("every old pe kind's config parses, and its parameter table (names, shapes, order) is the one the old code wrote", () => {
  const old = JSON.parse(readFileSync(join(FIXTURES, "configs.json"), "utf8")) as { kind: string; config: Record<string, unknown>; params: [string, number[]][] }[];
  assert.equal(old.length, 15);
  for (const o of old) {
    const c = parseModelConfig(o.config, {});
    const renamed = (RENAMED as Record<string, { kind: string }>)[o.kind];
    assert.equal(c.pe.kind, renamed?.kind ?? o.kind, o.kind);
    if (renamed) assert.deepEqual(modelConfigToJson(c).pe, renamed, o.kind);
    assert.deepEqual(paramTable(c).map((p) => [p.name, p.shape]), o.params, `${o.kind} (${String(o.config.model)})`);
  }
});

for (const [oldKind, pe] of Object.entries(RENAMED)) {
  test(`a run written with pe "${oldKind}" loads as ${JSON.stringify(pe)}, resumes, and ends bit-identical to a fresh run`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "extrapos-old-pe-"));
    try {
      const resumed = join(dir, "resumed"), fresh = join(dir, "fresh");
      cpSync(join(FIXTURES, `run-${oldKind}`), resumed, { recursive: true });
      const ckpt = loadCheckpoint(join(resumed, "model.safetensors"));
      assert.equal(ckpt.step, 2);
      assert.deepEqual(modelConfigToJson(ckpt.config).pe, pe);
      const stored = readRunConfig(resumed);
      await trainRun({ out: resumed, resume: true, progress: false });
      await trainRun({ out: fresh, progress: false, model: { ...modelConfigToJson(stored.model), pe }, training: trainingConfigToJson(stored.training) });
      const a = loadCheckpoint(join(resumed, "model.safetensors")), b = loadCheckpoint(join(fresh, "model.safetensors"));
      assert.equal(a.step, 4);
      assert.deepEqual(a.config, b.config);
      for (const [name, t] of b.params) assert.deepEqual(a.params.get(name), t, name);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
