// msgpack-c does the byte-level work (its packer picks the same smallest formats as
// msgpack-python); this file maps nlohmann values onto it and refuses what Python would refuse.
#include "layer/msgpack_codec.hpp"

#include <bit>
#include <cstdint>
#include <limits>
#include <new>
#include <stdexcept>
#include <vector>

#include <msgpack.hpp>

#include "core/utf8.hpp"
#include "layer/object_builder.hpp"

namespace tandem::layer {

namespace {

// The packer's output stream: appends to a std::string.
struct string_sink {
  std::string* out;
  void write(char const* data, std::size_t size) { out->append(data, size); }
};

using packer = msgpack::packer<string_sink>;


std::uint32_t
checked_length(std::size_t size)
{
  if (size > std::numeric_limits<std::uint32_t>::max()) throw std::invalid_argument{"msgpack: value too large"};
  return static_cast<std::uint32_t>(size);
}

void
pack_text(packer& out, std::string const& text)
{
  // Python decodes str with raw=False (strict UTF-8); anything else would fail on its side.
  if (!core::utf8_code_points(text)) throw std::invalid_argument{"msgpack: string is not valid UTF-8"};
  out.pack_str(checked_length(text.size()));
  out.pack_str_body(text.data(), static_cast<std::uint32_t>(text.size()));
}

// msgpack-c's pack_double writes integral doubles as ints (1.0 becomes 0x01), but Python's
// msgpack always writes float64 and reads the int back as int. Write 0xcb + big-endian bits.
void
pack_float64(std::string& raw, double value)
{
  auto const bits = std::bit_cast<std::uint64_t>(value);
  raw.push_back(static_cast<char>(0xcb));
  for (int shift = 56; shift >= 0; shift -= 8) raw.push_back(static_cast<char>((bits >> shift) & 0xff));
}

void
pack_value(packer& out, std::string& raw, message const& value, std::size_t depth)
{
  switch (value.type()) {
  case message::value_t::null: out.pack_nil(); return;
  case message::value_t::boolean: value.get<bool>() ? out.pack_true() : out.pack_false(); return;
  case message::value_t::number_integer: out.pack_int64(value.get<std::int64_t>()); return;
  case message::value_t::number_unsigned: out.pack_uint64(value.get<std::uint64_t>()); return;
  case message::value_t::number_float: pack_float64(raw, value.get<double>()); return;
  case message::value_t::string: pack_text(out, value.get_ref<std::string const&>()); return;
  case message::value_t::binary: {
    auto const& bytes = value.get_binary();
    // A subtype would need an ext type, which channels_redis peers cannot read.
    if (bytes.has_subtype()) throw std::invalid_argument{"msgpack: binary values must not carry a subtype"};
    out.pack_bin(checked_length(bytes.size()));
    out.pack_bin_body(reinterpret_cast<char const*>(bytes.data()), static_cast<std::uint32_t>(bytes.size()));
    return;
  }
  case message::value_t::array:
    if (depth >= max_message_depth) throw std::invalid_argument{"msgpack: nesting too deep"};
    out.pack_array(checked_length(value.size()));
    for (auto const& item : value) pack_value(out, raw, item, depth + 1);
    return;
  case message::value_t::object:
    if (depth >= max_message_depth) throw std::invalid_argument{"msgpack: nesting too deep"};
    out.pack_map(checked_length(value.size()));
    for (auto const& [key, item] : value.items()) {
      pack_text(out, key);
      pack_value(out, raw, item, depth + 1);
    }
    return;
  case message::value_t::discarded: break;
  }
  throw std::invalid_argument{"msgpack: a discarded value cannot be encoded"};
}

// Thrown inside the decoder only; decode_msgpack turns it into an error value.
struct refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string
text_of(msgpack::object_str const& str)
{
  std::string text{str.ptr, str.size};
  if (!core::utf8_code_points(text)) throw refused{"string is not valid UTF-8"};
  return text;
}

message
to_message(msgpack::object const& object, std::size_t depth)
{
  switch (object.type) {
  case msgpack::type::NIL: return message();
  case msgpack::type::BOOLEAN: return message(object.via.boolean);
  case msgpack::type::POSITIVE_INTEGER:
    if (object.via.u64 <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return message(static_cast<std::int64_t>(object.via.u64));
    return message(object.via.u64);
  case msgpack::type::NEGATIVE_INTEGER: return message(object.via.i64);
  case msgpack::type::FLOAT32:
  case msgpack::type::FLOAT64: return message(object.via.f64);
  case msgpack::type::STR: return message(text_of(object.via.str));
  case msgpack::type::BIN: {
    auto const* begin = reinterpret_cast<std::uint8_t const*>(object.via.bin.ptr);
    return message::binary(std::vector<std::uint8_t>(begin, begin + object.via.bin.size));
  }
  case msgpack::type::ARRAY: {
    if (depth >= max_message_depth) throw refused{"nesting too deep"};
    message list = message::array();
    for (std::uint32_t k = 0; k < object.via.array.size; ++k) list.push_back(to_message(object.via.array.ptr[k], depth + 1));
    return list;
  }
  case msgpack::type::MAP: {
    if (depth >= max_message_depth) throw refused{"nesting too deep"};
    object_builder map;
    for (std::uint32_t k = 0; k < object.via.map.size; ++k) {
      auto const& pair = object.via.map.ptr[k];
      if (pair.key.type != msgpack::type::STR) throw refused{"map key is not a string"};
      map.set(text_of(pair.key.via.str), to_message(pair.val, depth + 1));
    }
    return map.finish();
  }
  case msgpack::type::EXT: break;
  }
  throw refused{"ext types are not supported"};
}

}  // namespace

std::string
encode_msgpack(message const& value)
{
  std::string out;
  string_sink sink{&out};
  packer writer{sink};
  pack_value(writer, out, value, 0);
  return out;
}

decode_result
decode_msgpack(std::string_view bytes) noexcept
{
  try {
    // Every element takes at least one byte (a map pair two), so no honest count exceeds the
    // input size; limiting counts to it stops a 5-byte header from reserving gigabytes.
    std::size_t const n = bytes.size();
    msgpack::unpack_limit const limit{n, n / 2, n, n, n, max_message_depth + 1};
    std::size_t offset = 0;
    auto const handle = msgpack::unpack(bytes.data(), n, offset, nullptr, nullptr, limit);
    if (offset != n) return {std::nullopt, "msgpack: trailing bytes after the value"};
    return {to_message(handle.get(), 0), {}};
  } catch (refused const& e) {
    return {std::nullopt, std::string{"msgpack: "} + e.what()};
  } catch (msgpack::insufficient_bytes const&) {
    return {std::nullopt, "msgpack: truncated input"};
  } catch (std::exception const& e) {  // parse errors, size limits, std::bad_alloc
    try {
      return {std::nullopt, std::string{"msgpack: "} + e.what()};
    } catch (...) {
      return {std::nullopt, "out of memory"};  // short enough not to allocate
    }
  }
}

}  // namespace tandem::layer
