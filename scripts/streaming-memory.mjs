// Constant-memory generation with StreamingLLM's rolling KV cache, measured on the real command: for each
// point N (default 1k, 10k, 100k tokens) one fresh process runs
//   extrapos generate --run DIR --prompt "The " --max-tokens N --sinks K --cache W --temperature 1 --seed 1 --verbose
// (stdout discarded), so each peak RSS (getrusage maxRSS) is that process's own; prints one JSON line per
// point: tokens, peak RSS (MiB), the live JS heap at the end (after a full GC), wall seconds of the process, the decode rate `--verbose` reports (tokens/s)
// and the process's CPU seconds (workers included) with tokens per CPU second (steadier on a shared machine).
//
//   npm run build && node scripts/streaming-memory.mjs --run runs/rope --cache 60 [--points 1000,10000,100000] [--sinks 4] [--threads 1]
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, "..", "dist", "cli", "main.js");

if (process.argv[2] === "--child") {
  // the child: `extrapos generate …` in this process, then its own peak RSS and CPU time on stderr
  const args = process.argv.slice(3);
  process.argv = [process.argv[0], cli, "generate", ...args];
  const t0 = performance.now();
  process.on("exit", () => {
    const cpu = process.cpuUsage(), peak = process.resourceUsage().maxRSS;
    globalThis.gc(); // the child runs with --expose-gc: the live JS heap once the garbage is gone
    process.stderr.write(`\n${JSON.stringify({ peak_rss_mib: Math.round(peak / 102.4) / 10, heap_used_mib: Math.round(process.memoryUsage().heapUsed / 104857.6) / 10, cpu_s: (cpu.user + cpu.system) / 1e6, wall_s: (performance.now() - t0) / 1000 })}\n`);
  });
  await import(pathToFileURL(cli).href);
} else {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i < 0 ? dflt : process.argv[i + 1];
  };
  const run = arg("run"), cache = arg("cache");
  if (!run || !cache) {
    console.error("usage: node scripts/streaming-memory.mjs --run DIR --cache W [--points 1000,10000,100000] [--sinks K] [--threads N]");
    process.exit(2);
  }
  const points = arg("points", "1000,10000,100000").split(",").map(Number);
  const sinks = arg("sinks", "4"), threads = arg("threads", "1");
  for (const n of points) {
    const args = ["--run", run, "--prompt", "The ", "--max-tokens", String(n), "--sinks", sinks, "--cache", cache, "--temperature", "1", "--seed", "1", "--threads", threads, "--verbose"];
    const r = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--child", ...args], { encoding: "utf8", stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 });
    const lines = r.stderr.trim().split("\n");
    if (r.status !== 0) {
      console.error(`generate ${n} tokens failed (exit ${r.status}): ${lines.slice(-3).join(" | ")}`);
      process.exit(1);
    }
    const m = JSON.parse(lines.at(-1));
    const rate = /(\d+) tokens in [^(]*\((\d+) tokens\/s\)/.exec(lines.find((l) => l.startsWith("extrapos: first token")) ?? "");
    console.log(JSON.stringify({
      tokens: n, sinks: Number(sinks), cache: Number(cache), threads: Number(threads), peak_rss_mib: m.peak_rss_mib, live_heap_mib: m.heap_used_mib,
      process_wall_s: Math.round(m.wall_s * 100) / 100, decode_tokens_per_s: rate ? Number(rate[2]) : null,
      cpu_s: Math.round(m.cpu_s * 100) / 100, tokens_per_cpu_s: Math.round(n / m.cpu_s),
    }));
  }
}
