// The socket transport (net/ws_transport.hpp) against an in-process peer whose writes are
// delayed, split, failed and reset (probe_stream.hpp).
//
// Beast's WebSocket stream checks "one write operation at a time" with BOOST_ASSERT, which the
// release build compiles out. This executable turns those checks into a recorded failure
// (BOOST_ENABLE_ASSERT_HANDLER, before any include): a second async_write started while one is
// in flight is counted in `assertion_failures`, whatever NDEBUG says. Its own executable, so no
// other test's translation units see a different BOOST_ASSERT.
#define BOOST_ENABLE_ASSERT_HANDLER 1

#include <boost/assert.hpp>

#include <atomic>
#include <string>
#include <vector>

namespace {
std::atomic<int> assertion_failures{0};
std::vector<std::string> assertion_texts;
}  // namespace

namespace boost {
void
assertion_failed(char const* expr, char const* function, char const*, long)
{
  ++assertion_failures;
  assertion_texts.push_back(std::string{expr} + " in " + function);
}
void
assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file, long line)
{
  assertion_failed(expr, function, file, line);
  assertion_texts.back() += std::string{": "} + msg;
}
}  // namespace boost

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <stdexcept>

#include "net/probe_stream.hpp"
#include "net/ws_transport.hpp"
#include "run_until.hpp"

namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tandem::awaitable;
using tandem::error_code;
using tandem::net::transport_settings;
using tandem::net::ws_transport;
using tandem::testing::probe_state;
using tandem::testing::probe_stream;
using tandem::testing::run_until;
namespace asio = tandem::asio;

using transport = ws_transport<probe_stream>;
using client_stream = websocket::stream<beast::test::stream>;

/// A transport and the browser at the other end of it, upgraded.
struct socket_pair {
  asio::io_context ioc;
  std::shared_ptr<probe_state> probe = std::make_shared<probe_state>();
  tandem::ops::thread_metrics metrics;
  int finished_calls = 0;
  std::shared_ptr<transport> server;
  std::unique_ptr<client_stream> client;

  /// `deflate_window_bits`: both ends offer permessage-deflate with that window.
  explicit socket_pair(transport_settings settings, std::size_t write_size = 7, int deflate_window_bits = 0)
  {
    beast::test::stream server_end{ioc}, client_end{ioc};
    server_end.connect(client_end);
    server_end.write_size(write_size);  // every frame leaves in several partial writes
    server = std::make_shared<transport>(probe_stream{std::move(server_end), probe}, settings, metrics, "test",
                                         [this] { ++finished_calls; });
    client = std::make_unique<client_stream>(std::move(client_end));
    if (deflate_window_bits != 0) {
      websocket::permessage_deflate deflate;
      deflate.server_enable = deflate.client_enable = true;
      deflate.server_max_window_bits = deflate.client_max_window_bits = deflate_window_bits;
      server->stream().set_option(deflate);
      client->set_option(deflate);
    }
    bool accepted = false, shook = false;
    asio::co_spawn(ioc, accept(accepted), asio::detached);
    asio::co_spawn(
        ioc, [this, &shook]() -> awaitable<void> {
          co_await client->async_handshake("localhost", "/", asio::use_awaitable);
          shook = true;
        },
        asio::detached);
    REQUIRE(run_until(ioc, [&] { return accepted && shook; }));
  }

  awaitable<void> accept(bool& accepted)
  {
    beast::flat_buffer buffer;
    beast::http::request<beast::http::string_body> request;
    co_await beast::http::async_read(server->stream().next_layer(), buffer, request, asio::use_awaitable);
    accepted = co_await server->accept(request);
  }

  /// Reads messages on the server until reading ends: each one's text into `received`, then `ended`.
  void read_on_server(std::vector<std::string>& received, bool& ended)
  {
    asio::co_spawn(
        ioc,
        [transport = server, &received, &ended]() -> awaitable<void> {
          while (auto inbound = co_await transport->read()) received.push_back(std::move(inbound->text));
          ended = true;
        },
        asio::detached);
  }

  /// The writer, run whenever there is something to write; each run holds the transport.
  void start_writer() { server->start_writer(server); }

