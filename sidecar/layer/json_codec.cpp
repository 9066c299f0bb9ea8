// A hand-written encoder, because nlohmann's dump differs from json.dumps in separators, in
// escaping and in float formatting; decoding is nlohmann's SAX parser feeding our own builder.
#include "layer/json_codec.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

#include "layer/object_builder.hpp"

namespace tandem::layer {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void
append_u_escape(std::string& out, std::uint32_t unit)
{
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += hex_digits[(unit >> shift) & 0xF];
}

// Decodes one UTF-8 sequence at text[i] (advancing i), refusing anything not well-formed.
std::uint32_t
next_code_point(std::string const& text, std::size_t& i)
{
  auto const byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char const lead = byte(i);
  int length = 0;
  std::uint32_t cp = 0;
  std::uint32_t min = 0;
  if (lead < 0x80) { ++i; return lead; }
  if ((lead & 0xE0) == 0xC0) { length = 2; cp = lead & 0x1Fu; min = 0x80; }
  else if ((lead & 0xF0) == 0xE0) { length = 3; cp = lead & 0x0Fu; min = 0x800; }
  else if ((lead & 0xF8) == 0xF0) { length = 4; cp = lead & 0x07u; min = 0x10000; }
  else throw std::invalid_argument{"json: string is not valid UTF-8"};
  if (i + static_cast<std::size_t>(length) > text.size()) throw std::invalid_argument{"json: string is not valid UTF-8"};
  for (int k = 1; k < length; ++k) {
    unsigned char const cont = byte(i + static_cast<std::size_t>(k));
    if ((cont & 0xC0) != 0x80) throw std::invalid_argument{"json: string is not valid UTF-8"};
    cp = (cp << 6) | (cont & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    throw std::invalid_argument{"json: string is not valid UTF-8"};
  i += static_cast<std::size_t>(length);
  return cp;
}

// json.dumps with ensure_ascii: the short escapes, everything outside ' '..'~' as \uXXXX.
void
append_string(std::string& out, std::string const& text)
{
  out += '"';
  std::size_t i = 0;
  while (i < text.size()) {
    std::uint32_t const cp = next_code_point(text, i);
    switch (cp) {
    case '"': out += "\\\""; continue;
    case '\\': out += "\\\\"; continue;
    case '\n': out += "\\n"; continue;
    case '\r': out += "\\r"; continue;
    case '\t': out += "\\t"; continue;
    case '\b': out += "\\b"; continue;
    case '\f': out += "\\f"; continue;
    default: break;
    }
    if (cp >= 0x20 && cp <= 0x7E) {
      out += static_cast<char>(cp);
    } else if (cp < 0x10000) {
      append_u_escape(out, cp);
    } else {
      std::uint32_t const v = cp - 0x10000;
      append_u_escape(out, 0xD800 + (v >> 10));
      append_u_escape(out, 0xDC00 + (v & 0x3FF));
    }
  }
  out += '"';
}

// Python's float repr: the shortest digits that round-trip (std::to_chars gives the same
// digits), written positionally when the decimal exponent is in [-4, 15], else as d.ddde+XX.
void
append_float(std::string& out, double value)
{
  if (std::isnan(value)) { out += "NaN"; return; }
  if (std::isinf(value)) { out += value < 0 ? "-Infinity" : "Infinity"; return; }
  char buffer[64];
  auto const [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  if (ec != std::errc{}) throw std::invalid_argument{"json: cannot format float"};
  std::string_view const sci{buffer, static_cast<std::size_t>(end - buffer)};
  auto const e_pos = sci.find('e');
  std::string_view mantissa = sci.substr(0, e_pos);
  int exponent = 0;
  std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exponent);
  bool const negative = !mantissa.empty() && mantissa.front() == '-';
  if (negative) mantissa.remove_prefix(1);
  std::string digits;
  for (char const c : mantissa) {
    if (c != '.') digits += c;
  }
  if (negative) out += '-';
  int const point = exponent + 1;  // digits before the decimal point in positional notation
  if (exponent >= -4 && exponent < 16) {
    if (point <= 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-point), '0');
      out += digits;
    } else if (static_cast<std::size_t>(point) >= digits.size()) {
      out += digits;
      out.append(static_cast<std::size_t>(point) - digits.size(), '0');
      out += ".0";
    } else {
      out.append(digits, 0, static_cast<std::size_t>(point));
      out += '.';
      out.append(digits, static_cast<std::size_t>(point));
    }
    return;
  }
  out += digits.front();
  if (digits.size() > 1) {
    out += '.';
    out.append(digits, 1);
  }
  int const magnitude = exponent < 0 ? -exponent : exponent;
  out += exponent < 0 ? "e-" : "e+";
  if (magnitude < 10) out += '0';  // Python writes at least two exponent digits
  out += std::to_string(magnitude);
}

void
append_value(std::string& out, message const& value, std::size_t depth)
{
  switch (value.type()) {
  case message::value_t::null: out += "null"; return;
  case message::value_t::boolean: out += value.get<bool>() ? "true" : "false"; return;
  case message::value_t::number_integer: out += std::to_string(value.get<std::int64_t>()); return;
  case message::value_t::number_unsigned: out += std::to_string(value.get<std::uint64_t>()); return;
  case message::value_t::number_float: append_float(out, value.get<double>()); return;
  case message::value_t::string: append_string(out, value.get_ref<std::string const&>()); return;
  case message::value_t::binary: throw std::invalid_argument{"json: bytes values cannot be encoded as JSON"};
  case message::value_t::array: {
    if (depth >= max_message_depth) throw std::invalid_argument{"json: nesting too deep"};
    out += '[';
    bool first = true;
    for (auto const& item : value) {
      if (!first) out += ", ";
      first = false;
      append_value(out, item, depth + 1);
    }
    out += ']';
    return;
  }
  case message::value_t::object: {
    if (depth >= max_message_depth) throw std::invalid_argument{"json: nesting too deep"};
    out += '{';
    bool first = true;
    for (auto const& [key, item] : value.items()) {
      if (!first) out += ", ";
      first = false;
      append_string(out, key);
      out += ": ";
      append_value(out, item, depth + 1);
    }
    out += '}';
    return;
  }
  case message::value_t::discarded: break;
  }
  throw std::invalid_argument{"json: a discarded value cannot be encoded"};
}

// nlohmann SAX events to a message: non-negative ints as signed (as the msgpack decoder gives
// them), objects through object_builder (linear time, dict semantics for repeated keys), and
// the parse stopped as soon as nesting passes max_message_depth.
class message_assembler {
public:
  using number_integer_t = message::number_integer_t;
  using number_unsigned_t = message::number_unsigned_t;
  using number_float_t = message::number_float_t;
  using string_t = message::string_t;
  using binary_t = message::binary_t;

