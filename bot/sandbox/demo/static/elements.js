// Block Kit interactive elements: buttons (styles, confirm dialogs), overflow
// menus, selects (static, users, conversations; single and multi), checkboxes,
// radio buttons, date/time pickers and text inputs.
//
// ctx.onAction({action_id, block_id, selected}) is called when an element acts
// (a message, the App Home, or a modal's non-input block). Elements inside an
// input block only hold a value; modal.js collects it on submit.

import { plainText, textObject } from "./mrkdwn.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "html") el.innerHTML = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// ---- confirm dialogs -----------------------------------------------------------------------
export function confirmDialog(confirm, ctx) {
  return new Promise((resolve) => {
    const close = (answer) => { overlay.remove(); resolve(answer); };
    const style = confirm.style === "danger" ? "danger" : "primary";
    const overlay = h("div", { class: "confirm-overlay", role: "dialog", "aria-modal": "true" },
      h("div", { class: "confirm-dialog" },
        h("h2", { class: "confirm-title", html: plainText(confirm.title?.text || "Are you sure?") }),
        h("div", { class: "confirm-text", html: textObject(confirm.text, ctx) }),
        h("div", { class: "confirm-buttons" },
          h("button", { class: "sk-btn", "data-confirm": "deny", onclick: () => close(false) },
            confirm.deny?.text || "Cancel"),
          h("button", { class: `sk-btn ${style}`, "data-confirm": "confirm", onclick: () => close(true) },
            confirm.confirm?.text || "Yes"))));
    overlay.addEventListener("keydown", (e) => { if (e.key === "Escape") close(false); });
    document.body.append(overlay);
    overlay.querySelector("[data-confirm=confirm]").focus();
  });
}

async function act(el, block, ctx, selected) {
  if (!ctx.onAction) return;
  if (el.confirm && !(await confirmDialog(el.confirm, ctx))) return false;
  ctx.onAction({ action_id: el.action_id, block_id: block.block_id, selected });
  return true;
}

// ---- options -----------------------------------------------------------------------------
function optionLabel(opt) {
  return opt?.text ? (opt.text.type === "mrkdwn" ? opt.text.text : opt.text.text) : String(opt?.value ?? "");
}

function humanUsers(ctx) {
  return Object.values(ctx.users || {}).filter((u) => !u.is_bot)
    .sort((a, b) => a.real_name.localeCompare(b.real_name))
    .map((u) => ({ value: u.id, label: `${u.real_name} (@${u.name})${u.external ? " · " + u.team : ""}` }));
}

function conversations(el, ctx) {
  const f = el.filter || {};
  const include = f.include || ["public", "private", "im", "mpim"];
  return Object.values(ctx.channels || {}).filter((c) => {
    const kind = c.kind === "app_dm" ? "im" : c.kind;
    if (!include.includes(kind)) return false;
    if (f.exclude_external_shared_channels && c.external) return false;
    return true;
  }).map((c) => ({ value: c.id, label: c.kind === "app_dm" ? "Direct message" : `#${c.name}${c.external ? " (external)" : ""}` }));
}

function choices(el, ctx) {
  const t = el.type;
  if (t.includes("users_select")) return humanUsers(ctx);
  if (t.includes("conversations_select") || t.includes("channels_select")) {
    return conversations(t.includes("channels_select") ? { filter: { include: ["public"] } } : el, ctx);
  }
  const flat = [];
  for (const o of el.options || []) flat.push({ value: o.value, label: optionLabel(o) });
  for (const g of el.option_groups || []) {
    for (const o of g.options || []) flat.push({ value: o.value, label: optionLabel(o), group: g.label?.text });
  }
  return flat;
}

// The element's current value from the view state (what was entered), or its initial value.
function current(el, ctx, block) {
  const st = ctx.state?.[block.block_id]?.[el.action_id];
  const pick = (key, fallback) => (st && key in st ? st[key] : fallback);
  switch (el.type) {
    case "static_select": case "external_select": case "radio_buttons":
      return pick("selected_option", el.initial_option)?.value ?? null;
    case "multi_static_select": case "multi_external_select": case "checkboxes":
      return (pick("selected_options", el.initial_options) || []).map((o) => o.value);
    case "users_select": return pick("selected_user", el.initial_user) ?? null;
    case "multi_users_select": return pick("selected_users", el.initial_users) || [];
    case "conversations_select": return pick("selected_conversation", el.initial_conversation) ?? null;
    case "multi_conversations_select": return pick("selected_conversations", el.initial_conversations) || [];
    case "channels_select": return pick("selected_channel", el.initial_channel) ?? null;
    case "multi_channels_select": return pick("selected_channels", el.initial_channels) || [];
    case "datepicker": return pick("selected_date", el.initial_date) ?? null;
    case "timepicker": return pick("selected_time", el.initial_time) ?? null;
    default: return pick("value", el.initial_value) ?? null;
  }
}

function keys(el, block) {
  return { "data-kind": el.type, "data-action-id": el.action_id, "data-block-id": block.block_id };
}