  /// Reads frames on the client until the close frame (or an error); returns the texts.
  awaitable<void> read_all(std::vector<std::string>& texts, bool& done)
  {
    for (;;) {
      beast::flat_buffer buffer;
      error_code ec;
      co_await client->async_read(buffer, tandem::as_value(ec));
      if (ec) break;
      texts.push_back(beast::buffers_to_string(buffer.data()));
    }
    done = true;
  }
};

transport_settings
quick_settings()
{
  transport_settings settings;
  settings.ping_interval = std::chrono::milliseconds{20};
  settings.close_grace = std::chrono::milliseconds{500};
  return settings;
}

}  // namespace

TEST_CASE("the writer never has two writes in flight, with slow split writes, pings and a close competing", "[net]")
{
  assertion_failures = 0;
  auto settings = quick_settings();
  settings.close_grace = std::chrono::seconds{30};  // the flush takes a while at 2 ms per piece
  settings.ping_interval = std::chrono::milliseconds{5};
  // Pings wait behind queued frames (the writer sends them when the queue is empty), so a long
  // flush would count as missed pongs; this test is about the writes, not the pong deadline.
  settings.missed_pongs_allowed = 1'000'000;
  socket_pair pair{settings, 32};
  pair.probe->delay = std::chrono::milliseconds{2};
  pair.start_writer();
  pair.server->start_pings();
  // The server reads as a session does, so the browser's pongs count.
  asio::co_spawn(
      pair.ioc,
      [server = pair.server]() -> awaitable<void> {
        while (co_await server->read()) {
        }
      },
      asio::detached);
  int pings_seen = 0;
  pair.client->control_callback([&](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::ping) ++pings_seen;
  });
  std::vector<std::string> texts;
  bool done = false;
  asio::co_spawn(pair.ioc, pair.read_all(texts, done), asio::detached);
  // Frames arrive in bursts while writes are pending; between bursts the queue empties and the
  // due pings (every 5 ms) go out, so frames, pings and finally the close all compete.
  std::vector<std::string> sent;
  for (int i = 0; i < 40; ++i)
    sent.push_back("frame " + std::to_string(i) + std::string(static_cast<std::size_t>(i) * 3, 'x'));
  asio::co_spawn(
      pair.ioc,
      [&pair, &sent]() -> awaitable<void> {
        asio::steady_timer pause{pair.ioc};
        for (std::size_t i = 0; i < sent.size(); ++i) {
          pair.server->enqueue(sent[i]);
          if (i % 4 != 3) continue;
          pause.expires_after(std::chrono::milliseconds{25});
          co_await pause.async_wait(asio::use_awaitable);
        }
      },
      asio::detached);
  REQUIRE(run_until(pair.ioc, [&] { return texts.size() >= 20; }));
  pair.server->close_soon(websocket::close_code::normal, "bye");
  REQUIRE(run_until(pair.ioc, [&] { return done; }));
  INFO((assertion_texts.empty() ? std::string{} : assertion_texts.front()));
  CHECK(assertion_failures == 0);
  CHECK(pair.probe->most_in_flight == 1);
  CHECK(pair.probe->writes > texts.size());  // split: frames leave in several partial writes
  // Everything queued before the close, in order (the bursts after it are refused).
  REQUIRE(texts.size() >= 20);
  CHECK(texts == std::vector<std::string>(sent.begin(), sent.begin() + static_cast<std::ptrdiff_t>(texts.size())));
  CHECK(pair.client->reason().code == websocket::close_code::normal);
  CHECK(pair.metrics.messages_out.load() == texts.size());
  CHECK(pings_seen > 0);
}

TEST_CASE("a second writer would be caught: two async_writes on one stream trip Beast's check", "[net]")
{
  // The check the test above relies on, seen failing: what an unserialised transport would do.
  assertion_failures = 0;
  socket_pair pair{quick_settings()};
  pair.probe->delay = std::chrono::milliseconds{3};
  std::string const one = "one", two = "two";
  int written = 0;
  for (auto const* text : {&one, &two})
    pair.server->stream().async_write(asio::buffer(*text), [&](error_code, std::size_t) { ++written; });
  run_until(pair.ioc, [&] { return written == 2; }, std::chrono::seconds{5});
  CHECK(assertion_failures > 0);
}

