// Start-up order: workers (layer connects in the background), listeners bound (a bad address
// fails start-up at once), threads running. Drain order: readyz 503 and stop accepting, leave
// the groups and close sockets with 1012 after their queues flush, wait (bounded by
// drain_deadline), wind each worker down (publishes, discards, presence release), stop.
#include "app/server.hpp"

#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <csignal>

#include "app/settings_mapping.hpp"
#include "asio/supervised_spawn.hpp"
#include "ops/logging.hpp"

namespace tandem::app {

namespace {

/// The most the end of a drain waits for presence and group discards to reach Redis.
constexpr std::chrono::milliseconds wind_down_limit{2000};

}  // namespace

server::server(sidecar_config config) : config_{std::move(config)}
{
  process_ = std::unique_ptr<net::process_state>(new net::process_state{
      to_server_settings(config_), to_messaging_settings(config_), to_presence_settings(config_),
      to_typing_settings(config_), to_session_settings(config_), to_origin_policy(config_),
      net::connection_limits{config_.max_connections_per_user, config_.max_connections}, {}, {}, {}});
  auto const threads =
      config_.threads > 0 ? static_cast<std::size_t>(config_.threads) : std::max(1u, std::thread::hardware_concurrency());
  auto const endpoint = net::parse_endpoint(config_.listen);
  // One held descriptor per listener: each can shed its backlog at once when all run out.
  descriptors_ = std::make_unique<net::descriptor_reserve>(threads + (config_.admin_listen.empty() ? 0 : 1));
  for (std::size_t i = 0; i < threads; ++i) {
    workers_.push_back(std::make_unique<net::io_worker>(*process_, to_layer_config(config_), to_pool_config(config_),
                                                        to_table_names(config_)));
    process_->metrics.push_back(&workers_.back()->metrics);
    listeners_.push_back(std::make_shared<net::listener>(*workers_.back(), endpoint, false, *descriptors_));
  }
  // The threads' layers share one Redis queue (read by the first) and hand each other messages
  // from thread to thread, not through Redis.
  auto queues = std::make_shared<layer::process_queues>(workers_.front()->layer->client_prefix());
  for (auto& w : workers_) queues->add(w->layer, w->ioc.get_executor());
  for (std::size_t i = 0; i < workers_.size(); ++i) workers_[i]->layer->share_process(queues, i);
  if (!config_.admin_listen.empty())
    listeners_.push_back(std::make_shared<net::listener>(*workers_.front(), net::parse_endpoint(config_.admin_listen), true,
                                                         *descriptors_));
}

server::~server() = default;

int
server::run()
{
  for (std::size_t i = 0; i < workers_.size(); ++i) workers_[i]->start(i == 0);
  for (auto& l : listeners_) l->start();
  spdlog::info("event=listening listen={} admin={} threads={} redis_shards={} session_engine={}",
               listeners_.front()->local_endpoint().address().to_string() + ":" +
                   std::to_string(listeners_.front()->local_endpoint().port()),
               config_.admin_listen.empty() ? "same" : config_.admin_listen, workers_.size(), config_.redis_hosts.size(),
               config_.session_engine);
  // Unauthenticated endpoints meant for tests and benchmarks: loud, so one left on in production
  // is noticed in the first lines of the log.
  if (config_.bench_shootout_endpoint)
    spdlog::warn("event=bench_endpoint_enabled endpoint=/ws/shootout/ setting=bench_shootout_endpoint "
                 "note=\"unauthenticated, for benchmarks only\"");
  if (config_.test_echo_endpoint)
    spdlog::warn("event=bench_endpoint_enabled endpoint=/ws/echo/ setting=test_echo_endpoint "
                 "note=\"unauthenticated, for tests only\"");

  auto& main_ioc = workers_.front()->ioc;
  signals_ = std::make_unique<asio::signal_set>(main_ioc, SIGTERM, SIGINT);
  signals_->async_wait([this](error_code ec, int signal) {
    if (ec) return;
    spdlog::info("event=drain_started signal={}", signal);
    start_drain();
    // A second signal means "now": an operator (or a supervisor) gave up waiting for the drain.
    signals_->async_wait([](error_code again_ec, int again) {
      if (again_ec) return;
      spdlog::warn("event=exit_now signal={}", again);
      // Not a shutdown (other threads may still be logging): give the log thread a moment to
      // write out what is queued, this line included.
      ops::drain_log_queue(500);
      ::_exit(128 + again);
    });
  });

  for (std::size_t i = 1; i < workers_.size(); ++i) threads_.emplace_back([w = workers_[i].get()] { w->ioc.run(); });
  main_ioc.run();
  for (auto& t : threads_) t.join();
  spdlog::info("event=stopped drain_ms={}",
               std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - drain_started_).count());
  return 0;
}

void
server::start_drain()
{
  drain_started_ = std::chrono::steady_clock::now();
  process_->draining.store(true);
  // Listener i runs on worker i; the admin listener (last, on worker 0) keeps answering /readyz
  // with 503 until the end.
  for (std::size_t i = 0; i < workers_.size(); ++i) asio::post(workers_[i]->ioc, [l = listeners_[i]] { l->stop(); });
  for (auto& w : workers_) asio::post(w->ioc, [w = w.get()] { w->close_all(1012); });
  auto const deadline =
      drain_started_ + std::chrono::milliseconds{static_cast<std::int64_t>(config_.drain_deadline * 1000.0)};
  drain_timer_ = std::make_unique<asio::steady_timer>(workers_.front()->ioc);
  finish_when_drained(deadline);
}

void
server::finish_when_drained(std::chrono::steady_clock::time_point deadline)
{
  // Sockets being upgraded count too (their client may already hold the 101); read before the
  // open counts, as a socket moves from one to the other in that order.
  std::uint64_t open = 0;
  for (auto const* m : process_->metrics) open += m->connections_upgrading.load();
  for (auto const* m : process_->metrics) open += m->connections_open.load();
  auto const now = std::chrono::steady_clock::now();
  if (open > 0 && now < deadline) {
    drain_timer_->expires_after(std::chrono::milliseconds{20});
    drain_timer_->async_wait([this, deadline](error_code ec) {
      if (!ec) finish_when_drained(deadline);
    });
    return;
  }
  if (open > 0) spdlog::warn("event=drain_deadline_passed open_sockets={}", open);
  else
    spdlog::info("event=drain_sockets_closed ms={}",
                 std::chrono::duration_cast<std::chrono::milliseconds>(now - drain_started_).count());
  // Each worker waits for its publishes and group discards to be answered (not for a fixed
  // sleep), releases its presence, then stops its own loop.
  for (auto& w : workers_) {
    auto* worker = w.get();
    spawn(worker->ioc, "worker_wind_down", [worker] { return worker->wind_down(wind_down_limit); }, [worker] {
      worker->stop();
      worker->ioc.stop();
    });
  }
}

}  // namespace tandem::app
