// The Debian package for real: built by the package_build test (`make deb`), installed on this
// machine with dpkg -i, checked file by file, run, and purged. Skipped where a bpfrouter of the
// machine's own uses the default pin root or control socket directory: the purge removes both.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lab/lab.h"
#include "package/notify_listener.h"

namespace bpfr {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const fs::path kPinRoot = "/sys/fs/bpf/bpfrouter";
const fs::path kRunDir = "/run/bpfrouter";
const fs::path kEnabledLink = "/etc/systemd/system/multi-user.target.wants/bpfrouterd.service";

const std::vector<fs::path> kInstalledFiles = {
    "/usr/sbin/bpfrouterd",
    "/usr/sbin/bpfrouter",
    "/usr/lib/systemd/system/bpfrouterd.service",
    "/etc/bpfrouter/bpfrouter.conf",
    "/etc/default/bpfrouterd",
    "/usr/share/man/man8/bpfrouterd.8.gz",
    "/usr/share/man/man8/bpfrouter.8.gz",
    "/usr/share/man/man5/bpfrouter.conf.5.gz",
    "/usr/share/bash-completion/completions/bpfrouter",
    "/usr/share/doc/bpfrouter/migration.md",
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<fs::path> built_package() {
  std::error_code ec;
  std::string prefix = std::string("bpfrouter_") + BPFR_VERSION + "_";
  for (const auto& e : fs::directory_iterator(fs::path(BPFR_BINARY_DIR) / "package", ec))
    if (e.path().filename().string().starts_with(prefix) && e.path().extension() == ".deb")
      return e.path();
  return std::nullopt;
}

// dpkg, waiting while apt or another dpkg on this machine holds its lock.
lab::Result dpkg(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"dpkg"};
  argv.insert(argv.end(), args.begin(), args.end());
  lab::Result r;
  lab::wait_until(
      [&] {
        r = lab::run(argv, nullptr, 120s);
        return r.ok() || r.err.find("lock") == std::string::npos;
      },
      180s, 500ms);
  return r;
}

bool package_installed() {
  auto r = lab::run({"dpkg-query", "-W", "-f=${Status}", "bpfrouter"});
  return r.ok() && r.out.find("install ok installed") != std::string::npos;
}

// bash completion of a command line whose last word is being typed: the candidates offered.
std::string complete(const std::vector<std::string>& words) {
  std::string array;
  for (const auto& w : words)
    array += " '" + w + "'";
  std::string script =
      "export PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
      ". /usr/share/bash-completion/completions/bpfrouter\n"
      "COMP_WORDS=(" +
      array +
      ")\n"
      "COMP_CWORD=" +
      std::to_string(words.size() - 1) +
      "\n"
      "_bpfrouter\n"
      "echo \"${COMPREPLY[*]}\"\n";
  return lab::run({"bash", "-c", script}).out;
}

class Package : public ::testing::Test {
 protected:
  void SetUp() override {
    auto deb = built_package();
    ASSERT_TRUE(deb) << "no package in " << BPFR_BINARY_DIR << "/package: run `make deb`";
    deb_ = *deb;
    std::error_code ec;
    if (fs::exists(kPinRoot))
      GTEST_SKIP() << kPinRoot << " exists on this machine; the purge would remove it";
    if (fs::exists(kRunDir) && !fs::is_empty(kRunDir, ec))
      GTEST_SKIP() << kRunDir << " is in use on this machine; the purge would remove it";
    run_dir_existed_ = fs::exists(kRunDir);
  }

  ~Package() override {
    if (package_installed())
      dpkg({"--purge", "bpfrouter"});
    std::error_code ec;
    if (made_pins_)
      fs::remove_all(kPinRoot, ec);
    if (run_dir_existed_)
      fs::create_directories(kRunDir, ec);  // empty, as it was
  }

