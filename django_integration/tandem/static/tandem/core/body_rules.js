// The message body rule the sidecar and Django apply (sidecar/core/frame_rules, issue 12 defect
// 4), checked before a send so the user is told at once instead of by a refused frame: not
// empty and not only Unicode white space, no NUL or other control characters except tab and
// line breaks, at most max_body_chars code points.

// Unicode's White_Space property (the core's definition), not JavaScript's \s (which includes
// U+FEFF and misses U+0085).
const WHITE_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/u;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/u;

/** The error code the server would answer with, or null when the body can be sent. */
export function bodyProblem(body, maxChars) {
  if (typeof body !== "string" || WHITE_SPACE.test(body)) return "body_empty";
  if (CONTROL.test(body)) return "invalid_field";
  if (codePoints(body) > maxChars) return "body_too_long";
  return null;
}

/** Length as the server counts it: code points, not UTF-16 units. */
export function codePoints(text) {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}
