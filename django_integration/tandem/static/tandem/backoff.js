// Retry delays from a policy the page gets from the C++ core (tandem_core.RECONNECT_BACKOFF and
// MESSAGE_RETRY_BACKOFF, through {% tandem_client_config %}): the same formula as
// sidecar/core/backoff.cpp, so the browser waits exactly as the rules say.
export function backoffDelay(policy, attempt, random01 = Math.random()) {
  if (attempt < 1 || attempt > policy.max_attempts) return null;
  const r = Math.min(Math.max(random01, 0), 1 - Number.EPSILON);
  const base = Math.min(policy.max_ms, policy.initial_ms * Math.pow(policy.factor, attempt - 1));
  return Math.round(base * (1 - policy.jitter + 2 * policy.jitter * r));
}
