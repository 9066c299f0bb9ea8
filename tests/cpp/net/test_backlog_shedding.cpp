// Out of descriptors (net/backlog_shedding, net/descriptor_reserve): the connections waiting in
// a listener's backlog are answered 503 with a descriptor lent by the process's reserve, even
// when a lent descriptor is taken first by another thread, and the reserve is whole again once
// the process has descriptors to spare. Real listening sockets on loopback; the test lowers its
// own open-files limit and fills every free descriptor under it. While it is out of them, the
// tests only record what they see and check it afterwards: Catch's checks under the sanitizers
// need a descriptor (UBSan's vptr check opens a pipe to probe memory, and reports a false error
// without one).
#include <catch2/catch.hpp>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
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

/// Lowers the soft open-files limit to just above the highest descriptor open now (plus
/// `left_free`) and fills every free one under it but `left_free`, so opens or accepts past those
/// fail with EMFILE. The room for `left_free` is made above the highest descriptor: a process
/// started with only 0, 1 and 2 open (as ctest may start it) has no gaps below it to leave free.
/// Undone when destroyed.
class out_of_descriptors {
 public:
  explicit out_of_descriptors(std::size_t left_free = 0)
  {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    int highest = 0;
    for (auto const& entry : std::filesystem::directory_iterator{"/proc/self/fd"})
      highest = std::max(highest, std::stoi(entry.path().filename().string()));
    rlimit lowered{static_cast<rlim_t>(highest) + 1 + left_free, saved_.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &lowered) != 0) return;
    for (int fd = open_null(); fd >= 0; fd = open_null()) fillers_.push_back(fd);
    reached_ = errno == EMFILE && fillers_.size() >= left_free;
    for (; left_free > 0 && !fillers_.empty(); --left_free) {
      ::close(fillers_.back());
      fillers_.pop_back();
    }
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

/// Out of descriptors, another listener's shedding borrows one and another thread takes its
/// slot first (here, an open), so the borrower's accept fails. Returns the thief's descriptor,
/// or -1 if the scene could not be set.
int
lent_and_taken(descriptor_reserve& reserve)
{
  if (!reserve.lend()) return -1;
  int const thief = open_null();
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
  bool reached = false;
  int accept_error = 0;
  std::size_t answered = 0;
  std::size_t held = 0;
  int free_slot = -1;
  {
    out_of_descriptors exhausted;
    reached = exhausted.reached();
    tcp::socket socket{ioc};
    boost::system::error_code ec;
    acceptor.accept(socket, ec);
    accept_error = ec.value();  // what the listener's accept loop sees
    answered = shed_backlog(acceptor, reserve);
    held = reserve.held();
    free_slot = open_null();  // none: the lent slot went back to the reserve, not left free
  }
  REQUIRE(reached);
  CHECK(accept_error == EMFILE);
  CHECK(answered == 5);
  CHECK(held == 1);
  CHECK(free_slot < 0);
  CHECK(clients.answered_503() == 5);
}

TEST_CASE("a descriptor lent and taken by another thread first does not stop the other listeners",
          "[net][descriptors]")
{
  // Two listeners of one process (as every I/O thread has). A spare of each listener's own
  // would leave the first unable to answer its backlog from then on.
  asio::io_context ioc;
  auto first = listening(ioc);
  auto second = listening(ioc);
  descriptor_reserve reserve{2};
  waiting_clients at_first{ioc, first, 3};
  waiting_clients at_second{ioc, second, 3};
  bool reached = false;
  int thief = -1;
  std::size_t answered_first = 0, answered_second = 0, held_after = 0, answered_later = 0, held_later = 0;
  {
    out_of_descriptors exhausted;
    reached = exhausted.reached();
    thief = lent_and_taken(reserve);
    answered_first = shed_backlog(first, reserve);
    answered_second = shed_backlog(second, reserve);
    held_after = reserve.held();
    ::close(thief);  // a descriptor frees: the reserve takes it back at its next use
    answered_later = shed_backlog(first, reserve);
    held_later = reserve.held();
  }
  REQUIRE(reached);
  REQUIRE(thief >= 0);
  CHECK(answered_first == 3);
  CHECK(answered_second == 3);
  CHECK(held_after == 1);
  CHECK(answered_later == 0);
  CHECK(held_later == 2);
  CHECK(at_first.answered_503() == 3);
  CHECK(at_second.answered_503() == 3);
}

TEST_CASE("a reserve emptied by other threads refills once descriptors are free again", "[net][descriptors]")
{
  asio::io_context ioc;
  auto acceptor = listening(ioc);
  descriptor_reserve reserve{1};
  waiting_clients clients{ioc, acceptor, 4};
  bool reached = false;
  int thief = -1;
  std::size_t answered_stuck = 0, held_stuck = 0, answered = 0, held = 0;
  {
    out_of_descriptors exhausted;
    reached = exhausted.reached();
    thief = lent_and_taken(reserve);
    answered_stuck = shed_backlog(acceptor, reserve);  // nothing to lend, nothing free
    held_stuck = reserve.held();
    ::close(thief);  // e.g. a connection of the process closed
    answered = shed_backlog(acceptor, reserve);
    held = reserve.held();
  }
  REQUIRE(reached);
  REQUIRE(thief >= 0);
  CHECK(answered_stuck == 0);
  CHECK(held_stuck == 0);
  CHECK(answered == 4);
  CHECK(held == 1);
  CHECK(clients.answered_503() == 4);
}

TEST_CASE("with nothing waiting, the lent descriptor is taken back", "[net][descriptors]")
{
  asio::io_context ioc;
  auto acceptor = listening(ioc);
  descriptor_reserve reserve{1};
  bool reached = false;
  std::size_t answered = 0, held = 0;
  int free_slot = -1;
  {
    out_of_descriptors exhausted;
    reached = exhausted.reached();
    answered = shed_backlog(acceptor, reserve);
    held = reserve.held();
    free_slot = open_null();
  }
  REQUIRE(reached);
  CHECK(answered == 0);
  CHECK(held == 1);
  CHECK(free_slot < 0);
}

TEST_CASE("one call answers at most its limit, and the next call goes on", "[net][descriptors]")
{
  asio::io_context ioc;
  auto acceptor = listening(ioc);
  descriptor_reserve reserve{1};
  waiting_clients clients{ioc, acceptor, 5};
  bool reached = false;
  std::size_t first_call = 0, second_call = 0, held = 0;
  {
    out_of_descriptors exhausted;
    reached = exhausted.reached();
    first_call = shed_backlog(acceptor, reserve, 3);
    second_call = shed_backlog(acceptor, reserve, 3);
    held = reserve.held();
  }
  REQUIRE(reached);
  CHECK(first_call == 3);
  CHECK(second_call == 2);
  CHECK(held == 1);
  CHECK(clients.answered_503() == 5);
}

TEST_CASE("a reserve that cannot be opened fails at start-up, not at the first EMFILE", "[net][descriptors]")
{
  // Two free, three wanted (its source and two to lend): it fails, and gives back the two it
  // opened before it throws (which lets UBSan check the exception's construction, see the top).
  bool reached = false;
  std::exception_ptr failure;
  int free_after = -1;
  {
    out_of_descriptors exhausted{2};
    reached = exhausted.reached();
    try {
      descriptor_reserve reserve{2};
    } catch (...) {
      failure = std::current_exception();
    }
    free_after = open_null();
  }
  REQUIRE(reached);
  REQUIRE(failure);
  CHECK(free_after >= 0);
  try {
    std::rethrow_exception(failure);
  } catch (std::system_error const& failed) {
    CHECK(failed.code().value() == EMFILE);
  }
}

TEST_CASE("a descriptor lent is left free for the borrower, not reopened by another thread's top-up",
          "[net][descriptors]")
{
  descriptor_reserve reserve{2};
  bool reached = false, lent = false, short_after_top_up = true;
  int borrowed = -1, free_slot = -1;
  std::size_t held = 0;
  {
    out_of_descriptors exhausted;
    reached = exhausted.reached();
    lent = reserve.lend();
    reserve.top_up();  // another listener starting its own shedding, or after an accept
    short_after_top_up = reserve.is_short();
    borrowed = open_null();  // what the borrower's accept gets
    reserve.give_back(borrowed);
    held = reserve.held();
    free_slot = open_null();
  }
  REQUIRE(reached);
  REQUIRE(lent);
  CHECK_FALSE(short_after_top_up);
  CHECK(borrowed >= 0);
  CHECK(held == 2);
  CHECK(free_slot < 0);
}
