/** `extrapos pe xpos --dim d --positions -4096,0,4095 [--scale-base 512]` → {"scale": [[...]]} (positions as given). */
import { xposScales } from "../../pe/xpos.js";
import type { PeCliMethod } from "./index.js";
import { intOption, listOption, positiveOption } from "./options.js";
import { rows } from "./rows.js";
import { specDefault, specOptions } from "./spec-options.js";
import { invalid } from "../../pe/errors.js";
import { defaultInvFreq, ropeCosSin, rotateInterleaved } from "../../pe/rope/index.js";
import type { ParsedArgs } from "../args.js";
import type { PlotRange, PlotSpec } from "./plot-spec.js";

/**
 * Plot: heatmap of ζ_i^(Δ/scale_base) by distance and pair, and q·k vs distance for q = k = 1 with
 * xPos (RoPE, interleaved as torchscale, times ζ_i^((m−n)/scale_base) on pair i) beside plain RoPE.
 */
function xposPlot(a: ParsedArgs, r: PlotRange): PlotSpec {
  const dim = intOption(a, "dim", 2);
  if (dim % 2 !== 0) throw invalid(`--dim must be even for xPos (rotary pairs), got ${dim}`);
  const scaleBase = positiveOption(a, "scale-base", specDefault("xpos", "scale_base"));
  const theta = positiveOption(a, "theta", specDefault("xpos", "theta"));
  const distances = Array.from({ length: r.maxDistance + 1 }, (_, k) => k);
  const scales = xposScales(dim, distances, scaleBase);
  const table = ropeCosSin(defaultInvFreq(theta, dim), distances);
  const ones = new Float64Array(dim).fill(1);
  const rotated = new Float64Array(dim);
  const rope: number[] = [], xpos: number[] = [];
  for (let m = 0; m < distances.length; m++) {
    rotateInterleaved(ones, table.cos.subarray(m * dim, (m + 1) * dim), table.sin.subarray(m * dim, (m + 1) * dim), rotated);
    let plain = 0, scaled = 0;
    for (let i = 0; i < dim / 2; i++) {
      const pair = rotated[2 * i]! + rotated[2 * i + 1]!; // ⟨R(Δ)·1, 1⟩ restricted to pair i
      plain += pair;
      scaled += pair * scales[m * (dim / 2) + i]!;
    }
    rope.push(plain);
    xpos.push(scaled);
  }
  return {
    heatmap: { title: `xPos: ζ_i^(Δ/${scaleBase}) by distance and pair`, xLabel: "pair i", yLabel: "distance Δ", values: scales, rows: distances.length, cols: dim / 2 },
    curve: {
      title: "xPos: q·k vs relative distance (q = k = 1)",
      xLabel: "relative distance m − n",
      yLabel: "q·k",
      xScale: r.logX ? "log" : "linear",
      series: [{ name: "xPos", x: distances, y: xpos }, { name: "RoPE (no decay)", x: distances, y: rope }],
    },
  };
}

export const xposCli: PeCliMethod = {
  summary: "xPos scales ζ_i^(position/scale_base) per position and pair, positions as given (Sun et al. 2022)",
  options: {
    dim: { type: "int", help: "rotary dimension d (even, required)", metavar: "D" },
    positions: { type: "numbers", help: "positions, e.g. -4096,0,4095 or 0:15 (required)", metavar: "LIST" },
    ...specOptions("xpos", { scale_base: "B", theta: "θ" }),
  },
  specParams: {
    takes: ["scale_base", "theta"],
    not: { layout: "the scales do not depend on the channel pairing", rotary_dim: "--dim is the rotary dimension" },
  },
  compute(a) {
    const dim = intOption(a, "dim", 2);
    if (dim % 2 !== 0) throw invalid(`--dim must be even for xPos (rotary pairs), got ${dim}`);
    const positions = listOption(a, "positions", Number.isFinite, "finite numbers");
    return { scale: rows(xposScales(dim, positions, positiveOption(a, "scale-base", specDefault("xpos", "scale_base"))), dim / 2) };
  },
  plot: xposPlot,
};
