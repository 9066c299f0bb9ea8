// Request routing and the upgrade checks, in the order that costs least first: path, upgrade
// headers, Origin, draining, then the database (session, user, membership), then limits.
#include "net/http_session.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <atomic>

#include "net/echo_session.hpp"
#include "net/shootout_session.hpp"
#include "asio/supervised_spawn.hpp"
#include "net/io_worker.hpp"
#include "net/websocket_session.hpp"
#include "ops/logging.hpp"
#include "protocol/route.hpp"
#include "protocol/websocket_key.hpp"

namespace tandem::net {

namespace beast = boost::beast;

namespace {

using request = http::request<http::string_body>;

constexpr std::size_t header_limit = 8 * 1024;
constexpr std::size_t body_limit = 4 * 1024;

std::string
next_connection_id()
{
  static std::atomic<std::uint64_t> counter{0};
  static std::uint64_t const boot = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%06llx-%llu", static_cast<unsigned long long>(boot & 0xffffff),
                static_cast<unsigned long long>(counter.fetch_add(1, std::memory_order_relaxed)));
  return buf;
}

awaitable<bool>
respond(beast::tcp_stream& stream, request const& req, http::status status, std::string body,
        std::string_view content_type = "text/plain; charset=utf-8")
{
  http::response<http::string_body> res{status, req.version()};
  res.set(http::field::server, "tandem-sidecar");
  res.set(http::field::content_type, boost::beast::string_view{content_type.data(), content_type.size()});
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive() && status == http::status::ok);
  res.body() = std::move(body);
  res.prepare_payload();
  error_code ec;
  co_await http::async_write(stream, res, as_value(ec));
  co_return !ec && res.keep_alive();
}

awaitable<bool>
refuse(io_worker& worker, beast::tcp_stream& stream, request const& req, int status, std::string_view reason,
       std::string const& conn)
{
  worker.metrics.count_refusal(status);
  spdlog::info("event=upgrade_refused conn={} status={} path={} reason={}", conn, status,
               ops::logfmt_value(std::string_view{req.target().data(), req.target().size()}), ops::logfmt_value(reason));
  auto const code = static_cast<http::status>(status);
  std::string body(http::obsolete_reason(code));
  body += "\n";
  co_await respond(stream, req, code, std::move(body));
  co_return false;
}

awaitable<std::string>
readiness(io_worker& worker, bool& ready)
{
  bool const draining = worker.process.draining.load();
  // Every I/O thread's layer must be up, not just the one that answered: sockets land on any.
  // The others' state is read from what they publish each second.
  bool redis = worker.layer->ready();
  for (auto const* thread : worker.process.metrics)
    if (thread != &worker.metrics && thread->layer_ready.load(std::memory_order_relaxed) == 0) redis = false;
  bool const postgres = co_await worker.tables.ping();
  ready = !draining && redis && postgres;
  nlohmann::json body = {{"ready", ready}, {"redis", redis}, {"postgres", postgres}, {"draining", draining}};
  co_return body.dump() + "\n";
}

/// Answers an admin path; false when the connection should close.
awaitable<bool>
serve_admin(io_worker& worker, beast::tcp_stream& stream, request const& req, protocol::endpoint kind)
{
  if (kind == protocol::endpoint::healthz) co_return co_await respond(stream, req, http::status::ok, "ok\n");
  if (kind == protocol::endpoint::readyz) {
    bool ready = false;
    auto body = co_await readiness(worker, ready);
    co_return co_await respond(stream, req, ready ? http::status::ok : http::status::service_unavailable,
                               std::move(body), "application/json");
  }
  auto const& process = worker.process;
  auto text = ops::render_prometheus(process.metrics, {process.draining.load(), coroutine_failures(), ops::log_lines_dropped()});
  co_return co_await respond(stream, req, http::status::ok, std::move(text), "text/plain; version=0.0.4; charset=utf-8");
}

