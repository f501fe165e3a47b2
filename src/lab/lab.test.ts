/**
 * The lab in Chromium (playwright-core): served by the lab's server with COOP/COEP it loads
 * cross-origin isolated with no console errors and a 2-thread engine; every encoding of the registry
 * renders; training two encodings in the page lowers their loss, stops and continues, computes
 * perplexity vs length, and downloads a run folder (tar) that `extrapos eval` reads; the Runs view
 * loads that checkpoint and a results.json; Generate streams text. Without the headers the page shows
 * the single-thread notice. `extrapos lab` serves it with the headers and stops on SIGINT.
 * Screenshots of each view go to $EXTRAPOS_ARTIFACTS (default: <tmp>/extrapos-artifacts).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodingEntries } from "./page/registry.js";
import { serveStatic, type StaticServer } from "./serve.js";
import { chromiumMissing, collectErrors, launchChromium, ROOT, type Browser, type Page } from "./testing/chromium.js";

const missing = chromiumMissing();
if (missing && process.env.CI === "true") throw new Error(`browser tests cannot run under CI: ${missing}`);
const STATIC = join(ROOT, "dist", "lab", "static");
const ARTIFACTS = process.env.EXTRAPOS_ARTIFACTS ?? join(tmpdir(), "extrapos-artifacts");

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `lab-${name}.png`), fullPage: true });
}

describe("the lab in Chromium", { skip: missing ?? false }, () => {
  let browser: Browser;
  let server: StaticServer, plain: StaticServer;
  let page: Page;
  let errors: string[];
  const work = mkdtempSync(join(tmpdir(), "extrapos-lab-"));

  before(async () => {
    assert.ok(existsSync(join(STATIC, "index.html")), "npm run build emits dist/lab/static");
    server = await serveStatic({ root: STATIC });
    plain = await serveStatic({ root: STATIC, isolate: false });
    browser = await launchChromium();
    page = await browser.page();
    errors = collectErrors(page);
    await page.goto(server.url + "#encodings");
    await page.waitForSelector("body[data-ready]", { timeout: 30_000 });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await plain?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test("loads cross-origin isolated, engine on 2 threads, no notice", async () => {
    assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true);
    assert.match(await page.locator("#engine").innerText(), /2 threads, shared memory/);
    assert.equal((await page.locator("#notice").innerText()).trim(), "");
  });

  test("Encodings: every registry encoding has its form and renders (a chart, a table or a note), no error", async () => {
    const names = encodingEntries().map((e) => e.name);
    assert.ok(names.length >= 10);
    for (const name of names) {
      await page.selectOption("#enc-pick", name);
      const entry = encodingEntries().find((e) => e.name === name)!;
      assert.equal(await page.locator("#enc-form .field").count(), entry.params.length, `${name}: one control per registry parameter`);
      const drawn = await page.locator("#view-encodings svg.chart, #view-encodings canvas.heatmap").count();
      const note = await page.locator("#enc-note").innerText();
      if (entry.family === "none" || entry.family === "contextual") assert.ok(drawn > 0 || /no picture before training|no position signal/.test(note), `${name}: drew nothing (${note})`);
      else assert.ok(drawn > 0, `${name} (${entry.family}): drew nothing (${note})`);
      assert.doesNotMatch(note, /cannot draw/, name);
    }
    await page.selectOption("#enc-pick", "fire");
    await shot(page, "encodings-fire");
    await page.selectOption("#enc-pick", "alibi");
    await shot(page, "encodings");
    await page.selectOption("#enc-pick", "rope");
    assert.equal(await page.locator("#view-encodings svg.chart").count(), 2, "rope: score and wavelength charts");
    await shot(page, "encodings-rope");
    const cfg = join(work, "hf-config.json");
    writeFileSync(cfg, JSON.stringify({ hidden_size: 4096, num_attention_heads: 32, max_position_embeddings: 131072, rope_theta: 500000,
      rope_scaling: { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } }));
    await page.setInputFiles("#view-encodings .drop input[type=file]", [cfg]);
    await page.waitForSelector("#hf-out svg.chart");
    assert.match(await page.locator("#hf-out").innerText(), /rope_type llama3, θ 500000, head dim 128, rotary dim 128, attention factor 1/);
  });

  let tarPath = "", runDir = "";
  test("Train: two encodings, live loss falls, stop and continue, perplexity vs length, a downloaded run that extrapos eval reads", async () => {
    await page.goto(server.url + "#train");
    for (const pe of ["sinusoidal", "rope", "alibi"]) await page.locator(`input[value=${pe}]`).setChecked(pe !== "sinusoidal");
    await page.fill("input[name=steps]", "100");
    await page.fill("input[name=seq_len]", "32");
    await page.click("#train-start");
    await page.waitForFunction(() => /training alibi: step ([5-9]|[1-9][0-9])\b/.test(document.getElementById("train-status")!.textContent ?? ""), null, { timeout: 60_000 });
    await page.click("#train-stop");
    await page.waitForFunction(() => /stopped alibi at step/.test(document.getElementById("train-status")!.textContent ?? ""), null, { timeout: 30_000 });
    await page.click("#train-continue");
    await page.waitForFunction(() => /^done: .*100 steps.*100 steps/.test(document.getElementById("train-status")!.textContent ?? ""), null, { timeout: 120_000 });
    await page.waitForFunction(() => document.getElementById("train-ppl")!.dataset.evaluated === "rope:100,alibi:100", null, { timeout: 60_000 });
    const first = await page.evaluate(() => [...document.querySelectorAll("#train-loss path")].map((p) => p.getAttribute("d") ?? ""));
    // SVG y grows downwards: a falling loss ends at a larger y
    for (const d of first.filter((_, i) => i % 2 === 0)) {
      const ys = [...d.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((m) => Number(m[1]));
      assert.ok(ys.length >= 95, `a curve with ${ys.length} points`);
      assert.ok(ys.at(-1)! > ys[0]! + 50, `loss fell on the chart (y ${ys[0]} → ${ys.at(-1)})`);
    }
    await shot(page, "train");
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#train-downloads button").first().click()]);
    tarPath = join(work, "run.tar");
    await download.saveAs(tarPath);
    execFileSync("tar", ["-xf", tarPath], { cwd: work });
    const dir = join(work, download.suggestedFilename().replace(/\.tar$/, ""));
    runDir = dir;
    const out = execFileSync(process.execPath, [join(ROOT, "dist", "cli", "main.js"), "eval", "--run", dir, "--text", join(dir, "text.txt"), "--lengths", "32,64", "--json", "--threads", "1"], { encoding: "utf8" });
    const r = JSON.parse(out) as { ppl?: number[]; lengths?: number[] };
    assert.ok(Array.isArray(r.ppl) && r.ppl.every((p) => Number.isFinite(p) && p > 1 && p < 256), out);
  });

  test("Runs: a dropped checkpoint is evaluated in the page; a results.json becomes an interactive chart", async () => {
    await page.goto(server.url + "#runs");
    assert.ok(runDir !== "", "the Train test downloaded a run");
    await page.setInputFiles("#runs-input", [join(runDir, "model.safetensors")]);
    await page.waitForFunction(() => document.querySelectorAll("#runs-chart path").length >= 1, null, { timeout: 60_000 });
    assert.match(await page.locator("#runs-info").innerText(), /parameters/);
    const results = { schema: "extrapos.bench/1", train_len: 64, methods: [
      { name: "alibi", eval: [{ length: 64, ppl: 8.49 }, { length: 128, ppl: 8.35 }, { length: 256, ppl: 8.4 }] },
      { name: "rope", eval: [{ length: 64, ppl: 7.44 }, { length: 128, ppl: 7.91 }, { length: 256, ppl: 12.78 }] },
    ] };
    writeFileSync(join(work, "results.json"), JSON.stringify(results));
    await page.setInputFiles("#runs-input", [join(work, "results.json")]);
    await page.waitForFunction(() => document.querySelectorAll("#runs-chart .legend").length === 2, null, { timeout: 10_000 });
    await page.locator("#runs-chart .legend").first().click();
    assert.equal(await page.locator("#runs-chart .legend.off").count(), 1, "a legend click hides a method");
    await page.locator("#runs-chart .legend").first().click();
    const box = (await page.locator("#runs-chart svg").boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height / 2);
    assert.match((await page.locator("#runs-chart text.hover").textContent()) ?? "", /alibi [\d.]+ · rope [\d.]+/);
    await shot(page, "runs");
  });

  test("Generate: streamed text from a model trained in the page", async () => {
    await page.goto(server.url + "#generate");
    await page.fill("#gen-prompt", "The jury said");
    await page.fill("input[name=max_tokens]", "120");
    await page.click("#gen-go");
    await page.waitForFunction(() => document.getElementById("gen-status")!.textContent === "done", null, { timeout: 60_000 });
    const text = await page.locator("#gen-out").innerText();
    assert.ok(text.startsWith("The jury said") && text.length > "The jury said".length + 60, text);
    await shot(page, "generate");
    assert.deepEqual(errors, []);
  });

  test("without COOP/COEP: the single-thread notice, the unshared engine, no FMA", async () => {
    const p = await browser.page();
    const errs = collectErrors(p);
    await p.goto(plain.url);
    await p.waitForSelector("body[data-ready]", { timeout: 30_000 });
    assert.match(await p.locator("#notice").innerText(), /not cross-origin isolated .* single-threaded/);
    assert.match(await p.locator("#engine").innerText(), /1 thread, unshared memory, no FMA/);
    await shot(p, "no-isolation");
    assert.deepEqual(errs, []);
    await p.close();
  });

  test("extrapos lab serves the page with COOP/COEP on 127.0.0.1, lists --runs, and stops on SIGINT", async () => {
    const child = spawn(process.execPath, [join(ROOT, "dist", "cli", "main.js"), "lab", "--port", "0", "--runs", work], { stdio: ["ignore", "pipe", "pipe"] });
    const url = await new Promise<string>((ok, fail) => {
      child.stdout.on("data", (b: Buffer) => { const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(b.toString()); if (m) ok(m[0]); });
      child.once("exit", (c) => fail(new Error(`exited ${c}`)));
    });
    const r = await fetch(url);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("cross-origin-opener-policy"), "same-origin");
    assert.equal(r.headers.get("cross-origin-embedder-policy"), "require-corp");
    assert.match(await r.text(), /extrapos lab/);
    assert.equal((await fetch(url + "../../etc/passwd")).status, 404);
    assert.equal((await fetch(url + "runs/..%2f..%2fetc/passwd")).status, 404);
    const runs = (await (await fetch(url + "runs/")).json()) as { name: string; files: string[] }[];
    assert.ok(runs.some((r) => r.files.includes("model.safetensors") && r.files.includes("config.json")), JSON.stringify(runs));
    child.kill("SIGINT");
    const code = await new Promise<number | null>((ok) => child.once("exit", ok));
    assert.equal(code, 0);
  });
});
