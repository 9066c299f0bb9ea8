// Reads the tagged value recipes and byte outputs of tests/fixtures/layer/golden.json (written
// by make_golden.py from the real Python libraries) and compares messages type for type.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "layer/message.hpp"

namespace tandem::test {

/// The golden file, parsed once.
nlohmann::json const& golden();

/// Builds the message a recipe such as {"int": "5"} or {"map": [["k", {...}]]} describes.
layer::message value_from_recipe(nlohmann::json const& recipe);

/// Equal values of equal types: string vs binary, int vs float, key order, float bits (so -0.0
/// differs from 0.0 and NaN equals NaN). nlohmann's own == treats 1 and 1.0 as equal.
bool same_message(layer::message const& a, layer::message const& b);

std::string bytes_from_hex(std::string_view hex);

/// Whether `bytes` are what the golden output describes: {"hex"} in full, or
/// {"length", "head_hex", "sha256"} for large outputs.
bool matches_output(std::string_view bytes, nlohmann::json const& expected);

/// The full bytes of a golden output when it is stored in full.
bool has_full_bytes(nlohmann::json const& expected);

}  // namespace tandem::test
