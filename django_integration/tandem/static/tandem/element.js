// Building DOM nodes for the views: text always goes in as text nodes, never as HTML, so a
// message body can never become markup.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/** Body text with http(s) links made clickable; anything else stays plain text. */
export function linkified(text) {
  const out = [];
  let last = 0;
  for (const match of text.matchAll(/\bhttps?:\/\/[^\s<>"]+/giu)) {
    // Trailing punctuation usually ends the sentence, not the URL.
    const url = match[0].replace(/[.,;:!?)\]'}]+$/u, "");
    if (match.index > last) out.push(text.slice(last, match.index));
    out.push(safeLink(url) ?? url);
    last = match.index + url.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function safeLink(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  return el("a", { href: parsed.href, target: "_blank", rel: "noopener noreferrer" }, url);
}
