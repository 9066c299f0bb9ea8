// Answering connections 503 right after accept, before any request is read: when a cap on
// connections that have not upgraded is reached, and when the process is out of descriptors
// and the waiting ones are taken off the backlog with a descriptor lent by the reserve.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <cstddef>

#include "asio/asio.hpp"
#include "net/descriptor_reserve.hpp"

namespace tandem::net {

/// A best-effort 503 on a fresh socket (its send buffer is empty, so this cannot block), then
/// close; what the client sent already is read and dropped first, so the close is not a reset.
void answer_503_and_close(asio::ip::tcp::socket& socket) noexcept;

/// Out of descriptors: borrows one from `reserve` to accept the connections waiting in
/// `acceptor`'s backlog and answer each 503 (at most `limit` accepts per call, so one call cannot
/// hold the thread for long under a flood). The last one's descriptor goes back to the reserve
/// without ever being free. Never blocks. Returns how many were answered.
std::size_t shed_backlog(asio::ip::tcp::acceptor& acceptor, descriptor_reserve& reserve, std::size_t limit = 1024);

}  // namespace tandem::net
