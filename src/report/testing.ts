/**
 * Test helpers for the report: a minimal XML well-formedness check (no DOM in Node) and the
 * self-containedness check of the HTML report.
 */

const ENTITY = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;

function checkText(text: string, where: number): string | null {
  for (let i = text.indexOf("&"); i >= 0; i = text.indexOf("&", i + 1)) {
    if (!ENTITY.test(text.slice(i))) return `bad entity at ${where + i}: ${JSON.stringify(text.slice(i, i + 12))}`;
  }
  return null;
}

/**
 * Null when `xml` is well-formed under these rules, else the first problem: one optional XML declaration,
 * one root element, every tag closed in order, attributes `name="value"` without `<` and unique per tag,
 * only the five predefined (or numeric) entities, no stray `<` or `&` in text.
 */
export function xmlProblem(xml: string): string | null {
  let s = xml;
  let offset = 0;
  const decl = /^<\?xml[^?]*\?>/.exec(s);
  if (decl) {
    s = s.slice(decl[0].length);
    offset = decl[0].length;
  }
  const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*"[^"<]*")*)\s*(\/?)>/y;
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  while (i < s.length) {
    const lt = s.indexOf("<", i);
    const text = s.slice(i, lt < 0 ? s.length : lt);
    if (stack.length === 0 && text.trim() !== "") return `text outside the root at ${offset + i}`;
    const bad = checkText(text, offset + i);
    if (bad) return bad;
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(s);
    if (!m) return `malformed tag at ${offset + lt}: ${JSON.stringify(s.slice(lt, lt + 40))}`;
    const [, close, name, attrs, selfClose] = m;
    const names = [...attrs!.matchAll(/([A-Za-z_][\w:.-]*)\s*=\s*"([^"]*)"/g)];
    const seen = new Set<string>();
    for (const [, an, av] of names) {
      if (seen.has(an!)) return `duplicate attribute ${an} on <${name}>`;
      seen.add(an!);
      const b = checkText(av!, offset + lt);
      if (b) return b;
    }
    if (close) {
      if (attrs || selfClose) return `closing tag </${name}> with attributes`;
      const open = stack.pop();
      if (open !== name) return `</${name}> closes <${open ?? "nothing"}> at ${offset + lt}`;
    } else if (!selfClose) {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) roots++;
    i = lt + m[0].length;
  }
  if (stack.length > 0) return `unclosed <${stack.at(-1)}>`;
  if (roots !== 1) return `expected one root element, got ${roots}`;
  return null;
}

/** Problems that would make an HTML page depend on the network or on other files (empty = self-contained). */
export function externalReferences(html: string): string[] {
  const out: string[] = [];
  for (const [re, what] of [
    [/https?:\/\//i, "an http(s) URL"],
    [/<script\b/i, "a <script> element"],
    [/<link\b/i, "a <link> element"],
    [/<iframe\b|<object\b|<embed\b|<img\b/i, "an embedded resource"],
    [/\bsrc\s*=/i, "a src attribute"],
    [/\bhref\s*=/i, "an href attribute"],
    [/url\(/i, "a CSS url()"],
    [/@import/i, "a CSS @import"],
    [/@font-face/i, "a web font"],
  ] as const) {
    if (re.test(html)) out.push(what);
  }
  return out;
}
