import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

// Every ```js snippet of docs/encodings.md that imports "extrapos/pe" must run as written (through the package's
// own `exports`, i.e. the built dist/). They run in one Node process, in document order, from .cache/ (git-ignored,
// outside the published files: a folder inside dist/ raced with the npm pack test).
const DOCS = new URL("../../docs/encodings.md", import.meta.url);
const DIR = new URL("../../.cache/doc-snippets/", import.meta.url);

test("docs/encodings.md API snippets run as written", () => {
  const md = readFileSync(DOCS, "utf8");
  const snippets = [...md.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((s) => s.includes('from "extrapos/pe"'));
  assert.ok(snippets.length >= 13, `found ${snippets.length} snippets`);
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  try {
    snippets.forEach((s, i) => writeFileSync(new URL(`s${i}.mjs`, DIR), s));
    writeFileSync(new URL("run.mjs", DIR), snippets.map((_, i) => `import "./s${i}.mjs";`).join("\n") + "\n");
    const r = spawnSync(process.execPath, [new URL("run.mjs", DIR).pathname], { encoding: "utf8" });
    assert.equal(r.status, 0, `a snippet failed:\n${r.stderr}`);
  } finally {
    rmSync(DIR, { recursive: true, force: true });
  }
});

test("docs/adding-an-encoding.md: its snippets run as written, and every src/ path it names exists", () => {
  const md = readFileSync(new URL("../../docs/adding-an-encoding.md", import.meta.url), "utf8");
  const snippets = [...md.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(snippets.length >= 2, `found ${snippets.length} snippets`);
  const dir = new URL("../../.cache/doc-snippets-adding/", import.meta.url);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    snippets.forEach((s, i) => writeFileSync(new URL(`s${i}.mjs`, dir), s));
    for (let i = 0; i < snippets.length; i++) {
      const r = spawnSync(process.execPath, [new URL(`s${i}.mjs`, dir).pathname], { encoding: "utf8" });
      assert.equal(r.status, 0, `snippet ${i} failed:\n${r.stderr}`);
      if (i === 0) assert.match(r.stdout, /^exp-decay-tau a finite number > 0 context_length \/ 4\nlayer\n$/);
      if (i === 1) assert.match(r.stdout, /kind: 'kerple', kernel: 'power'/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const root = new URL("../../", import.meta.url);
  for (const [, path] of md.matchAll(/`(src\/[^`<>*]+?\.ts)`/g)) assert.ok(existsSync(new URL(path!, root)), `${path} named in the walkthrough does not exist`);
  assert.match(md, /touched 8 files/);
});