TEST_CASE("finish runs once when the read loop throws, and once more finish calls change nothing", "[net]")
{
  socket_pair pair{quick_settings()};
  pair.start_writer();
  bool thrown = false;
  auto server = pair.server;
  asio::co_spawn(
      pair.ioc,
      [server]() -> awaitable<void> {
        transport::finish_guard const guard{*server};
        auto const first = co_await server->read();
        if (first) throw std::runtime_error{"handler failed on " + first->text};
      },
      [&](std::exception_ptr error) {
        thrown = error != nullptr;
        server->finish();  // as a failed part does (websocket_session::spawn_part)
      });
  std::string const hello = "hello";
  pair.client->async_write(asio::buffer(hello), [](error_code, std::size_t) {});
  REQUIRE(run_until(pair.ioc, [&] { return thrown; }));
  CHECK(pair.finished_calls == 1);
  CHECK(pair.server->finished());
  pair.server->finish();
  pair.server->enqueue(std::string{"after the end"});
  CHECK(pair.finished_calls == 1);
  CHECK(pair.server->queued_frames() == 0);
  // The connection is gone: the browser's read ends.
  std::vector<std::string> texts;
  bool done = false;
  asio::co_spawn(pair.ioc, pair.read_all(texts, done), asio::detached);
  REQUIRE(run_until(pair.ioc, [&] { return done; }));
  CHECK(texts.empty());
}

TEST_CASE("the finish guard stays out of a world being torn down", "[net]")
{
  socket_pair pair{quick_settings()};
  bool tearing_down = true;
  {
    transport::finish_guard const guard{*pair.server, &tearing_down};
  }
  CHECK(pair.finished_calls == 0);
  {
    transport::finish_guard const guard{*pair.server};
  }
  CHECK(pair.finished_calls == 1);
}

TEST_CASE("a queue past its frame budget closes the socket with 1013 (docs/configuration.md)", "[net]")
{
  auto settings = quick_settings();
  settings.queue_frames = 4;
  socket_pair pair{settings};
  pair.probe->delay = std::chrono::milliseconds{5};  // a slow reader: frames pile up
  pair.start_writer();
  for (int i = 0; i < 10; ++i) pair.server->enqueue("frame " + std::to_string(i));
  CHECK(pair.server->closing());
  CHECK(pair.metrics.slow_reader_closes.load() == 1);
  std::vector<std::string> texts;
  bool done = false;
  asio::co_spawn(pair.ioc, pair.read_all(texts, done), asio::detached);
  REQUIRE(run_until(pair.ioc, [&] { return done; }));
  CHECK(pair.client->reason().code == websocket::close_code::try_again_later);
  CHECK(texts.size() <= 1);  // at most the frame already being written
}

TEST_CASE("a queue past its byte budget closes the socket with 1013 (docs/configuration.md)", "[net]")
{
  auto settings = quick_settings();
  settings.queue_bytes = 100;
  socket_pair pair{settings};
  pair.server->enqueue(std::string(60, 'a'));
  CHECK_FALSE(pair.server->closing());
  CHECK(pair.server->queued_bytes() == 60);
  pair.server->enqueue(std::string(60, 'b'));
  CHECK(pair.server->closing());
  CHECK(pair.server->queued_bytes() == 0);
  pair.start_writer();
  std::vector<std::string> texts;
  bool done = false;
  asio::co_spawn(pair.ioc, pair.read_all(texts, done), asio::detached);
  REQUIRE(run_until(pair.ioc, [&] { return done; }));
  CHECK(texts.empty());
  CHECK(pair.client->reason().code == websocket::close_code::try_again_later);
}

