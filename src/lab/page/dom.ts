/** Small DOM helpers for the lab page (no framework). */

export function $(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`lab page: no element #${id}`);
  return e;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/** A labelled form row. */
export function field(label: string, control: HTMLElement, help = ""): HTMLElement {
  const l = h("label", { class: "field", title: help }, h("span", {}, label), control);
  if (help) l.append(h("small", {}, help));
  return l;
}

/** Reads dropped files or a file input's files. */
export function onFiles(zone: HTMLElement, input: HTMLInputElement, handle: (files: File[]) => void): void {
  zone.addEventListener("dragover", (ev) => { ev.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (ev) => { ev.preventDefault(); zone.classList.remove("over"); handle([...(ev.dataTransfer?.files ?? [])]); });
  input.addEventListener("change", () => handle([...(input.files ?? [])]));
}

/** Offers `bytes` as a download named `name`. */
export function download(name: string, bytes: Uint8Array, type = "application/octet-stream"): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
