// Unit conversions (seconds → chrono) and Django-name → Tandem-name mappings.
#include "app/settings_mapping.hpp"

#include <charconv>
#include <chrono>
#include <stdexcept>

namespace tandem::app {

namespace {

std::chrono::milliseconds
ms(double seconds)
{
  return std::chrono::milliseconds{static_cast<std::int64_t>(seconds * 1000.0)};
}

}  // namespace

layer::layer_config
to_layer_config(sidecar_config const& c)
{
  layer::layer_config out;
  out.hosts = c.redis_hosts;
  out.prefix = c.layer_prefix;
  out.expiry_s = c.layer_expiry;
  out.group_expiry_s = c.layer_group_expiry;
  out.capacity = static_cast<std::size_t>(c.layer_capacity);
  out.pending_per_queue = static_cast<std::size_t>(c.layer_pending_per_queue);
  for (auto const& entry : c.layer_channel_capacity) {
    auto const eq = entry.rfind('=');
    std::size_t capacity = 0;
    if (eq == std::string::npos ||
        std::from_chars(entry.data() + eq + 1, entry.data() + entry.size(), capacity).ec != std::errc{})
      throw std::invalid_argument{"layer_channel_capacity entries are pattern=N, got '" + entry + "'"};
    out.channel_capacity.emplace_back(entry.substr(0, eq), capacity);
  }
  out.symmetric_encryption_keys = c.layer_symmetric_encryption_keys;
  out.format = c.layer_serializer_format == "json" ? layer::serializer_format::json : layer::serializer_format::msgpack;
  return out;
}

store::pg_pool_config
to_pool_config(sidecar_config const& c)
{
  store::pg_pool_config out;
  out.conninfo = c.database;
  out.connections = static_cast<std::size_t>(std::max<std::int64_t>(c.db_connections_per_thread, 1));
  out.timeout = ms(c.db_timeout);
  out.queue_timeout = ms(c.db_queue_timeout);
  out.prepared_statements = c.db_prepared_statements;
  return out;
}

store::table_names
to_table_names(sidecar_config const& c)
{
  return {c.session_table, c.user_table, c.chat_member_table, c.user_display_column};
}

net::server_settings
to_server_settings(sidecar_config const& c)
{
  net::server_settings out;
  out.max_message_bytes = static_cast<std::size_t>(c.max_message_bytes);
  out.max_frame_depth = static_cast<std::size_t>(c.max_frame_depth);
  out.rate_per_second = c.rate_messages_per_second;
  out.rate_burst = c.rate_burst;
  out.outbound_queue_frames = static_cast<std::size_t>(c.outbound_queue_frames);
  out.outbound_queue_bytes = static_cast<std::size_t>(c.outbound_queue_bytes);
  out.ping_interval = ms(c.ping_interval);
  out.handshake_timeout = ms(c.handshake_timeout);
  out.http_idle_timeout = ms(c.http_idle_timeout);
  out.auth_recheck_interval = ms(c.auth_recheck_interval);
  out.permessage_deflate = c.permessage_deflate;
  out.deflate_window_bits = static_cast<int>(c.deflate_window_bits);
  out.bridge_channel = c.bridge_channel;
  out.bridge_rate_per_second = c.bridge_rate_per_second;
  out.bridge_burst = c.bridge_burst;
  out.admin_on_main_port = c.admin_listen.empty();
  out.unauthenticated = {c.max_unauthenticated_per_address, c.max_unauthenticated};
  out.test_echo_endpoint = c.test_echo_endpoint;
  out.bench_shootout_endpoint = c.bench_shootout_endpoint;
  out.shootout_broadcast_rate = c.bench_shootout_broadcast_rate;
  out.shootout_broadcast_burst = c.bench_shootout_broadcast_burst;
  out.max_pending_handshakes = static_cast<std::size_t>(c.max_pending_handshakes);
  return out;
}

service::messaging_settings
to_messaging_settings(sidecar_config const& c)
{
  auto const count = [](std::int64_t v) { return static_cast<std::size_t>(std::max<std::int64_t>(v, 1)); };
  service::messaging_settings out;
  out.limits.max_body_chars = count(c.max_body_chars);
  out.pages = {count(c.history_first_page), count(c.history_page), count(c.history_max_page)};
  out.sync_page = count(c.sync_page);
  out.sync_max = count(c.sync_max_messages);
  out.history_from_join = c.history_from_join;
  out.pending_ttl_s = c.pending_expiry;
  out.pending_purge_interval = ms(std::max(c.pending_purge_interval, 0.01));
  out.notifications_max_chats = count(c.notifications_max_chats);
  out.republish_capacity = count(c.republish_capacity);
  out.receipt_batch_max = count(c.receipt_batch_max);
  out.send_batch_max = count(c.send_batch_max);
  out.receipt_news_memory = count(c.receipt_news_memory);
  out.chat_group_prefix = c.group_prefix + "chat_";
  out.user_group_prefix = c.group_prefix + "user_";
  return out;
}

service::presence_settings
to_presence_settings(sidecar_config const& c)
{
  service::presence_settings out;
  out.heartbeat = ms(std::max(c.presence_heartbeat, 0.05));
  out.lease_ttl = ms(std::max(c.presence_lease_ttl, 0.1));
  out.grace = ms(std::max(c.presence_grace, 0.0));
  out.frame_interval = ms(c.presence_frame_interval);
  out.announce_concurrency = static_cast<std::size_t>(c.presence_announce_concurrency);
  out.through_groups = c.presence_through_groups;
  out.release_batch = static_cast<std::size_t>(c.presence_release_batch);
  out.release_concurrency = static_cast<std::size_t>(c.presence_release_concurrency);
  return out;
}

service::typing_settings
to_typing_settings(sidecar_config const& c)
{
  service::typing_settings out;
  out.policy.start_interval_ms = ms(c.typing_start_interval).count();
  out.policy.server_expiry_ms = ms(c.typing_expiry).count();
  out.frame_interval = ms(c.typing_frame_interval);
  return out;
}

net::session_settings
to_session_settings(sidecar_config const& c)
{
  net::session_settings out;
  out.engine = c.session_engine == "signed_cookies" ? net::session_engine::signed_cookies : net::session_engine::db;
  out.cookie_name = c.session_cookie_name;
  out.cookie_age_s = c.session_cookie_age;
  out.keys = auth::signing_keys{c.secret_key, c.secret_key_fallbacks};
  out.backends = c.authentication_backends;
  out.cache_for = std::chrono::milliseconds{static_cast<std::int64_t>(c.session_cache_seconds * 1000.0)};
  return out;
}

auth::origin_policy
to_origin_policy(sidecar_config const& c)
{
  if (!c.allowed_origins.empty()) return auth::origin_policy{c.allowed_origins};
  auto patterns = auth::origin_policy::from_allowed_hosts(c.allowed_hosts, c.debug).patterns();
  for (auto origin : c.csrf_trusted_origins) {
    // CSRF_TRUSTED_ORIGINS writes subdomain wildcards as "https://*.example.com"; the Origin
    // rules (like Channels') write them as a leading dot.
    if (auto const star = origin.find("://*."); star != std::string::npos) origin.erase(star + 3, 1);
    patterns.push_back(origin);
  }
  return auth::origin_policy{patterns};
}

}  // namespace tandem::app
