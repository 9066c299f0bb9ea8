#include "net/backlog_shedding.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace tandem::net {

namespace {

constexpr std::string_view response =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\nConnection: close\r\n\r\n";

/// Reads and drops what the client has sent already (its request, usually): a socket closed
/// with unread input answers with a reset, which can destroy the 503 before the client reads it.
void
discard_input(int fd) noexcept
{
  char sink[4096];
  for (int i = 0; i < 4 && ::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
  }
}

/// A best-effort 503 on a fresh socket (its send buffer is empty, so this cannot block).
void
answer_503(int fd) noexcept
{
  discard_input(fd);
  [[maybe_unused]] auto const sent = ::send(fd, response.data(), response.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_RDWR);
}

/// Whether a connection waits in the backlog; asks the kernel without needing a descriptor.
bool
backlog_waiting(int listening) noexcept
{
  pollfd waiting{listening, POLLIN, 0};
  return ::poll(&waiting, 1, 0) == 1 && (waiting.revents & POLLIN) != 0;
}

}  // namespace

void
answer_503_and_close(asio::ip::tcp::socket& socket) noexcept
{
  answer_503(socket.native_handle());
  error_code ignored;
  socket.close(ignored);
}

std::size_t
shed_backlog(asio::ip::tcp::acceptor& acceptor, descriptor_reserve& reserve, std::size_t limit)
{
  reserve.top_up();  // descriptors taken elsewhere earlier may be free again
  if (!reserve.lend()) return 0;
  // accept4 on the listening descriptor, not Asio's accept: never blocks (Asio's synchronous
  // accept waits for the next connection after ECONNABORTED), and nothing to register with epoll.
  int const listening = acceptor.native_handle();
  std::size_t answered = 0;
  for (std::size_t attempts = 0; attempts < limit; ++attempts) {
    int const fd = ::accept4(listening, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == ECONNABORTED || errno == EINTR) continue;  // that one is gone; the next may wait
      break;  // the backlog is empty, or the lent slot was taken by another thread first
    }
    answer_503(fd);
    ++answered;
    if (attempts + 1 == limit || !backlog_waiting(listening)) {
      reserve.give_back(fd);  // the slot goes back without being free
      return answered;
    }
    ::close(fd);  // its slot takes the next waiting connection
  }
  reserve.give_back(-1);
  return answered;
}

}  // namespace tandem::net
