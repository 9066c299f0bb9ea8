// The character classes a message body is judged by, defined once here and used by the
// sidecar, by Django (through tandem_core) and described in docs/protocol.md ("Message bodies").
#pragma once

namespace tandem::core {

/// A control character a body may not hold: C0 controls other than TAB, LF and CR (NUL among
/// them, which PostgreSQL text cannot store), DEL, and the C1 controls U+0080..U+009F.
bool is_refused_control(char32_t point) noexcept;

/// White space for "a body must not be only white space": Unicode's White_Space property
/// (ASCII space and TAB..CR, U+0085, NBSP, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F,
/// U+205F, U+3000) plus the invisible U+180E, U+200B..U+200D, U+2060 and U+FEFF, so a body
/// that renders as nothing is empty.
bool is_blank(char32_t point) noexcept;

}  // namespace tandem::core
