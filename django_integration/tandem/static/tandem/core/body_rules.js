// The message body rule the sidecar and Django apply (docs/protocol.md, "Message bodies";
// sidecar/core/text_classes.hpp), checked before a send so the user is told at once instead of
// by a refused frame. Same order as the core: control characters, then blank, then length.
// tests/js/body_rules.test.js runs the core's own fixture against it.

// Controls other than TAB, LF and CR: C0, DEL and C1 (NUL included: PostgreSQL cannot hold it).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/u;
// Unicode's White_Space plus the invisible U+180E, U+200B..U+200D, U+2060 and U+FEFF: a body
// that renders as nothing is empty. (JavaScript's \s is a different set.)
const BLANK_ONLY = /^[\t\n\v\f\r \u0085\u00a0\u1680\u180e\u2000-\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff]*$/u;

/** The error code the server would answer with, or null when the body can be sent. */
export function bodyProblem(body, maxChars) {
  if (typeof body !== "string") return "body_empty";
  if (CONTROL.test(body)) return "invalid_field";
  if (BLANK_ONLY.test(body)) return "body_empty";
  if (codePoints(body) > maxChars) return "body_too_long";
  return null;
}

/** Length as the server counts it: code points, not UTF-16 units. */
export function codePoints(text) {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}
