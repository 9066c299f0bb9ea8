// Bindings for core/last_seen_text.hpp.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "core/last_seen_text.hpp"
#include "registers.hpp"

namespace py = pybind11;
using namespace tandem::core;

void
tandem::bindings::register_presence(py::module_& m)
{
  m.def("last_seen_text", &last_seen_text, py::arg("online"), py::arg("last_seen"), py::arg("now"),
        py::arg("utc_offset_minutes") = 0,
        R"pbdoc("Online", "last seen 5 minutes ago", "last seen today at 14:05", ..., or "Offline" when never
seen. Days and clock times are in the viewer's zone, given as minutes east of UTC.)pbdoc");
}
