/**
 * The encodings as the lab's forms see them, read from the encoding registry (src/pe: `PE_METHODS`,
 * the explicit table every model config and CLI flag is checked against): one entry per encoding
 * with its family and parameters (kind, default, choices, help). The lab lists nothing by hand: a
 * new entry in the registry is a new form.
 */
import { PE_METHODS } from "../../pe/methods.js";

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
  return Object.entries(PE_METHODS).map(([name, m]) => ({
    name, family: m.kind, summary: m.summary, paper: m.paper,
    params: Object.entries(m.parameters as Record<string, { default: number | string | boolean | null; help: string; choices?: readonly string[] }>).map(([key, p]) => ({
      key, help: p.help, default: p.default,
      kind: p.choices ? "choice" : typeof p.default === "boolean" ? "boolean" : typeof p.default === "string" ? "choice" : "number",
      ...(p.choices ? { choices: p.choices } : {}),
    })),
  }));
}
