/**
 * A run kept in memory (Node and browsers): `memoryRunSink` collects what the run directory would
 * hold (config, metrics, the latest checkpoint), `runFolderFiles` turns it into the directory's files
 * (config.json, metrics.jsonl, model.safetensors, train_state.safetensors: byte for byte the formats
 * of run-format.ts), and `tarArchive` packs them into one POSIX ustar file that `tar -xf` unpacks into
 * a folder `extrapos eval --run` and `extrapos train --resume` read.
 *
 * Example (a page):
 *   const sink = memoryRunSink({ onMetric: (r) => plot(r) });
 *   await trainLoop({ model, training, data, from: null, progress: false }, { createModel }, sink);
 *   const tar = tarArchive("my-run", runFolderFiles(sink));     // → a download
 *   // continue later: trainLoop({ ..., training: { ...training, steps: 600 }, from: sink.last!.checkpoint }, deps, sink)
 */
import { ExtraposError } from "../pe/errors.js";
import type { ModelConfig } from "../model/config.js";
import { metricLine, type MetricRecord } from "./log/metric-line.js";
import type { RunSink } from "./loop.js";
import { encodeRunCheckpoint, RUN_FILES, runConfigToJson, type RunCheckpoint, type RunConfig } from "./run-format.js";

export interface MemoryRunSink extends RunSink {
  /** The run's config (set by the first `open`). */
  readonly run: RunConfig | undefined;
  /** Every logged record, in order (a resume drops those after its step, as truncateMetrics does). */
  readonly metrics: MetricRecord[];
  /** The latest checkpoint (copied: independent of the model's memory). */
  readonly last: { config: ModelConfig; checkpoint: RunCheckpoint } | undefined;
}

export interface MemoryRunSinkOptions {
  /** Default "memory". */
  where?: string;
  onMetric?: (rec: MetricRecord) => void;
  onCheckpoint?: (step: number) => void;
}

/** A `RunSink` that keeps the run in memory (see the file header). */
export function memoryRunSink(o: MemoryRunSinkOptions = {}): MemoryRunSink {
  const sink = {
    where: o.where ?? "memory",
    run: undefined as RunConfig | undefined,
    metrics: [] as MetricRecord[],
    last: undefined as { config: ModelConfig; checkpoint: RunCheckpoint } | undefined,
    open(run: RunConfig, resumeAt: number | null): void {
      if (resumeAt === null || sink.run === undefined) sink.run = run;
      const keep = resumeAt ?? -1;
      sink.metrics = sink.metrics.filter((r) => r.step <= keep);
    },
    metric(rec: MetricRecord): void {
      metricLine(rec); // the file's checks
      sink.metrics.push({ ...rec });
      o.onMetric?.(rec);
    },
    checkpoint(config: ModelConfig, ckpt: RunCheckpoint): void {
      const params = new Map([...ckpt.params].map(([k, v]) => [k, new Float32Array(v)]));
      const tensors = ckpt.optimizer.tensors.map((t) => ({ name: t.name, shape: [...t.shape], data: new Float32Array(t.data) }));
      const meta = JSON.parse(JSON.stringify(ckpt.meta)) as RunCheckpoint["meta"];
      sink.last = { config, checkpoint: { step: ckpt.step, params, optimizer: { step: ckpt.optimizer.step, tensors }, meta } };
      o.onCheckpoint?.(ckpt.step);
    },
    close(): void {},
  };
  return sink;
}

/** The files of the run directory for what `sink` holds (needs at least one checkpoint). */
export function runFolderFiles(sink: MemoryRunSink): Map<string, Uint8Array> {
  if (!sink.run || !sink.last) throw new ExtraposError("invalid_argument", "the run has no checkpoint yet", "train at least until the first checkpoint");
  const text = new TextEncoder();
  const { state, model } = encodeRunCheckpoint(sink.last.config, sink.last.checkpoint);
  return new Map([
    [RUN_FILES.config, text.encode(JSON.stringify(runConfigToJson(sink.run), null, 2) + "\n")],
    [RUN_FILES.metrics, text.encode(sink.metrics.map(metricLine).join(""))],
    [RUN_FILES.state, state],
    [RUN_FILES.model, model],
  ]);
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

/**
 * A POSIX ustar archive of `files` inside folder `dir` (regular files, mode 0644, mtime `mtime`
 * seconds). Names (dir/name) must be ASCII and at most 100 bytes.
 */
export function tarArchive(dir: string, files: ReadonlyMap<string, Uint8Array>, mtime = 0): Uint8Array {
  const blocks: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array): void => { blocks.push(b); size += b.length; };
  for (const [name, bytes] of files) {
    const path = `${dir}/${name}`;
    if (!/^[\x20-\x7e]+$/.test(path) || path.length > 100) throw new ExtraposError("invalid_argument", `tar entry name ${JSON.stringify(path)} must be ASCII and at most 100 bytes`);
    const h = new Uint8Array(512);
    const put = (at: number, s: string): void => { for (let i = 0; i < s.length; i++) h[at + i] = s.charCodeAt(i); };
    put(0, path);
    put(100, octal(0o644, 8));
    put(108, octal(0, 8));
    put(116, octal(0, 8));
    put(124, octal(bytes.length, 12));
    put(136, octal(mtime, 12));
    put(148, "        "); // checksum field counts as spaces
    put(156, "0");
    put(257, "ustar\0");
    put(263, "00");
    let sum = 0;
    for (const b of h) sum += b;
    put(148, sum.toString(8).padStart(6, "0") + "\0 ");
    push(h);
    push(bytes);
    const pad = (512 - (bytes.length % 512)) % 512;
    if (pad > 0) push(new Uint8Array(pad));
  }
  push(new Uint8Array(1024)); // two zero blocks end the archive
  const out = new Uint8Array(size);
  let at = 0;
  for (const b of blocks) { out.set(b, at); at += b.length; }
  return out;
}
