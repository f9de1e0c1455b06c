// Fuzzes the client side of the control protocol: the input is the byte stream a daemon (or
// BIRD) sent, reassembled into reply lines by ReplyDecoder whole, byte by byte, and with a
// short line limit.
//
// With BPFR_FUZZ_STRICT=1 the harness also checks that splitting the stream into pieces does
// not change the lines read or whether the stream is malformed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "control/protocol.h"
#include "fuzz_util.h"

namespace {

using namespace bpfr;
using namespace bpfr::control;

struct Outcome {
  std::vector<ReplyDecoder::Line> lines;
  bool malformed = false;
};

Outcome decode(std::string_view stream, size_t piece, size_t max_line) {
  ReplyDecoder decoder(max_line);
  Outcome out;
  for (size_t at = 0; at < stream.size(); at += piece) {
    decoder.feed(stream.substr(at, piece));
    while (auto line = decoder.next())
      out.lines.push_back(std::move(*line));
  }
  out.malformed = !decoder.error().empty();
  return out;
}

bool same(const Outcome& a, const Outcome& b) {
  if (a.malformed != b.malformed || a.lines.size() != b.lines.size())
    return false;
  for (size_t i = 0; i < a.lines.size(); i++) {
    const auto& x = a.lines[i];
    const auto& y = b.lines[i];
    if (x.code != y.code || x.text != y.text || x.final != y.final)
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::quiet();
  std::string_view stream(reinterpret_cast<const char*>(data), size);
  Outcome whole = decode(stream, stream.size() + 1, 1 << 20);
  Outcome bytewise = decode(stream, 1, 1 << 20);
  (void)decode(stream, 7, 64);
  if (fuzz::strict() && !same(whole, bytewise))
    fuzz::fail("the reply stream reads differently byte by byte", stream);
  return 0;
}
