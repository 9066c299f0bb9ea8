// Bindings for core/tick.hpp and core/tick_icon.hpp.
#include <pybind11/native_enum.h>
#include <pybind11/pybind11.h>
#include <pybind11/operators.h>
#include <pybind11/stl.h>

#include <cctype>

#include "core/tick.hpp"
#include "core/tick_icon.hpp"
#include "registers.hpp"

namespace py = pybind11;
using namespace tandem::core;

namespace {

std::string
status_repr(message_status const& s)
{
  auto opt = [](std::optional<unix_ms> v) { return v ? std::to_string(*v) : std::string{"None"}; };
  std::string state{tick_name(s.state)};
  for (char& c : state) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "MessageStatus(state=Tick." + state + ", sent_at=" + opt(s.sent_at) +
         ", delivered_at=" + opt(s.delivered_at) + ", read_at=" + opt(s.read_at) + ", failed_at=" + opt(s.failed_at) +
         ")";
}

}  // namespace

void
tandem::bindings::register_ticks(py::module_& m)
{
  py::native_enum<tick>(m, "Tick", "enum.IntEnum", "What the sender sees for a message.")
      .value("PENDING", tick::pending, "Not yet acknowledged by the server (clock).")
      .value("SENT", tick::sent, "Stored by the server (one grey tick).")
      .value("DELIVERED", tick::delivered, "On the recipient's device (two grey ticks).")
      .value("READ", tick::read, "Seen by the recipient (two blue ticks).")
      .value("FAILED", tick::failed, "The client gave up after its retries (red warning).")
      .finalize();
  py::native_enum<tick_event>(m, "TickEvent", "enum.IntEnum", "Something that happened to a message.")
      .value("ACKED", tick_event::acked)
      .value("DELIVERED", tick_event::delivered)
      .value("READ", tick_event::read)
      .value("FAILED", tick_event::failed)
      .value("RETRIED", tick_event::retried)
      .finalize();

  py::class_<message_status>(m, "MessageStatus", "A status with the time (ms) each step was reached.")
      .def(py::init([](tick state, std::optional<unix_ms> sent_at, std::optional<unix_ms> delivered_at,
                       std::optional<unix_ms> read_at, std::optional<unix_ms> failed_at) {
             return message_status{state, sent_at, delivered_at, read_at, failed_at};
           }),
           py::kw_only(), py::arg("state") = tick::pending, py::arg("sent_at") = py::none(),
           py::arg("delivered_at") = py::none(), py::arg("read_at") = py::none(), py::arg("failed_at") = py::none())
      .def_readonly("state", &message_status::state)
      .def_readonly("sent_at", &message_status::sent_at)
      .def_readonly("delivered_at", &message_status::delivered_at)
      .def_readonly("read_at", &message_status::read_at)
      .def_readonly("failed_at", &message_status::failed_at)
      .def(py::self == py::self)  // NOLINT(misc-redundant-expression)
      .def("__repr__", &status_repr);

  m.def(
      "advance",
      [](message_status const& status, tick_event event, unix_ms at) {
        auto const t = advance(status, event, at);
        return py::make_tuple(t.status, t.changed);
      },
      py::arg("status"), py::arg("event"), py::arg("at"),
      "Applies an event at time `at`; returns (new_status, changed). Server steps only move forward.");
  m.def("server_rank", &server_rank, py::arg("state"), "0 pending/failed, 1 sent, 2 delivered, 3 read.");
  m.def("tick_name", [](tick t) { return std::string{tick_name(t)}; }, py::arg("state"));
  m.def("tick_from_name", &tick_from_name, py::arg("name"), "Inverse of tick_name; None for unknown names.");

  py::class_<tick_icon>(m, "TickIcon", "Icon name and accessible label of a tick.")
      .def_property_readonly("icon", [](tick_icon const& i) { return std::string{i.icon}; })
      .def_property_readonly("label", [](tick_icon const& i) { return std::string{i.label}; })
      .def("__repr__", [](tick_icon const& i) {
        return "TickIcon(icon='" + std::string{i.icon} + "', label='" + std::string{i.label} + "')";
      });
  m.def("icon_for", &icon_for, py::arg("state"), "The icon and accessible label for a tick state.");
}
