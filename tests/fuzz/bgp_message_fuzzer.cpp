// Fuzzes the BGP codec with bytes as a peer would send them: the input is a receive buffer of
// one or more messages, framed by peek_frame() and decoded by decode_message() under every
// combination of 2/4-octet AS, extended messages on/off and eBGP/iBGP. Each decoded message is
// encoded again (and packed, for UPDATEs) and the result decoded once more. A second pass
// rewrites the header (marker and length) so that mutations reach the message bodies.
//
// Crashes, sanitizer reports and hangs are the findings. With BPFR_FUZZ_STRICT=1 in the
// environment the harness also aborts when encode(decode(x)) does not decode.
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "bgp/message.h"
#include "fuzz_util.h"

namespace {

using namespace bpfr::bgp;
using bpfr::Prefix;

// Reads everything a consumer of an UPDATE reads, so the accessors run on odd values too.
void touch_update(const Update& u) {
  (void)u.end_of_rib();
  (void)u.announced();
  (void)u.all_withdrawn();
  (void)PathAttributesHash{}(u.attrs);
  if (u.attrs.as_path) {
    const AsPath& p = *u.attrs.as_path;
    (void)p.length();
    (void)p.has_set();
    (void)p.first_as();
    (void)p.origin_as();
    (void)p.contains(64512);
    (void)p.str();
    (void)p.prepended(64512, 3);
  }
  for (const auto& issue : u.issues)
    (void)notification_name(issue.error.code, issue.error.subcode);
}

void touch_notification(const Notification& n) {
  (void)notification_name(n.code, n.subcode);
  (void)shutdown_communication(n);
  (void)hard_reset_cause(n);
}

// Re-decodes bytes the codec itself produced: they must be a well-formed message.
void check_own_output(const std::vector<uint8_t>& bytes, const DecodeContext& ctx,
                      const char* what) {
  if (bytes.empty())
    return;
  DecodeResult again = decode_message(bytes, ctx);
  if (bpfr::fuzz::strict() && !again.ok())
    bpfr::fuzz::fail(what, again.error.description);
}

// encode(decode(x)) and, for UPDATEs, the packers over the decoded prefixes.
void round_trip(const Message& m, const DecodeContext& dctx) {
  EncodeContext ectx{dctx.four_octet_as, dctx.extended_message};
  check_own_output(encode_message(m, ectx), dctx, "encode(decode(x)) does not decode");

  const auto* u = std::get_if<Update>(&m);
  if (!u || u->treat_as_withdraw)
    return;
  std::vector<Prefix> v4, v6;
  for (const Prefix& p : u->announced())
    (p.addr.is_v4() ? v4 : v6).push_back(p);
  if (!v4.empty() && u->attrs.next_hop) {
    NextHop nh{*u->attrs.next_hop, std::nullopt};
    for (const auto& msg : pack_announcements(u->attrs, nh, v4, ectx))
      check_own_output(msg, dctx, "pack_announcements (IPv4) output does not decode");
  }
  if (!v6.empty() && u->mp_reach) {
    NextHop nh{u->mp_reach->next_hop, u->mp_reach->link_local};
    for (const auto& msg : pack_announcements(u->attrs, nh, v6, ectx))
      check_own_output(msg, dctx, "pack_announcements (IPv6) output does not decode");
  }
  auto withdrawn = u->all_withdrawn();
  for (const auto& msg : pack_withdrawals(withdrawn, ectx))
    check_own_output(msg, dctx, "pack_withdrawals output does not decode");
}

void decode_one(std::span<const uint8_t> bytes, const DecodeContext& ctx) {
  DecodeResult res = decode_message(bytes, ctx);
  if (!res.ok()) {
    (void)notification_name(res.error.code, res.error.subcode);
    return;
  }
  if (const auto* u = std::get_if<Update>(&*res.message))
    touch_update(*u);
  if (const auto* n = std::get_if<Notification>(&*res.message))
    touch_notification(*n);
  round_trip(*res.message, ctx);
}

// The receive loop of a session: frame, decode, advance; stop at the first framing error.
void decode_stream(std::span<const uint8_t> buffer, const DecodeContext& ctx) {
  while (!buffer.empty()) {
    Frame f = peek_frame(buffer, ctx);
    if (f.error || f.length == 0 || f.length > buffer.size()) {
      decode_one(buffer, ctx);  // the error path of decode_message
      return;
    }
    decode_one(buffer.first(f.length), ctx);
    buffer = buffer.subspan(f.length);
  }
}

// The whole input as one message with a valid marker and a length that matches.
void decode_repaired(std::span<const uint8_t> data, const DecodeContext& ctx) {
  if (data.size() < kHeaderSize || data.size() > kMaxExtendedMessageSize)
    return;
  std::vector<uint8_t> msg(data.begin(), data.end());
  std::fill(msg.begin(), msg.begin() + 16, 0xff);
  msg[16] = uint8_t(msg.size() >> 8);
  msg[17] = uint8_t(msg.size());
  decode_one(msg, ctx);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bpfr::fuzz::quiet();
  std::span<const uint8_t> input(data, size);
  for (int bits = 0; bits < 8; bits++) {
    DecodeContext ctx;
    ctx.four_octet_as = bits & 1;
    ctx.extended_message = bits & 2;
    ctx.external = bits & 4;
    ctx.reject_as_set = !(bits & 4);
    decode_stream(input, ctx);
    decode_repaired(input, ctx);
  }
  return 0;
}
