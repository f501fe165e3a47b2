/**
 * The lab's worker: the engine lives here (a page may not block in Atomics.wait), with 2 threads on
 * a cross-origin-isolated page and the single-threaded fallback elsewhere. It trains (trainLoop into
 * a memoryRunSink, stop = abort at the end of the step, continue = resume from the last checkpoint),
 * evaluates perplexity at several lengths, streams generated text (KV-cache decoder), packs a run
 * folder as a tar, and loads dropped checkpoints. Requests and answers: protocol.ts.
 */
import { createEngine } from "../../engine/threads/pool.js";
import { engineInfo } from "../../engine/wasm.js";
import { decodeCheckpoint } from "../../model/checkpoint-codec.js";
import { modelConfigToJson, parseModelConfig, type ModelConfig } from "../../model/config.js";
import { createModel, modelFromCheckpoint } from "../../model/factory.js";
import { paramCount, paramTable } from "../../model/params.js";
import { loadTokenizer, type Tokenizer } from "../../data/tokenizer.js";
import { evaluate } from "../../eval/evaluate.js";
import { generate } from "../../eval/generate.js";
import { parseTrainingConfig, type TrainingConfig } from "../../train/config.js";
import { trainLoop, TrainingInterrupted } from "../../train/loop.js";
import { memoryRunSink, runFolderFiles, tarArchive, type MemoryRunSink } from "../../train/run-folder.js";
import type { TextTrainData } from "../../train/source.js";
import type { FromWorker, ToWorker } from "./protocol.js";

interface Scope { onmessage: ((ev: MessageEvent<ToWorker>) => void) | null; postMessage(m: FromWorker, transfer?: Transferable[]): void }
const scope = globalThis as unknown as Scope;
const post = (m: FromWorker, transfer: Transferable[] = []): void => scope.postMessage(m, transfer);

interface Run {
  config: ModelConfig;
  training: TrainingConfig | null;
  data: TextTrainData | null;
  text: string;
  sink: MemoryRunSink;
  stop: AbortController | null;
  tok: Tokenizer;
}

const runs = new Map<string, Run>();
let threads = 1;

async function start(): Promise<void> {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const engine = await createEngine({ threads: isolated ? Math.min(2, Math.max(1, navigator.hardwareConcurrency || 1)) : 1 });
  threads = engine.threads;
  const info = engineInfo(engine);
  await engine.dispose();
  post({ type: "ready", threads, fma: info.fma, memory: info.memory });
}

function splitText(text: string, tok: Tokenizer): { train: Int32Array; valid: Int32Array } {
  const cut = Math.floor(text.length * 0.9);
  return { train: tok.encode(text.slice(0, cut)), valid: tok.encode(text.slice(cut)) };
}

async function runTraining(id: string, run: Run): Promise<void> {
  run.stop = new AbortController();
  const from = run.sink.last?.checkpoint ?? null;
  try {
    const s = await trainLoop({ model: run.config, training: run.training!, data: run.data!, from, resume: from !== null, progress: false, signal: run.stop.signal }, { createModel }, run.sink);
    post({ type: "trained", id, steps: s.steps, stopped: false, validLoss: s.finalValidLoss });
  } catch (e) {
    if (e instanceof TrainingInterrupted) post({ type: "trained", id, steps: e.step, stopped: true, validLoss: NaN });
    else throw e;
  } finally {
    run.stop = null;
  }
}

async function withModel<T>(run: Run, f: (m: Awaited<ReturnType<typeof modelFromCheckpoint>>) => T): Promise<T> {
  const last = run.sink.last;
  if (!last) throw new Error("this model has no checkpoint yet");
  const model = await modelFromCheckpoint({ config: last.config, params: last.checkpoint.params, step: last.checkpoint.step }, { seed: 0, threads });
  try {
    return f(model);
  } finally {
    await model.dispose();
  }
}

async function handle(m: ToWorker): Promise<void> {
  const run = runs.get(m.id);
  const need = (): Run => { if (!run) throw new Error(`no model ${m.id}`); return run; };
  switch (m.type) {
    case "train": {
      const config = parseModelConfig(m.model);
      const training = parseTrainingConfig({ ...m.training, threads });
      const tok = await loadTokenizer(config.tokenizer);
      const { train, valid } = splitText(m.text, tok);
      const r: Run = {
        config, training, text: m.text, tok, stop: null,
        data: { kind: "text", train, valid, spec: null, description: "text from the lab page" },
        sink: memoryRunSink({ where: "the lab page", onMetric: (rec) => post({ type: "metric", id: m.id, rec }) }),
      };
      runs.set(m.id, r);
      return runTraining(m.id, r);
    }
    case "stop":
      need().stop?.abort();
      return;
    case "continue": {
      const r = need();
      r.training = { ...r.training!, steps: m.steps };
      return runTraining(m.id, r);
    }
    case "eval": {
      const r = need();
      const tokens = m.text !== undefined ? r.tok.encode(m.text) : r.data?.valid ?? r.tok.encode(r.text);
      const result = await withModel(r, (model) => evaluate(model, tokens, { lengths: m.lengths, maxTokens: 4096, lossPerPosition: false }));
      post({ type: "evaluated", id: m.id, result });
      return;
    }
    case "generate": {
      const r = need();
      await withModel(r, (model) => generate(model, r.tok, m.prompt, { maxTokens: m.maxTokens, temperature: m.temperature, topK: m.topK, topP: m.topP, seed: m.seed }, (text) => post({ type: "token", id: m.id, text })));
      post({ type: "generated", id: m.id });
      return;
    }
    case "download": {
      const r = need();
      const files = runFolderFiles(r.sink);
      if (r.text) files.set("text.txt", new TextEncoder().encode(r.text));
      const bytes = tarArchive(m.id, files);
      post({ type: "file", id: m.id, name: `${m.id}.tar`, bytes }, [bytes.buffer]);
      return;
    }
    case "load": {
      const ckpt = decodeCheckpoint(m.bytes, m.name);
      const tok = await loadTokenizer(ckpt.config.tokenizer);
      const sink = memoryRunSink({ where: m.name });
      sink.checkpoint(ckpt.config, { step: ckpt.step, params: ckpt.params, optimizer: { step: 0, tensors: [] }, meta: { sampler: { seqLen: ckpt.config.contextLength, rng: [], drawn: 0 }, positionsRng: null, optimizerStep: 0, optimizerShapes: {}, elapsedSeconds: 0, lastTrainLoss: null, lastValidLoss: null } });
      runs.set(m.id, { config: ckpt.config, training: null, data: null, text: "", sink, stop: null, tok });
      post({ type: "loaded", id: m.id, config: modelConfigToJson(ckpt.config), step: ckpt.step, params: paramCount(paramTable(ckpt.config)) });
      return;
    }
  }
}

// Requests run one at a time, except "stop", which must reach a training that is running.
let queue: Promise<void> = start().catch((e: unknown) => post({ type: "error", id: "", message: e instanceof Error ? e.message : String(e) }));
scope.onmessage = (ev) => {
  const m = ev.data;
  const run = (): Promise<void> => handle(m).catch((e: unknown) => post({ type: "error", id: m.id, message: e instanceof Error ? e.message : String(e) }));
  if (m.type === "stop") void run();
  else queue = queue.then(run);
};
