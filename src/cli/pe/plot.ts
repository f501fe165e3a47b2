/**
 * `extrapos pe plot <method> [method options] --out file.svg [--plot-range N] [--log-x]`: the encoding as a heatmap
 * and its curve vs relative distance, in one self-contained SVG written atomically (temp file + rename).
 */
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ExtraposError, invalid } from "../../pe/errors.js";
import { heatmap, lineChart, svgDocument } from "../../report/svg.js";
import { formatOptions, getFlag, getNumber, getString, parseArgs, wantsHelp } from "../args.js";
import { PLOT_OPTIONS } from "./options.js";
import { genericPeSize, refuseLargePe } from "./bounds.js";
import { PE_CLI_METHODS, peCliMethod } from "./methods.js";
import type { PeCliMethod } from "./index.js";

function plotMethods(): string[] {
  return Object.entries(PE_CLI_METHODS).filter(([, m]) => (m as PeCliMethod).plot).map(([n]) => n);
}

export function plotHelp(): string {
  return `Usage: extrapos pe plot <method> [method options] --out file.svg\nMethods: ${plotMethods().join(", ")}\n${formatOptions(PLOT_OPTIONS)}\n`;
}

export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException, dir = dirname(resolve(path));
    if (err.code === "ENOENT" || err.code === "ENOTDIR") {
      throw new ExtraposError("io", `cannot write --out ${JSON.stringify(path)}: ${JSON.stringify(dir)} ${err.code === "ENOENT" ? "does not exist" : "is not a folder"}`, "give a path in an existing folder");
    }
    throw new ExtraposError("io", `cannot write --out ${JSON.stringify(path)}: ${err.code ?? err.message}`);
  }
}

export function runPlot(argv: string[]): number {
  const [name, ...rest] = argv;
  if (name === "--help" || name === "-h") {
    process.stdout.write(plotHelp());
    return 0;
  }
  if (name === undefined || name.startsWith("--")) {
    throw invalid("`extrapos pe plot` needs a method before the options", `plot methods: ${plotMethods().join(", ")}`);
  }
  const m = peCliMethod(name);
  if (!m) throw new ExtraposError("unknown_method", `unknown pe method ${JSON.stringify(name)}`, `plot methods: ${plotMethods().join(", ")}`);
  if (!m.plot) throw new ExtraposError("unknown_method", `pe plot does not support ${JSON.stringify(name)}`);
  if (wantsHelp(rest, { ...m.options, ...PLOT_OPTIONS })) {
    process.stdout.write(`Usage: extrapos pe plot ${name} [options] --out file.svg\n${name} — ${m.summary}\n${formatOptions({ ...m.options, ...PLOT_OPTIONS })}\n`);
    return 0;
  }
  const args = parseArgs(rest, { ...m.options, ...PLOT_OPTIONS });
  if (args.positionals.length > 0) throw invalid(`unexpected argument ${JSON.stringify(args.positionals[0])}`);
  const out = getString(args, "out");
  if (!out) throw invalid("--out is required (the SVG file to write)");
  const maxDistance = getNumber(args, "plot-range") ?? 64;
  if (maxDistance < 1 || maxDistance > 100000) throw invalid(`--plot-range must be an integer in [1, 100000], got ${maxDistance}`);
  refuseLargePe(`plot ${name}`, m.size?.(args) ?? genericPeSize(args)); // before computing anything
  const spec = m.plot(args, { maxDistance, logX: getFlag(args, "log-x") });
  writeFileAtomic(out, svgDocument([heatmap(spec.heatmap), lineChart(spec.curve)]));
  process.stdout.write(JSON.stringify({ out, method: name }) + "\n");
  return 0;
}
