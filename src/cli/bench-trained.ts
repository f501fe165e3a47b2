/**
 * Learnable encodings drawn as trained: after a bench has trained a method's first seed, its encoding
 * figure is rebuilt from that run's checkpoint (`runs/<method>-s<seed>/model.safetensors`, first layer
 * where the parameters are per layer):
 * - t5: the learned bias of each bucket and head (`pe.t5.bias` [buckets, H]) at causal distance d;
 * - kerple / kerple-power: −r1·ln(1 + r2·d) / −a·d^p with the trained (clamped) r1, r2 / a, p of layer 1;
 * - fire: the trained MLP of layer 1 applied to the progressively interpolated distance, for the last
 *   query of the longest window;
 * - learned: the trained table and the similarity of its last row with earlier rows.
 * Distances run over 1 … the longest evaluation length on a log axis (T5's 32 buckets, KERPLE's log kernel
 * and FIRE's log transform all live on a log scale), with the training length marked.
 *
 * Example: `trainedEncodingFigure(plan, "kerple", "reports/x/runs/kerple-s0")` → spec, or null (no checkpoint).
 */
import { existsSync } from "node:fs";
import { ExtraposError } from "../pe/errors.js";
import { join } from "node:path";
import { fireDistanceTable, type FireParams } from "../pe/fire.js";
import { kerpleClamp, kerpleDistanceTable, type KerpleParams } from "../pe/kerple.js";
import { relativePositionBucket } from "../pe/t5.js";
import { loadCheckpoint } from "../model/checkpoint.js";
import type { ModelConfig } from "../model/config.js";
import type { EncodingFigureSpec } from "../report/figures.js";
import type { BenchPlan } from "../report/plan.js";
import type { BenchMethodName } from "../report/presets.js";
import { logColumns, type Series } from "../report/svg.js";

/** A heads × distance table as heatmap cells on a log distance axis. */
function logHeatmap(table: Float64Array, H: number, maxD: number): { values: Float64Array; rows: number; cols: number; logX: number[]; colourScale: "symlog" } {
  const c = logColumns(table, H, maxD);
  return { values: c.values, rows: H, cols: c.cols, logX: c.x, colourScale: "symlog" };
}

/** Methods whose encoding has trained parameters this module can draw. */
export const TRAINED_FIGURE_METHODS: readonly string[] = ["t5", "kerple", "kerple-power", "fire", "learned"];

function tensor(params: Map<string, Float32Array>, name: string): Float64Array {
  const t = params.get(name);
  if (!t) throw new ExtraposError("corrupt_file", `the checkpoint has no tensor \`${name}\``);
  return Float64Array.from(t);
}

/** A [H, maxD + 1] bias table as a heads × distance heatmap (distances 1 … maxD) and one curve per head on a log axis. */
function biasFigure(method: string, note: string, table: Float64Array, H: number, maxD: number, trainLen: number): EncodingFigureSpec {
  const w = maxD + 1;
  const x = Array.from({ length: maxD }, (_, k) => k + 1);
  const series: Series[] = Array.from({ length: H }, (_, h) => ({ name: `head ${h + 1}`, x, y: x.map((d) => table[h * w + d]!) }));
  return {
    method, note,
    heatmap: { title: `${method} (trained): bias by head and distance`, xLabel: "relative distance i − j (log scale)", yLabel: "head", ...logHeatmap(table, H, maxD), y0: 1 },
    curve: { title: `${method} (trained): bias vs distance`, xLabel: "relative distance i − j (log scale)", yLabel: "bias added to the logit", xScale: "log", series, vLines: [{ x: trainLen, label: `L = ${trainLen}` }] },
  };
}

function t5Table(cfg: ModelConfig, params: Map<string, Float32Array>, maxD: number): { table: Float64Array; H: number } {
  const H = cfg.nHeads;
  const bias = tensor(params, "pe.t5.bias");
  const numBuckets = bias.length / H;
  const opts = { bidirectional: false, numBuckets, maxDistance: cfg.pe.kind === "t5" ? cfg.pe.maxDistance : 128 };
  const table = new Float64Array(H * (maxD + 1));
  for (let d = 0; d <= maxD; d++) {
    const b = relativePositionBucket(-d, opts);
    for (let h = 0; h < H; h++) table[h * (maxD + 1) + d] = bias[b * H + h]!;
  }
  return { table, H };
}

