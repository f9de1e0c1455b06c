#include "bgp/adj_rib.h"

namespace bpfr::bgp {
namespace {

// The hash travels with the key: the table does not cache hash codes for a noexcept hasher,
// so it rehashed whole attribute sets (AS path, communities) on every bucket walk and rehash,
// 13% of a filtered table load.
struct AttrsKey {
  const PathAttributes* attrs;
  size_t hash;
};
struct AttrsKeyHash {
  size_t operator()(const AttrsKey& k) const noexcept { return k.hash; }
};
struct AttrsKeyEqual {
  bool operator()(const AttrsKey& a, const AttrsKey& b) const {
    return a.hash == b.hash && *a.attrs == *b.attrs;
  }
};

AttrsKey key_of(const PathAttributes* attrs) {
  return AttrsKey{attrs, PathAttributesHash{}(*attrs)};
}

}  // namespace

struct AttrStore::Table {
  std::unordered_map<AttrsKey, std::weak_ptr<const PathAttributes>, AttrsKeyHash, AttrsKeyEqual>
      entries;
};

AttrStore::AttrStore() : table_(std::make_shared<Table>()) {}

size_t AttrStore::size() const {
  return table_->entries.size();
}

AttrsRef AttrStore::intern(const PathAttributes& attrs) {
  AttrsKey key = key_of(&attrs);
  if (auto it = table_->entries.find(key); it != table_->entries.end())
    if (auto ref = it->second.lock())
      return ref;

  // The last reference erases the entry, while the value is still there to hash.
  std::weak_ptr<Table> weak_table = table_;
  auto* copy = new PathAttributes(attrs);
  AttrsRef ref(copy, [weak_table](const PathAttributes* p) {
    if (auto table = weak_table.lock())
      table->entries.erase(key_of(p));
    delete p;
  });
  table_->entries.insert_or_assign(AttrsKey{copy, key.hash}, ref);
  return ref;
}

std::optional<InRoute> AdjRibIn::update(const Prefix& p, InRoute route) {
  std::optional<InRoute> old;
  auto [it, inserted] = routes_.try_emplace(p);
  if (!inserted) {
    old = std::move(it->second);
    if (old->accepted)
      --accepted_;
  }
  if (route.accepted)
    ++accepted_;
  it->second = std::move(route);
  return old;
}

std::optional<InRoute> AdjRibIn::remove(const Prefix& p) {
  auto it = routes_.find(p);
  if (it == routes_.end())
    return std::nullopt;
  auto old = std::move(it->second);
  routes_.erase(it);
  if (old.accepted)
    --accepted_;
  return old;
}

void AdjRibIn::set_accepted(const Prefix& p, bool accepted) {
  auto it = routes_.find(p);
  if (it == routes_.end() || it->second.accepted == accepted)
    return;
  it->second.accepted = accepted;
  accepted ? ++accepted_ : --accepted_;
}

const InRoute* AdjRibIn::find(const Prefix& p) const {
  auto it = routes_.find(p);
  return it == routes_.end() ? nullptr : &it->second;
}

void AdjRibIn::mark_stale(Family f) {
  for (auto& [p, r] : routes_)
    if (p.family() == f)
      r.stale = true;
}

std::vector<Prefix> AdjRibIn::stale(Family f) const {
  std::vector<Prefix> out;
  for (const auto& [p, r] : routes_)
    if (r.stale && p.family() == f)
      out.push_back(p);
  return out;
}

void AdjRibOut::set(const Prefix& p, std::optional<OutRoute> route) {
  auto sent = sent_.find(p);
  bool same = route ? (sent != sent_.end() && sent->second == *route) : sent == sent_.end();
  if (same)
    pending_.erase(p);  // back to what the peer already has
  else
    pending_.insert_or_assign(p, std::move(route));
}

void AdjRibOut::resend(Family f) {
  for (const auto& [p, r] : sent_)
    if (p.family() == f && !pending_.contains(p))
      pending_.emplace(p, r);
}

std::unordered_map<Prefix, std::optional<OutRoute>, PrefixHash> AdjRibOut::take_pending(
    size_t max) {
  std::unordered_map<Prefix, std::optional<OutRoute>, PrefixHash> out;
  while (!pending_.empty() && out.size() < max) {
    auto node = pending_.extract(pending_.begin());
    if (node.mapped())
      sent_.insert_or_assign(node.key(), *node.mapped());
    else
      sent_.erase(node.key());
    out.insert(std::move(node));
  }
  return out;
}

}  // namespace bpfr::bgp
