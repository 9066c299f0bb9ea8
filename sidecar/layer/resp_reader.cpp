// Converts hiredis (0.14) reply trees into resp_value and frees them at once. hiredis' reply
// functions are wrapped so an array header above the limit fails the reader instead of
// allocating (hiredis only range-checks it against INT_MAX).
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

/// hiredis' default reply functions, copied once from a throwaway reader (they are static in
/// hiredis.c and only reachable through a reader's fn pointer).
redisReplyObjectFunctions const&
hiredis_functions()
{
  static redisReplyObjectFunctions const functions = [] {
    redisReader* probe = redisReaderCreate();
    redisReplyObjectFunctions copy = *probe->fn;
    redisReaderFree(probe);
    return copy;
  }();
  return functions;
}

void*
create_bounded_array(redisReadTask const* task, int elements)
{
  auto* limit = static_cast<resp_reader::array_limit*>(task->privdata);
  if (elements > 0 && static_cast<std::size_t>(elements) > limit->max_elements) {
    limit->refused = elements;
    return nullptr;  // hiredis then fails the reader ("Out of memory"); take_error says why
  }
  return hiredis_functions().createArray(task, elements);
}

redisReplyObjectFunctions*
bounded_functions()
{
  static redisReplyObjectFunctions functions = [] {
    redisReplyObjectFunctions copy = hiredis_functions();
    copy.createArray = create_bounded_array;
    return copy;
  }();
  return &functions;
}

}  // namespace

void
resp_reader::free_reader::operator()(redisReader* r) const noexcept
{
  redisReaderFree(r);
}

resp_reader::resp_reader(std::size_t max_array_elements)
    : limit_{max_array_elements}, reader_{redisReaderCreateWithFunctions(bounded_functions())}
{
  reader_->privdata = &limit_;
}

resp_reader::~resp_reader() = default;

void
resp_reader::take_error()
{
  if (limit_.refused >= 0)
    error_ = "array of " + std::to_string(limit_.refused) + " elements exceeds the limit of " +
             std::to_string(limit_.max_elements);
  else
    error_ = reader_->errstr;
}

void
resp_reader::feed(std::string_view bytes)
{
  if (redisReaderFeed(reader_.get(), bytes.data(), bytes.size()) != REDIS_OK) take_error();
}

std::optional<resp_value>
resp_reader::next()
{
  void* raw = nullptr;
  if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) {
    take_error();
    return std::nullopt;
  }
  if (raw == nullptr) return std::nullopt;
  auto* reply = static_cast<redisReply*>(raw);
  resp_value value = convert(reply);
  freeReplyObject(reply);
  return value;
}

}  // namespace tandem::layer
