// Recipe decoding mirrors make_golden.build(); outputs are compared in hex for readable failures.
#include "layer/golden_values.hpp"

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "crypto/digest.hpp"
#include "fixtures.hpp"
#include "layer/object_builder.hpp"

namespace tandem::test {

using layer::message;

nlohmann::json const&
golden()
{
  static nlohmann::json const document = load_fixture("layer/golden.json");
  return document;
}

std::string
bytes_from_hex(std::string_view hex)
{
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    unsigned value = 0;
    std::from_chars(hex.data() + i, hex.data() + i + 2, value, 16);
    out += static_cast<char>(value);
  }
  return out;
}

namespace {

message
integer_from(std::string const& text)
{
  if (text.front() == '-') {
    std::int64_t v = 0;
    std::from_chars(text.data(), text.data() + text.size(), v);
    return message(v);
  }
  std::uint64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  if (v <= static_cast<std::uint64_t>(INT64_MAX)) return message(static_cast<std::int64_t>(v));
  return message(v);
}

message
binary_from(std::string const& bytes)
{
  auto const* begin = reinterpret_cast<std::uint8_t const*>(bytes.data());
  return message::binary(std::vector<std::uint8_t>(begin, begin + bytes.size()));
}

std::string
repeated(std::string const& unit, std::size_t count)
{
  std::string out;
  out.reserve(unit.size() * count);
  for (std::size_t k = 0; k < count; ++k) out += unit;
  return out;
}

}  // namespace

message
value_from_recipe(nlohmann::json const& recipe)
{
  auto const entry = recipe.begin();
  std::string const tag = entry.key();
  auto const& v = entry.value();
  if (tag == "int") return integer_from(v.get<std::string>());
  if (tag == "float") return message(std::strtod(v.get<std::string>().c_str(), nullptr));
  if (tag == "str") return message(v.get<std::string>());
  if (tag == "str_repeat") return message(repeated(v[0].get<std::string>(), v[1].get<std::size_t>()));
  if (tag == "bin") return binary_from(bytes_from_hex(v.get<std::string>()));
  if (tag == "bin_repeat") return binary_from(repeated(bytes_from_hex(v[0].get<std::string>()), v[1].get<std::size_t>()));
  if (tag == "bool") return message(v.get<bool>());
  if (tag == "nil") return message(nullptr);
  if (tag == "list" || tag == "list_repeat") {
    message out = message::array();
    if (tag == "list") {
      for (auto const& item : v) out.push_back(value_from_recipe(item));
    } else {
      for (std::size_t k = 0; k < v[1].get<std::size_t>(); ++k) out.push_back(value_from_recipe(v[0]));
    }
    return out;
  }
  layer::object_builder object;  // operator[] per key would be quadratic for 65536 keys
  if (tag == "map") {
    for (auto const& pair : v) object.set(pair[0].get<std::string>(), value_from_recipe(pair[1]));
    return object.finish();
  }
  if (tag == "map_numbered") {
    for (std::size_t k = 0; k < v[1].get<std::size_t>(); ++k)
      object.set(v[0].get<std::string>() + std::to_string(k), value_from_recipe(v[2]));
    return object.finish();
  }
  throw std::runtime_error{"unknown recipe tag " + tag};
}

bool
same_message(message const& a, message const& b)
{
  if (a.type() != b.type()) return false;
  switch (a.type()) {
  case message::value_t::number_float: {
    double const x = a.get<double>();
    double const y = b.get<double>();
    return std::memcmp(&x, &y, sizeof x) == 0;
  }
  case message::value_t::binary: return a.get_binary() == b.get_binary() && !a.get_binary().has_subtype() && !b.get_binary().has_subtype();
  case message::value_t::array:
  case message::value_t::object: {
    if (a.size() != b.size()) return false;
    auto ia = a.items().begin();
    auto ib = b.items().begin();
    for (; ia != a.items().end(); ++ia, ++ib) {
      if (a.is_object() && ia.key() != ib.key()) return false;
      if (!same_message(ia.value(), ib.value())) return false;
    }
    return true;
  }
  default: return a == b;
  }
}

bool
has_full_bytes(nlohmann::json const& expected)
{
  return expected.contains("hex");
}

bool
matches_output(std::string_view bytes, nlohmann::json const& expected)
{
  if (expected.contains("hex")) return crypto::to_hex(bytes) == expected["hex"].get<std::string>();
  return bytes.size() == expected["length"].get<std::size_t>() &&
         crypto::to_hex(bytes.substr(0, 16)) == expected["head_hex"].get<std::string>() &&
         crypto::to_hex(crypto::sha256(bytes)) == expected["sha256"].get<std::string>();
}

}  // namespace tandem::test
