// Bindings for core/privacy.hpp.
#include <pybind11/native_enum.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "core/privacy.hpp"
#include "registers.hpp"

namespace py = pybind11;
using namespace tandem::core;

void
tandem::bindings::register_privacy(py::module_& m)
{
  py::native_enum<visibility>(m, "Visibility", "enum.IntEnum")
      .value("EVERYONE", visibility::everyone)
      .value("CONTACTS", visibility::contacts)
      .value("NOBODY", visibility::nobody)
      .finalize();
  m.def("visibility_name", &visibility_name, py::arg("visibility"), "'everyone', 'contacts' or 'nobody'.");
  m.def(
      "visibility_from_name", [](std::string_view name) { return visibility_from_name(name); }, py::arg("name"),
      "Parses visibility_name() output; None for anything else.");
  m.def("visibility_from_number", &visibility_from_number, py::arg("value"),
        "The stored value (PresenceVisibility); one this build does not know hides the user (NOBODY).");
  m.def("may_see_presence", &may_see_presence, py::arg("owner"), py::arg("viewer"), py::arg("are_contacts"),
        py::arg("same_user"),
        "May the viewer see the owner's online status and last seen? Reciprocal: a viewer who shows theirs to "
        "nobody sees no one's.");
  m.def("read_receipts_shown", &read_receipts_shown, py::arg("is_group"), py::arg("sender_receipts_on"),
        py::arg("reader_receipts_on"), "Always in groups; in a 1:1 chat only when both have read receipts on.");
}
