// One Redis connection on Asio: commands are pipelined (written together, replies matched in
// order), the connection re-establishes itself with backoff, and callers never hang: while it
// is down, calls fail at once with layer_errc::not_connected. rediss:// endpoints run the same
// RESP exchange over an Asio TLS stream on the socket.
//
// Threading: every member must be used on the executor given at creation (one thread).
#pragma once

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "asio/asio.hpp"
#include "core/backoff.hpp"
#include "layer/redis_endpoint.hpp"
#include "layer/resp_reader.hpp"
#include "layer/resp_value.hpp"

namespace tandem::layer {

struct connection_options {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{5000};  // added to a blocking command's own timeout
  // Capped at 1 s: a refused connect costs nothing, and a Redis that is back should be used
  // within a second, not after a long backoff.
  core::backoff_policy reconnect{100, 2.0, 1000, 0.3, 1'000'000};
  /// A connection that closes sooner than this after its handshake counts as a failed attempt
  /// (maxclients, a proxy with a dead backend), so the next one waits instead of spinning.
  std::chrono::milliseconds healthy_after{1000};
  /// After Redis refused the credentials (WRONGPASS, NOAUTH, NOPERM): the password is wrong
  /// until an operator fixes it, so retry at this slow pace instead of the reconnect backoff.
  std::chrono::milliseconds auth_retry{10000};
};

struct resp_batch {
  error_code ec;                    // transport failure: the replies are missing
  std::vector<resp_value> replies;  // one per command, in order (error replies included)
};

/// True when the transport failed or any command was answered with an error reply (-OOM,
/// -READONLY, ...): callers that only need "did it all happen" ask this.
bool failed(resp_batch const& batch) noexcept;
/// The transport error or the first error reply, for logs.
std::string describe_failure(resp_batch const& batch);

class resp_connection : public std::enable_shared_from_this<resp_connection> {
 public:
  static std::shared_ptr<resp_connection> create(asio::any_io_executor executor, redis_endpoint endpoint,
                                                 connection_options options = {});

  /// Connects and stays connected until stop().
  void start();
  void stop();
  /// Connected and past the handshake (AUTH, SELECT): commands may be sent.
  bool connected() const noexcept { return ready_; }
  redis_endpoint const& endpoint() const noexcept { return endpoint_; }

  /// Sends `commands` in one write and waits for all their replies. `extra_timeout` lengthens
  /// the wait for blocking commands (BZPOPMIN ... 5).
  awaitable<resp_batch> run(std::vector<std::vector<std::string>> commands,
                            std::chrono::milliseconds extra_timeout = std::chrono::milliseconds{0});

  /// Called on the executor after every successful (re)connect and handshake.
  void on_connect(std::function<void()> hook) { on_connect_ = std::move(hook); }
  /// Called on the executor when a ready connection is lost.
  void on_disconnect(std::function<void()> hook) { on_disconnect_ = std::move(hook); }

  /// Completes when the connection is up (true) or after `limit` (false).
  awaitable<bool> wait_connected(std::chrono::milliseconds limit);

  std::uint64_t commands_sent() const noexcept { return commands_sent_; }
  /// Commands written or queued whose replies have not arrived yet.
  std::size_t in_flight() const noexcept { return waiting_.size(); }
  /// Connections established so far (the first one included).
  std::uint64_t connections_made() const noexcept { return generation_; }
  /// Redis refused this endpoint's credentials on the last attempt.
  bool auth_refused() const noexcept { return auth_refused_; }

 private:
  struct call;
  using tls_stream = asio::ssl::stream<asio::generic::stream_protocol::socket&>;

  resp_connection(asio::any_io_executor executor, redis_endpoint endpoint, connection_options options);
  awaitable<void> connection_loop();
  awaitable<error_code> connect_socket();
  /// The TLS handshake on a connected socket (rediss:// only), verifying the server.
  awaitable<error_code> start_tls(std::string const& host);
  awaitable<error_code> handshake();
  /// Queues `commands` and waits for their replies (the socket must be up).
  awaitable<resp_batch> exchange(std::vector<std::vector<std::string>> commands, std::chrono::milliseconds timeout);
  /// Each connection gets exactly one reader and one writer, started with it and ending with
  /// it: `generation` tells a loop of an earlier connection to stop touching the socket.
  awaitable<void> read_loop(std::uint64_t generation);
  awaitable<void> write_loop(std::uint64_t generation);
  void deliver(resp_value value);
  void close_with(error_code ec);

  asio::any_io_executor executor_;
  redis_endpoint endpoint_;
  connection_options options_;
  asio::generic::stream_protocol::socket socket_;
  std::shared_ptr<asio::ssl::context> tls_context_;  // null without TLS
  // The current connection's TLS stream over socket_. Shared: a reader or writer of an
  // earlier connection keeps its own stream alive until its cancelled operation returns.
  std::shared_ptr<tls_stream> tls_;
  // Sentinel endpoints: the master found at the last connect, and the Sentinel that named it
  // (asked first next time).
  std::string master_host_;
  std::uint16_t master_port_ = 0;
  std::size_t sentinel_index_ = 0;
  std::uint64_t sentinel_failures_ = 0;  // discoveries failed in a row
  asio::steady_timer closed_signal_;
  asio::steady_timer retry_timer_;
  asio::steady_timer write_wakeup_;      // the writer sleeps on it while the outbox is empty
  asio::steady_timer connected_signal_;  // wait_connected() sleeps on it
  std::unique_ptr<resp_reader> reader_;
  std::deque<std::shared_ptr<call>> waiting_;
  std::string outbox_;
  std::uint64_t generation_ = 0;  // connections made; tags each connection's reader and writer
  bool connected_ = false;        // the socket is up (the handshake may still be running)
  bool ready_ = false;            // the handshake is done: run() may send
  bool reconnect_wanted_ = false; // a READONLY reply: the server became a replica
  bool stopped_ = false;
  bool auth_refused_ = false;
  std::function<void()> on_connect_;
  std::function<void()> on_disconnect_;
  std::uint64_t commands_sent_ = 0;
};

}  // namespace tandem::layer
