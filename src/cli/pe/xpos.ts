/** `extrapos pe xpos --dim d --positions -4096,0,4095 [--scale-base 512]` → {"scale": [[...]]} (positions as given). */
import { xposScales } from "../../pe/xpos.js";
import type { PeCliMethod } from "./index.js";
import { intOption, listOption, positiveOption } from "./options.js";
import { rows } from "./rows.js";
import { invalid } from "../../pe/errors.js";

export const xposCli: PeCliMethod = {
  summary: "xPos scales ζ_i^(position/scale_base) per position and pair, positions as given (Sun et al. 2022)",
  options: {
    dim: { type: "int", help: "rotary dimension d (even, required)", metavar: "D" },
    positions: { type: "numbers", help: "positions, e.g. -4096,0,4095 or 0:15 (required)", metavar: "LIST" },
    "scale-base": { type: "number", help: "scale base", metavar: "B", default: "512" },
  },
  compute(a) {
    const dim = intOption(a, "dim", 2);
    if (dim % 2 !== 0) throw invalid(`--dim must be even for xPos (rotary pairs), got ${dim}`);
    const positions = listOption(a, "positions", Number.isFinite, "finite numbers");
    return { scale: rows(xposScales(dim, positions, positiveOption(a, "scale-base", 512)), dim / 2) };
  },
};
