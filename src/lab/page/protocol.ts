/** Messages between the lab page and its worker (worker.ts), which owns the engine and every model. */
import type { EvalResult } from "../../eval/evaluate.js";
import type { MetricRecord } from "../../train/log/metric-line.js";

export interface TrainRequest {
  type: "train";
  id: string;
  /** Model config in file form (parseModelConfig). */
  model: Record<string, unknown>;
  /** Training config in file form (parseTrainingConfig). */
  training: Record<string, unknown>;
  text: string;
}

export type ToWorker =
  | TrainRequest
  | { type: "stop"; id: string }
  | { type: "continue"; id: string; steps: number }
  | { type: "eval"; id: string; lengths: number[]; text?: string }
  | { type: "generate"; id: string; prompt: string; maxTokens: number; temperature: number; topK: number; topP: number; seed: number }
  | { type: "download"; id: string }
  | { type: "load"; id: string; name: string; bytes: Uint8Array };

export type FromWorker =
  | { type: "ready"; threads: number; fma: boolean; memory: string }
  | { type: "metric"; id: string; rec: MetricRecord }
  | { type: "trained"; id: string; steps: number; stopped: boolean; validLoss: number }
  | { type: "evaluated"; id: string; result: EvalResult }
  | { type: "token"; id: string; text: string }
  | { type: "generated"; id: string }
  | { type: "file"; id: string; name: string; bytes: Uint8Array }
  | { type: "loaded"; id: string; config: Record<string, unknown>; step: number; params: number }
  | { type: "error"; id: string; message: string };