function fireParams(cfg: ModelConfig, params: Map<string, Float32Array>, initL: number): FireParams {
  const p = "blocks.0.attn.pe";
  const w0 = tensor(params, `${p}.mlp.0.weight`), b0 = tensor(params, `${p}.mlp.0.bias`);
  const w1 = tensor(params, `${p}.mlp.1.weight`), b1 = tensor(params, `${p}.mlp.1.bias`);
  return {
    mlp: [{ inDim: 1, outDim: b0.length, weight: w0, bias: b0 }, { inDim: b0.length, outDim: cfg.nHeads, weight: w1, bias: b1 }],
    c: tensor(params, `${p}.c`)[0]!, lMultiplier: tensor(params, `${p}.L_multiplier`)[0]!, initL, eps: 1e-6,
  };
}

/** The trained encoding figure of `method` from the checkpoint in `runDir`, or null (no checkpoint, or nothing learnable to draw). */
export function trainedEncodingFigure(plan: BenchPlan, method: BenchMethodName | string, runDir: string): EncodingFigureSpec | null {
  if (!TRAINED_FIGURE_METHODS.includes(method)) return null;
  const path = join(runDir, "model.safetensors");
  if (!existsSync(path)) return null;
  const { config: cfg, params, step } = loadCheckpoint(path);
  const maxD = plan.evalLens[plan.evalLens.length - 1]!;
  const L = plan.trainLen;
  const after = `after ${step} training steps`;
  switch (cfg.pe.kind) {
    case "t5": {
      const { table, H } = t5Table(cfg, params, maxD);
      return biasFigure(method, `T5's learned bias per bucket and head ${after} (${cfg.pe.numBuckets} causal buckets: exact for the nearest distances, log-spaced up to ${cfg.pe.maxDistance}, one shared bucket beyond — hence flat far right).`, table, H, maxD, L);
    }
    case "kerple": {
      const p = "blocks.0.attn.pe";
      const kp: KerpleParams = cfg.pe.kernel === "log"
        ? { variant: "log", r1: tensor(params, `${p}.r1`), r2: tensor(params, `${p}.r2`) }
        : { variant: "power", a: tensor(params, `${p}.a`), p: tensor(params, `${p}.p`) };
      const table = kerpleDistanceTable(kerpleClamp(kp), maxD);
      return biasFigure(method, `KERPLE-${kp.variant} bias per head of layer 1 ${after} (trained ${kp.variant === "log" ? "r1, r2" : "a, p"}).`, table, cfg.nHeads, maxD, L);
    }
    case "fire": {
      const fp = fireParams(cfg, params, cfg.pe.initL);
      const table = fireDistanceTable(fp, maxD);
      return biasFigure(method, `FIRE's trained MLP bias per head of layer 1 ${after}, for the last query of a ${maxD}-token window.`, table, cfg.nHeads, maxD, L);
    }
    case "learned": {
      const table = tensor(params, "pos_emb.weight");
      const d = cfg.dModel, rows = table.length / d, ref = rows - 1;
      const x = Array.from({ length: ref }, (_, k) => k + 1);
      const y = x.map((k) => { let s = 0; for (let c = 0; c < d; c++) s += table[ref * d + c]! * table[(ref - k) * d + c]!; return s; });
      return {
        method, note: `The learned position table ${after} (${rows} rows; positions ≥ ${rows} reuse the last row), and the similarity of its last row with earlier rows.`,
        heatmap: { title: `${method} (trained): table (positions × dimensions)`, xLabel: "dimension", yLabel: "position", values: table, rows, cols: d },
        curve: { title: `${method} (trained): PE(${ref}) · PE(${ref} − k)`, xLabel: "relative distance k (log scale)", yLabel: "dot product", xScale: "log", series: [{ name: "PE·PE", x, y }] },
      };
    }
    default: return null;
  }
}

/** Trained figures of every method whose first-seed run is finished (`runDirOf` gives its folder). */
export function trainedEncodingFigures(plan: BenchPlan, runDirOf: (method: string) => string | null): EncodingFigureSpec[] {
  const out: EncodingFigureSpec[] = [];
  for (const m of plan.methods) {
    const dir = runDirOf(m);
    if (dir === null) continue;
    try {
      const f = trainedEncodingFigure(plan, m, dir);
      if (f) out.push(f);
    } catch {
      // a checkpoint that cannot be drawn keeps the figure at initialisation; the bench goes on
    }
  }
  return out;
}