TEST_CASE("one shared buffer queued for many sockets reaches each of them whole", "[net]")
{
  socket_pair a{quick_settings(), 5}, b{quick_settings(), 11};
  a.probe->delay = std::chrono::milliseconds{2};
  auto const frame = std::make_shared<std::string const>(std::string(200, 'z'));
  a.start_writer();
  b.start_writer();
  a.server->enqueue(frame);
  b.server->enqueue(frame);
  a.server->close_soon(websocket::close_code::normal, {});
  b.server->close_soon(websocket::close_code::normal, {});
  std::vector<std::string> texts_a, texts_b;
  bool done_a = false, done_b = false;
  asio::co_spawn(a.ioc, a.read_all(texts_a, done_a), asio::detached);
  asio::co_spawn(b.ioc, b.read_all(texts_b, done_b), asio::detached);
  REQUIRE(run_until(a.ioc, [&] { return done_a; }));
  REQUIRE(run_until(b.ioc, [&] { return done_b; }));
  CHECK(texts_a == std::vector<std::string>{*frame});
  CHECK(texts_b == std::vector<std::string>{*frame});
}

TEST_CASE("a peer that answers no pings is closed with 1001, and cut when it cannot take the close", "[net]")
{
  auto settings = quick_settings();
  settings.ping_interval = std::chrono::milliseconds{10};
  settings.close_grace = std::chrono::milliseconds{50};
  socket_pair pair{settings};
  pair.start_writer();
  pair.server->start_pings();
  // The browser reads nothing (so answers no ping); the server's read loop runs as in a session.
  auto server = pair.server;
  asio::co_spawn(
      pair.ioc,
      [server]() -> awaitable<void> {
        transport::finish_guard const guard{*server};
        while (co_await server->read()) {
        }
      },
      asio::detached);
  REQUIRE(run_until(pair.ioc, [&] { return pair.finished_calls == 1; }));
  // What reached the browser, read raw (a WebSocket client would try to answer the pings on a
  // connection that is gone): pings, then the close frame: FIN+close, length 9, 1001, "no pong".
  auto const raw = pair.client->next_layer().str();
  CHECK(raw.find(std::string{"\x88\x09\x03\xe9no pong", 11}) != std::string::npos);
  CHECK(raw.find(std::string{"\x89\x00", 2}) != std::string::npos);  // a ping went out first
}

TEST_CASE("a write that fails (a reset) ends the writer; the read side then finishes the socket once", "[net]")
{
  socket_pair pair{quick_settings()};
  pair.probe->fail_from = 3;  // the second frame's pieces fail
  pair.start_writer();
  auto server = pair.server;
  bool read_ended = false;
  asio::co_spawn(
      pair.ioc,
      [server, &read_ended]() -> awaitable<void> {
        transport::finish_guard const guard{*server};
        while (co_await server->read()) {
        }
        read_ended = true;
      },
      asio::detached);
  pair.server->enqueue(std::string{"first"});
  pair.server->enqueue(std::string(30, 'y'));
  REQUIRE(run_until(pair.ioc, [&] { return pair.probe->writes >= 3; }));
  pair.client->next_layer().close();  // the peer's side of the reset
  REQUIRE(run_until(pair.ioc, [&] { return read_ended && pair.finished_calls == 1; }));
  CHECK(pair.metrics.messages_out.load() <= 1);
  pair.server->finish();
  CHECK(pair.finished_calls == 1);
}

