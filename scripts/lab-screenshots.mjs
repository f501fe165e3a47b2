// Makes the README's screenshots of the lab (docs/figures/lab-*.png): serves dist/lab/static, drives
// Debian's Chromium with playwright-core through the four views (a small model trained in the page
// for 300 steps on the Brown sample), and saves one PNG per view. Run after `npm run build`:
//   node scripts/lab-screenshots.mjs [outdir]
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { serveStatic } from "../dist/lab/serve.js";
import { launchChromium } from "../dist/lab/testing/chromium.js";

const out = process.argv[2] ?? "docs/figures";
const server = await serveStatic({ root: "dist/lab/static" });
const browser = await launchChromium();
const page = await browser.page();
await page.setViewportSize({ width: 1000, height: 760 });
const shot = (name) => page.screenshot({ path: join(out, `lab-${name}.png`) });
await page.goto(server.url + "#encodings");
await page.waitForSelector("body[data-ready]");
await page.selectOption("#enc-pick", "rope");
await page.evaluate(() => window.scrollTo(0, 330));
await shot("encodings");
await page.goto(server.url + "#train");
for (const pe of ["sinusoidal", "rope", "alibi"]) await page.locator(`input[value=${pe}]`).setChecked(true);
await page.selectOption("select[name=size]", "small");
await page.fill("input[name=steps]", "300");
await page.fill("input[name=lr]", "0.01");
await page.click("#train-start");
await page.waitForFunction(() => document.getElementById("train-ppl").dataset.evaluated === "sinusoidal:300,rope:300,alibi:300", null, { timeout: 600_000 });
await page.evaluate(() => window.scrollTo(0, 300));
await shot("train");
await page.goto(server.url + "#runs");
const results = { schema: "extrapos.bench/1", train_len: 64, methods: [] };
for (const line of (await import("node:fs")).readFileSync("docs/figures/default-preset-results.csv", "utf8").trim().split("\n").slice(1)) {
  const [method, , , length, ppl] = line.split(",");
  let m = results.methods.find((x) => x.name === method);
  if (!m) results.methods.push((m = { name: method, eval: [] }));
  m.eval.push({ length: Number(length), ppl: Number(ppl) });
}
const file = join(tmpdir(), "results.json");
writeFileSync(file, JSON.stringify(results));
await page.setInputFiles("#runs-input", [file]);
await page.check("#view-runs input[type=checkbox] >> nth=1");
const box = await page.locator("#runs-chart svg").boundingBox();
await page.mouse.move(box.x + box.width * 0.55, box.y + box.height / 2);
await shot("runs");
await page.goto(server.url + "#generate");
await page.selectOption("#gen-model", { index: 2 });
await page.fill("input[name=max_tokens]", "300");
await page.click("#gen-go");
await page.waitForFunction(() => document.getElementById("gen-status").textContent === "done", null, { timeout: 60_000 });
await shot("generate");
await browser.close();
await server.close();
console.log(`wrote ${out}/lab-{encodings,train,runs,generate}.png`);
