// Bindings for core/error.hpp.
#include <pybind11/native_enum.h>
#include <pybind11/pybind11.h>

#include "core/error.hpp"
#include "registers.hpp"

namespace py = pybind11;
using namespace tandem::core;

void
tandem::bindings::register_errors(py::module_& m)
{
  py::native_enum<error_code>(m, "ErrorCode", "enum.IntEnum", "Client-visible error codes; the values are stable wire codes.")
      .value("BAD_FRAME", error_code::bad_frame)
      .value("UNKNOWN_TYPE", error_code::unknown_type)
      .value("MISSING_FIELD", error_code::missing_field)
      .value("INVALID_FIELD", error_code::invalid_field)
      .value("BODY_EMPTY", error_code::body_empty)
      .value("BODY_TOO_LONG", error_code::body_too_long)
      .value("BODY_NOT_UTF8", error_code::body_not_utf8)
      .value("CLIENT_ID_INVALID", error_code::client_id_invalid)
      .value("CHAT_ID_INVALID", error_code::chat_id_invalid)
      .value("MESSAGE_ID_INVALID", error_code::message_id_invalid)
      .value("FRAME_TOO_LARGE", error_code::frame_too_large)
      .value("UNAUTHENTICATED", error_code::unauthenticated)
      .value("FORBIDDEN", error_code::forbidden)
      .value("RATE_LIMITED", error_code::rate_limited)
      .value("STORE_UNAVAILABLE", error_code::store_unavailable)
      .value("LAYER_UNAVAILABLE", error_code::layer_unavailable)
      .value("INTERNAL", error_code::internal)
      .finalize();
  m.def("error_name", [](error_code c) { return std::string{error_name(c)}; }, py::arg("code"),
        "Stable snake_case name of the code, as sent in error frames.");
  m.def("error_message", [](error_code c) { return std::string{error_message(c)}; }, py::arg("code"),
        "One sentence describing the code, safe to show to an end user.");
  m.def("is_retryable", &is_retryable, py::arg("code"), "True when the same frame may succeed if sent again later.");
}
