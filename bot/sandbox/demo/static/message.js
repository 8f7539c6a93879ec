// One message as Slack shows it: who and when, its blocks, "Only visible to
// you" for ephemeral ones, reactions (with a small picker that delivers
// reaction_added), and the thread's reply count.

import { messageContent } from "./blocks.js";
import { h } from "./elements.js";
import { emoji } from "./mrkdwn.js";

export const PICKER = ["eyes", "white_check_mark", "+1", "raised_hands", "tada", "heart", "warning", "x"];

export function time(ts) {
  return new Date(Number(ts) * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function day(ts) {
  return new Date(Number(ts) * 1000).toLocaleDateString([], { weekday: "short", month: "short", day: "numeric" });
}

export function avatar(user, isBot) {
  const name = user?.real_name || user?.name || "?";
  const initials = isBot ? "A" : name.split(/\s+/).map((w) => w[0]).join("").slice(0, 2).toUpperCase();
  const hue = [...(user?.id || name)].reduce((a, c) => a + c.charCodeAt(0), 0) % 360;
  return h("div", { class: `avatar${isBot ? " bot" : ""}`, style: isBot ? null : `background: hsl(${hue} 45% 42%)` },
    initials);
}

function reactionBar(m, ctx, handlers) {
  const bar = h("div", { class: "reactions" });
  for (const r of m.reactions || []) {
    const mine = (r.users || []).includes(ctx.me);
    const names = (r.users || []).map((u) => ctx.users[u]?.name || u).join(", ");
    bar.append(h("button", {
      class: `reaction${mine ? " mine" : ""}`, "data-reaction": r.name, title: `${names} reacted with :${r.name}:`,
      onclick: () => handlers.react(m, r.name),
    }, emoji(r.name) || `:${r.name}:`, h("span", { class: "count" }, String(r.count))));
  }
  return bar;
}

export function emojiPicker(onPick) {
  const picker = h("div", { class: "emoji-picker", role: "menu" },
    PICKER.map((name) => h("button", {
      class: "emoji-choice", title: `:${name}:`, "data-emoji": name,
      onclick: (e) => { e.stopPropagation(); picker.remove(); onPick(name); },
    }, emoji(name) || name)));
  return picker;
}

// m: a Slack message (or an ephemeral one with is_ephemeral); opts: {inThread}
export function renderMessage(m, ctx, handlers, opts = {}) {
  const user = ctx.users[m.user] || { id: m.user, name: m.user, real_name: m.user };
  const isBot = !!m.bot_id;
  const name = isBot ? (m.bot_profile?.name || user.name) : user.real_name;
  const inner = { ...ctx, onAction: (a) => handlers.action(m, a) };
  const node = h("div", {
    class: `msg${m.is_ephemeral ? " ephemeral" : ""}`, "data-ts": m.ts, "data-user-id": m.user,
    "data-ephemeral": m.is_ephemeral ? "true" : null,
  });
  const meta = h("div", { class: "msg-meta" },
    h("span", { class: "msg-author" }, name),
    isBot ? h("span", { class: "app-tag" }, "APP") : null,
    user.external && !isBot ? h("span", { class: "ext-tag", title: user.team }, user.team) : null,
    h("time", { class: "msg-time", title: `${day(m.ts)} ${time(m.ts)}` }, time(m.ts)),
    m.edited ? h("span", { class: "msg-edited" }, "(edited)") : null);
  const body = h("div", { class: "msg-body" }, meta);
  if (m.is_ephemeral) body.append(h("div", { class: "only-you" }, "👁 Only visible to you"));
  body.append(messageContent(m, inner));
  if (!m.is_ephemeral) {
    if (m.reactions?.length) body.append(reactionBar(m, ctx, handlers));
    if (m.reply_count && !opts.inThread) {
      body.append(h("button", { class: "replies-link", onclick: () => handlers.openThread(m) },
        `${m.reply_count} ${m.reply_count === 1 ? "reply" : "replies"}`,
        h("span", { class: "replies-last" }, ` Last reply ${time(m.latest_reply)}`)));
    }
    const tools = h("div", { class: "msg-tools" },
      h("button", {
        class: "tool add-reaction", title: "Add reaction", "aria-label": "Add reaction",
        onclick: (e) => {
          e.stopPropagation();
          document.querySelectorAll(".emoji-picker").forEach((p) => p.remove());
          tools.append(emojiPicker((name) => handlers.react(m, name)));
        },
      }, "☺+"),
      opts.inThread ? null : h("button", {
        class: "tool reply", title: "Reply in thread", "aria-label": "Reply in thread",
        onclick: () => handlers.openThread(m),
      }, "💬"));
    node.append(tools);
  }
  node.append(avatar(user, isBot), body);
  return node;
}

document.addEventListener("click", () => document.querySelectorAll(".emoji-picker").forEach((p) => p.remove()));
