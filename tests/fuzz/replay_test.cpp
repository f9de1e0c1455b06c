// Replays a harness's seed corpus and every crash the fuzzers ever found through the same
// LLVMFuzzerTestOneInput, without libFuzzer, so the normal (g++) and sanitizer builds keep
// them fixed. BPFR_FUZZ_TARGET names the harness, BPFR_FUZZ_SUITE the test suite.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

const fs::path fuzz_dir = BPFR_SOURCE_DIR "/tests/fuzz";

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> files;
  if (fs::is_directory(dir))
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.is_regular_file() && entry.path().filename().string()[0] != '.')
        files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

size_t replay(const fs::path& dir) {
  auto files = files_in(dir);
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    std::ifstream in(file, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  }
  return files.size();
}

// Every seed runs without a crash or a sanitizer report.
TEST(BPFR_FUZZ_SUITE, SeedCorpusRunsClean) {
  EXPECT_GT(replay(fuzz_dir / "corpus" / BPFR_FUZZ_TARGET), 0u) << "no seeds";
}

// Every input that once crashed the harness now runs clean.
TEST(BPFR_FUZZ_SUITE, RegressionsStayFixed) {
  replay(fuzz_dir / "regressions" / BPFR_FUZZ_TARGET);
}

}  // namespace
