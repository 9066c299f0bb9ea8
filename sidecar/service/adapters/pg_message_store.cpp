// Straight delegation: the queries already answer in the store's result values.
#include "service/adapters/pg_message_store.hpp"

namespace tandem::service {

awaitable<store::sent_message>
pg_message_store::send(std::int64_t chat, std::int64_t sender, std::string client_id, std::string body,
                       double pending_ttl_s)
{
  co_return co_await queries_.send(chat, sender, client_id, body, pending_ttl_s);
}

awaitable<store::applied_receipt>
pg_message_store::apply_receipt(std::int64_t chat, std::int64_t user, core::receipt_kind kind, core::seq_t upto)
{
  co_return co_await queries_.apply_receipt(chat, user, kind, upto);
}

awaitable<store::chat_markers>
pg_message_store::markers(std::int64_t chat, core::seq_t after, core::seq_t upto)
{
  co_return co_await queries_.markers(chat, after, upto);
}

awaitable<store::chat_markers>
pg_message_store::receipt_markers(std::int64_t chat, std::int64_t reader, core::receipt_marker before,
                                  core::receipt_marker after)
{
  co_return co_await queries_.receipt_markers(chat, reader, before, after);
}

awaitable<store::message_page>
pg_message_store::after(std::int64_t chat, core::seq_t after, core::seq_t upto, std::size_t limit)
{
  co_return co_await queries_.after(chat, after, upto, limit);
}

awaitable<store::message_page>
pg_message_store::before(std::int64_t chat, std::optional<core::seq_t> before, std::size_t limit)
{
  co_return co_await queries_.before(chat, before, limit);
}

awaitable<store::member_start>
pg_message_store::joined_seq(std::int64_t chat, std::int64_t user)
{
  co_return co_await queries_.joined_seq(chat, user);
}

}  // namespace tandem::service
