// Bindings for core/typing.hpp.
#include <pybind11/operators.h>
#include <pybind11/native_enum.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <vector>

#include "core/typing.hpp"
#include "registers.hpp"

namespace py = pybind11;
using namespace tandem::core;

namespace {

py::tuple
as_tuple(typing_step const& step)
{
  return py::make_tuple(step.state, step.forward);
}

}  // namespace

void
tandem::bindings::register_typing(py::module_& m)
{
  py::class_<typing_policy>(m, "TypingPolicy", "Typing intervals in milliseconds.")
      .def(py::init([](unix_ms start_interval_ms, unix_ms server_expiry_ms, unix_ms client_idle_stop_ms) {
             return typing_policy{start_interval_ms, server_expiry_ms, client_idle_stop_ms};
           }),
           py::kw_only(), py::arg("start_interval_ms") = typing_policy{}.start_interval_ms,
           py::arg("server_expiry_ms") = typing_policy{}.server_expiry_ms,
           py::arg("client_idle_stop_ms") = typing_policy{}.client_idle_stop_ms)
      .def_readonly("start_interval_ms", &typing_policy::start_interval_ms)
      .def_readonly("server_expiry_ms", &typing_policy::server_expiry_ms)
      .def_readonly("client_idle_stop_ms", &typing_policy::client_idle_stop_ms);

  py::class_<typist_state>(m, "TypistState", "What the server remembers of one typist in one chat.")
      .def(py::init([](bool typing, std::optional<unix_ms> last_forwarded_start, unix_ms last_activity) {
             return typist_state{typing, last_forwarded_start, last_activity};
           }),
           py::kw_only(), py::arg("typing") = false, py::arg("last_forwarded_start") = py::none(),
           py::arg("last_activity") = 0)
      .def_readonly("typing", &typist_state::typing)
      .def_readonly("last_forwarded_start", &typist_state::last_forwarded_start)
      .def_readonly("last_activity", &typist_state::last_activity)
      .def(py::self == py::self);  // NOLINT(misc-redundant-expression)

  py::native_enum<typing_signal>(m, "TypingSignal", "enum.IntEnum", "What to forward to the other participants.")
      .value("NONE", typing_signal::none)
      .value("START", typing_signal::start)
      .value("STOP", typing_signal::stop)
      .finalize();

  m.def(
      "on_typing_start",
      [](typist_state const& s, unix_ms now, typing_policy const& p) { return as_tuple(on_typing_start(s, now, p)); },
      py::arg("state"), py::arg("now"), py::arg("policy") = typing_policy{},
      "A keystroke notice; returns (state, signal). At most one START per start_interval_ms.");
  m.def(
      "on_typing_stop", [](typist_state const& s, unix_ms now) { return as_tuple(on_typing_stop(s, now)); },
      py::arg("state"), py::arg("now"), "The client said stop; returns (state, signal).");
  m.def(
      "on_message_sent", [](typist_state const& s, unix_ms now) { return as_tuple(on_message_sent(s, now)); },
      py::arg("state"), py::arg("now"), "Sending a message ends typing; returns (state, signal).");
  m.def(
      "on_expiry_check",
      [](typist_state const& s, unix_ms now, typing_policy const& p) { return as_tuple(on_expiry_check(s, now, p)); },
      py::arg("state"), py::arg("now"), py::arg("policy") = typing_policy{},
      "Stops a typist silent for server_expiry_ms; returns (state, signal).");
  m.def("client_should_stop", &client_should_stop, py::arg("last_keystroke"), py::arg("now"),
        py::arg("policy") = typing_policy{}, "True when the client should send STOP.");
  m.def(
      "typing_text", [](std::vector<std::string> const& names) { return typing_text(names); }, py::arg("names"),
      "'Ann is typing…', 'Ann and Bo are typing…', ..., '4 people are typing…'.");
}
