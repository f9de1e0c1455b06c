#include <algorithm>

#include "config/config.h"

namespace bpfr::config {

namespace {

// Splits a protocol's change into: nothing, only import/export policy (re-run the filters on
// kept routes), or anything else (the session or the protocol restarts).
template <typename P>
void compare_protocols(const std::vector<P>& before, const std::vector<P>& after, ConfigDiff& d) {
  for (auto& a : after) {
    auto it = std::find_if(before.begin(), before.end(), [&](auto& b) { return b.name == a.name; });
    if (it == before.end()) {
      d.added.push_back(a.name);
      continue;
    }
    if (*it == a) {
      d.unchanged.push_back(a.name);
      continue;
    }
    // Same protocol with the old policies: if equal, only the policies changed.
    P with_old_policies = a;
    bool same_channels = a.channels.size() == it->channels.size();
    for (size_t i = 0; same_channels && i < a.channels.size(); i++) {
      if (a.channels[i].family != it->channels[i].family) {
        same_channels = false;
        break;
      }
      with_old_policies.channels[i].import_policy = it->channels[i].import_policy;
      with_old_policies.channels[i].export_policy = it->channels[i].export_policy;
    }
    if (same_channels && with_old_policies == *it)
      d.refiltered.push_back(a.name);
    else
      d.restarted.push_back(a.name);
  }
  for (auto& b : before)
    if (std::none_of(after.begin(), after.end(), [&](auto& a) { return a.name == b.name; }))
      d.removed.push_back(b.name);
}

}  // namespace

ConfigDiff diff(const Config& before, const Config& after) {
  ConfigDiff d;
  compare_protocols(before.device, after.device, d);
  compare_protocols(before.direct, after.direct, d);
  compare_protocols(before.statics, after.statics, d);
  compare_protocols(before.kernel, after.kernel, d);
  compare_protocols(before.bgp, after.bgp, d);

  // A protocol that changed kind is both removed and added: it must restart.
  for (auto& name : d.added) {
    auto it = std::find(d.removed.begin(), d.removed.end(), name);
    if (it != d.removed.end()) {
      d.removed.erase(it);
      d.restarted.push_back(name);
    }
  }
  std::erase_if(d.added, [&](auto& n) {
    return std::find(d.restarted.begin(), d.restarted.end(), n) != d.restarted.end();
  });

  d.router_id_changed = before.router_id != after.router_id;
  d.fast_path_changed = !(before.fast_path == after.fast_path);
  d.log_changed = before.log != after.log;
  return d;
}

}  // namespace bpfr::config
