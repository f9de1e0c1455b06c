// --help and --version on both programs and on every bpfrouter command, and the exit statuses:
// what the programs print, and that the man pages name every command, flag and status.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "control/command.h"
#include "lab/lab.h"

namespace bpfr {
namespace {

std::string daemon_binary() {
  return std::string(BPFR_BINARY_DIR) + "/userspace/daemon/bpfrouterd";
}
std::string client_binary() {
  return std::string(BPFR_BINARY_DIR) + "/userspace/cli/bpfrouter";
}

std::string man_page(const std::string& name) {
  std::ifstream in(std::string(BPFR_SOURCE_DIR) + "/man/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// roff writes a minus as "\-".
std::string roff_escaped(const std::string& flag) {
  std::string out;
  for (char c : flag)
    out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out;
}

std::vector<std::string> words_of(std::string_view path) {
  std::vector<std::string> words;
  std::istringstream in{std::string(path)};
  for (std::string w; in >> w;)
    words.push_back(w);
  return words;
}

// The commands `bpfrouter --help` lists: every spec but `restrict`, which birdc sends itself.
std::vector<std::string> client_commands() {
  std::vector<std::string> paths;
  for (const auto& spec : control::command_specs())
    if (spec.path != "restrict")
      paths.emplace_back(spec.path);
  paths.emplace_back("stats");
  return paths;
}

// Long flags named in a usage text: "--pin-root", ...
std::set<std::string> long_flags(const std::string& usage) {
  std::set<std::string> flags;
  std::istringstream in(usage);
  for (std::string w; in >> w;)
    if (w.starts_with("--") && w.size() > 2)
      flags.insert(w);
  return flags;
}

TEST(DaemonHelp, VersionAndHelpExitZero) {
  auto version = lab::run({daemon_binary(), "--version"});
  EXPECT_TRUE(version.ok()) << version.describe();
  EXPECT_EQ(version.out, std::string("bpfrouterd ") + BPFR_VERSION + "\n");

  for (const char* flag : {"--help", "-h"}) {
    auto help = lab::run({daemon_binary(), flag});
    EXPECT_TRUE(help.ok()) << flag << ": " << help.describe();
    EXPECT_TRUE(help.out.starts_with("Usage: bpfrouterd")) << help.out;
    for (const char* status : {"\n  0  ", "\n  1  ", "\n  2  ", "\n  3  "})
      EXPECT_NE(help.out.find(status), std::string::npos) << "exit status" << status << help.out;
  }
}

TEST(DaemonHelp, UsageErrorsExitTwoAndUnusableConfigurationOne) {
  auto unknown = lab::run({daemon_binary(), "--no-such-flag"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.describe();
  auto stray = lab::run({daemon_binary(), "stray-argument"});
  EXPECT_EQ(stray.exit_code, 2) << stray.describe();
  auto missing = lab::run({daemon_binary(), "-p", "-c", "/nonexistent/bpfrouter.conf"});
  EXPECT_EQ(missing.exit_code, 1) << missing.describe();
}

TEST(ClientHelp, EveryCommandHasHelpAndVersion) {
  for (const auto& path : client_commands()) {
    auto words = words_of(path);
    std::vector<std::string> help_argv{client_binary()};
    help_argv.insert(help_argv.end(), words.begin(), words.end());
    auto version_argv = help_argv;
    help_argv.push_back("--help");
    version_argv.push_back("--version");

    auto help = lab::run(help_argv);
    EXPECT_TRUE(help.ok()) << path << ": " << help.describe();
    EXPECT_TRUE(help.out.starts_with("Usage: bpfrouter " + path)) << path << ": " << help.out;
    auto version = lab::run(version_argv);
    EXPECT_TRUE(version.ok()) << path << ": " << version.describe();
    EXPECT_TRUE(version.out.starts_with(std::string("bpfrouter ") + BPFR_VERSION)) << version.out;
  }
}

TEST(ClientHelp, GeneralHelpListsCommandsAndExitStatuses) {
  auto help = lab::run({client_binary(), "--help"});
  ASSERT_TRUE(help.ok()) << help.describe();
  for (const auto& path : client_commands())
    EXPECT_NE(help.out.find("\n  " + path), std::string::npos) << path << " missing:\n" << help.out;
  for (const char* status : {"\n  0  ", "\n  1  ", "\n  2  ", "\n  3  ", "\n  4  "})
    EXPECT_NE(help.out.find(status), std::string::npos) << "exit status" << status << help.out;

  auto bare = lab::run({client_binary()});
  EXPECT_EQ(bare.exit_code, 2) << bare.describe();
  auto typo = lab::run({client_binary(), "shw", "--socket", "/nonexistent"});
  EXPECT_EQ(typo.exit_code, 2) << typo.describe();
}

TEST(ManPages, NameEveryCommandFlagAndExitStatus) {
  std::string client_page = man_page("bpfrouter.8");
  ASSERT_FALSE(client_page.empty());
  for (const auto& path : client_commands())
    EXPECT_NE(client_page.find(path), std::string::npos) << path << " not in bpfrouter.8";
  for (const char* status : {".B 0\n", ".B 1\n", ".B 2\n", ".B 3\n", ".B 4\n"})
    EXPECT_NE(client_page.find(status), std::string::npos) << status << " not in bpfrouter.8";

  std::string daemon_page = man_page("bpfrouterd.8");
  ASSERT_FALSE(daemon_page.empty());
  auto help = lab::run({daemon_binary(), "--help"});
  for (const auto& flag : long_flags(help.out))
    EXPECT_NE(daemon_page.find(roff_escaped(flag)), std::string::npos)
        << flag << " not in bpfrouterd.8";
  for (const char* status : {".B 0\n", ".B 1\n", ".B 2\n", ".B 3\n"})
    EXPECT_NE(daemon_page.find(status), std::string::npos) << status << " not in bpfrouterd.8";

  EXPECT_NE(man_page("bpfrouter.conf.5").find(".SH THE BPFROUTER BLOCK"), std::string::npos);
}

}  // namespace
}  // namespace bpfr
