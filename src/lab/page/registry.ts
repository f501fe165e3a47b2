/**
 * The encodings as the lab's forms see them, read from the encoding registry (src/pe/encodings.ts
 * `ENCODINGS`, the specs every model config and CLI flag is derived from): one entry per encoding
 * with its family and parameters (code-form key, kind, default, choices, help). The lab lists nothing
 * by hand: a new entry in the registry is a new form.
 */
import { encodingSpec, ENCODING_NAMES } from "../../pe/encodings.js";
import { camelCase, describeDefault } from "../../pe/spec.js";

export type ControlKind = "number" | "boolean" | "choice";

export interface ParamControl {
  key: string;
  kind: ControlKind;
  /** null = derived from the model (the help says how). */
  default: number | string | boolean | null;
  choices?: readonly string[];
  help: string;
}

export interface EncodingEntry {
  name: string;
  family: string;
  summary: string;
  paper: string;
  params: ParamControl[];
}

export function encodingEntries(): EncodingEntry[] {
  return ENCODING_NAMES.map((name) => {
    const m = encodingSpec(name);
    return {
      name, family: m.family, summary: m.summary, paper: m.paper,
      params: Object.entries(m.params).map(([key, p]): ParamControl => ({
        key: camelCase(key), default: p.default,
        help: p.default === null ? `${p.help} (default: ${describeDefault(p)})` : p.help,
        kind: p.type === "choice" ? "choice" : p.type === "boolean" ? "boolean" : "number",
        ...(p.type === "choice" ? { choices: p.choices } : {}),
      })),
    };
  });
}
