// Bindings for core/receipt_marker.hpp, core/receipt_aggregate.hpp and core/receipt_news.hpp.
#include <pybind11/operators.h>
#include <pybind11/native_enum.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <tuple>
#include <vector>

#include "core/receipt_aggregate.hpp"
#include "core/receipt_marker.hpp"
#include "core/receipt_news.hpp"
#include "registers.hpp"

namespace py = pybind11;
using namespace tandem::core;

void
tandem::bindings::register_receipts(py::module_& m)
{
  py::native_enum<receipt_kind>(m, "ReceiptKind", "enum.IntEnum")
      .value("DELIVERED", receipt_kind::delivered)
      .value("READ", receipt_kind::read)
      .finalize();

  py::class_<receipt_marker>(m, "ReceiptMarker", "One member's receipts in a chat: delivered/read up to a sequence.")
      .def(py::init([](seq_t delivered_upto, seq_t read_upto) { return receipt_marker{delivered_upto, read_upto}; }),
           py::kw_only(), py::arg("delivered_upto") = 0, py::arg("read_upto") = 0)
      .def_readonly("delivered_upto", &receipt_marker::delivered_upto)
      .def_readonly("read_upto", &receipt_marker::read_upto)
      .def(py::self == py::self)  // NOLINT(misc-redundant-expression)
      .def("__repr__", [](receipt_marker const& r) {
        return "ReceiptMarker(delivered_upto=" + std::to_string(r.delivered_upto) +
               ", read_upto=" + std::to_string(r.read_upto) + ")";
      });

  m.def(
      "apply_receipt",
      [](receipt_marker const& marker, receipt_kind kind, seq_t upto) {
        auto const a = apply_receipt(marker, kind, upto);
        return py::make_tuple(a.marker, a.changed);
      },
      py::arg("marker"), py::arg("kind"), py::arg("upto"),
      "Applies 'kind up to seq'; returns (new_marker, changed). Repeats and stale receipts change nothing.");
  m.def("tick_for", &tick_for, py::arg("marker"), py::arg("seq"), "The tick one recipient's marker gives message seq.");
  m.def(
      "aggregate_ticks", [](std::vector<tick> const& ticks) { return aggregate_ticks(ticks); },
      py::arg("recipient_ticks"), "The sender's view: the least advanced recipient tick (sent with none).");
  m.def(
      "aggregate_markers",
      [](std::vector<receipt_marker> const& markers, seq_t seq) { return aggregate_markers(markers, seq); },
      py::arg("recipient_markers"), py::arg("seq"), "The sender's tick for message seq from every recipient's marker.");
  m.def(
      "common_upto",
      [](std::vector<receipt_marker> const& markers, receipt_kind kind) { return common_upto(markers, kind); },
      py::arg("recipient_markers"), py::arg("kind"), "Highest seq that every recipient has reached for kind.");

  py::class_<status_news>(m, "StatusNews", "A sender's messages in a chat are now `kind` up to `upto`.")
      .def_readonly("sender_id", &status_news::sender_id)
      .def_readonly("kind", &status_news::kind)
      .def_readonly("upto", &status_news::upto)
      .def(py::self == py::self)  // NOLINT(misc-redundant-expression)
      .def("__repr__", [](status_news const& n) {
        return "StatusNews(sender_id=" + std::to_string(n.sender_id) +
               ", kind=" + std::to_string(static_cast<int>(n.kind)) + ", upto=" + std::to_string(n.upto) + ")";
      });

  // Members as (user_id, ReceiptMarker, read_receipts) rows: the shape a query row has.
  using member_rows = std::vector<std::tuple<std::int64_t, receipt_marker, bool>>;
  auto const to_members = [](member_rows const& rows) {
    std::vector<member_marker> out;
    out.reserve(rows.size());
    for (auto const& [user, marker, receipts] : rows) out.push_back({user, marker, receipts});
    return out;
  };
  m.def(
      "sender_view",
      [to_members](member_rows const& members, std::int64_t sender_id, seq_t last_seq, bool is_group) {
        return sender_view(to_members(members), sender_id, last_seq, is_group);
      },
      py::arg("members"), py::arg("sender_id"), py::arg("last_seq"), py::arg("is_group"),
      "The sender's messages are delivered/read up to the least advanced other member (reads hidden in a 1:1 "
      "chat where either has read receipts off).");
  m.def(
      "receipt_news",
      [to_members](member_rows const& members_after, std::int64_t reader, receipt_marker const& before,
                   std::vector<std::int64_t> const& senders, bool is_group) {
        return receipt_news(to_members(members_after), reader, before, senders, is_group);
      },
      py::arg("members_after"), py::arg("reader"), py::arg("before"), py::arg("senders"), py::arg("is_group"),
      "What each sender hears after reader's marker moved from before: only minimums that moved.");
}
