// The two privacy rules, kept together so the sidecar and Django (through the binding) apply
// them identically.
#include "core/privacy.hpp"

namespace tandem::core {

std::string_view
visibility_name(visibility v) noexcept
{
  switch (v) {
    case visibility::everyone: return "everyone";
    case visibility::contacts: return "contacts";
    case visibility::nobody: return "nobody";
  }
  return "nobody";
}

std::optional<visibility>
visibility_from_name(std::string_view name) noexcept
{
  for (auto v : {visibility::everyone, visibility::contacts, visibility::nobody})
    if (visibility_name(v) == name) return v;
  return std::nullopt;
}

visibility
visibility_from_number(std::int64_t value) noexcept
{
  switch (value) {
    case 0: return visibility::everyone;
    case 1: return visibility::contacts;
    default: return visibility::nobody;
  }
}

bool
may_see_presence(visibility owner, visibility viewer, bool are_contacts, bool same_user) noexcept
{
  if (same_user) return true;
  if (viewer == visibility::nobody) return false;  // reciprocity: hide yours, see no one's
  switch (owner) {
    case visibility::everyone: return true;
    case visibility::contacts: return are_contacts;
    case visibility::nobody: return false;
  }
  return false;
}

bool
read_receipts_shown(bool is_group, bool sender_receipts_on, bool reader_receipts_on) noexcept
{
  return is_group || (sender_receipts_on && reader_receipts_on);
}

}  // namespace tandem::core
