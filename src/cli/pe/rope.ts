/**
 * `extrapos pe rope --config config.json [--seq-len N] [--positions 0,1,4095] [--float32]`
 * → {"inv_freq": [...], "attention_factor": x, "rotary_dim": r, "cos": [[...]], "sin": [[...]]}
 * (cos/sin only when positions are given: one row per position, length rotary_dim, half-split
 * layout cat(freqs, freqs), times attention_factor — as HF's rotary embedding builds them).
 * --seq-len is the current length for dynamic/longrope; with positions and no --seq-len it is
 * max(position) + 1, as the reference forward does.
 */
import { readFileSync } from "node:fs";
import { ExtraposError } from "../../pe/errors.js";
import { computeRope, ropeCosSin, ropeParamsFromHfConfig, ropeScoreCurve, type RopeParams } from "../../pe/rope/index.js";
import type { PlotRange, PlotSpec } from "./plot-spec.js";
import { getFlag, getNumber, getNumbers, getString, type ParsedArgs } from "../args.js";
import { refuseLargePe } from "./bounds.js";
import type { PeCliMethod } from "./index.js";

function readConfig(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    throw new ExtraposError("io", `cannot read --config file ${JSON.stringify(path)} (${code})`, code === "ENOENT" ? `no such file; the working directory is ${process.cwd()}` : undefined);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const detail = (e as Error).message.replace(/\n/g, "\\n"); // V8 quotes the text it choked on, newlines included
    throw new ExtraposError("corrupt_file", `--config file ${JSON.stringify(path)} is not valid JSON: ${detail}`);
  }
}

function rows(flat: Float64Array, width: number): number[][] {
  const out: number[][] = [];
  for (let o = 0; o < flat.length; o += width) out.push(Array.from(flat.subarray(o, o + width)));
  return out;
}

function paramsFrom(args: ParsedArgs): RopeParams {
  const path = getString(args, "config");
  if (path === undefined) throw new ExtraposError("invalid_argument", "--config is required (a model config.json)");
  const layerType = getString(args, "layer-type");
  const params = ropeParamsFromHfConfig(readConfig(path), { source: path, ...(layerType !== undefined ? { layerType } : {}) });
  if (getFlag(args, "resonance")) params.resonance = true;
  return params;
}

/**
 * Plot: heatmap of cos(m·θ_i)·attention_factor over positions 0..range × pairs, and the expected q·k
 * vs distance (q = k = 1, and q = k ~ N(0, I) averaged over 64 seeded draws), HF half-split layout.
 */
function ropePlot(args: ParsedArgs, r: PlotRange): PlotSpec {
  const params = paramsFrom(args);
  const seqLen = getNumber(args, "seq-len");
  const f = computeRope(params, { ...(seqLen !== undefined ? { seqLen } : {}), precision: getFlag(args, "float32") ? "float32" : "float64" });
  const distances = Array.from({ length: r.maxDistance + 1 }, (_, k) => k);
  const pairs = f.invFreq.length;
  const table = ropeCosSin(f.invFreq, distances, f.attentionFactor);
  const cosPairs = new Float64Array(distances.length * pairs);
  for (let m = 0; m < distances.length; m++) for (let i = 0; i < pairs; i++) cosPairs[m * pairs + i] = table.cos[m * table.width + i]!;
  const curve = (vectors: Parameters<typeof ropeScoreCurve>[0]["vectors"]) =>
    Array.from(ropeScoreCurve({ invFreq: f.invFreq, headDim: params.headDim, layout: "half", distances, vectors, attentionFactor: f.attentionFactor }));
  return {
    heatmap: { title: `RoPE (${params.scaling.type}): cos(m·θ_i) by position and pair`, xLabel: "pair i", yLabel: "position m", values: cosPairs, rows: distances.length, cols: pairs },
    curve: {
      title: `RoPE (${params.scaling.type}): q·k vs relative distance`,
      xLabel: "relative distance m − n",
      yLabel: "q·k",
      xScale: r.logX ? "log" : "linear",
      series: [
        { name: "q = k = 1", x: distances, y: curve({ kind: "constant", value: 1 }) },
        { name: "q = k ~ N(0, I), mean of 64", x: distances, y: curve({ kind: "random", seed: 0, samples: 64 }) },
      ],
    },
  };
}

export const ropeCliMethod: PeCliMethod = {
  summary: "RoPE inv_freq, attention factor and cos/sin from a model's HF config.json (every rope_type)",
  options: {
    config: { type: "string", metavar: "FILE", help: "model config.json (rope_theta + rope_scaling, or rope_parameters)" },
    "seq-len": { type: "int", metavar: "N", help: "current sequence length for dynamic/longrope", default: "max(position)+1, else the init-time value" },
    positions: { type: "ints", metavar: "P,P,…", help: "positions for cos/sin rows (a:b = inclusive range)" },
    float32: { type: "boolean", help: "reproduce PyTorch's float32 rounding (default: float64)" },
    resonance: { type: "boolean", help: "Resonance RoPE: round wavelengths to integers" },
    "layer-type": { type: "string", metavar: "NAME", help: "layer type for per-layer rope_parameters (e.g. full_attention)" },
  },
  specParams: { takes: [], not: { layout: "read from --config", theta: "read from --config (rope_theta)", rotary_dim: "read from --config (partial_rotary_factor)" } },
  compute(args: ParsedArgs) {
    if (args.positionals.length > 0) {
      throw new ExtraposError("invalid_argument", `unexpected argument ${JSON.stringify(args.positionals[0])}`, "usage: extrapos pe rope --config config.json [--seq-len N] [--positions 0,1,4095] [--float32]");
    }
    const path = getString(args, "config");
    if (path === undefined) throw new ExtraposError("invalid_argument", "--config is required (a model config.json)");
    const seqLen = getNumber(args, "seq-len");
    if (seqLen !== undefined && seqLen < 1) throw new ExtraposError("invalid_argument", `--seq-len must be an integer ≥ 1, got ${seqLen}`);
    const positions = getNumbers(args, "positions");
    const layerType = getString(args, "layer-type");
    const params = ropeParamsFromHfConfig(readConfig(path), { source: path, ...(layerType !== undefined ? { layerType } : {}) });
    if (getFlag(args, "resonance")) params.resonance = true;
    const n = positions?.length ?? 0;
    refuseLargePe("rope", { numbers: (n * 2 + 1) * params.headDim, what: `(${n} positions × cos and sin + inv_freq) × head dim ${params.headDim}` }, "ask for fewer --positions (e.g. --positions 0:4095, or a few far ones: 0,65535,131071)");
    const r = computeRope(params, {
      ...(seqLen !== undefined ? { seqLen } : {}),
      ...(positions !== undefined ? { positions } : {}),
      precision: getFlag(args, "float32") ? "float32" : "float64",
    });
    const out: Record<string, unknown> = {
      inv_freq: Array.from(r.invFreq),
      attention_factor: r.attentionFactor,
      rotary_dim: r.rotaryDim,
    };
    if (r.cos && r.sin) {
      out.cos = rows(r.cos, r.rotaryDim);
      out.sin = rows(r.sin, r.rotaryDim);
    }
    return out;
  },
  plot: ropePlot,
};
