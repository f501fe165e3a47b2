import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

// Every ```js snippet of docs/encodings.md that imports "extrapos/pe" must run as written (through the package's
// own `exports`, i.e. the built dist/). They run in one Node process, in document order.
const DOCS = new URL("../../docs/encodings.md", import.meta.url);
const DIR = new URL("../../dist/.doc-snippets/", import.meta.url);

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
