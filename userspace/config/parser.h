// Reading a BIRD 2 configuration (with the bpfrouter block) into a Config.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "config/config.h"

namespace bpfr::config {

// A configuration that cannot be used. what() reads like `bird -p`:
// "bird.conf:12:5: syntax error near 'foo'".
struct ConfigError : std::runtime_error {
  SourceLocation where;
  std::string message;  // without the location
  std::string word;     // the word at fault; may be empty at end of file

  ConfigError(SourceLocation w, std::string msg, std::string at);
};

// Reads the file and every file it includes. Throws ConfigError.
Config parse_config_file(const std::string& path);

// Parses text as if it were the file `name` (includes resolve relative to its directory).
Config parse_config_text(std::string_view text, const std::string& name = "<string>");

}  // namespace bpfr::config
