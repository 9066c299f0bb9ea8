// tandem-layer-peer: the C++ channel layer driven over stdin/stdout, one JSON object per line,
// so the Python interop tests and benchmarks can put it face to face with real channels_redis.
// Messages cross the pipe as msgpack hex, which keeps every type exact (str vs bytes, int vs
// float). Requests: {"id", "op", ...} → replies {"id", ...}; deliveries arrive as
// {"event": "message", "channel", "message_hex"} unless --count-only is given.
#include <CLI/CLI.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <istream>

#include "asio/asio.hpp"
#include "crypto/digest.hpp"
#include "layer/channel_layer.hpp"
#include "layer/msgpack_codec.hpp"

using namespace tandem;
using json = nlohmann::json;

namespace {

std::string
from_hex(std::string_view hex)
{
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string{hex.substr(i, 2)}, nullptr, 16)));
  return out;
}

void
emit(json const& line)
{
  std::cout << line.dump() << '\n' << std::flush;
}

struct peer {
  std::shared_ptr<layer::channel_layer> layer;
  bool count_only = false;
  std::uint64_t received = 0;

  layer::message decode(json const& request) const
  {
    auto decoded = layer::decode_msgpack(from_hex(request.at("message_hex").get<std::string>()));
    if (!decoded.value) throw std::invalid_argument{"message_hex: " + decoded.error};
    return std::move(*decoded.value);
  }

  awaitable<json> bench(json const& request)
  {
    auto const count = request.at("count").get<std::size_t>();
    auto const window = request.value("window", std::size_t{64});
    auto const msg = decode(request);
    bool const group = request.at("op") == "bench_group_send";
    std::string const target = group ? request.at("group").get<std::string>() : request.at("channel").get<std::string>();
    auto const commands_before = layer->commands_sent();
    auto const started = std::chrono::steady_clock::now();
    std::size_t ok = 0, in_flight = 0, issued = 0;
    asio::steady_timer idle{co_await asio::this_coro::executor};
    // Keep `window` operations in flight, as a busy sidecar would.
    while (ok < count) {
      while (issued < count && in_flight < window) {
        ++issued;
        ++in_flight;
        asio::co_spawn(idle.get_executor(), [this, group, target, msg, &ok, &in_flight, &idle]() -> awaitable<void> {
          if (group) {
            auto r = co_await layer->group_send(target, msg);
            if (r.status == layer::send_status::ok) ++ok;
          } else if (co_await layer->send(target, msg) == layer::send_status::ok) {
            ++ok;
          }
          --in_flight;
          idle.cancel();
        }, asio::detached);
      }
      idle.expires_after(std::chrono::seconds{30});
      error_code ec;
      co_await idle.async_wait(as_value(ec));
      if (!ec) break;  // nothing finished in 30 s: give up and report
      if (issued == count && in_flight == 0) break;
    }
    double const elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    co_return json{{"ok", ok}, {"elapsed_s", elapsed}, {"commands", layer->commands_sent() - commands_before}};
  }

  awaitable<json> handle(json const& request)
  {
    auto const op = request.at("op").get<std::string>();
    if (op == "new_channel") co_return json{{"channel", layer->new_channel()}};
    if (op == "release_channel") {
      layer->release_channel(request.at("channel").get<std::string>());
      co_return json{{"status", "ok"}};
    }
    if (op == "send") {
      auto status = co_await layer->send(request.at("channel").get<std::string>(), decode(request));
      co_return json{{"status", layer::send_status_name(status)}};
    }
    if (op == "group_add" || op == "group_discard") {
      auto group = request.at("group").get<std::string>();
      auto channel = request.at("channel").get<std::string>();
      auto status = layer::send_status::ok;
      if (op == "group_add")
        status = co_await layer->group_add(group, channel);
      else
        status = co_await layer->group_discard(group, channel);
      co_return json{{"status", layer::send_status_name(status)}};
    }
    if (op == "group_send") {
      auto r = co_await layer->group_send(request.at("group").get<std::string>(), decode(request));
      co_return json{{"status", layer::send_status_name(r.status)}, {"members", r.members}, {"over_capacity", r.over_capacity}};
    }
    if (op == "flush") {
      auto const status = co_await layer->flush();
      co_return json{{"status", layer::send_status_name(status)}};
    }
    if (op == "bench_send" || op == "bench_group_send") {
      auto result = co_await bench(request);
      co_return result;
    }
    if (op == "wait_ready") {
      auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds{request.value("timeout_s", 10)};
      asio::steady_timer t{co_await asio::this_coro::executor};
      while (!layer->ready() && std::chrono::steady_clock::now() < deadline) {
        t.expires_after(std::chrono::milliseconds{20});
        error_code ec;
        co_await t.async_wait(as_value(ec));
      }
      co_return json{{"ready", layer->ready()}};
    }
    if (op == "stats") {
      auto const& s = layer->stats();
      co_return json{{"client_prefix", layer->client_prefix()}, {"queue_key", layer->queue_key()},
                     {"received_events", received}, {"sent", s.sent}, {"send_full", s.send_full},
                     {"group_sends", s.group_sends}, {"group_over_capacity", s.group_over_capacity},
                     {"pending_messages", layer->pending_messages()}, {"pending_dropped", s.pending_dropped},
                     {"received", s.received}, {"local_deliveries", s.local_deliveries},
                     {"dropped_undecodable", s.dropped_undecodable}, {"dropped_expired", s.dropped_expired},
                     {"dropped_unknown_channel", s.dropped_unknown_channel}, {"commands", layer->commands_sent()},
                     {"ready", layer->ready()}};
    }
    throw std::invalid_argument{"unknown op " + op};
  }

