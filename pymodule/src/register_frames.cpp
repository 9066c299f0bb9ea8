// Bindings for core/frame_rules.hpp.
#include <pybind11/operators.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "core/frame_rules.hpp"
#include "registers.hpp"

namespace py = pybind11;
using namespace tandem::core;

void
tandem::bindings::register_frames(py::module_& m)
{
  py::class_<frame_limits>(m, "FrameLimits", "Limits on client frame fields.")
      .def(py::init([](std::size_t max_body_chars, std::size_t max_client_id_len) {
             return frame_limits{max_body_chars, max_client_id_len};
           }),
           py::kw_only(), py::arg("max_body_chars") = frame_limits{}.max_body_chars,
           py::arg("max_client_id_len") = frame_limits{}.max_client_id_len)
      .def_readonly("max_body_chars", &frame_limits::max_body_chars)
      .def_readonly("max_client_id_len", &frame_limits::max_client_id_len);

  py::class_<field_error>(m, "FieldError", "A bad field of a client frame and its error code.")
      .def_readonly("code", &field_error::code)
      .def_readonly("field", &field_error::field)
      .def(py::self == py::self)  // NOLINT(misc-redundant-expression)
      .def("__repr__", [](field_error const& e) {
        return "FieldError(code=" + std::to_string(static_cast<int>(e.code)) + " " + std::string{error_name(e.code)} +
               ", field='" + e.field + "')";
      });

  // Bodies are taken as bytes so invalid UTF-8 from the wire can be checked too; str works as well.
  m.def(
      "validate_body", [](py::bytes body, frame_limits const& limits) { return validate_body(std::string{body}, limits); },
      py::arg("body"), py::arg("limits") = frame_limits{}, "None when the body is acceptable, else a FieldError.");
  m.def(
      "validate_body", [](std::string const& body, frame_limits const& limits) { return validate_body(body, limits); },
      py::arg("body"), py::arg("limits") = frame_limits{});
  m.def("validate_client_id", &validate_client_id, py::arg("client_id"), py::arg("limits") = frame_limits{},
        "None when the client_id is acceptable, else a FieldError.");
  m.def(
      "validate_send",
      [](std::int64_t chat, std::string client_id, std::string body, frame_limits const& limits) {
        return validate_send(send_fields{chat, std::move(client_id), std::move(body)}, limits);
      },
      py::arg("chat"), py::arg("client_id"), py::arg("body"), py::arg("limits") = frame_limits{},
      "Checks a send frame's chat, client_id and body; the first bad field, or None.");
}
