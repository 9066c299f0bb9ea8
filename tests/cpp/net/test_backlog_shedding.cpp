// Out of descriptors (net/backlog_shedding, net/descriptor_reserve): the connections waiting in
// a listener's backlog are answered 503 with a descriptor lent by the process's reserve, even
// when a lent descriptor is taken first by another thread, and the reserve is whole again once
// the process has descriptors to spare. Real listening sockets on loopback; the test lowers its
// own open-files limit and fills every free descriptor under it.
#include <catch2/catch.hpp>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "net/backlog_shedding.hpp"
#include "net/descriptor_reserve.hpp"

using tandem::net::descriptor_reserve;
using tandem::net::shed_backlog;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

int
open_null()
{
  return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/// Lowers the soft open-files limit to just above the highest descriptor open now and fills
/// every free one under it, so the next open or accept fails with EMFILE. Undone when destroyed.
class out_of_descriptors {
 public:
  out_of_descriptors()
  {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    int highest = 0;
    for (auto const& entry : std::filesystem::directory_iterator{"/proc/self/fd"})
      highest = std::max(highest, std::stoi(entry.path().filename().string()));
    rlimit lowered{static_cast<rlim_t>(highest) + 1, saved_.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &lowered) != 0) return;
    for (int fd = open_null(); fd >= 0; fd = open_null()) fillers_.push_back(fd);
    reached_ = errno == EMFILE;
  }
  ~out_of_descriptors()
  {
    for (int fd : fillers_) ::close(fd);
    ::setrlimit(RLIMIT_NOFILE, &saved_);
  }
  out_of_descriptors(out_of_descriptors const&) = delete;
  out_of_descriptors& operator=(out_of_descriptors const&) = delete;
  /// Checked by the test (REQUIRE), once constructed, so a failure still restores the limit.
  bool reached() const { return reached_; }

 private:
  bool reached_ = false;
  rlimit saved_{};
  std::vector<int> fillers_;
};

constexpr std::string_view upgrade_request =
    "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// Clients waiting in a backlog. Like browsers, they send their request at once: a socket closed
/// with that request unread would answer with a reset instead of the 503.
struct waiting_clients {
  waiting_clients(asio::io_context& ioc, tcp::acceptor const& acceptor, int count)
  {
    for (int i = 0; i < count; ++i) {
      auto& client = sockets.emplace_back(ioc);
      client.connect(acceptor.local_endpoint());  // queued in the backlog once connected
      asio::write(client, asio::buffer(upgrade_request));
    }
  }
  /// How many were answered 503 (each has its answer by now, or never will).
  int answered_503()
  {
    int answered = 0;
    for (auto& client : sockets) {
      client.non_blocking(true);
      std::string answer;
      boost::system::error_code ec;
      asio::read(client, asio::dynamic_buffer(answer), ec);
      int reset = 0;  // a reset after the FIN leaves its error here (EPIPE)
      socklen_t size = sizeof reset;
      ::getsockopt(client.native_handle(), SOL_SOCKET, SO_ERROR, &reset, &size);
      if (ec == asio::error::eof && reset == 0 && answer.rfind("HTTP/1.1 503", 0) == 0) ++answered;
    }
    return answered;
  }
  std::vector<tcp::socket> sockets;
};

/// A listener's shedding borrows a descriptor, another thread takes its slot first (here, an
/// open), so the borrower's accept fails. Returns the thief's descriptor.
int
lent_and_taken(descriptor_reserve& reserve)
{
  REQUIRE(reserve.lend());
  int const thief = open_null();
  REQUIRE(thief >= 0);
  reserve.give_back(-1);
  return thief;
}

tcp::acceptor
listening(asio::io_context& ioc)
{
  tcp::acceptor acceptor{ioc, tcp::endpoint{asio::ip::address_v4::loopback(), 0}};
  acceptor.non_blocking(true);
  return acceptor;
}

}  // namespace

TEST_CASE("out of descriptors, every waiting connection is answered 503 and the reserve is whole again",
          "[net][descriptors]")
{
  asio::io_context ioc;
  auto acceptor = listening(ioc);
  descriptor_reserve reserve{1};
  waiting_clients clients{ioc, acceptor, 5};
  {
    out_of_descriptors exhausted;
    REQUIRE(exhausted.reached());
    tcp::socket socket{ioc};
    boost::system::error_code ec;
    acceptor.accept(socket, ec);
    REQUIRE(ec == asio::error::no_descriptors);  // what the listener's accept loop sees
    CHECK(shed_backlog(acceptor, reserve) == 5);
    CHECK(reserve.held() == 1);
    CHECK(open_null() < 0);  // the lent slot went back to the reserve, not left free for anyone
  }
  CHECK(clients.answered_503() == 5);
}

