// Everything the sidecar can be told, in one struct built once at start-up (docs/configuration.md)
// and passed down; nothing deeper reads the environment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tandem::app {

struct sidecar_config {
  // server
  std::string listen = "127.0.0.1:8765";
  std::string admin_listen;
  std::int64_t threads = 0;
  std::string log_level = "info";
  std::string log_format = "logfmt";
  std::int64_t log_queue_lines = 8192;  // lines waiting for the log thread; past it the oldest drop

  // channel layer
  std::vector<std::string> redis_hosts{"redis://127.0.0.1:6379/0"};
  std::string layer_prefix = "asgi";
  std::int64_t layer_expiry = 60;
  std::int64_t layer_group_expiry = 86400;
  std::int64_t layer_capacity = 100;
  std::vector<std::string> layer_channel_capacity;
  std::vector<std::string> layer_symmetric_encryption_keys;
  std::string layer_serializer_format = "msgpack";
  std::int64_t layer_pending_per_queue = 10000;  // group_send messages held per full process queue
  std::string bridge_channel = "tandem.bridge";
  double bridge_rate_per_second = 5;
  double bridge_burst = 20;

  // database
  std::string database;
  std::int64_t db_connections_per_thread = 2;
  double db_timeout = 5;
  double db_queue_timeout = 30;
  bool db_prepared_statements = true;  // false: unnamed queries, for PgBouncer < 1.21 in transaction pooling

  // Django sessions and users
  std::string secret_key;
  std::vector<std::string> secret_key_fallbacks;
  std::string session_engine = "db";
  std::string session_cookie_name = "sessionid";
  std::int64_t session_cookie_age = 1209600;
  std::vector<std::string> authentication_backends{"django.contrib.auth.backends.ModelBackend"};
  std::string session_table = "django_session";
  std::string user_table = "auth_user";
  std::string chat_member_table = "tandem_chatmember";
  std::string user_display_column = "username";
  double auth_recheck_interval = 60;
  bool debug = false;
  std::vector<std::string> allowed_hosts;
  std::vector<std::string> csrf_trusted_origins;
  std::vector<std::string> allowed_origins;

  // limits
  std::int64_t max_message_bytes = 65536;
  std::int64_t max_frame_depth = 32;
  double rate_messages_per_second = 20;
  double rate_burst = 40;
  std::int64_t max_connections_per_user = 16;
  std::int64_t max_connections = 100000;
  std::int64_t max_unauthenticated_per_address = 256;
  std::int64_t max_unauthenticated = 2048;
  std::int64_t max_pending_handshakes = 256;
  double session_cache_seconds = 2;
  std::int64_t outbound_queue_frames = 256;
  std::int64_t outbound_queue_bytes = 1048576;
  double ping_interval = 30;
  double handshake_timeout = 10;
  double http_idle_timeout = 15;
  bool permessage_deflate = false;
  std::int64_t deflate_window_bits = 10;
  double drain_deadline = 10;

  // messaging
  std::int64_t max_body_chars = 4096;
  std::int64_t history_first_page = 50;
  std::int64_t history_page = 20;
  std::int64_t history_max_page = 100;
  std::int64_t sync_page = 200;
  std::int64_t sync_max_messages = 1000;
  bool history_from_join = false;  // members see only messages sent after they joined
  double pending_expiry = 7 * 86400;
  double pending_purge_interval = 3600;
  std::int64_t notifications_max_chats = 1000;
  std::int64_t republish_capacity = 10000;  // stored messages per I/O thread waiting for the layer
  std::int64_t receipt_batch_max = 64;       // receipts applied in one statement, per I/O thread
  std::int64_t send_batch_max = 32;          // sends stored in one statement, per I/O thread
  std::int64_t receipt_news_memory = 4096;  // (chat, sender, kind) ticks told, per I/O thread
  std::string group_prefix;  // put in front of the user_<id> and chat_<id> group names

  // typing and presence
  double typing_start_interval = 2;
  double typing_expiry = 6;
  double typing_frame_interval = 0.15;
  double presence_heartbeat = 5;
  double presence_lease_ttl = 15;
  double presence_grace = 3;
  double presence_frame_interval = 0.5;
  std::int64_t presence_announce_concurrency = 32;
  bool presence_through_groups = true;
  std::int64_t presence_release_batch = 500;
  std::int64_t presence_release_concurrency = 4;

  // test and benchmark only
  bool test_echo_endpoint = false;  // /ws/echo/: the Autobahn conformance run's peer
  bool bench_shootout_endpoint = false;  // /ws/shootout/: the websocket-shootout protocol, for benchmarks
  double bench_shootout_broadcast_rate = 50;  // broadcasts per second per shootout connection
  double bench_shootout_broadcast_burst = 100;
};

}  // namespace tandem::app
