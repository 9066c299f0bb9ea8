// One register_* function per concept of the core; module.cpp calls them all.
#pragma once

#include <pybind11/pybind11.h>

namespace tandem::bindings {

void register_errors(pybind11::module_& m);
void register_ticks(pybind11::module_& m);
void register_receipts(pybind11::module_& m);
void register_presence(pybind11::module_& m);
void register_privacy(pybind11::module_& m);
void register_typing(pybind11::module_& m);
void register_backoff(pybind11::module_& m);
void register_frames(pybind11::module_& m);

}  // namespace tandem::bindings
