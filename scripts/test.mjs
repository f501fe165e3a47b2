// `npm test`: build, then run every compiled test file (dist/**/*.test.js) with Node's test runner.
// Extra arguments filter test files by substring: `npm test -- rope` runs only files whose path has "rope".
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
if (!process.env.EXTRAPOS_SKIP_BUILD) execFileSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" });

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}
const filters = process.argv.slice(2);
const files = walk(join(root, "dist"), [])
  .map((p) => relative(root, p))
  .filter((p) => filters.length === 0 || filters.some((f) => p.includes(f)))
  .sort();
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...files], { cwd: root, stdio: "inherit" });
process.exit(r.status ?? 1);
