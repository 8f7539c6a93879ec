// The data_visualization block (Slack's chart block) drawn as inline SVG: no network, no library.
// One polyline per series over the axis_config categories, a legend, the y range on the axis.
// Shape: https://docs.slack.dev/reference/block-kit/blocks/data-visualization-block

import { h } from "./elements.js";

const NS = "http://www.w3.org/2000/svg";
const COLOURS = ["#1264a3", "#e8912d", "#2bac76", "#cd2553", "#7c3085", "#616061"];
const DASH = { 1: "6 4", 2: "2 3" };

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, v);
  for (const c of children.flat()) if (c) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

export function chart(b) {
  const series = b.chart?.series || [];
  const xs = [...(b.chart?.axis_config?.categories || [])];
  for (const s of series) for (const p of s.data || []) if (!xs.includes(p.label)) xs.push(p.label);
  const ys = series.flatMap((s) => (s.data || []).map((p) => Number(p.value)));
  const W = 520, H = 200, L = 44, R = 10, T = 10, B = 28;
  const max = Math.max(1, ...ys), min = Math.min(0, ...ys);
  const pad = b.chart?.type === "bar" ? 24 : 0;  // bars need room at both ends
  const x = (i) => L + pad + (xs.length <= 1 ? (W - L - R - 2 * pad) / 2 : (i * (W - L - R - 2 * pad)) / (xs.length - 1));
  const y = (v) => T + (H - T - B) * (1 - (v - min) / (max - min || 1));
  const plot = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img",
    "aria-label": b.title || "chart", class: "sk-chart-svg" });
  plot.append(svg("line", { x1: L, y1: y(min), x2: W - R, y2: y(min), stroke: "#ccc" }));
  plot.append(svg("line", { x1: L, y1: T, x2: L, y2: y(min), stroke: "#ccc" }));
  plot.append(svg("text", { x: L - 4, y: y(max) + 4, "text-anchor": "end", "font-size": 10 }, String(Math.round(max))));
  plot.append(svg("text", { x: L - 4, y: y(min), "text-anchor": "end", "font-size": 10 }, String(Math.round(min))));
  const step = Math.max(1, Math.ceil(xs.length / 7));
  xs.forEach((label, i) => {
    if (i % step === 0 || i === xs.length - 1) {
      plot.append(svg("text", { x: x(i), y: H - 10, "text-anchor": "middle", "font-size": 10 }, label));
    }
  });
  const bar = b.chart?.type === "bar";
  series.forEach((s, k) => {
    const colour = COLOURS[k % COLOURS.length];
    if (bar && k === 0) {  // bars for the first series of a bar chart, lines for the others
      const w = Math.max(4, Math.min(40, (W - L - R) / Math.max(1, xs.length) * 0.6));
      for (const p of s.data || []) {
        const top = y(Number(p.value));
        plot.append(svg("rect", { x: (x(xs.indexOf(p.label)) - w / 2).toFixed(1), y: top.toFixed(1), width: w.toFixed(1),
          height: Math.max(0, y(min) - top).toFixed(1), fill: colour, "data-series": s.name }));
      }
      return;
    }
    const pts = (s.data || []).map((p) => `${x(xs.indexOf(p.label)).toFixed(1)},${y(Number(p.value)).toFixed(1)}`);
    plot.append(svg("polyline", { points: pts.join(" "), fill: "none", stroke: colour, "stroke-width": 2,
      "stroke-dasharray": DASH[k] || null, "data-series": s.name }));
    for (const p of pts) {  // a marker a point: a one-day series still shows
      const [cx, cy] = p.split(",");
      plot.append(svg("circle", { cx, cy, r: k === 0 ? 2.5 : 1.8, fill: colour }));
    }
  });
  const legend = h("div", { class: "sk-chart-legend" }, series.map((s, k) => h("span", {
    class: "sk-chart-key", style: `--key: ${COLOURS[k % COLOURS.length]}` }, s.name || "")));
  return h("figure", { class: "sk-block sk-chart", "data-chart": b.chart?.type || "line" },
    h("figcaption", { class: "sk-chart-title" }, typeof b.title === "string" ? b.title : ""), plot, legend);
}
