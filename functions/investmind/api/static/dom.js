// Small DOM and formatting helpers shared by the console's views.

import DOMPurify from "./vendor/purify.es.mjs";
import { marked } from "./vendor/marked.esm.js";

export const $ = (id) => document.getElementById(id);

/** An element with properties (``dataset``/``attrs`` objects applied as such) and children. */
export function el(tag, props = {}, ...children) {
  const { dataset, attrs, ...rest } = props;
  const node = Object.assign(document.createElement(tag), rest);
  for (const [key, value] of Object.entries(dataset ?? {})) node.dataset[key] = value;
  for (const [key, value] of Object.entries(attrs ?? {})) node.setAttribute(key, value);
  for (const child of children.flat(Infinity)) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

/** Markdown (the analysts' narratives, maybe written by an LLM) as sanitised HTML in a new element. */
export function markdown(text, className = "md") {
  const node = el("div", { className });
  node.innerHTML = DOMPurify.sanitize(marked.parse(text ?? "", { gfm: true, breaks: false }));
  return node;
}

export const fmtNum = (value, digits = 2) =>
  value === null || value === undefined || !Number.isFinite(value)
    ? "–"
    : value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

export const fmtScore = (value) => (Number.isFinite(value) ? `${value >= 0 ? "+" : ""}${value.toFixed(1)}` : "–");

export const fmtTime = (iso) => (iso ? iso.replace("T", " ").slice(0, 19) : "–");

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  return `${Math.floor(seconds / 60)}m ${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
}

export const fmtUsd = (value) => (Number.isFinite(value) ? `$${value.toFixed(value < 0.01 ? 5 : 4)}` : "–");

/** Offer ``text`` as a download named ``name``. */
export function download(name, text, type = "text/markdown;charset=utf-8") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