TEST_CASE("a socket waiting for its next message holds no read buffer, whatever it read before (memory per idle socket)", "[net]")
{
  // Goal W1: every idle socket waits in read(). Beast's async_read prepares 1.5 KB of buffer
  // before any byte arrives; the transport reads a message's first bytes into an array of its
  // own instead, and a longer message's rest into a buffer released once it is handed over.
  // Messages of every length around that array's size, an empty one, and a message the client
  // sends in fragments, all arriving five bytes at a time, come out whole and in order.
  auto const settings = quick_settings();
  socket_pair pair{settings};
  pair.client->next_layer().write_size(5);
  auto const n = tandem::net::first_bytes_size;
  std::vector<std::string> const sent{"small", std::string(n - 1, 'a'), std::string(n, 'b'), std::string(n + 1, 'c'),
                                      "", std::string(64 * 1024, 'L'), std::string(3 * n, 'd'), "after"};
  std::string const fragmented = "first fragment, " + std::string(n, 'e') + ", last fragment";
  std::vector<std::string> received;
  std::vector<std::size_t> capacities;
  auto server = pair.server;
  asio::co_spawn(
      pair.ioc,
      [server, &received, &capacities]() -> awaitable<void> {
        while (auto inbound = co_await server->read()) {
          received.push_back(std::move(inbound->text));
          capacities.push_back(server->read_buffer_capacity());
        }
      },
      asio::detached);
  asio::co_spawn(
      pair.ioc,
      [&pair, &sent, &fragmented]() -> awaitable<void> {
        for (auto const& text : sent) co_await pair.client->async_write(asio::buffer(text), asio::use_awaitable);
        auto const split = fragmented.size() / 3;
        co_await pair.client->async_write_some(false, asio::buffer(fragmented.data(), split), asio::use_awaitable);
        co_await pair.client->async_write_some(false, asio::buffer(fragmented.data() + split, split),
                                               asio::use_awaitable);
        co_await pair.client->async_write_some(true, asio::buffer(fragmented.data() + 2 * split,
                                                                  fragmented.size() - 2 * split),
                                               asio::use_awaitable);
      },
      asio::detached);
  REQUIRE(run_until(pair.ioc, [&] { return received.size() == sent.size() + 1; }));
  for (std::size_t i = 0; i < sent.size(); ++i) CHECK(received[i] == sent[i]);
  CHECK(received.back() == fragmented);
  for (auto const capacity : capacities) CHECK(capacity == 0);
  // Parked in read() again, waiting for a message that has not come.
  pair.ioc.run_for(std::chrono::milliseconds{5});
  CHECK(server->read_buffer_capacity() == 0);
  pair.server->finish();
}

TEST_CASE("compressed messages are read whole: Beast 1.74 fails one whose inflated bytes fill a small buffer as its input ends", "[net]")
{
  // boostorg/beast#3028 (fixed after Boost 1.74): with permessage-deflate, a read whose buffer
  // fills just as the inflater takes the message's last input fails the next read of that
  // message with partial_deflate_block. Reading a message's first 256 bytes on their own met it
  // at message 1,009 of this sequence (257 bytes); with deflate the transport reads whole messages.
  auto settings = quick_settings();
  settings.compressed = true;
  socket_pair pair{settings, 7, 10};
  std::mt19937 random{3};
  char const* const words[] = {"\"type\":", "\"send\"", "\"text\":", "\"hello\"", "\"client_id\":", "\"abc-123\"", ",",
                               "{", "}", " world", "\xc3\xa9", "chat", "42"};
  std::vector<std::string> sent;
  for (int i = 0; i < 1100; ++i) {
    std::string text = "{";
    auto const length = 200 + random() % 700;
    while (text.size() < length) text += words[random() % 13];
    sent.push_back(text + "}");
  }
  std::vector<std::string> received;
  bool ended = false;
  pair.read_on_server(received, ended);
  asio::co_spawn(
      pair.ioc,
      [&pair, &sent]() -> awaitable<void> {
        for (auto const& text : sent) co_await pair.client->async_write(asio::buffer(text), asio::use_awaitable);
      },
      asio::detached);
  REQUIRE(run_until(pair.ioc, [&] { return ended || received.size() == sent.size(); }));
  REQUIRE(received.size() == sent.size());
  CHECK(received == sent);
  pair.server->finish();
}

TEST_CASE("a message past the size limit ends reading after its first bytes or its rest (1009)", "[net]")
{
  auto settings = quick_settings();
  for (std::size_t const limit : {std::size_t{64}, 4 * tandem::net::first_bytes_size}) {
    socket_pair pair{settings};
    pair.client->next_layer().write_size(5);
    pair.server->stream().read_message_max(limit);
    std::vector<std::string> received;
    bool ended = false;
    pair.read_on_server(received, ended);
    std::string const fits(limit, 'f');
    std::string const too_big(limit + 1, 'x');
    asio::co_spawn(
        pair.ioc,
        [&pair, &fits, &too_big]() -> awaitable<void> {
          co_await pair.client->async_write(asio::buffer(fits), asio::use_awaitable);
          error_code ec;
          co_await pair.client->async_write(asio::buffer(too_big), tandem::as_value(ec));
        },
        asio::detached);
    REQUIRE(run_until(pair.ioc, [&] { return ended; }));
    REQUIRE(received.size() == 1);
    CHECK(received[0] == fits);
    auto const codes = tandem::core::all_error_codes();
    auto const index = std::find(codes.begin(), codes.end(), tandem::core::error_code::frame_too_large) - codes.begin();
    CHECK(pair.metrics.errors[static_cast<std::size_t>(index)].load() == 1);
    CHECK(pair.server->read_buffer_capacity() == 0);
    pair.server->finish();
  }
}

