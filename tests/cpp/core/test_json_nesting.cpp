// The nesting scan counts brackets outside strings and stops past the limit.
#include "core/json_nesting.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace tandem::core;

TEST_CASE("nesting up to the limit passes, one level more does not", "[core][json_nesting]")
{
  CHECK_FALSE(json_nests_deeper_than(R"({"a":[1,{"b":[]}]})", 4));
  CHECK(json_nests_deeper_than(R"({"a":[1,{"b":[]}]})", 3));
  CHECK_FALSE(json_nests_deeper_than("{}", 1));
  CHECK(json_nests_deeper_than("{}", 0));
}

TEST_CASE("siblings do not add up, only open levels count", "[core][json_nesting]")
{
  CHECK_FALSE(json_nests_deeper_than("[[],[],[],[],[],[]]", 2));
}

TEST_CASE("brackets inside strings, after escaped quotes too, are text", "[core][json_nesting]")
{
  CHECK_FALSE(json_nests_deeper_than(R"({"a":"[[[[{{{{"})", 1));
  CHECK_FALSE(json_nests_deeper_than(R"({"a":"\"[[[[","b":"\\"})", 1));
  CHECK(json_nests_deeper_than(R"({"a":"\\",  "b":[[]]})", 2));
}

TEST_CASE("a megabyte of opening brackets is refused without recursion", "[core][json_nesting]")
{
  std::string const deep(1 << 20, '[');
  CHECK(json_nests_deeper_than(deep, default_max_frame_depth));
}