// ---- the elements ----------------------------------------------------------------------------
function button(el, block, ctx) {
  const style = el.style === "primary" || el.style === "danger" ? el.style : "";
  return h("button", {
    class: `sk-btn ${style}`, ...keys(el, block), title: el.accessibility_label || null,
    onclick: async (e) => {
      e.preventDefault();
      if (await act(el, block, ctx, null) !== false && el.url) window.open(el.url, "_blank", "noopener");
    },
    html: plainText(el.text?.text || ""),
  });
}

function overflow(el, block, ctx) {
  const menu = h("div", { class: "overflow-menu", hidden: true, role: "menu" },
    (el.options || []).map((o) => h("button", {
      class: "overflow-item", role: "menuitem", "data-value": o.value, html: plainText(optionLabel(o)),
      onclick: async (e) => {
        e.stopPropagation();
        menu.hidden = true;
        if (await act(el, block, ctx, o.value) !== false && o.url) window.open(o.url, "_blank", "noopener");
      },
    })));
  const toggle = h("button", {
    class: "sk-btn overflow-btn", "aria-label": "More actions", ...keys(el, block),
    onclick: (e) => {
      e.stopPropagation();
      const open = menu.hidden;
      document.querySelectorAll(".overflow-menu").forEach((m) => { m.hidden = true; });
      menu.hidden = !open;
    },
  }, "⋯");
  return h("div", { class: "overflow" }, toggle, menu);
}

function select(el, block, ctx, inInput) {
  const multi = el.type.startsWith("multi_");
  const value = current(el, ctx, block);
  const chosen = new Set(multi ? value : value ? [value] : []);
  const sel = h("select", { class: "sk-select", ...keys(el, block), multiple: multi, size: multi ? 4 : null });
  if (!multi) {
    sel.append(h("option", { value: "", disabled: true, selected: chosen.size === 0 },
      el.placeholder?.text || "Select an item"));
  }
  let group = null;
  let groupName;
  for (const o of choices(el, ctx)) {
    if (o.group !== groupName) {
      groupName = o.group;
      group = groupName ? h("optgroup", { label: groupName }) : null;
      if (group) sel.append(group);
    }
    (group || sel).append(h("option", { value: o.value, selected: chosen.has(o.value) }, o.label));
  }
  if (!inInput) {
    sel.addEventListener("change", async () => {
      const picked = multi ? [...sel.selectedOptions].map((o) => o.value) : sel.value;
      if (await act(el, block, ctx, picked) === false) sel.value = multi ? "" : (value || "");
    });
  }
  return sel;
}

function choiceList(el, block, ctx, inInput) {
  const radio = el.type === "radio_buttons";
  const value = current(el, ctx, block);
  const chosen = new Set(radio ? (value ? [value] : []) : value);
  const name = `${block.block_id}.${el.action_id}.${Math.random().toString(36).slice(2, 7)}`;
  const box = h("div", { class: "sk-choices", ...keys(el, block) });
  for (const o of el.options || []) {
    const input = h("input", { type: radio ? "radio" : "checkbox", name, value: o.value, checked: chosen.has(o.value) });
    box.append(h("label", { class: "sk-choice" }, input,
      h("span", {}, h("span", { html: textObject(o.text, ctx) }),
        o.description ? h("span", { class: "sk-choice-desc", html: textObject(o.description, ctx) }) : null)));
  }
  if (!inInput) {
    box.addEventListener("change", () => {
      const picked = [...box.querySelectorAll("input:checked")].map((i) => i.value);
      act(el, block, ctx, radio ? picked[0] ?? null : picked);
    });
  }
  return box;
}

function picker(el, block, ctx, inInput) {
  const type = el.type === "datepicker" ? "date" : "time";
  const input = h("input", { type, class: "sk-input", value: current(el, ctx, block) || null, ...keys(el, block) });
  if (!inInput) input.addEventListener("change", () => act(el, block, ctx, input.value || null));
  return input;
}

function textInput(el, block, ctx) {
  const value = current(el, ctx, block) || "";
  const placeholder = el.placeholder?.text || null;
  if (el.multiline) {
    const ta = h("textarea", { class: "sk-input", rows: 4, placeholder, ...keys(el, block) });
    ta.value = value;
    return ta;
  }
  const type = { number_input: "number", email_text_input: "email", url_text_input: "url" }[el.type] || "text";
  const input = h("input", { class: "sk-input", type, placeholder, ...keys(el, block) });
  input.value = value;
  return input;
}

export function element(el, block, ctx, inInput = false) {
  if (!el || typeof el !== "object") return null;
  switch (el.type) {
    case "button": case "workflow_button": return button(el, block, ctx);
    case "overflow": return overflow(el, block, ctx);
    case "checkboxes": case "radio_buttons": return choiceList(el, block, ctx, inInput);
    case "datepicker": case "timepicker": return picker(el, block, ctx, inInput);
    case "plain_text_input": case "number_input": case "email_text_input": case "url_text_input":
      return textInput(el, block, ctx);
    case "image":
      return h("span", { class: "sk-image-el", title: el.alt_text || "" }, "🖼");
    default:
      if (el.type && el.type.includes("select")) return select(el, block, ctx, inInput);
      return h("span", { class: "sk-unsupported" }, `[${el.type || "element"}]`);
  }
}

document.addEventListener("click", () => {
  document.querySelectorAll(".overflow-menu").forEach((m) => { m.hidden = true; });
});