  awaitable<void> serve(json request)
  {
    json reply;
    try {
      reply = co_await handle(request);
    } catch (std::exception const& e) {
      reply = json{{"error", e.what()}};
    }
    reply["id"] = request.value("id", 0);
    emit(reply);
  }

  awaitable<void> read_stdin()
  {
    asio::posix::stream_descriptor input{co_await asio::this_coro::executor, ::dup(STDIN_FILENO)};
    asio::streambuf buffer;
    for (;;) {
      error_code ec;
      co_await asio::async_read_until(input, buffer, '\n', as_value(ec));
      if (ec) break;  // stdin closed: the test is over
      std::istream in{&buffer};
      std::string line;
      std::getline(in, line);
      if (line.empty()) continue;
      json request;
      try {
        request = json::parse(line);
      } catch (std::exception const& e) {
        emit(json{{"error", std::string{"bad request: "} + e.what()}});
        continue;
      }
      asio::co_spawn(input.get_executor(), serve(std::move(request)), asio::detached);
    }
    layer->stop();
  }
};

}  // namespace

int
main(int argc, char** argv)
{
  CLI::App app{"Drives Tandem's channel layer over stdin/stdout for interop tests"};
  layer::layer_config config;
  std::string format = "msgpack";
  std::int64_t group_refresh_s = 0;
  bool count_only = false;
  bool no_fast_path = false;
  std::vector<std::string> capacity_rules;
  app.add_option("--host", config.hosts, "Redis host (repeat for shards, in ring order)")->required();
  app.add_option("--prefix", config.prefix);
  app.add_option("--expiry", config.expiry_s);
  app.add_option("--group-expiry", config.group_expiry_s);
  app.add_option("--capacity", config.capacity);
  app.add_option("--channel-capacity", capacity_rules, "PATTERN=N, in order");
  app.add_option("--key", config.symmetric_encryption_keys, "symmetric encryption key (first encrypts)");
  app.add_option("--format", format)->check(CLI::IsMember({"msgpack", "json"}));
  app.add_option("--group-refresh", group_refresh_s, "seconds between membership refreshes");
  app.add_flag("--count-only", count_only, "count deliveries instead of printing them");
  app.add_flag("--no-fast-path", no_fast_path, "send group messages for own channels through Redis too");
  CLI11_PARSE(app, argc, argv);
  for (auto const& rule : capacity_rules) {
    auto const eq = rule.rfind('=');
    config.channel_capacity.emplace_back(rule.substr(0, eq), std::stoul(rule.substr(eq + 1)));
  }
  config.format = format == "json" ? layer::serializer_format::json : layer::serializer_format::msgpack;
  config.group_refresh = std::chrono::seconds{group_refresh_s};
  config.local_fast_path = !no_fast_path;
  spdlog::set_default_logger(spdlog::stderr_color_mt("peer"));

  asio::io_context io{1};
  peer p;
  p.count_only = count_only;
  p.layer = layer::channel_layer::create(io.get_executor(), config);
  p.layer->start([&p](std::string const& channel, layer::message const& msg) {
    ++p.received;
    if (!p.count_only) emit(json{{"event", "message"}, {"channel", channel}, {"message_hex", crypto::to_hex(layer::encode_msgpack(msg))}});
  });
  asio::co_spawn(io, p.read_stdin(), asio::detached);
  io.run();
  return 0;
}
