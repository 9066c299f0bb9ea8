#include "layer/redis_server.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "asio/asio.hpp"

extern char** environ;

namespace tandem::testing {

namespace {

std::uint16_t
free_loopback_port()
{
  asio::io_context ctx;
  asio::ip::tcp::acceptor acceptor{ctx, {asio::ip::make_address("127.0.0.1"), 0}};
  return acceptor.local_endpoint().port();
}

bool
accepts(std::uint16_t port)
{
  asio::io_context ctx;
  asio::ip::tcp::socket socket{ctx};
  error_code ec;
  socket.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  return !ec;
}

}  // namespace

redis_server::redis_server() : port_{free_loopback_port()}
{
  std::string const port = std::to_string(port_);
  std::vector<std::string> args{"redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--loglevel", "warning"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (posix_spawnp(&pid_, "redis-server", nullptr, nullptr, argv.data(), environ) != 0)
    throw std::runtime_error{"cannot start redis-server (is it on PATH?)"};
  // Generous: the machine may be busy building.
  auto const give_up = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  while (!accepts(port_)) {
    if (std::chrono::steady_clock::now() > give_up) throw std::runtime_error{"redis-server did not start"};
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
}

redis_server::~redis_server()
{
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

}  // namespace tandem::testing
