// The one place that decides how a user is called on screen (the header, the list, typing,
// group authors, message info), from the names the page's config carries.
export function displayName(config, userId) {
  if (userId === config.me.id) return "You";
  return config.users?.[String(userId)] ?? config.chat?.members?.[String(userId)] ?? `User ${userId}`;
}
