// Block Kit layout blocks -> DOM: section (text, fields, accessory), header,
// divider, context, actions, input (modals), rich_text (typed messages), image,
// markdown, data_visualization (an inline SVG chart); and legacy attachments.
//
// ctx: {users, channels, me, onAction, state (view state values), errors ({block_id: text})}

import { chart } from "./chart.js";
import { element, h } from "./elements.js";
import { emoji, esc, mrkdwn, plainText, textObject } from "./mrkdwn.js";

function imagePlaceholder(alt, title) {
  // No network here: show what the image is instead of loading it.
  return h("figure", { class: "sk-image" },
    h("div", { class: "sk-image-box", title: alt || "" }, "🖼 ", alt || "image"),
    title ? h("figcaption", { html: plainText(title.text || "") }) : null);
}

function section(b, ctx) {
  const body = h("div", { class: "sk-section-body" });
  if (b.text) body.append(h("div", { class: "sk-text", html: textObject(b.text, ctx) }));
  if (b.fields?.length) {
    body.append(h("div", { class: "sk-fields" },
      b.fields.map((f) => h("div", { class: "sk-field", html: textObject(f, ctx) }))));
  }
  const acc = b.accessory ? h("div", { class: "sk-accessory" }, element(b.accessory, b, ctx)) : null;
  return h("div", { class: "sk-block sk-section" }, body, acc);
}

function context(b, ctx) {
  return h("div", { class: "sk-block sk-context" }, (b.elements || []).map((e) => {
    if (e.type === "image") return h("span", { class: "sk-context-img", title: e.alt_text || "" }, "🖼");
    return h("span", { class: "sk-context-text", html: textObject(e, ctx) });
  }));
}

function actions(b, ctx) {
  return h("div", { class: "sk-block sk-actions" }, (b.elements || []).map((e) => element(e, b, ctx)));
}

function input(b, ctx) {
  const error = ctx.errors?.[b.block_id];
  return h("div", { class: `sk-block sk-input-block${error ? " has-error" : ""}`, "data-input-block": b.block_id },
    h("label", { class: "sk-label" },
      h("span", { html: plainText(b.label?.text || "") }),
      b.optional ? h("span", { class: "sk-optional" }, " (optional)") : null),
    element(b.element, b, ctx, !b.dispatch_action),
    b.hint ? h("div", { class: "sk-hint", html: plainText(b.hint.text || "") }) : null,
    h("div", { class: "sk-error", role: "alert", hidden: !error }, error || ""));
}

// ---- rich_text (what a person types) ------------------------------------------------------
function richElement(e, ctx) {
  switch (e.type) {
    case "text": {
      let html = esc(e.text || "").replace(/\n/g, "<br>");
      const st = e.style || {};
      if (st.code) html = `<code>${html}</code>`;
      if (st.bold) html = `<b>${html}</b>`;
      if (st.italic) html = `<i>${html}</i>`;
      if (st.strike) html = `<s>${html}</s>`;
      return html;
    }
    case "user": return mrkdwn(`<@${e.user_id}>`, ctx);
    case "channel": return mrkdwn(`<#${e.channel_id}>`, ctx);
    case "usergroup": return `<span class="mention">@group</span>`;
    case "broadcast": return `<span class="mention">@${esc(e.range || "here")}</span>`;
    case "link": return mrkdwn(`<${e.url}|${e.text || e.url}>`, ctx);
    case "emoji": return emoji(e.name) || `:${esc(e.name)}:`;
    case "date": return esc(e.fallback || "");
    default: return "";
  }
}

function richSection(s, ctx) {
  const inner = (s.elements || []).map((e) => richElement(e, ctx)).join("");
  switch (s.type) {
    case "rich_text_section": return `<div>${inner}</div>`;
    case "rich_text_quote": return `<div class="quote">${inner}</div>`;
    case "rich_text_preformatted": return `<pre class="code-block">${inner}</pre>`;
    case "rich_text_list": {
      const tag = s.style === "ordered" ? "ol" : "ul";
      return `<${tag}>${(s.elements || []).map((x) => `<li>${(x.elements || []).map((e) => richElement(e, ctx)).join("")}</li>`).join("")}</${tag}>`;
    }
    default: return "";
  }
}

function richText(b, ctx) {
  return h("div", { class: "sk-block sk-rich", html: (b.elements || []).map((s) => richSection(s, ctx)).join("") });
}

export function block(b, ctx) {
  const node = layout(b, ctx);
  if (b.block_id) node.dataset.block = b.block_id;
  return node;
}

function layout(b, ctx) {
  switch (b.type) {
    case "section": return section(b, ctx);
    case "header": return h("div", { class: "sk-block sk-header", html: plainText(b.text?.text || "") });
    case "divider": return h("hr", { class: "sk-block sk-divider" });
    case "context": return context(b, ctx);
    case "actions": return actions(b, ctx);
    case "input": return input(b, ctx);
    case "rich_text": return richText(b, ctx);
    case "image": return h("div", { class: "sk-block" }, imagePlaceholder(b.alt_text, b.title));
    case "data_visualization": return chart(b);
    case "markdown": return h("div", { class: "sk-block sk-text", html: mrkdwn(b.text || "", ctx) });
    default: return h("div", { class: "sk-block sk-unsupported" }, `[unsupported block: ${b.type}]`);
  }
}

export function blocks(list, ctx) {
  const box = h("div", { class: "sk-blocks" });
  for (const b of list || []) box.append(block(b, ctx));
  return box;
}

export function attachments(list, ctx) {
  if (!list?.length) return null;
  return h("div", { class: "sk-attachments" }, list.map((a) => h("div", {
    class: "sk-attachment", style: `border-left-color: ${/^#?[0-9a-f]{3,6}$/i.test(a.color || "") ? (a.color.startsWith("#") ? a.color : "#" + a.color) : "#ddd"}`,
  },
  a.pretext ? h("div", { html: mrkdwn(a.pretext, ctx) }) : null,
  a.title ? h("div", { class: "sk-att-title", html: plainText(a.title) }) : null,
  a.text ? h("div", { html: mrkdwn(a.text, ctx) }) : null,
  a.fields?.length ? h("div", { class: "sk-fields" }, a.fields.map((f) => h("div", { class: "sk-field" },
    h("b", { html: plainText(f.title || "") }), h("div", { html: mrkdwn(f.value || "", ctx) })))) : null,
  a.blocks ? blocks(a.blocks, ctx) : null,
  a.footer ? h("div", { class: "sk-context", html: mrkdwn(a.footer, ctx) }) : null)));
}

// A message's content: its blocks, or its text when it has none.
export function messageContent(m, ctx) {
  const box = h("div", { class: "msg-content" });
  if (m.blocks?.length) box.append(blocks(m.blocks, ctx));
  else if (m.text) box.append(h("div", { class: "sk-text", html: mrkdwn(m.text, ctx) }));
  const att = attachments(m.attachments, ctx);
  if (att) box.append(att);
  return box;
}