TEST_CASE("the writer runs only while there is something to write (memory per idle socket)", "[net]")
{
  // Goal W1: an idle socket holds no writer coroutine. A frame starts one, which ends once the
  // frame is out; a due ping and the close start it again.
  auto settings = quick_settings();
  settings.ping_interval = std::chrono::milliseconds{30};
  settings.missed_pongs_allowed = 1'000'000;
  socket_pair pair{settings};
  pair.start_writer();
  CHECK_FALSE(pair.server->writing());
  int pings_seen = 0;
  pair.client->control_callback([&](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::ping) ++pings_seen;
  });
  std::vector<std::string> texts;
  bool done = false;
  asio::co_spawn(pair.ioc, pair.read_all(texts, done), asio::detached);
  pair.server->enqueue(std::string{"one"});
  pair.server->enqueue(std::string{"two"});
  CHECK(pair.server->writing());
  REQUIRE(run_until(pair.ioc, [&] { return texts.size() == 2 && !pair.server->writing(); }));
  CHECK(pair.server->queued_frames() == 0);
  pair.server->start_pings();
  REQUIRE(run_until(pair.ioc, [&] { return pings_seen >= 2 && !pair.server->writing(); }));
  pair.server->enqueue(std::string{"three"});
  pair.server->close_soon(websocket::close_code::normal, "bye");
  REQUIRE(run_until(pair.ioc, [&] { return done; }));
  CHECK(texts == std::vector<std::string>{"one", "two", "three"});
  CHECK(pair.client->reason().code == websocket::close_code::normal);
  CHECK_FALSE(pair.server->writing());
  pair.server->finish();
}

TEST_CASE("no writer starts once the transport's owner is gone or the socket finished", "[net]")
{
  socket_pair pair{quick_settings()};
  auto owner = std::make_shared<int>(0);
  pair.server->start_writer(owner);
  owner.reset();  // the session is being destroyed: nothing may run on it any more
  pair.server->enqueue(std::string{"late"});
  CHECK_FALSE(pair.server->writing());
  pair.server->finish();
  pair.start_writer();  // "late" still waits, but the connection is cut: no writer for it
  pair.server->close_soon(websocket::close_code::normal, {});
  pair.server->enqueue(std::string{"after the end"});
  CHECK_FALSE(pair.server->writing());
  pair.ioc.run_for(std::chrono::milliseconds{50});
  CHECK(pair.metrics.messages_out.load() == 0);
}

TEST_CASE("pings started after the close began do not take the close deadline's timer", "[net]")
{
  // One timer serves the pings and then the close deadline (memory per idle socket). A socket
  // closed before its pings start (an early event closes it, a drain) must still be cut at
  // close_grace when the peer never answers the close, not at Beast's handshake timeout.
  auto settings = quick_settings();
  settings.close_grace = std::chrono::milliseconds{50};
  settings.handshake_timeout = std::chrono::seconds{60};
  socket_pair pair{settings};
  pair.start_writer();
  auto server = pair.server;
  asio::co_spawn(
      pair.ioc,
      [server]() -> awaitable<void> {
        transport::finish_guard const guard{*server};
        while (co_await server->read()) {
        }
      },
      asio::detached);
  pair.server->close_soon(websocket::close_code::going_away, "going");
  pair.server->start_pings();
  // The browser reads nothing, so it never answers the close.
  REQUIRE(run_until(pair.ioc, [&] { return pair.finished_calls == 1; }, std::chrono::seconds{5}));
  auto const raw = pair.client->next_layer().str();
  CHECK(raw.find(std::string{"\x88\x07\x03\xe9going", 9}) != std::string::npos);
}
