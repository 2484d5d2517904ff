// Helpers shared by the native tests: hex, and the published vector files.
#ifndef JAZZRPC_TEST_UTIL_H
#define JAZZRPC_TEST_UTIL_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace test_util {

inline std::vector<std::uint8_t> from_hex(const std::string &hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

inline std::string to_hex(const std::uint8_t *bytes, std::size_t len) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < len; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

// The vectors folder: $JAZZRPC_VECTORS, else tests/vectors (set by CMake).
inline nlohmann::json load_vectors(const std::string &name) {
  const char *env = std::getenv("JAZZRPC_VECTORS");
  const std::string dir = env != nullptr ? env : JAZZRPC_VECTORS_DIR;
  std::ifstream file(dir + "/" + name);
  if (!file) throw std::runtime_error("cannot open vector file " + dir + "/" + name);
  std::stringstream text;
  text << file.rdbuf();
  return nlohmann::json::parse(text.str());
}

}  // namespace test_util

#endif
