/**
 * Which keys each query of a transformer layer sees — the sparse patterns of Longformer (Beltagy et al.
 * 2020) and StreamingLLM's attention sinks (Xiao et al. 2023), as three model-config keys:
 *
 * - `window`: W (every layer) or `[w0, w1, …]` (one per layer: Longformer's autoregressive LM grows the
 *   window with depth); null = full causal attention. Query i sees the W keys i, i−d, …, i−(W−1)·d.
 * - `dilation`: per-head dilation d ≥ 1, `[d0, …, d_{H−1}]` for every layer or `[[…], …]` per layer
 *   (Longformer uses it on a few heads of the upper layers); null = 1 everywhere. Without a window a
 *   dilated head sees i, i−d, i−2d, … back to the start.
 * - `global_tokens`: G, the first G positions are visible to every later query whatever its window
 *   (Longformer's global attention restricted to a causal LM = StreamingLLM's sinks); needs a window.
 *
 * Visibility of key j from query i (one line, the kernels' and the float64 reference's rule):
 *   j ≤ i ∧ (j < G ∨ ((W = 0 ∨ i − j ≤ (W − 1)·d) ∧ (i − j) mod d = 0)).
 *
 * Example: `parseAttentionPattern({ window: [8, 16], dilation: [[1, 1], [1, 2]] }, 2, 2)`.
 */
import { ExtraposError, show } from "../pe/errors.js";

export interface AttentionPattern {
  /** W for every layer, one W per layer, or null (full causal attention). */
  window: number | readonly number[] | null;
  /** Resolved per layer and head, [n_layers][n_heads]; null = no dilation. */
  dilation: readonly (readonly number[])[] | null;
  /** The first G positions are visible to every later query (0 = none). */
  globalTokens: number;
}

const bad = (message: string, hint?: string) => new ExtraposError("invalid_config", message, hint);

function posInt(v: unknown, key: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw bad(`\`${key}\` must be an integer ≥ 1, got ${show(v)}`);
  return v;
}

/**
 * Validates `window`, `dilation` and `global_tokens` of a model config in file form (absent = default)
 * for a model of `nLayers` blocks and `nHeads` heads.
 */
export function parseAttentionPattern(o: Readonly<Record<string, unknown>>, nLayers: number, nHeads: number): AttentionPattern {
  let window: number | readonly number[] | null = null;
  if (Array.isArray(o.window)) {
    if (o.window.length !== nLayers) {
      throw bad(`\`window\` must be one integer or a list of n_layers = ${nLayers} integers, got ${o.window.length} entries`, "one window per layer, e.g. [32, 64] for 2 layers");
    }
    window = o.window.map((w, l) => posInt(w, `window[${l}]`));
  } else if (o.window !== null && o.window !== undefined) window = posInt(o.window, "window");
  let dilation: number[][] | null = null;
  if (o.dilation !== null && o.dilation !== undefined) {
    const d = o.dilation;
    if (!Array.isArray(d) || d.length === 0) throw bad(`\`dilation\` must be a list of n_heads = ${nHeads} integers (or one such list per layer), got ${show(d)}`);
    const perLayer = Array.isArray(d[0]);
    if (perLayer && d.length !== nLayers) throw bad(`\`dilation\` per layer must have n_layers = ${nLayers} lists, got ${d.length}`);
    const rows = perLayer ? (d as unknown[]) : Array.from({ length: nLayers }, () => d);
    dilation = rows.map((row, l) => {
      const key = perLayer ? `dilation[${l}]` : "dilation";
      if (!Array.isArray(row) || row.length !== nHeads) throw bad(`\`${key}\` must be a list of n_heads = ${nHeads} integers, got ${show(row)}`);
      return row.map((x, h) => posInt(x, `${key}[${h}]`));
    });
  }
  const g = o.global_tokens ?? 0;
  if (typeof g !== "number" || !Number.isInteger(g) || g < 0) throw bad(`\`global_tokens\` must be an integer ≥ 0, got ${show(g)}`);
  if (g > 0 && window === null) throw bad(`\`global_tokens\` needs a \`window\` (with full causal attention every token is visible already), got ${g}`);
  return { window, dilation, globalTokens: g };
}

/** The window W of layer l (0 = full causal). */
export function layerWindow(p: AttentionPattern, l: number): number {
  if (p.window === null) return 0;
  return typeof p.window === "number" ? p.window : p.window[l]!;
}

/** The per-head dilations of layer l (null = none). */
export function layerDilation(p: AttentionPattern, l: number): readonly number[] | null {
  return p.dilation === null ? null : p.dilation[l]!;
}

/** Whether query i of layer l, head h sees key j (the rule in the header; the float64 paths use it). */
export function visibleKey(p: AttentionPattern, l: number, h: number, i: number, j: number): boolean {
  if (j > i) return false;
  const w = layerWindow(p, l);
  if (w > 0 && j < p.globalTokens) return true;
  const d = p.dilation === null ? 1 : p.dilation[l]![h]!;
  return (i - j) % d === 0 && (w === 0 || i - j <= (w - 1) * d);
}

/** The first key any head of layer l can see from query i (0 with global tokens or without a window). */
export function firstVisibleKey(p: AttentionPattern, l: number, i: number): number {
  const w = layerWindow(p, l);
  if (w === 0 || p.globalTokens > 0) return 0;
  const d = p.dilation === null ? 1 : Math.max(...p.dilation[l]!);
  return Math.max(0, i - (w - 1) * d);
}

/** Whether any layer restricts attention (a window or a dilation). */
export function isSparse(p: AttentionPattern): boolean {
  return p.window !== null || p.dilation !== null;
}
