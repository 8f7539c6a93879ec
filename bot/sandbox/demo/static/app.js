// The local workspace page: persona, channels, the App Home, messages, threads,
// modals, the message box, the daily job and Slack's refusals. The state comes
// from /api/state (long poll); everything a person does goes to /api/act, which
// delivers it to the bot as Slack would.

import { blocks } from "./blocks.js";
import { h } from "./elements.js";
import { renderMessage } from "./message.js";
import { renderModal, showErrors } from "./modal.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const S = {
  user: params.get("as") || localStorage.getItem("addon-demo-persona") || "U0SPEC",
  version: 0, data: null, route: null, poll: null, modalKey: null, homeKey: null, homeOpened: null,
  seen: {}, problems: 0,
};

// ---- talking to the server -------------------------------------------------------------------
async function post(url, body) {
  document.body.classList.add("busy");
  try {
    const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    try { return await r.json(); } catch { return { ok: false, error: `HTTP ${r.status}` }; }
  } catch (e) {
    return { ok: false, error: `the demo server did not answer (${e.message})` };
  } finally {
    document.body.classList.remove("busy");
  }
}

async function act(kind, payload, { quiet = false } = {}) {
  const d = await post("/api/act", { user: S.user, kind, ...payload });
  if (!d.ok && !d.field_errors && !quiet) toast(d.error || "That did not work.", "error");
  return d;
}

function toast(text, kind = "info") {
  const t = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
  $("toasts").append(t);
  setTimeout(() => t.remove(), kind === "error" ? 9000 : 5000);
}

async function poll() {
  for (;;) {
    const user = S.user;
    S.poll = new AbortController();
    try {
      const r = await fetch(`/api/state?user=${encodeURIComponent(user)}&since=${S.version}`, { signal: S.poll.signal });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const d = await r.json();
      if (user !== S.user) continue;
      if (d.version !== S.version) {
        S.version = d.version;
        S.data = d;
        render();
      }
    } catch (e) {
      if (e.name !== "AbortError") await new Promise((res) => setTimeout(res, 1000));
    }
  }
}

