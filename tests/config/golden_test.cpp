#include "config/dump.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/parser.h"

namespace bpfr::config {
namespace {

namespace fs = std::filesystem;

const fs::path data_dir = BPFR_SOURCE_DIR "/tests/config/data";
const fs::path golden_dir = BPFR_SOURCE_DIR "/tests/config/golden";

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Each good configuration, with every default spelled out, against a reviewed golden file.
// BPFR_UPDATE_GOLDEN=1 rewrites the golden files; review the diff before committing it.
TEST(Golden, ModelMatchesGoldenFile) {
  const char* inputs[] = {"guide.conf", "small-isp.conf", "filters.conf", "home-lab.conf", "bpfrouter/full.conf",
                          "bpfrouter/defaults.conf"};
  bool update = std::getenv("BPFR_UPDATE_GOLDEN") != nullptr;
  for (auto name : inputs) {
    SCOPED_TRACE(name);
    std::string got = dump(parse_config_file(data_dir / name));
    std::string golden_name = fs::path(name).string();
    std::replace(golden_name.begin(), golden_name.end(), '/', '-');
    fs::path golden = golden_dir / (golden_name + ".golden");
    if (update) {
      std::ofstream(golden) << got;
      continue;
    }
    ASSERT_TRUE(fs::exists(golden)) << golden << " missing; run with BPFR_UPDATE_GOLDEN=1";
    EXPECT_EQ(got, read(golden));
  }
}

// The dump parses back to the same model (for files whose filters use no defines or
// functions, which the dump does not repeat).
TEST(Golden, DumpParsesBackToTheSameModel) {
  const char* inputs[] = {"guide.conf", "bpfrouter/defaults.conf"};
  for (auto name : inputs) {
    SCOPED_TRACE(name);
    Config first = parse_config_file(data_dir / name);
    std::string text = dump(first);
    Config second;
    try {
      second = parse_config_text(text, "dump.conf");
    } catch (const ConfigError& e) {
      FAIL() << e.what() << "\n" << text;
    }
    EXPECT_EQ(dump(second), text);
    EXPECT_EQ(second.bgp, first.bgp);
    EXPECT_EQ(second.statics, first.statics);
    second.fast_path.present = first.fast_path.present;  // the dump always writes the block
    EXPECT_EQ(second.fast_path, first.fast_path);
    ConfigDiff d = diff(first, second);
    EXPECT_TRUE(d.added.empty() && d.removed.empty() && d.restarted.empty() && d.refiltered.empty());
  }
}

}  // namespace
}  // namespace bpfr::config
