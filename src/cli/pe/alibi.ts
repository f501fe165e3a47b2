/** `extrapos pe alibi --heads H` → {"slopes": [...]} (ofirpress' get_slopes). */
import { alibiDistanceTable, alibiSlopes } from "../../pe/alibi.js";
import type { PeCliMethod } from "./index.js";
import { intOption } from "./options.js";
import { distanceTablePlot } from "./plot-spec.js";

export const alibiCli: PeCliMethod = {
  summary: "ALiBi head slopes, exactly as the reference get_slopes (Press et al. 2022)",
  options: { heads: { type: "int", help: "number of attention heads H (required)", metavar: "H" } },
  specParams: { takes: [] },
  compute(a) {
    return { slopes: Array.from(alibiSlopes(intOption(a, "heads", 1))) };
  },
  plot(a, r) {
    const slopes = alibiSlopes(intOption(a, "heads", 1));
    return distanceTablePlot("ALiBi", alibiDistanceTable(slopes, r.maxDistance), slopes.length, r);
  },
};
