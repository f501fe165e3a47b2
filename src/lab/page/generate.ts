/**
 * The Generate view: a model trained or dropped in the page continues a prompt; tokens stream in as
 * the worker samples them (KV-cache decoder; temperature, top-k, top-p, seed). Chat keeps the
 * conversation as "User: …\nAssistant:" turns in the prompt — honestly, a tiny byte-level model
 * answers with text in its corpus' style, not with answers.
 */
import { listen, models, onModels, send } from "./client.js";
import { $, field, h } from "./dom.js";

export function mountGenerate(): void {
  const pick = h("select", { id: "gen-model" });
  const prompt = h("textarea", { id: "gen-prompt", rows: "3" });
  prompt.value = "The jury said";
  const num = (name: string, value: string, step = "any"): HTMLInputElement => h("input", { type: "number", name, value, step });
  const temperature = num("temperature", "0.8"), topK = num("top_k", "0", "1"), topP = num("top_p", "1"), maxTokens = num("max_tokens", "200", "1"), seed = num("seed", "1234", "1");
  const chat = h("input", { type: "checkbox", name: "chat" });
  const go = h("button", { id: "gen-go" }, "Generate");
  const out = h("pre", { class: "generated", id: "gen-out" });
  const status = h("p", { class: "status", id: "gen-status" }, "Train a model (Train) or drop a checkpoint (Runs) first.");
  $("view-generate").append(
    h("div", { class: "form" }, field("model", pick), field("temperature", temperature), field("top-k (0 = off)", topK), field("top-p (1 = off)", topP), field("max tokens", maxTokens), field("seed", seed), field("chat", chat)),
    prompt, h("div", { class: "row" }, go), status, out,
  );
  onModels(() => {
    const keep = pick.value;
    pick.replaceChildren(...[...models].map(([id, m]) => h("option", { value: id }, m.label)));
    if (keep && models.has(keep)) pick.value = keep;
    status.textContent = `${models.size} model${models.size === 1 ? "" : "s"} available`;
  });
  let transcript = "";
  let busy = "";
  listen((m) => {
    if (!("id" in m) || m.id !== busy) return;
    if (m.type === "token") { out.textContent += m.text; if (chat.checked) transcript += m.text; }
    else if (m.type === "generated") { status.textContent = "done"; busy = ""; go.disabled = false; }
    else if (m.type === "error") { status.textContent = m.message; busy = ""; go.disabled = false; }
  });
  go.addEventListener("click", () => {
    if (!pick.value) { status.textContent = "no model yet: train one or drop a checkpoint"; return; }
    let text = prompt.value;
    if (chat.checked) {
      transcript += `${transcript ? "\n" : ""}User: ${prompt.value}\nAssistant:`;
      text = transcript;
      out.textContent = transcript;
    } else out.textContent = prompt.value;
    busy = pick.value;
    go.disabled = true;
    status.textContent = "generating…";
    send({ type: "generate", id: pick.value, prompt: text, maxTokens: Number(maxTokens.value), temperature: Number(temperature.value), topK: Number(topK.value), topP: Number(topP.value), seed: Number(seed.value) });
  });
}