/// The upgrade checks; on success the stream is handed to a websocket_session.
awaitable<void>
upgrade(io_worker& worker, beast::tcp_stream& stream, request req, protocol::route const& route,
        unauthenticated_slot& slot)
{
  auto const conn = next_connection_id();
  auto& process = worker.process;
  if (!route.error.empty()) {
      co_await refuse(worker, stream, req, 400, route.error, conn);
      co_return;
    }
  if (!websocket::is_upgrade(req)) {
      co_await refuse(worker, stream, req, 400, "not a WebSocket upgrade", conn);
      co_return;
    }
  if (auto const key = req[http::field::sec_websocket_key];
      !protocol::is_valid_websocket_key(std::string_view{key.data(), key.size()})) {
      co_await refuse(worker, stream, req, 400, "Sec-WebSocket-Key is not 16 bytes of base64", conn);
      co_return;
    }
  auto const origin_it = req.find(http::field::origin);
  std::optional<std::string_view> origin;
  if (origin_it != req.end()) origin = std::string_view{origin_it->value().data(), origin_it->value().size()};
  if (!process.origins.allows(origin)) {
      co_await refuse(worker, stream, req, 403, "origin not allowed", conn);
      co_return;
    }
  if (process.draining.load()) {
      co_await refuse(worker, stream, req, 503, "draining", conn);
      co_return;
    }
  if (!worker.layer->can_receive()) {
      co_await refuse(worker, stream, req, 503, "channel layer not connected", conn);
      co_return;
    }

  // At most max_pending_handshakes upgrades of this thread are verified at once (each holds
  // database lookups); more wait their turn, first come first served, instead of failing: an
  // avalanche (every browser of a site reconnecting after a deploy) must all get in. The line is
  // bounded by max_unauthenticated (connections not yet upgraded) and each wait by
  // handshake_timeout, after which the upgrade gets 503.
  if (worker.pending_handshakes >= process.settings.max_pending_handshakes) {
    auto const deadline = std::chrono::steady_clock::now() + process.settings.handshake_timeout;
    auto const turn = co_await worker.handshake_turns.wait(deadline);
    if (!turn) {
      co_await refuse(worker, stream, req, 503, "too many upgrades being verified", conn);
      co_return;
    }
    // A finished verification handed its place to this one: the count stays as it was.
  } else {
    ++worker.pending_handshakes;
  }
  auto const cookie_it = req.find(http::field::cookie);
  std::string cookie = cookie_it == req.end() ? std::string{} : std::string{cookie_it->value()};
  struct pending_guard {
    io_worker& worker;
    ~pending_guard()
    {
      // Frames destroyed with the worker's io_context must not touch members already gone.
      if (worker.tearing_down) return;
      // The place goes straight to the longest waiter, so a newcomer cannot take it first.
      if (!worker.handshake_turns.hand_over(true)) --worker.pending_handshakes;
    }
  } pending{worker};
  // A drain may have begun while this upgrade waited its turn: refuse it before its lookups.
  if (process.draining.load()) {
    co_await refuse(worker, stream, req, 503, "draining", conn);
    co_return;
  }
  auto verdict = co_await worker.verifier.verify(cookie);
  if (verdict.allowed() && route.kind == protocol::endpoint::chat)
    verdict = co_await worker.verifier.check_participant(route.chat_id, std::move(verdict));
  if (!verdict.allowed()) {
      co_await refuse(worker, stream, req, verdict.status, verdict.reason, conn);
      co_return;
    }
  // The lookups above take time: a drain may have begun meanwhile, and close_all has then
  // already passed over this socket. Counted before the check, so a drain that begins after it
  // waits for this socket (which then learns of the drain once open).
  upgrade_in_progress upgrading{worker.metrics.connections_upgrading, worker.tearing_down};
  if (process.draining.load()) {
      co_await refuse(worker, stream, req, 503, "draining", conn);
      co_return;
    }

  switch (process.limits.admit(verdict.user_id)) {
    case connection_limits::verdict::user_full:
      {
      co_await refuse(worker, stream, req, 429, "too many connections for this user", conn);
      co_return;
    }
    case connection_limits::verdict::process_full:
      {
      co_await refuse(worker, stream, req, 503, "max_connections reached", conn);
      co_return;
    }
    case connection_limits::verdict::admitted: break;
  }
  slot.release();  // authenticated now: counted per user from here on
  socket_identity identity{verdict.user_id,
                           route.kind == protocol::endpoint::chat ? std::optional{route.chat_id} : std::nullopt,
                           std::string{req.target().substr(0, req.target().find('?'))},
                           worker.verifier.session_cookie(cookie),
                           conn,
                           std::move(verdict.display_name),
                           route.utc_offset_minutes};
  auto session = std::make_shared<websocket_session>(worker, std::move(stream), std::move(identity));
  session->start(std::move(req), std::move(upgrading));
}

}  // namespace

awaitable<void>
serve_http(io_worker& worker, asio::ip::tcp::socket socket, bool admin_only, unauthenticated_slot slot)
{
  beast::tcp_stream stream{std::move(socket)};
  beast::flat_buffer buffer;
  auto const& settings = worker.process.settings;
  bool first = true;
  for (;;) {
    // The first request must arrive whole within the handshake timeout; later keep-alive
    // requests within the idle timeout. A trickling client is cut off either way.
    stream.expires_after(first ? settings.handshake_timeout : settings.http_idle_timeout);
    first = false;
    http::request_parser<http::string_body> parser;
    parser.header_limit(header_limit);
    parser.body_limit(body_limit);
    error_code ec;
    co_await http::async_read(stream, buffer, parser, as_value(ec));
    if (ec) {
      if (ec != http::error::end_of_stream && ec != beast::error::timeout && ec != asio::error::eof) {
        request bad;
        bad.version(11);
        worker.metrics.count_refusal(400);
        co_await respond(stream, bad, http::status::bad_request, "Bad Request\n");
      }
      break;
    }
    stream.expires_never();
    auto req = parser.release();
    auto const route = protocol::parse_route(std::string_view{req.target().data(), req.target().size()});
    bool const admin = route.kind == protocol::endpoint::healthz || route.kind == protocol::endpoint::readyz ||
                       route.kind == protocol::endpoint::metrics;
    bool const websocket_path = route.kind == protocol::endpoint::chat || route.kind == protocol::endpoint::notifications;
    if (admin && (admin_only || settings.admin_on_main_port)) {
      if (!co_await serve_admin(worker, stream, req, route.kind)) break;
      continue;
    }
    if (route.kind == protocol::endpoint::echo && settings.test_echo_endpoint && !admin_only) {
      co_await serve_echo(settings, std::move(stream), std::move(req));
      co_return;
    }
    if (route.kind == protocol::endpoint::shootout && settings.bench_shootout_endpoint && !admin_only) {
      co_await serve_shootout(settings, std::move(stream), std::move(req));
      co_return;
    }
    if (websocket_path && !admin_only) {
      co_await upgrade(worker, stream, std::move(req), route, slot);
      co_return;  // the stream now belongs to a session, or the refusal closed it
    }
    worker.metrics.count_refusal(404);
    co_await respond(stream, req, http::status::not_found, "Not Found\n");
    break;
  }
  error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace tandem::net
