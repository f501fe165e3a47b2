/**
 * The package in a real browser (Debian's Chromium through playwright-core): the test app of
 * test/browser-app, importing only "extrapos", bundled by esbuild and by Vite without flags, trains
 * 30 steps in a page; the losses fall and the parameters and losses are bit-identical to the same job
 * in Node (hash of every parameter byte + every loss). Without COOP/COEP the page says so and the
 * single-threaded build gives the result of Node's plain (non-FMA) build. A pool worker script that
 * cannot load is an error naming it and its HTTP status; one that stops later is detected by its
 * heartbeat (browsers report no worker exit).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serveStatic, type StaticServer } from "./serve.js";
import { appWorkspace, bundleWithEsbuild, bundleWithVite, chromiumMissing, collectErrors, launchChromium, ROOT, type Browser } from "./testing/chromium.js";

const missing = chromiumMissing();
if (missing && process.env.CI === "true") throw new Error(`browser tests cannot run under CI: ${missing}`);

interface JobResult { type: string; message?: string; failed?: boolean; ms?: number; losses: number[]; hash: string; steps: number; validLoss: number; info: { threads: number; fma: boolean; memory: string } }

/** The job in a Node child process (EXTRAPOS_FMA must be set before the engine decides its build). */
function nodeJob(text: string, threads: number, fma: boolean): JobResult {
  const script = `import * as x from "extrapos"; import { runJob } from ${JSON.stringify(join(ROOT, "test", "browser-app", "job.js"))};
import { readFileSync } from "node:fs";
const r = await runJob(x, readFileSync(0, "utf8"), ${threads});
console.log(JSON.stringify(r));`;
  const env = { ...process.env, EXTRAPOS_FMA: fma ? "1" : "0" };
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, input: text, env, encoding: "utf8" });
  return JSON.parse(out) as JobResult;
}

async function runPage(browser: Browser, url: string): Promise<{ result: JobResult; errors: string[]; isolated: boolean; notice: string }> {
  const page = await browser.page();
  const errors = collectErrors(page);
  try {
    await page.goto(url);
    await page.waitForFunction(() => (window as { __result?: unknown }).__result !== undefined, null, { timeout: 60_000 });
    const result = (await page.evaluate(() => (window as { __result?: unknown }).__result)) as JobResult;
    const isolated = await page.evaluate(() => globalThis.crossOriginIsolated);
    const notice = await page.locator("#notice").innerText();
    return { result, errors, isolated, notice };
  } finally {
    await page.close();
  }
}

describe("extrapos in Chromium", { skip: missing ?? false }, () => {
  let browser: Browser;
  let ws: string;
  const servers: StaticServer[] = [];
  const serve = async (root: string, isolate: boolean): Promise<string> => {
    const s = await serveStatic({ root, isolate });
    servers.push(s);
    return s.url;
  };
  let text: string;
  let node2: JobResult, node1plain: JobResult;

  before(async () => {
    const { loadCorpus } = await import("../data/corpus.js");
    text = loadCorpus({ kind: "brown" }).train.slice(0, 60_000);
    ws = appWorkspace();
    for (const [name, bundle] of [["esbuild", bundleWithEsbuild], ["vite", bundleWithVite]] as const) {
      const out = join(ws, name);
      bundle(ws, out);
      writeFileSync(join(out, "text.txt"), text);
    }
    node2 = nodeJob(text, 2, true);
    node1plain = nodeJob(text, 1, false);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    for (const s of servers) await s.close();
    if (ws) rmSync(ws, { recursive: true, force: true });
  });

  test("Node's reference job learns (guards the comparison against a vacuous pass)", () => {
    assert.equal(node2.losses.length, 30);
    assert.ok(node2.losses.at(-1)! < node2.losses[0]! - 0.5, `loss ${node2.losses[0]} → ${node2.losses.at(-1)}`);
    assert.notEqual(node2.hash, node1plain.hash);
  });

  for (const bundler of ["esbuild", "vite"]) {
    test(`${bundler} bundle: cross-origin isolated page, 2 threads, no console errors, 30 steps bit-identical to Node`, async () => {
      const { result, errors, isolated, notice } = await runPage(browser, await serve(join(ws, bundler), true));
      assert.equal(result.type, "done", result.message ?? "");
      assert.deepEqual(errors, []);
      assert.equal(isolated, true);
      assert.match(notice ?? "", /cross-origin isolated: 2 threads/);
      assert.equal(result.info.threads, 2);
      assert.equal(result.info.memory, "shared");
      assert.ok(result.losses.at(-1)! < result.losses[0]! - 0.5, `loss ${result.losses[0]} → ${result.losses.at(-1)}`);
      assert.deepEqual(result.losses, node2.losses);
      assert.equal(result.hash, node2.hash);
    });
  }

  test("without COOP/COEP: a visible single-thread notice, the unshared build (engineInfo says fma false), Node's plain build's result", async () => {
    const { result, errors, isolated, notice } = await runPage(browser, await serve(join(ws, "esbuild"), false));
    assert.equal(result.type, "done", result.message ?? "");
    assert.deepEqual(errors, []);
    assert.equal(isolated, false);
    assert.match(notice ?? "", /Not cross-origin isolated: running single-threaded/);
    assert.deepEqual(result.info, { threads: 1, fma: false, memory: "unshared", reason: "single-threaded build (no shared memory here)" });
    assert.deepEqual(result.losses, node1plain.losses);
    assert.equal(result.hash, node1plain.hash);
  });

  test("a pool worker script that cannot load is an error naming the script and its HTTP status", async () => {
    const out = join(ws, "no-worker");
    mkdirSync(out);
    bundleWithEsbuild(ws, out);
    rmSync(join(out, "worker-browser.js"));
    writeFileSync(join(out, "text.txt"), text);
    const { result } = await runPage(browser, await serve(out, true));
    assert.equal(result.type, "error");
    assert.match(result.message!, /could not start 1 worker threads: the worker script http:\/\/127\.0\.0\.1:\d+\/worker-browser\.js could not be loaded \(HTTP 404\)/);
  });

  test("a pool worker that stops is detected in the browser (heartbeat): a clear thread_crash within seconds, never a hang", async () => {
    const { result, errors } = await runPage(browser, (await serve(join(ws, "esbuild"), true)) + "?kill");
    assert.equal(result.type, "kill", result.message ?? "");
    assert.equal(result.failed, true, `the engine kept working after its worker was terminated (${result.ms} ms)`);
    assert.match(result.message ?? "", /worker 1 stopped: no heartbeat for \d+ ms/);
    assert.ok(result.ms! < 8000, `detected after ${result.ms} ms`);
    assert.deepEqual(errors, []);
  });
});
