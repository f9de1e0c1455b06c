#include "daemon/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <syslog.h>

#include <memory>
#include <mutex>

namespace bpfr::daemon {

namespace {

using config::LogClass;

uint32_t class_of(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return config::log_trace;
    case spdlog::level::debug:
      return config::log_debug;
    case spdlog::level::info:
      return config::log_info;
    case spdlog::level::warn:
      return config::log_warning;
    case spdlog::level::err:
      return config::log_error;
    case spdlog::level::critical:
      return config::log_fatal;
    default:
      return 0;
  }
}

// Passes on the messages whose BIRD class the target asked for.
class ClassFilter : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ClassFilter(spdlog::sink_ptr inner, uint32_t classes)
      : inner_(std::move(inner)), classes_(classes) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (classes_ & class_of(msg.level))
      inner_->log(msg);
  }
  void flush_() override { inner_->flush(); }

 private:
  spdlog::sink_ptr inner_;
  uint32_t classes_;
};

spdlog::sink_ptr make_sink(const config::LogTarget& t) {
  switch (t.kind) {
    case config::LogTarget::Kind::syslog: {
      std::string ident = t.syslog_name.empty() ? "bpfrouterd" : t.syslog_name;
      return std::make_shared<spdlog::sinks::syslog_sink_mt>(ident, LOG_PID, LOG_DAEMON, true);
    }
    case config::LogTarget::Kind::file:
      if (t.size_limit > 0)
        return std::make_shared<spdlog::sinks::rotating_file_sink_mt>(t.path, t.size_limit, 1);
      return std::make_shared<spdlog::sinks::basic_file_sink_mt>(t.path);
    case config::LogTarget::Kind::stderr_:
      break;
  }
  return std::make_shared<spdlog::sinks::stderr_sink_mt>();
}

}  // namespace

void setup_logging(const std::vector<config::LogTarget>& targets, bool debug) {
  std::vector<spdlog::sink_ptr> sinks;
  bool wants_debug = debug;
  for (const auto& t : targets) {
    auto sink = make_sink(t);
    sink->set_pattern(t.kind == config::LogTarget::Kind::syslog ? "%v" : "%Y-%m-%d %T.%e <%l> %v");
    sinks.push_back(std::make_shared<ClassFilter>(sink, debug ? config::log_all : t.classes));
    wants_debug = wants_debug || ((t.classes & config::log_debug) && t.classes != config::log_all);
  }
  if (sinks.empty()) {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    sink->set_pattern("%Y-%m-%d %T.%e <%l> %v");
    sinks.push_back(sink);
  }
  auto logger = std::make_shared<spdlog::logger>("bpfrouterd", sinks.begin(), sinks.end());
  logger->set_level(wants_debug ? spdlog::level::debug : spdlog::level::info);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace bpfr::daemon
