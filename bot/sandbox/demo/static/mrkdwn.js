// Slack's text formatting ("mrkdwn") and plain_text, rendered as safe HTML.
//
// Everything is HTML-escaped; only the markup made here is trusted. Handles
// <@U…> / <#C…> / <!here> / <url|text> references, *bold*, _italic_, ~strike~,
// `code`, ```blocks```, > quotes, :emoji: and line breaks.

const EMOJI = {
  white_check_mark: "✅", heavy_check_mark: "✔️", heavy_minus_sign: "➖", white_large_square: "⬜",
  warning: "⚠️", lock: "🔒", unlock: "🔓", small_orange_diamond: "🔸", small_blue_diamond: "🔹",
  arrow_right: "➡️", eyes: "👀", "+1": "👍", thumbsup: "👍", "-1": "👎", tada: "🎉", raised_hands: "🙌",
  heart: "❤️", x: "❌", rotating_light: "🚨", chart_with_upwards_trend: "📈",
  chart_with_downwards_trend: "📉", bar_chart: "📊", bell: "🔔", memo: "📝", telephone_receiver: "📞",
  email: "📧", information_source: "ℹ️", moneybag: "💰", calendar: "📅", date: "📅", ok_hand: "👌",
  wave: "👋", large_green_circle: "🟢", red_circle: "🔴", large_yellow_circle: "🟡",
  hourglass: "⌛", hourglass_flowing_sand: "⏳", question: "❓", exclamation: "❗", point_right: "👉",
  handshake: "🤝", speech_balloon: "💬", mag: "🔍", no_entry: "⛔", repeat: "🔁", link: "🔗",
  pushpin: "📌", star: "⭐", sparkles: "✨", clipboard: "📋", inbox_tray: "📥", outbox_tray: "📤",
  package: "📦", receipt: "🧾", credit_card: "💳", dollar: "💵", arrows_counterclockwise: "🔄",
  white_circle: "⚪", black_circle: "⚫", zap: "⚡", fire: "🔥", bulb: "💡", wrench: "🔧",
  hammer_and_wrench: "🛠️", busts_in_silhouette: "👥", bust_in_silhouette: "👤", office: "🏢",
  phone: "☎️", iphone: "📱", calling: "📲", spiral_calendar_pad: "🗓️", stopwatch: "⏱️",
  heavy_plus_sign: "➕", arrow_up: "⬆️", arrow_down: "⬇️", small_red_triangle: "🔺",
  small_red_triangle_down: "🔻", smile: "😄", slightly_smiling_face: "🙂", pray: "🙏", clap: "👏",
  muscle: "💪", rocket: "🚀", checkered_flag: "🏁", construction: "🚧", ticket: "🎫",
};

export function emoji(name) {
  return EMOJI[name.replace(/::skin-tone-\d$/, "")] || null;
}

export function esc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

// Slack's own escapes (&amp; &lt; &gt;) back to characters, before we escape for HTML.
export function unescapeSlack(s) {
  return String(s).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function emojify(html) {
  return html.replace(/:([a-z0-9_+'-]+(?:::skin-tone-\d)?):/g, (m, name) => {
    const e = emoji(name);
    return e ? `<span class="emoji" title=":${name}:">${e}</span>` : m;
  });
}

export function plainText(text, withEmoji = true) {
  const html = esc(unescapeSlack(text || ""));
  return withEmoji ? emojify(html) : html;
}

function safeUrl(url) {
  return /^(https?:|mailto:|tel:)/i.test(url) ? url : null;
}

function reference(inner, ctx) {
  const [target, ...rest] = inner.split("|");
  const label = rest.join("|");
  const users = ctx.users || {};
  const channels = ctx.channels || {};
  if (/^@[UW][A-Z0-9]+$/.test(target)) {
    const id = target.slice(1);
    const u = users[id];
    const name = u ? u.name : (label || id);
    const me = ctx.me === id ? " me" : "";
    return `<span class="mention${me}" data-user-id="${esc(id)}" title="${esc(u ? u.real_name : id)}">@${esc(name)}</span>`;
  }
  if (/^#[CGD][A-Z0-9]+$/.test(target)) {
    const id = target.slice(1);
    const c = channels[id];
    const name = c ? c.name : (label || id);
    return `<a class="channel-ref" href="#/c/${esc(id)}" data-channel-id="${esc(id)}">#${esc(name)}</a>`;
  }
  if (target.startsWith("!")) {
    const special = target.slice(1).split("^")[0];
    if (["here", "channel", "everyone"].includes(special)) return `<span class="mention">@${special}</span>`;
    return esc(unescapeSlack(label || special));
  }
  const url = safeUrl(unescapeSlack(target));
  const text = esc(unescapeSlack(label || target));
  const permalink = url && url.match(/^https:\/\/[a-z0-9-]+\.slack\.com\/archives\/([CDG][A-Z0-9]+)\/p\d+(?:\?thread_ts=([0-9.]+))?/);
  if (permalink) {  // a link to a message of this workspace opens it here, as Slack's client does
    const hash = `#/c/${permalink[1]}${permalink[2] ? `/t/${permalink[2]}` : ""}`;
    return `<a href="${esc(hash)}" class="permalink" title="${esc(url)}">${text}</a>`;
  }
  return url ? `<a href="${esc(url)}" target="_blank" rel="noopener noreferrer">${text}</a>` : text;
}

// mrkdwn -> HTML string. ctx: {users: {id: user}, channels: {id: channel}, me: user id}
export function mrkdwn(text, ctx = {}) {
  const stash = [];
  const hold = (html) => `\u0001${stash.push(html) - 1}\u0002`;
  let s = String(text || "");
  s = s.replace(/```([\s\S]*?)```/g, (_, code) => hold(`<pre class="code-block">${esc(unescapeSlack(code))}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (_, code) => hold(`<code>${esc(unescapeSlack(code))}</code>`));
  s = s.replace(/<([^<>\n]+)>/g, (_, inner) => hold(reference(inner, ctx)));
  s = esc(unescapeSlack(s));
  const edge = "[\\s.,;:!?()\\u0001\\u0002'\"-]";
  for (const [mark, tag] of [["\\*", "b"], ["_", "i"], ["~", "s"]]) {
    const re = new RegExp(`(^|${edge})${mark}(?!\\s)([^\\n]*?[^\\s])${mark}(?=$|${edge})`, "g");
    s = s.replace(re, (_, pre, inner) => `${pre}<${tag}>${inner}</${tag}>`);
  }
  s = emojify(s);
  const lines = s.split("\n");
  const out = [];
  lines.forEach((line, i) => {
    const q = line.match(/^&gt;\s?(.*)$/);
    if (q) out.push(`<span class="quote">${q[1] || "&nbsp;"}</span>`);
    else out.push(line + (i < lines.length - 1 ? "<br>" : ""));
  });
  s = out.join("");
  for (let guard = 0; guard < 3 && s.includes("\u0001"); guard++) {
    s = s.replace(/\u0001(\d+)\u0002/g, (_, i) => stash[Number(i)]);
  }
  return s;
}

// A Block Kit text object (plain_text or mrkdwn) -> HTML string.
export function textObject(obj, ctx) {
  if (!obj) return "";
  if (typeof obj === "string") return mrkdwn(obj, ctx);
  if (obj.type === "plain_text") return plainText(obj.text, obj.emoji !== false);
  if (obj.verbatim) return plainText(obj.text);
  return mrkdwn(obj.text, ctx);
}