  fs::path deb_;
  bool made_pins_ = false;
  bool run_dir_existed_ = false;
};

TEST_F(Package, ShipsNoBpfObjectAndDependsOnItsLibraries) {
  auto contents = lab::run({"dpkg-deb", "--contents", deb_.string()});
  ASSERT_TRUE(contents.ok()) << contents.describe();
  // The daemon embeds router.bpf.o through its libbpf skeleton.
  EXPECT_EQ(contents.out.find(".bpf.o"), std::string::npos) << contents.out;
  EXPECT_EQ(contents.out.find("lookup_bench"), std::string::npos) << contents.out;

  auto depends = lab::run({"dpkg-deb", "--field", deb_.string(), "Depends"});
  for (const char* lib : {"libbpf1", "libsystemd0", "libmnl0", "init-system-helpers"})
    EXPECT_NE(depends.out.find(lib), std::string::npos) << lib << " missing: " << depends.out;
}

TEST_F(Package, InstallsRunsAndPurgesCleanly) {
  auto install = dpkg({"-i", deb_.string()});
  ASSERT_TRUE(install.ok()) << install.describe();

  for (const auto& f : kInstalledFiles)
    EXPECT_TRUE(fs::exists(f)) << f << " not installed";
  auto conffiles = lab::run({"dpkg-query", "-W", "-f=${Conffiles}", "bpfrouter"});
  EXPECT_NE(conffiles.out.find("/etc/bpfrouter/bpfrouter.conf"), std::string::npos)
      << conffiles.out;
  EXPECT_NE(conffiles.out.find("/etc/default/bpfrouterd"), std::string::npos) << conffiles.out;
  // postinst enables the unit unless a BIRD runs somewhere on this machine (other tests' do).
  EXPECT_TRUE(fs::is_symlink(kEnabledLink) ||
              install.out.find("BIRD is running") != std::string::npos)
      << install.describe();

  // The installed programs.
  auto version = lab::run({"/usr/sbin/bpfrouterd", "--version"});
  EXPECT_EQ(version.out, std::string("bpfrouterd ") + BPFR_VERSION + "\n") << version.describe();
  EXPECT_TRUE(lab::run({"/usr/sbin/bpfrouter", "--version"}).ok());
  if (fs::exists("/etc/bird/bird.conf")) {
    auto host = lab::run({"/usr/sbin/bpfrouterd", "-p", "-c", "/etc/bpfrouter/bpfrouter.conf"});
    EXPECT_TRUE(host.ok()) << "the packaged configuration with this host's bird.conf: "
                           << host.describe();
    auto bird = lab::run({"/usr/sbin/bpfrouterd", "-p", "-c", "/etc/bird/bird.conf"});
    EXPECT_TRUE(bird.ok()) << "this host's bird.conf alone: " << bird.describe();
  }
  lab::TempDir sample("bpfr-package");
  fs::copy_file(std::string(BPFR_SOURCE_DIR) + "/tests/config/data/guide.conf",
                sample / "bird.conf");
  std::string conf = read_file("/etc/bpfrouter/bpfrouter.conf");
  size_t include = conf.find("/etc/bird/bird.conf");
  ASSERT_NE(include, std::string::npos) << conf;
  conf.replace(include, std::string("/etc/bird/bird.conf").size(), (sample / "bird.conf").string());
  std::ofstream(sample / "bpfrouter.conf") << conf;
  auto guide = lab::run({"/usr/sbin/bpfrouterd", "-p", "-c", (sample / "bpfrouter.conf").string()});
  EXPECT_TRUE(guide.ok()) << "the packaged configuration with the guide's bird.conf: "
                          << guide.describe();

  // The unit, the man pages and the completion.
  auto verify =
      lab::run({"systemd-analyze", "verify", "/usr/lib/systemd/system/bpfrouterd.service"});
  EXPECT_TRUE(verify.ok()) << verify.describe();
  EXPECT_EQ(verify.err.find("bpfrouterd.service:"), std::string::npos) << verify.err;
  for (const std::vector<std::string>& page :
       {std::vector<std::string>{"8", "bpfrouterd"}, {"8", "bpfrouter"}, {"5", "bpfrouter.conf"}}) {
    auto found = lab::run({"man", "-w", page[0], page[1]});
    EXPECT_TRUE(found.ok()) << page[1] << "(" << page[0] << "): " << found.describe();
  }
  EXPECT_EQ(complete({"bpfrouter", "sh"}), "show\n");
  std::string show = complete({"bpfrouter", "show", ""});
  for (const char* word : {"interfaces", "protocols", "route", "status"})
    EXPECT_NE(show.find(word), std::string::npos) << word << " not offered after show: " << show;
  EXPECT_EQ(complete({"bpfrouter", "configure", ""}), "check\n");
  EXPECT_EQ(complete({"bpfrouter", "stats", "--t"}), "--top\n");

  // The installed daemon starts as the unit starts it and reports READY=1.
  {
    lab::Netns ns("pkg"), peer("pkg");
    lab::Veth link({ns, "r0", {"fd00:7::1/64"}}, {peer, "p0", {"fd00:7::2/64"}});
    fs::path pin_root = "/sys/fs/bpf/" + lab::unique_name("bpfr-pkg");
    std::ofstream(sample / "run.conf")
        << "router id 10.0.7.1;\nprotocol device {}\nprotocol static {\n  ipv6;\n"
           "  route 2001:db8:700::/48 via fd00:7::2;\n}\nbpfrouter { leave running off; }\n";
    package::NotifyListener notify;
    lab::Process daemon({"env", notify.environment(), "/usr/sbin/bpfrouterd", "-f", "-c",
                         (sample / "run.conf").string(), "-s", (sample / "ctl").string(),
                         "--pin-root", pin_root.string(), "--bird-socket", ""},
                        &ns, sample / "daemon.log");
    EXPECT_TRUE(notify.wait_for("READY=1", 30s)) << notify.received() << daemon.log();
    daemon.signal(SIGTERM);
    EXPECT_TRUE(notify.wait_for("STOPPING=1", 10s)) << notify.received() << daemon.log();
    int status = daemon.stop(10s);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << daemon.log();
    std::error_code ec;
    fs::remove_all(pin_root, ec);
  }

  // What a run leaves, for the purge to remove: pinned maps and links, the runtime directory.
  fs::create_directories(kPinRoot / "links");
  made_pins_ = true;
  auto pin = lab::run({"bpftool", "map", "create", (kPinRoot / "purge_probe_v1").string(), "type",
                       "array", "key", "4", "value", "4", "entries", "1", "name", "purge_probe"});
  EXPECT_TRUE(pin.ok()) << pin.describe();
  fs::create_directories(kRunDir);

  auto purge = dpkg({"--purge", "bpfrouter"});
  ASSERT_TRUE(purge.ok()) << purge.describe();
  EXPECT_FALSE(package_installed());
  for (const auto& f : kInstalledFiles)
    EXPECT_FALSE(fs::exists(f)) << f << " left after purge";
  for (const fs::path& left : {fs::path("/etc/bpfrouter"), kPinRoot, kRunDir})
    EXPECT_FALSE(fs::exists(left)) << left << " left after purge";
  EXPECT_FALSE(fs::is_symlink(kEnabledLink)) << kEnabledLink << " left after purge";
}

}  // namespace
}  // namespace bpfr
