// Modals: the top of the persona's modal stack, its inputs, the errors the bot
// returned (response_action: errors) or Slack's client found, Submit and Cancel.

import { blocks } from "./blocks.js";
import { h } from "./elements.js";
import { plainText } from "./mrkdwn.js";

// What the person entered, as {block_id: {action_id: value}} (LocalSlack's submit_view shape).
export function collectValues(root, view) {
  const values = {};
  for (const b of view.blocks || []) {
    if (b.type !== "input" || !b.element) continue;
    const el = b.element;
    const node = root.querySelector(`[data-block-id="${CSS.escape(b.block_id)}"][data-action-id="${CSS.escape(el.action_id)}"]`);
    if (!node) continue;
    let v = null;
    const t = el.type;
    if (t === "checkboxes") v = [...node.querySelectorAll("input:checked")].map((i) => i.value);
    else if (t === "radio_buttons") v = node.querySelector("input:checked")?.value ?? null;
    else if (t.startsWith("multi_")) v = [...node.selectedOptions].map((o) => o.value);
    else v = node.value === "" ? null : node.value;
    values[b.block_id] = { [el.action_id]: v };
  }
  return values;
}

export function showErrors(root, errors) {
  root.querySelectorAll("[data-input-block]").forEach((box) => {
    const msg = errors?.[box.dataset.inputBlock];
    const slot = box.querySelector(".sk-error");
    box.classList.toggle("has-error", !!msg);
    slot.hidden = !msg;
    slot.textContent = msg || "";
  });
}

// handlers: {submit(view, values, root), close(view), action(view, action)}
export function renderModal(view, ctx, handlers) {
  const inner = { ...ctx, state: view.state?.values || {}, errors: view.errors || {},
    onAction: (a) => handlers.action(view, a) };
  const submitLabel = view.submit?.text;
  const closeLabel = view.close?.text || (submitLabel ? "Cancel" : "Close");
  const box = h("div", {
    class: "modal", role: "dialog", "aria-modal": "true", "aria-label": view.title?.text || "Modal",
    "data-view-id": view.id, "data-callback-id": view.callback_id || "",
  });
  const status = h("div", { class: "modal-status", role: "status" });
  const submit = submitLabel ? h("button", {
    class: "sk-btn primary", "data-modal": "submit", html: plainText(submitLabel),
    onclick: async () => {
      submit.disabled = true;
      status.textContent = "";
      try {
        await handlers.submit(view, collectValues(box, view), box, status);
      } finally {
        submit.disabled = false;
      }
    },
  }) : null;
  box.append(
    h("header", { class: "modal-head" },
      h("h2", { class: "modal-title", html: plainText(view.title?.text || "") }),
      h("button", { class: "modal-x", "aria-label": "Close", onclick: () => handlers.close(view) }, "×")),
    h("div", { class: "modal-body" }, blocks(view.blocks, inner)),
    h("footer", { class: "modal-foot" }, status,
      h("button", { class: "sk-btn", "data-modal": "close", html: plainText(closeLabel),
        onclick: () => handlers.close(view) }),
      submit));
  box.addEventListener("keydown", (e) => {
    if (e.key === "Escape") handlers.close(view);
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && submit) submit.click();
  });
  return h("div", { class: "modal-overlay" }, box);
}
