// Cells per hour of a queued study (README "Outgrowing one machine"): starts its own redis-server on a
// free loopback port in a temporary folder, then for each worker count W: W `extrapos worker` processes
// (--threads 1 each) and one `extrapos bench --queue` of the same study; prints one JSON line per W.
// Usage: node scripts/queue-throughput.mjs [--workers 1,2] [bench flags…]   (default study below; needs dist/)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const MAIN = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "cli", "main.js");
const args = process.argv.slice(2);
const wi = args.indexOf("--workers");
const counts = wi >= 0 ? args.splice(wi, 2)[1].split(",").map(Number) : [1, 2];
const study = args.length ? args : ["--methods", "alibi,rope,nope,kerple", "--seeds", "2", "--steps", "200", "--train-len", "64", "--eval-lens", "64,128,256", "--threads", "1"];
const root = mkdtempSync(join(tmpdir(), "extrapos-queue-bench-"));

const port = await new Promise((done) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => done(p));
  });
});
const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", root, "--appendonly", "yes", "--save", ""], { stdio: ["ignore", "pipe", "inherit"] });
await new Promise((done) => redis.stdout.on("data", (d) => String(d).includes("Ready to accept") && done()));
const url = `redis://127.0.0.1:${port}`;
const exit = (p) => new Promise((done) => p.once("exit", (code) => done(code)));
try {
  for (const w of counts) {
    const art = join(root, `art-${w}`);
    const workers = Array.from({ length: w }, () => spawn(process.execPath, [MAIN, "worker", "--queue", url, "--artifacts", art, "--threads", "1"], { stdio: ["ignore", "ignore", "inherit"] }));
    const t0 = performance.now();
    const bench = spawn(process.execPath, [MAIN, "bench", ...study, "--out", join(root, `reports-${w}`), "--queue", url], { stdio: ["ignore", "ignore", "ignore"] });
    const code = await exit(bench);
    const seconds = (performance.now() - t0) / 1000;
    for (const p of workers) p.kill("SIGTERM");
    await Promise.all(workers.map(exit));
    if (code !== 0) throw new Error(`bench exited with ${code}`);
    const methods = study[study.indexOf("--methods") + 1]?.split(",").length ?? NaN, seeds = Number(study[study.indexOf("--seeds") + 1] ?? 1);
    const cells = methods * seeds;
    console.log(JSON.stringify({ measurement: "queue_cells_per_hour", workers: w, threads_per_worker: 1, cells, seconds: Number(seconds.toFixed(1)), cells_per_hour: Number(((3600 * cells) / seconds).toFixed(1)), study: study.join(" ") }));
  }
} finally {
  redis.kill("SIGTERM");
  await exit(redis);
  rmSync(root, { recursive: true, force: true });
}