TEST_CASE("a descriptor lent and taken by another thread first does not stop the other listeners",
          "[net][descriptors]")
{
  // Two listeners of one process (as every I/O thread has): the slot the first frees for its
  // accept goes to another thread (here, an open), so its accept fails. A spare of each
  // listener's own would leave that listener unable to answer its backlog from then on.
  asio::io_context ioc;
  auto first = listening(ioc);
  auto second = listening(ioc);
  descriptor_reserve reserve{2};
  waiting_clients at_first{ioc, first, 3};
  waiting_clients at_second{ioc, second, 3};
  int thief = -1;
  {
    out_of_descriptors exhausted;
    REQUIRE(exhausted.reached());
    thief = lent_and_taken(reserve);
    CHECK(shed_backlog(first, reserve) == 3);
    CHECK(shed_backlog(second, reserve) == 3);
    CHECK(reserve.held() == 1);
    ::close(thief);  // a descriptor frees: the reserve takes it back at its next use
    CHECK(shed_backlog(first, reserve) == 0);
    CHECK(reserve.held() == 2);
  }
  CHECK(at_first.answered_503() == 3);
  CHECK(at_second.answered_503() == 3);
}

TEST_CASE("a reserve emptied by other threads refills once descriptors are free again", "[net][descriptors]")
{
  asio::io_context ioc;
  auto acceptor = listening(ioc);
  descriptor_reserve reserve{1};
  waiting_clients clients{ioc, acceptor, 4};
  {
    out_of_descriptors exhausted;
    REQUIRE(exhausted.reached());
    int const thief = lent_and_taken(reserve);
    CHECK(shed_backlog(acceptor, reserve) == 0);  // nothing to lend, nothing free
    CHECK(reserve.held() == 0);
    ::close(thief);  // e.g. a connection of the process closed
    CHECK(shed_backlog(acceptor, reserve) == 4);
    CHECK(reserve.held() == 1);
  }
  CHECK(clients.answered_503() == 4);
}

TEST_CASE("with nothing waiting, the lent descriptor is taken back", "[net][descriptors]")
{
  asio::io_context ioc;
  auto acceptor = listening(ioc);
  descriptor_reserve reserve{1};
  out_of_descriptors exhausted;
  REQUIRE(exhausted.reached());
  CHECK(shed_backlog(acceptor, reserve) == 0);
  CHECK(reserve.held() == 1);
  CHECK(open_null() < 0);
}

TEST_CASE("one call answers at most its limit, and the next call goes on", "[net][descriptors]")
{
  asio::io_context ioc;
  auto acceptor = listening(ioc);
  descriptor_reserve reserve{1};
  waiting_clients clients{ioc, acceptor, 5};
  {
    out_of_descriptors exhausted;
    REQUIRE(exhausted.reached());
    CHECK(shed_backlog(acceptor, reserve, 3) == 3);
    CHECK(reserve.held() == 1);
    CHECK(shed_backlog(acceptor, reserve, 3) == 2);
    CHECK(reserve.held() == 1);
  }
  CHECK(clients.answered_503() == 5);
}

TEST_CASE("a reserve that cannot be opened fails at start-up, not at the first EMFILE", "[net][descriptors]")
{
  out_of_descriptors exhausted;
  REQUIRE(exhausted.reached());
  CHECK_THROWS_AS(descriptor_reserve{1}, std::system_error);
}

TEST_CASE("a descriptor lent is left free for the borrower, not reopened by another thread's top-up",
          "[net][descriptors]")
{
  descriptor_reserve reserve{2};
  out_of_descriptors exhausted;
  REQUIRE(exhausted.reached());
  REQUIRE(reserve.lend());
  reserve.top_up();  // another listener starting its own shedding, or after an accept
  CHECK_FALSE(reserve.is_short());
  int const borrowed = open_null();  // what the borrower's accept gets
  CHECK(borrowed >= 0);
  reserve.give_back(borrowed);
  CHECK(reserve.held() == 2);
  CHECK(open_null() < 0);
}
