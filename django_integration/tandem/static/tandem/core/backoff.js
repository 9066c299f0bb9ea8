// Retry delays from a policy the page gets from the C++ core (tandem_core.RECONNECT_BACKOFF and
// MESSAGE_RETRY_BACKOFF, through {% tandem_client_config %}): the same formula as
// sidecar/core/backoff.cpp, so the browser waits exactly as the rules say.
export function backoffDelay(policy, attempt, random01 = Math.random()) {
  if (attempt < 1 || attempt > policy.max_attempts) return null;
  const base = Math.min(policy.max_ms, policy.initial_ms * Math.pow(policy.factor, attempt - 1));
  return jittered(base, policy.jitter, random01);
}

// Reconnecting never gives up: the policy's fast attempts first, then every max_ms (jittered,
// so tabs that lost the server together do not come back in one wave).
export function reconnectDelay(policy, attempt, random01 = Math.random()) {
  return backoffDelay(policy, attempt, random01) ?? jittered(policy.max_ms, policy.jitter, random01);
}

function jittered(base, jitter, random01) {
  const r = Math.min(Math.max(Number.isNaN(random01) ? 0 : random01, 0), 1 - Number.EPSILON);
  return Math.round(base * (1 - jitter + 2 * jitter * r));
}