// ---- routing ---------------------------------------------------------------------------------
function route() {
  const m = location.hash.match(/^#\/(?:c\/([A-Z0-9]+)(?:\/t\/([0-9.]+))?|(home))$/);
  if (!m) return { view: "channel", channel: null, thread: null };
  return m[3] ? { view: "home" } : { view: "channel", channel: m[1], thread: m[2] || null };
}

function go(hash) {
  if (location.hash !== hash) location.hash = hash;
}

function ctx() {
  const d = S.data;
  const channels = Object.fromEntries(d.directory.map((c) => [c.id, c]));
  return { users: d.users, channels, me: S.user };
}

function dmChannel() {
  return S.data.channels.find((c) => c.kind === "app_dm");
}

// ---- rendering -------------------------------------------------------------------------------
function render() {
  const d = S.data;
  if (!d) return;
  let r = route();
  const visible = d.channels.map((c) => c.id);
  if ((r.view === "channel" && !visible.includes(r.channel)) || (r.view === "home" && d.me.external)) {
    go(`#/c/${d.channels[0].id}`);
    r = route();
  }
  S.route = r;
  renderHeader(d);
  renderSidebar(d, r);
  $("channel-view").hidden = r.view !== "channel";
  $("home-view").hidden = r.view !== "home";
  if (r.view === "home") renderHome(d);
  else renderChannel(d, r);
  renderThread(d, r);
  renderModals(d);
  renderProblems(d);
}

function renderHeader(d) {
  const sel = $("persona");
  if (!sel.options.length) {
    for (const p of d.personas) sel.append(h("option", { value: p.id }, `${p.real_name} · ${p.role}`));
  }
  sel.value = S.user;
  const daily = d.daily;
  const date = $("daily-date");
  if (!date.value) date.value = daily.default_date;
  $("daily-run").disabled = !daily.available;
  $("daily-note").textContent = daily.note || "";
  $("ws-name").textContent = d.me.external ? d.workspace.external : d.workspace.internal;
}

function renderSidebar(d, r) {
  const seen = (S.seen[S.user] ||= {});
  const list = $("channel-list");
  list.replaceChildren();
  for (const c of d.channels.filter((x) => x.kind !== "app_dm")) {
    const count = d.conversations[c.id].messages.length;
    if (seen[c.id] === undefined || (r.view === "channel" && r.channel === c.id)) seen[c.id] = count;
    const unread = count > seen[c.id];
    list.append(h("a", {
      class: `side-item${r.channel === c.id && r.view === "channel" ? " active" : ""}${unread ? " unread" : ""}`,
      href: `#/c/${c.id}`, "data-channel-id": c.id,
    }, h("span", { class: "hash" }, c.kind === "private" ? "🔒" : "#"), c.name,
    c.external ? h("span", { class: "ext-icon", title: `Shared with ${d.workspace.external}` }, "⇄ external") : null));
  }
  const apps = $("app-list");
  apps.replaceChildren();
  $("apps-title").hidden = d.me.external;
  if (!d.me.external) {
    const dm = dmChannel();
    const active = r.view === "home" || (dm && r.channel === dm.id);
    const count = dm ? d.conversations[dm.id].messages.length : 0;
    if (dm && (seen[dm.id] === undefined || (r.view === "channel" && r.channel === dm.id))) {
      seen[dm.id] = r.channel === dm.id ? count : 0;  // the bot's DMs wait to be read, as in Slack
    }
    const unread = dm ? count - seen[dm.id] : 0;
    apps.append(h("a", { class: `side-item${active ? " active" : ""}${unread > 0 ? " unread" : ""}`,
      href: unread > 0 ? `#/c/${dm.id}` : "#/home", "data-app": "addon-bot" },
    h("span", { class: "hash" }, "⚙"), "addon-bot", unread > 0 ? h("span", { class: "badge" }, String(unread)) : null));
  }
}

function timelineItems(conv, threadTs) {
  const inThread = (m) => m.thread_ts && m.thread_ts !== m.ts && m.subtype !== "thread_broadcast";
  const msgs = threadTs
    ? conv.messages.filter((m) => m.ts === threadTs || m.thread_ts === threadTs)
    : conv.messages.filter((m) => !inThread(m));
  const ephs = conv.ephemerals.filter((e) => (threadTs ? e.thread_ts === threadTs : !e.thread_ts));
  return [...msgs, ...ephs].sort((a, b) => Number(a.ts) - Number(b.ts));
}

function fillTimeline(box, key, items, c, channelId, opts = {}) {
  if (box.dataset.key !== key) {
    box.replaceChildren();
    box._nodes = new Map();
    box.dataset.key = key;
    box._first = true;
  }
  const nearBottom = box._first || box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const handlers = {
    action: (m, a) => act("click", { channel: channelId, ts: m.ts, ...a }),
    react: (m, name) => act("react", { channel: channelId, ts: m.ts, name }),
    openThread: (m) => go(`#/c/${channelId}/t/${m.ts}`),
  };
  const wanted = [];
  for (const m of items) {
    const k = (m.is_ephemeral ? "e" : "m") + m.ts;
    const sig = JSON.stringify(m);
    let rec = box._nodes.get(k);
    if (!rec || rec.sig !== sig) {
      const node = renderMessage(m, c, handlers, opts);
      if (rec) rec.node.replaceWith(node);
      rec = { sig, node };
      box._nodes.set(k, rec);
    }
    wanted.push(rec.node);
  }
  for (const [k, rec] of box._nodes) {
    if (!wanted.includes(rec.node)) { rec.node.remove(); box._nodes.delete(k); }
  }
  wanted.forEach((node, i) => { if (box.children[i] !== node) box.insertBefore(node, box.children[i] || null); });
  if (!items.length) box.replaceChildren(h("div", { class: "empty" }, "No messages yet."));
  else box.querySelector(".empty")?.remove();
  if (nearBottom) box.scrollTop = box.scrollHeight;
  box._first = false;
}

function renderChannel(d, r) {
  const c = d.channels.find((x) => x.id === r.channel);
  const isDm = c.kind === "app_dm";
  $("channel-title").textContent = isDm ? "addon-bot" : `# ${c.name}`;
  $("channel-purpose").textContent = isDm ? "" : c.purpose;
  $("channel-badge").hidden = !c.external;
  $("channel-badge").textContent = c.external ? `External · shared with ${d.workspace.external}` : "";
  $("ext-banner").hidden = !c.external;
  $("ext-banner").textContent = c.external
    ? `Slack Connect: this channel is shared with ${d.workspace.external}. People from another organisation can read what is posted here.` : "";
  $("app-tabs").hidden = !isDm;
  for (const t of document.querySelectorAll("#app-tabs a")) t.classList.toggle("active", t.dataset.tab === "messages");
  $("tab-messages").href = `#/c/${c.id}`;
  $("composer").hidden = isDm;
  $("read-only").hidden = !isDm;
  $("composer-input").placeholder = `Message #${c.name}`;
  fillTimeline($("timeline"), `${S.user}:${c.id}`, timelineItems(d.conversations[c.id], null), ctx(), c.id);
}

function renderHome(d) {
  const dm = dmChannel();
  $("home-tab-messages").href = dm ? `#/c/${dm.id}` : "#/home";
  if (S.homeOpened !== S.user + S.version0) {
    S.homeOpened = S.user + S.version0;
    act("open_home", {}, { quiet: true });  // Slack sends app_home_opened every time the tab opens
  }
  const home = d.home;
  const key = home ? `${S.user}:${home.id}:${home.hash}` : `${S.user}:none`;
  if (S.homeKey === key) return;
  S.homeKey = key;
  const body = $("home-body");
  if (!home) {
    body.replaceChildren(h("div", { class: "empty" }, "Opening the App Home…"));
    return;
  }
  const c = { ...ctx(), state: home.state?.values || {},
    onAction: (a) => act("click", { view_id: home.id, ...a }) };
  body.replaceChildren(blocks(home.blocks, c));
}

function renderThread(d, r) {
  const pane = $("thread");
  const conv = r.view === "channel" && r.thread ? d.conversations[r.channel] : null;
  const parent = conv?.messages.find((m) => m.ts === r.thread);
  pane.hidden = !parent;
  if (!parent) return;
  const c = d.channels.find((x) => x.id === r.channel);
  $("thread-where").textContent = `· #${c.name}`;
  fillTimeline($("thread-timeline"), `${S.user}:${r.channel}:${r.thread}`, timelineItems(conv, r.thread), ctx(),
    r.channel, { inThread: true });
}

function renderModals(d) {
  const root = $("modal-root");
  const top = d.modals[d.modals.length - 1];
  const key = top ? `${S.user}:${top.id}:${top.hash}:${JSON.stringify(top.errors)}` : null;
  if (key === S.modalKey) return;
  S.modalKey = key;
  if (!top) { root.replaceChildren(); return; }
  root.replaceChildren(renderModal(top, ctx(), {
    submit: async (view, values, box, status) => {
      const res = await act("submit", { view_id: view.id, values });
      if (res.field_errors) { showErrors(box, res.field_errors); status.textContent = res.error; }
    },
    close: (view) => act("close", { view_id: view.id }),
    action: (view, a) => act("click", { view_id: view.id, ...a }),
  }));
  root.querySelector("input, textarea, select")?.focus();
}

function problemItem(p, kind) {
  return h("details", { class: `problem ${kind}` },
    h("summary", {}, h("b", {}, `${p.method}: ${p.code}`), kind === "warning" ? " (warning)" : ""),
    p.detail.length ? h("ul", {}, p.detail.map((x) => h("li", {}, x))) : null,
    h("pre", { class: "code-block" }, p.params));
}

function renderProblems(d) {
  const { errors, warnings } = d.problems;
  const n = errors.length + warnings.length;
  const t = $("problems-toggle");
  t.textContent = `Slack refusals: ${errors.length}` + (warnings.length ? ` · warnings: ${warnings.length}` : "");
  t.classList.toggle("ok", n === 0);
  t.classList.toggle("bad", n > 0);
  if (n > S.problems) $("problems").hidden = false;
  S.problems = n;
  const list = $("problems-list");
  list.replaceChildren(...errors.map((p) => problemItem(p, "error")), ...warnings.map((p) => problemItem(p, "warning")));
  if (n) list.firstElementChild.open = true;
  if (!n) list.append(h("p", { class: "empty" }, "No refusals: Slack accepted everything the bot sent."));
}

// ---- what people do ----------------------------------------------------------------------------
function composer(formId, inputId, errorId, threadOf) {
  const form = $(formId);
  const input = $(inputId);
  const send = async () => {
    const text = input.value;
    if (!text.trim()) return;
    const r = S.route;
    const res = await act("compose", { channel: r.channel, text, thread_ts: threadOf() }, { quiet: true });
    $(errorId).hidden = res.ok;
    $(errorId).textContent = res.ok ? "" : res.error;
    if (res.ok) input.value = "";
  };
  form.addEventListener("submit", (e) => { e.preventDefault(); send(); });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); }
  });
}

function switchPersona(user) {
  S.user = user;
  S.version = 0;
  S.modalKey = S.homeKey = null;
  localStorage.setItem("addon-demo-persona", user);
  const url = new URL(location.href);
  url.searchParams.set("as", user);
  history.replaceState(null, "", url);
  S.poll?.abort();
}

function start() {
  S.version0 = Date.now();
  $("persona").addEventListener("change", (e) => switchPersona(e.target.value));
  $("problems-toggle").addEventListener("click", () => { $("problems").hidden = !$("problems").hidden; });
  $("problems-close").addEventListener("click", () => { $("problems").hidden = true; });
  $("thread-close").addEventListener("click", () => go(`#/c/${S.route.channel}`));
  $("daily-run").addEventListener("click", async () => {
    const res = await post("/api/daily", { date: $("daily-date").value });
    toast(res.ok ? `Daily job run for ${res.date}: ${res.projects.join(" · ") || "no open project"}` : res.error,
      res.ok ? "info" : "error");
  });
  composer("composer", "composer-input", "composer-error", () => null);
  composer("thread-composer", "thread-input", "thread-error", () => S.route.thread);
  window.addEventListener("hashchange", () => {
    if (route().view === "home") S.homeOpened = null;
    render();
  });
  poll();
}

start();
