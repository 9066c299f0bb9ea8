// Times as the views show them: a short clock in bubbles and the list, the full date and time
// on hover, and the day labels of date separators.
export function shortTime(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function fullTime(ms) {
  return new Date(ms).toLocaleString([], { dateStyle: "full", timeStyle: "short" });
}

export function dayKey(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

export function dayLabel(ms, nowMs = Date.now()) {
  const day = 86_400_000;
  const key = dayKey(ms);
  if (key === dayKey(nowMs)) return "Today";
  if (key === dayKey(nowMs - day)) return "Yesterday";
  const sameYear = new Date(ms).getFullYear() === new Date(nowMs).getFullYear();
  return new Date(ms).toLocaleDateString([], { weekday: "long", day: "numeric", month: "long", year: sameYear ? undefined : "numeric" });
}

export function listTime(ms, nowMs = Date.now()) {
  return dayKey(ms) === dayKey(nowMs) ? shortTime(ms) : new Date(ms).toLocaleDateString([], { day: "numeric", month: "short" });
}
