// Converts hiredis (0.14) reply trees into resp_value and frees them at once.
#include "layer/resp_reader.hpp"

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

namespace tandem::layer {

namespace {

resp_value
convert(redisReply const* reply)
{
  resp_value v;
  switch (reply->type) {
    case REDIS_REPLY_INTEGER:
      v.type = resp_value::kind::integer;
      v.integer = reply->integer;
      break;
    case REDIS_REPLY_STRING:
      v.type = resp_value::kind::string;
      v.str.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_STATUS:
      v.type = resp_value::kind::status;
      v.str.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_ERROR:
      v.type = resp_value::kind::error;
      v.str.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_ARRAY:
      v.type = resp_value::kind::array;
      v.elements.reserve(reply->elements);
      for (std::size_t i = 0; i < reply->elements; ++i) v.elements.push_back(convert(reply->element[i]));
      break;
    default: v.type = resp_value::kind::nil; break;
  }
  return v;
}

}  // namespace

void
resp_reader::free_reader::operator()(redisReader* r) const noexcept
{
  redisReaderFree(r);
}

resp_reader::resp_reader() : reader_{redisReaderCreate()} {}

resp_reader::~resp_reader() = default;

void
resp_reader::feed(std::string_view bytes)
{
  if (redisReaderFeed(reader_.get(), bytes.data(), bytes.size()) != REDIS_OK) error_ = reader_->errstr;
}

std::optional<resp_value>
resp_reader::next()
{
  void* raw = nullptr;
  if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) {
    error_ = reader_->errstr;
    return std::nullopt;
  }
  if (raw == nullptr) return std::nullopt;
  auto* reply = static_cast<redisReply*>(raw);
  resp_value value = convert(reply);
  freeReplyObject(reply);
  return value;
}

}  // namespace tandem::layer
