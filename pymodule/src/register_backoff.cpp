// Bindings for core/backoff.hpp.
#include <pybind11/operators.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "core/backoff.hpp"
#include "registers.hpp"

namespace py = pybind11;
using namespace tandem::core;

void
tandem::bindings::register_backoff(py::module_& m)
{
  py::class_<backoff_policy>(m, "BackoffPolicy", "An exponential retry schedule with jitter.")
      .def(py::init([](unix_ms initial_ms, double factor, unix_ms max_ms, double jitter, int max_attempts) {
             return backoff_policy{initial_ms, factor, max_ms, jitter, max_attempts};
           }),
           py::kw_only(), py::arg("initial_ms"), py::arg("factor"), py::arg("max_ms"), py::arg("jitter"),
           py::arg("max_attempts"))
      .def_readonly("initial_ms", &backoff_policy::initial_ms)
      .def_readonly("factor", &backoff_policy::factor)
      .def_readonly("max_ms", &backoff_policy::max_ms)
      .def_readonly("jitter", &backoff_policy::jitter)
      .def_readonly("max_attempts", &backoff_policy::max_attempts)
      .def(py::self == py::self);  // NOLINT(misc-redundant-expression)
  m.attr("RECONNECT_BACKOFF") = reconnect_backoff;
  m.attr("MESSAGE_RETRY_BACKOFF") = message_retry_backoff;
  m.def("backoff_delay", &backoff_delay, py::arg("policy"), py::arg("attempt"), py::arg("random01"),
        "Delay in ms before retry `attempt` (1-based), or None when attempts are used up.");
}
