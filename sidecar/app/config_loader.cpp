// One table of settings drives all three sources: each entry knows its name, help text,
// whether it is secret, and how to parse and print its field. Parsing is CLI11 (flags),
// toml++ (file) and nlohmann (JSON lists in the environment).
#include "app/config_loader.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>

#include "app/secret_masking.hpp"
#include "core/json_nesting.hpp"
#include "core/version.hpp"

namespace tandem::app {

namespace {

using values = std::vector<std::string>;

/// The largest client message the configuration accepts (16 MiB): a frame is held whole in
/// memory, parsed and possibly forwarded through Redis, so larger would be a memory lever.
constexpr std::int64_t max_message_bytes_limit = 16 << 20;

struct setting {
  std::string name;
  std::string help;
  bool secret = false;
  bool list = false;
  std::function<std::string(values const&)> set;  // "" on success, else the reason
  std::function<std::string()> show;              // as a TOML value
};

std::string
toml_string(std::string_view text)
{
  std::ostringstream out;
  out << toml::value<std::string>{std::string{text}};
  return out.str();
}

setting
setting_for(std::string name, std::string help, std::string& field, bool secret = false)
{
  return {std::move(name), std::move(help), secret, false,
          [&field](values const& v) {
            field = v.back();
            return std::string{};
          },
          [&field] { return toml_string(field); }};
}

setting
setting_for(std::string name, std::string help, std::vector<std::string>& field, bool secret = false)
{
  return {std::move(name), std::move(help), secret, true,
          [&field](values const& v) {
            field = v;
            return std::string{};
          },
          [&field] {
            std::string out = "[";
            for (auto const& item : field) out += (out.size() > 1 ? ", " : "") + toml_string(item);
            return out + "]";
          }};
}

setting
setting_for(std::string name, std::string help, std::int64_t& field)
{
  return {std::move(name), std::move(help), false, false,
          [&field](values const& v) {
            auto const& text = v.back();
            std::int64_t parsed = 0;
            auto const [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
            if (ec != std::errc{} || ptr != text.data() + text.size()) return "not an integer: " + text;
            field = parsed;
            return std::string{};
          },
          [&field] { return std::to_string(field); }};
}

setting
setting_for(std::string name, std::string help, double& field)
{
  return {std::move(name), std::move(help), false, false,
          [&field](values const& v) {
            char* end = nullptr;
            double const parsed = std::strtod(v.back().c_str(), &end);
            if (v.back().empty() || *end != '\0') return "not a number: " + v.back();
            field = parsed;
            return std::string{};
          },
          [&field] {
            std::ostringstream out;
            out << toml::value<double>{field};
            return out.str();
          }};
}

setting
setting_for(std::string name, std::string help, bool& field)
{
  return {std::move(name), std::move(help), false, false,
          [&field](values const& v) {
            auto text = v.back();
            for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (text == "true" || text == "1" || text == "yes" || text == "on") field = true;
            else if (text == "false" || text == "0" || text == "no" || text == "off") field = false;
            else return "not a boolean: " + v.back();
            return std::string{};
          },
          [&field] { return std::string{field ? "true" : "false"}; }};
}

std::vector<setting>
settings_of(sidecar_config& c)
{
  return {
      setting_for("listen", "host:port for WebSockets (and admin endpoints unless admin_listen is set)", c.listen),
      setting_for("admin_listen", "separate host:port for /healthz, /readyz, /metrics", c.admin_listen),
      setting_for("threads", "I/O threads; 0 = CPU cores", c.threads),
      setting_for("log_level", "trace, debug, info, warn, error", c.log_level),
      setting_for("log_format", "logfmt or text", c.log_format),
      setting_for("log_queue_lines", "log lines queued for the log thread; when full the oldest are dropped",
                  c.log_queue_lines),
      setting_for("redis_hosts", "channel layer shard URLs, in CHANNEL_LAYERS hosts order", c.redis_hosts, true),
      setting_for("layer_prefix", "channel layer prefix", c.layer_prefix),
      setting_for("layer_expiry", "channel layer expiry (s)", c.layer_expiry),
      setting_for("layer_group_expiry", "channel layer group_expiry (s)", c.layer_group_expiry),
      setting_for("layer_capacity", "channel layer capacity", c.layer_capacity),
      setting_for("layer_channel_capacity", "channel_capacity as pattern=N", c.layer_channel_capacity),
      setting_for("layer_symmetric_encryption_keys", "symmetric_encryption_keys", c.layer_symmetric_encryption_keys, true),
      setting_for("layer_serializer_format", "msgpack or json", c.layer_serializer_format),
      setting_for("layer_pending_per_queue",
                  "group_send messages held per full process queue until it has room; beyond, dropped",
                  c.layer_pending_per_queue),
      setting_for("bridge_channel", "named channel for client frames Tandem does not handle; empty = none",
           c.bridge_channel),
      setting_for("bridge_rate_per_second", "bridge frames per second per user per process (all their sockets)",
                  c.bridge_rate_per_second),
      setting_for("bridge_burst", "bridge frames a user may send at once", c.bridge_burst),
      setting_for("database", "libpq connection string of Django's database", c.database, true),
      setting_for("db_connections_per_thread", "PostgreSQL connections per I/O thread", c.db_connections_per_thread),
      setting_for("db_timeout", "seconds before a query counts as failed", c.db_timeout),
      setting_for("db_queue_timeout", "seconds a query waits for a free pooled connection while all are busy",
                  c.db_queue_timeout),
      setting_for("db_prepared_statements",
                  "hot queries as named prepared statements; false behind PgBouncer < 1.21 in transaction pooling",
                  c.db_prepared_statements),
      setting_for("secret_key", "Django SECRET_KEY", c.secret_key, true),
      setting_for("secret_key_fallbacks", "Django SECRET_KEY_FALLBACKS", c.secret_key_fallbacks, true),
      setting_for("session_engine", "db, cached_db or signed_cookies", c.session_engine),
      setting_for("session_cookie_name", "SESSION_COOKIE_NAME", c.session_cookie_name),
      setting_for("session_cookie_age", "SESSION_COOKIE_AGE (s)", c.session_cookie_age),
      setting_for("authentication_backends", "AUTHENTICATION_BACKENDS: a session made by another backend is refused",
                  c.authentication_backends),
      setting_for("session_table", "the session model's table", c.session_table),
      setting_for("user_table", "AUTH_USER_MODEL's table", c.user_table),
      setting_for("chat_member_table", "chat participants table", c.chat_member_table),
      setting_for("user_display_column", "the user table's column typing indicators show", c.user_display_column),
      setting_for("auth_recheck_interval", "seconds between session re-checks of open sockets", c.auth_recheck_interval),
      setting_for("debug", "Django DEBUG", c.debug),
      setting_for("allowed_hosts", "ALLOWED_HOSTS", c.allowed_hosts),
      setting_for("csrf_trusted_origins", "CSRF_TRUSTED_ORIGINS", c.csrf_trusted_origins),
      setting_for("allowed_origins", "if set, exactly these Origin patterns", c.allowed_origins),
      setting_for("max_message_bytes", "largest client message; larger closes with 1009", c.max_message_bytes),
      setting_for("max_frame_depth", "deepest nesting of arrays/objects in a client frame; deeper is bad_frame",
                  c.max_frame_depth),
      setting_for("rate_messages_per_second", "token-bucket refill per connection", c.rate_messages_per_second),
      setting_for("rate_burst", "token-bucket size", c.rate_burst),
      setting_for("max_connections_per_user", "sockets per user per process", c.max_connections_per_user),
      setting_for("max_connections", "sockets per process", c.max_connections),
      setting_for("max_unauthenticated_per_address",
                  "connections from one address not yet upgraded; more are answered 503", c.max_unauthenticated_per_address),
      setting_for("max_unauthenticated", "connections not yet upgraded, in total; more are answered 503",
                  c.max_unauthenticated),
      setting_for("max_pending_handshakes", "upgrades being verified at once per I/O thread; more get 503",
                  c.max_pending_handshakes),
      setting_for("session_cache_seconds", "how long a worker reuses a session's verdict (0: never)",
                  c.session_cache_seconds),
      setting_for("outbound_queue_frames", "frames queued per socket before it is closed with 1013",
           c.outbound_queue_frames),
      setting_for("outbound_queue_bytes", "bytes queued per socket before it is closed with 1013", c.outbound_queue_bytes),
      setting_for("ping_interval", "seconds between server pings; two missed close the socket", c.ping_interval),
      setting_for("handshake_timeout", "seconds to complete the upgrade request", c.handshake_timeout),
      setting_for("http_idle_timeout", "seconds an idle plain-HTTP connection is kept", c.http_idle_timeout),
      setting_for("permessage_deflate", "negotiate permessage-deflate", c.permessage_deflate),
      setting_for("deflate_window_bits", "max window bits when deflate is on (9..15)", c.deflate_window_bits),
      setting_for("drain_deadline", "seconds SIGTERM waits for sockets to close", c.drain_deadline),
      setting_for("max_body_chars", "longest message body, in characters", c.max_body_chars),
      setting_for("history_first_page", "messages a history request without `before` returns", c.history_first_page),
      setting_for("history_page", "messages per older history page", c.history_page),
      setting_for("history_max_page", "largest `limit` a history request may ask for", c.history_max_page),
      setting_for("sync_page", "messages per sync frame", c.sync_page),
      setting_for("sync_max_messages", "a larger gap is answered with reload instead of messages", c.sync_max_messages),
      setting_for("history_from_join", "history and sync show a member only messages sent after they joined",
                  c.history_from_join),
      setting_for("pending_expiry", "seconds an undelivered entry is kept (the message stays)", c.pending_expiry),
      setting_for("pending_purge_interval", "seconds between purges of expired undelivered entries",
                  c.pending_purge_interval),
      setting_for("notifications_max_chats", "chat groups a /ws/notifications/ socket joins", c.notifications_max_chats),
      setting_for("republish_capacity",
                  "stored messages per I/O thread kept for publishing while the channel layer is down",
                  c.republish_capacity),
      setting_for("receipt_batch_max", "receipts one I/O thread applies in one statement and one commit",
                  c.receipt_batch_max),
      setting_for("send_batch_max", "sends one I/O thread stores in one statement and one commit (1 to 48)",
                  c.send_batch_max),
      setting_for("receipt_news_memory", "ticks per I/O thread remembered as told, so racing receipts tell a sender once",
                  c.receipt_news_memory),
      setting_for("group_prefix", "text in front of the user_<id> and chat_<id> group names", c.group_prefix),
      setting_for("typing_start_interval", "seconds between forwarded typing starts per user and chat",
                  c.typing_start_interval),
      setting_for("typing_expiry", "seconds a typing start lasts without a refresh", c.typing_expiry),
      setting_for("typing_frame_interval", "seconds between typing frames per chat per socket", c.typing_frame_interval),
      setting_for("presence_heartbeat", "seconds between lease renewals", c.presence_heartbeat),
      setting_for("presence_lease_ttl", "seconds after which an unrenewed lease (a dead process) ends", c.presence_lease_ttl),
      setting_for("presence_grace", "seconds after the last close before offline is announced", c.presence_grace),
      setting_for("presence_frame_interval", "seconds between presence frames per socket (0: every change at once)",
                  c.presence_frame_interval),
      setting_for("presence_announce_concurrency", "group sends of one presence change in flight at once",
                  c.presence_announce_concurrency),
      setting_for("presence_through_groups",
                  "tell a group chat's members of a presence change with one send to the chat's group",
                  c.presence_through_groups),
      setting_for("presence_release_batch", "users a draining process settles per store round trip",
                  c.presence_release_batch),
      setting_for("presence_release_concurrency", "release batches a draining process settles side by side",
                  c.presence_release_concurrency),
      setting_for("test_echo_endpoint", "TEST ONLY: serve an unauthenticated echo WebSocket on /ws/echo/",
                  c.test_echo_endpoint),
      setting_for("bench_shootout_endpoint",
                  "BENCHMARKS ONLY: serve the unauthenticated websocket-shootout protocol on /ws/shootout/",
                  c.bench_shootout_endpoint),
      setting_for("bench_shootout_broadcast_rate", "broadcasts per second one shootout connection may send",
                  c.bench_shootout_broadcast_rate),
      setting_for("bench_shootout_broadcast_burst", "broadcasts one shootout connection may send at once",
                  c.bench_shootout_broadcast_burst),
  };
}

std::string
env_name(std::string_view name)
{
  std::string out = "TANDEM_";
  for (char c : name) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

std::string
dashed(std::string_view name)
{
  std::string out{"--"};
  for (char c : name) out.push_back(c == '_' ? '-' : c);
  return out;
}

/// An environment value: a JSON array, or comma-separated for lists; as is for scalars.
std::optional<values>
env_values(std::string const& text, bool list, std::string& error)
{
  if (!list) return values{text};
  if (!text.empty() && text.front() == '[') {
    auto const parsed = nlohmann::json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_array()) {
      error = "not a JSON array";
      return std::nullopt;
    }
    values out;
    for (auto const& item : parsed) out.push_back(item.is_string() ? item.get<std::string>() : item.dump());
    return out;
  }
  values out;
  std::stringstream stream{text};
  for (std::string item; std::getline(stream, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

std::optional<values>
toml_values(toml::node const& node, std::string& error)
{
  auto scalar = [](toml::node const& n) -> std::optional<std::string> {
    if (auto s = n.value<std::string>(); s && n.is_string()) return *s;
    if (n.is_integer()) return std::to_string(*n.value<std::int64_t>());
    if (n.is_floating_point()) return std::to_string(*n.value<double>());
    if (n.is_boolean()) return std::string{*n.value<bool>() ? "true" : "false"};
    return std::nullopt;
  };
  if (auto const* array = node.as_array()) {
    values out;
    for (auto const& item : *array) {
      auto v = scalar(item);
      if (!v) {
        error = "lists may hold only strings, numbers and booleans";
        return std::nullopt;
      }
      out.push_back(*v);
    }
    return out;
  }
  auto v = scalar(node);
  if (!v) {
    error = "expected a string, number, boolean or list";
    return std::nullopt;
  }
  return values{*v};
}

std::string
apply_file(std::string const& path, std::map<std::string, setting*> const& by_name)
{
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (toml::parse_error const& e) {
    std::ostringstream out;
    out << path << ": " << e.description() << " (line " << e.source().begin.line << ")";
    return out.str();
  }
  for (auto const& [key, node] : table) {
    auto const it = by_name.find(std::string{key.str()});
    if (it == by_name.end()) return path + ": unknown setting '" + std::string{key.str()} + "'";
    std::string error;
    auto v = toml_values(node, error);
    if (!v) return path + ": " + std::string{key.str()} + ": " + error;
    if (v->empty() && !it->second->list) return path + ": " + it->first + ": empty";
    if (auto e = it->second->set(*v); !e.empty()) return path + ": " + it->first + ": " + e;
  }
  return {};
}

std::string
validate(sidecar_config const& c)
{
  if (c.secret_key.empty()) return "secret_key is required (Django's SECRET_KEY)";
  if (c.database.empty()) return "database is required (a libpq connection string for Django's database)";
  if (c.redis_hosts.empty()) return "redis_hosts must name at least one Redis";
  if (c.session_engine != "db" && c.session_engine != "cached_db" && c.session_engine != "signed_cookies")
    return "session_engine must be db, cached_db or signed_cookies";
  if (c.layer_serializer_format != "msgpack" && c.layer_serializer_format != "json")
    return "layer_serializer_format must be msgpack or json";
  if (c.log_format != "logfmt" && c.log_format != "text") return "log_format must be logfmt or text";
  if (c.threads < 0 || c.threads > 1024) return "threads must be between 0 and 1024";
  if (c.layer_pending_per_queue < 0 || c.layer_pending_per_queue > 10'000'000)
    return "layer_pending_per_queue must be between 0 and 10000000";
  if (c.log_queue_lines < 16 || c.log_queue_lines > 1'000'000) return "log_queue_lines must be between 16 and 1000000";
  if (c.max_message_bytes < 64 || c.max_message_bytes > max_message_bytes_limit)
    return "max_message_bytes must be between 64 and " + std::to_string(max_message_bytes_limit);
  if (c.max_frame_depth < 1 || c.max_frame_depth > static_cast<std::int64_t>(core::max_frame_depth_limit))
    return "max_frame_depth must be between 1 and " + std::to_string(core::max_frame_depth_limit);
  if (c.outbound_queue_frames < 1 || c.outbound_queue_bytes < 1024)
    return "outbound_queue_frames must be >= 1 and outbound_queue_bytes >= 1024";
  if (c.max_pending_handshakes < 1) return "max_pending_handshakes must be at least 1";
  if (c.session_cache_seconds < 0) return "session_cache_seconds must not be negative";
  if (c.presence_frame_interval < 0) return "presence_frame_interval must not be negative";
  // Each send of a batch runs its own subtransaction: past 64 in one transaction PostgreSQL's
  // per-backend cache overflows and every snapshot on the server gets slower (48 leaves room
  // for a site trigger's own).
  if (c.send_batch_max < 1 || c.send_batch_max > 48) return "send_batch_max must be between 1 and 48";
  if (c.presence_announce_concurrency < 1) return "presence_announce_concurrency must be at least 1";
  if (c.presence_release_batch < 1) return "presence_release_batch must be at least 1";
  if (c.presence_release_concurrency < 1) return "presence_release_concurrency must be at least 1";
  if (c.deflate_window_bits < 9 || c.deflate_window_bits > 15) return "deflate_window_bits must be 9..15";
  if (c.ping_interval <= 0 || c.handshake_timeout <= 0 || c.drain_deadline < 0 || c.db_timeout <= 0 ||
      c.db_queue_timeout <= 0)
    return "durations must be positive";
  if (c.rate_messages_per_second <= 0 || c.rate_burst < 1 || c.bridge_rate_per_second <= 0 || c.bridge_burst < 1 ||
      c.bench_shootout_broadcast_rate <= 0 || c.bench_shootout_broadcast_burst < 1)
    return "rate limits must be positive";
  if (c.max_unauthenticated_per_address < 1 || c.max_unauthenticated < 1)
    return "max_unauthenticated_per_address and max_unauthenticated must be at least 1";
  // channels_redis's group-name rule: ASCII letters, digits, '-', '_', '.'; names under 100.
  if (c.group_prefix.size() > 50 ||
      !std::all_of(c.group_prefix.begin(), c.group_prefix.end(),
                   [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.'; }))
    return "group_prefix must be at most 50 ASCII letters, digits, '-', '_' or '.'";
  return {};
}

}  // namespace

load_result
load_config(int argc, char** argv)
{
  load_result out;
  auto table = settings_of(out.config);
  std::map<std::string, setting*> by_name;
  for (auto& s : table) by_name[s.name] = &s;

  CLI::App app{"Tandem: a WebSocket sidecar speaking the channels_redis protocol for Django sites", "tandem-sidecar"};
  app.set_version_flag("--version", std::string{"tandem-sidecar "} + std::string{core::version});
  std::string config_path;
  app.add_option("--config", config_path, "TOML config file")->envname("TANDEM_CONFIG");
  app.add_flag("--print-config", out.print_config, "Print the effective configuration (secrets masked) and exit");
  std::map<std::string, values> flags;
  for (auto& s : table) {
    auto* option = app.add_option(dashed(s.name), flags[s.name], s.help + "  [env " + env_name(s.name) + "]");
    if (!s.list) option->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  }
  try {
    app.parse(argc, argv);
  } catch (CLI::ParseError const& e) {
    out.exit_now = true;
    out.exit_code = app.exit(e);
    return out;
  }

  if (!config_path.empty()) {
    if (auto e = apply_file(config_path, by_name); !e.empty()) {
      out.error = e;
      return out;
    }
  }
  for (auto& s : table) {
    if (char const* env = std::getenv(env_name(s.name).c_str())) {
      std::string error;
      auto v = env_values(env, s.list, error);
      if (!v || (v->empty() && !s.list)) {
        out.error = env_name(s.name) + ": " + (error.empty() ? "empty" : error);
        return out;
      }
      if (auto e = s.set(*v); !e.empty()) {
        out.error = env_name(s.name) + ": " + e;
        return out;
      }
    }
  }
  for (auto& s : table) {
    auto const& v = flags[s.name];
    if (v.empty()) continue;
    if (auto e = s.set(v); !e.empty()) {
      out.error = dashed(s.name) + ": " + e;
      return out;
    }
  }
  if (!out.print_config) out.error = validate(out.config);
  return out;
}

std::string
render_config(sidecar_config const& config)
{
  auto copy = config;
  copy.database = mask_conninfo(copy.database);
  for (auto& host : copy.redis_hosts) host = mask_url_password(host);
  std::string out = "# tandem-sidecar effective configuration (secrets masked)\n";
  for (auto& s : settings_of(copy)) {
    std::string value = s.show();
    // The database and Redis URLs were masked above (their other parts help debugging).
    bool const masked_entirely = s.secret && s.name != "redis_hosts" && s.name != "database";
    if (masked_entirely) value = s.list ? (value == "[]" ? value : "[\"***\"]") : (value == "\"\"" ? value : "\"***\"");
    out += s.name + " = " + value + "\n";
  }
  return out;
}

}  // namespace tandem::app