  bool null() { return add(message{}); }
  bool boolean(bool value) { return add(message(value)); }
  bool number_integer(number_integer_t value) { return add(message(value)); }
  bool number_unsigned(number_unsigned_t value)
  {
    if (value <= static_cast<number_unsigned_t>(std::numeric_limits<number_integer_t>::max()))
      return add(message(static_cast<number_integer_t>(value)));
    return add(message(value));
  }
  bool number_float(number_float_t value, string_t const&) { return add(message(value)); }
  bool string(string_t& value) { return add(message(std::move(value))); }
  bool binary(binary_t&) { return false; }  // JSON text has no binary values
  bool start_object(std::size_t) { return open(true); }
  bool key(string_t& value)
  {
    stack_.back().key = std::move(value);
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(false); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t, std::string const&, nlohmann::detail::exception const& e)
  {
    error_ = e.what();
    return false;
  }

  bool done() const noexcept { return root_.has_value() && stack_.empty(); }
  std::string const& error() const noexcept { return error_; }
  message take() { return std::move(*root_); }

private:
  struct frame {
    bool is_object = false;
    message array;
    object_builder object;
    std::string key;
  };

  bool open(bool is_object)
  {
    if (stack_.size() >= max_message_depth) {
      error_ = "nesting too deep";
      return false;
    }
    stack_.push_back({is_object, is_object ? message{} : message::array(), {}, {}});
    return true;
  }

  bool close()
  {
    frame done_frame = std::move(stack_.back());
    stack_.pop_back();
    return add(done_frame.is_object ? done_frame.object.finish() : std::move(done_frame.array));
  }

  bool add(message value)
  {
    if (stack_.empty()) {
      root_ = std::move(value);
      return true;
    }
    frame& top = stack_.back();
    if (top.is_object) top.object.set(std::move(top.key), std::move(value));
    else top.array.push_back(std::move(value));
    return true;
  }

  std::vector<frame> stack_;
  std::optional<message> root_;
  std::string error_;
};

}  // namespace

std::string
encode_json(message const& value)
{
  std::string out;
  append_value(out, value, 0);
  return out;
}

decode_result
decode_json(std::string_view text) noexcept
{
  try {
    message_assembler assembler;
    bool const parsed = message::sax_parse(text.begin(), text.end(), &assembler);
    if (!parsed || !assembler.done()) return {std::nullopt, "json: " + assembler.error()};
    return {assembler.take(), {}};
  } catch (std::exception const& e) {  // std::bad_alloc
    try {
      return {std::nullopt, std::string{"json: "} + e.what()};
    } catch (...) {
      return {std::nullopt, "out of memory"};  // short enough not to allocate
    }
  }
}

}  // namespace tandem::layer
