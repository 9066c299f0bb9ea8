// The tandem_core._core extension: the shared status rules of Tandem, exposed to Python.
#include <pybind11/pybind11.h>

#include "core/version.hpp"
#include "registers.hpp"

PYBIND11_MODULE(_core, m)
{
  m.doc() = R"pbdoc(Tandem's shared status rules (ticks, receipts, presence wording, typing,
backoff, frame validation), the same C++ code the sidecar runs. Times are integer milliseconds
since the Unix epoch.)pbdoc";
  m.attr("__version__") = std::string{tandem::core::version};
  // Enums first: later registrations use them in default arguments.
  tandem::bindings::register_errors(m);
  tandem::bindings::register_ticks(m);
  tandem::bindings::register_receipts(m);
  tandem::bindings::register_presence(m);
  tandem::bindings::register_privacy(m);
  tandem::bindings::register_typing(m);
  tandem::bindings::register_backoff(m);
  tandem::bindings::register_frames(m);
}
