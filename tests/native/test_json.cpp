#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "hash.h"
#include "json.h"

using namespace jazzrpc;

namespace {

std::string canonical(std::string_view text, ParseLimits limits = {}) {
  std::string out;
  const Status status = json_canonicalize(text, limits, out);
  if (status != Status::ok) return std::string("<") + status_name(status) + ">";
  return out;
}

std::string js_number(double value) {
  std::string out;
  js_number_append(value, out);
  return out;
}

}  // namespace

TEST_CASE("object keys are sorted by UTF-16 code units, not UTF-8 bytes", "[json]") {
  CHECK(canonical(R"({"b":1,"a":2,"B":3})") == R"({"B":3,"a":2,"b":1})");
  // U+1F600 is D83D DE00 in UTF-16, below U+FFFF; in UTF-8 it sorts after.
  CHECK(canonical("{\"\\uffff\":1,\"\xf0\x9f\x98\x80\":2}") == "{\"\xf0\x9f\x98\x80\":2,\"\xef\xbf\xbf\":1}");
  CHECK(canonical(R"({"aa":1,"a":2,"":3})") == R"({"":3,"a":2,"aa":1})");
  CHECK(canonical(R"({"z":{"y":[{"b":1,"a":0}]}})") == R"({"z":{"y":[{"a":0,"b":1}]}})");
}

TEST_CASE("numbers are written as JavaScript's String(n)", "[json]") {
  CHECK(canonical("9007199254740993") == "9007199254740992");
  CHECK(canonical("1e21") == "1e+21");
  CHECK(canonical("1e20") == "100000000000000000000");
  CHECK(canonical("1e-7") == "1e-7");
  CHECK(canonical("0.000001") == "0.000001");
  CHECK(canonical("-0") == "0");
  CHECK(canonical("-0.0") == "0");
  CHECK(canonical("1.000") == "1");
  CHECK(canonical("1E5") == "100000");
  CHECK(canonical("0.1") == "0.1");
  CHECK(canonical("123e-20") == "1.23e-18");
  CHECK(canonical("-1.5e300") == "-1.5e+300");
  CHECK(canonical("5e-324") == "5e-324");
  CHECK(canonical("1.7976931348623157e308") == "1.7976931348623157e+308");
  CHECK(canonical("1e400") == "null");  // Infinity
  CHECK(canonical("-1e400") == "null");
  CHECK(canonical("1e-400") == "0");
  CHECK(canonical("123456789012345680000") == "123456789012345680000");
  CHECK(js_number(0.1 + 0.2) == "0.30000000000000004");
  CHECK(js_number(1.0 / 3.0) == "0.3333333333333333");
  CHECK(js_number(std::numeric_limits<double>::quiet_NaN()) == "null");
  CHECK(js_number(1700000000000.0) == "1700000000000");
}

TEST_CASE("strings are written as JSON.stringify writes them", "[json]") {
  CHECK(canonical(R"("a\"b\\c\/d")") == R"("a\"b\\c/d")");
  CHECK(canonical(R"("\b\f\n\r\t")") == R"("\b\f\n\r\t")");
  CHECK(canonical(R"("\u0000\u001f\u007f")") == "\"\\u0000\\u001f\x7f\"");
  CHECK(canonical(R"("\u00e9\u4e2d")") == "\"\xc3\xa9\xe4\xb8\xad\"");       // raw non-ASCII
  CHECK(canonical(R"("\u2028\u2029")") == "\"\xe2\x80\xa8\xe2\x80\xa9\"");   // raw line separators
  CHECK(canonical(R"("\ud83d\ude00")") == "\"\xf0\x9f\x98\x80\"");           // a pair is one code point
  CHECK(canonical(R"("\ud800")") == R"("\ud800")");                          // lone surrogates escaped
  CHECK(canonical(R"("x\uDFFFy")") == R"("x\udfffy")");
}

TEST_CASE("encrypted_U and binary_U strings are written raw", "[json]") {
  CHECK(canonical(R"("encrypted_Uab\"c\n")") == "\"encrypted_Uab\"c\n\"");
  CHECK(canonical(R"("binary_U\u0001")") == "\"binary_U\x01\"");
  CHECK(canonical(R"("xencrypted_U\"")") == R"("xencrypted_U\"")");  // only as a prefix
  CHECK(canonical(R"({"encrypted_U\"":1})") == R"({"encrypted_U\"":1})");  // keys are never raw
}

TEST_CASE("the last of duplicate keys wins", "[json]") {
  CHECK(canonical(R"({"a":1,"b":2,"a":3})") == R"({"a":3,"b":2})");
  CHECK(canonical(R"({"a":{"x":1},"a":[]})") == R"({"a":[]})");
}

TEST_CASE("the text is read as TextDecoder and JSON.parse read it", "[json]") {
  CHECK(canonical(" \t\r\n[ 1 , true , false , null ] \n") == "[1,true,false,null]");
  CHECK(canonical("\xef\xbb\xbf{}") == "{}");                              // BOM dropped
  CHECK(canonical("\"\xff\"") == "\"\xef\xbf\xbd\"");                      // invalid byte -> U+FFFD
  CHECK(canonical("\"\xe4\xb8\"") == "\"\xef\xbf\xbd\"");                  // truncated sequence -> one U+FFFD
  CHECK(canonical("\"\xed\xa0\x80\"") == "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // encoded surrogate
  CHECK(canonical("{}") == "{}");
  CHECK(canonical("[]") == "[]");
  CHECK(canonical("\"\"") == "\"\"");
}

TEST_CASE("what JSON.parse refuses is not JSON", "[json]") {
  for (const char *bad : {"", " ", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "+1", "-", "1e", "0x10", "NaN",
                          "Infinity", "'a'", "\"\\x\"", "\"\\u12\"", "\"a\nb\"", "[1] 2", "tru", "nul",
                          "{\"a\" 1}", "{a:1}", "\"abc", "[1 2]", "\xef\xbb\xbf\xef\xbb\xbf{}"}) {
    INFO("input: " << bad);
    CHECK(canonical(bad) == "<ERR_NOT_JSON>");
  }
}

TEST_CASE("size and depth limits answer with their own errors", "[json]") {
  ParseLimits small;
  small.max_bytes = 8;
  CHECK(canonical("[1,2,3,4]", small) == "<ERR_TOO_LARGE>");
  CHECK(canonical("[1,2,3]", small) == "[1,2,3]");
  ParseLimits shallow;
  shallow.max_depth = 3;
  CHECK(canonical("[[[1]]]", shallow) == "[[[1]]]");
  CHECK(canonical("[[[[1]]]]", shallow) == "<ERR_TOO_DEEP>");
  CHECK(canonical(R"({"a":{"b":{"c":{}}}})", shallow) == "<ERR_TOO_DEEP>");
  // The default depth stops a deep nest before the stack does.
  CHECK(canonical(std::string(100000, '[') + std::string(100000, ']')) == "<ERR_TOO_DEEP>");
  // 0 means the default; a huge depth is clamped to the hard maximum.
  const ParseLimits clamped = ParseLimits::from(0, 1u << 30);
  CHECK(clamped.max_bytes == ParseLimits::default_max_bytes);
  CHECK(clamped.max_depth == ParseLimits::hard_max_depth);
}

TEST_CASE("secureHash and shortHash match cojson's", "[json][hash]") {
  // Expected values computed with @noble/hashes' BLAKE3 over the canonical text.
  std::string out;
  REQUIRE(secure_hash("{}", {}, out) == Status::ok);
  CHECK(out == "hash_z8RUX6LHwEXc2GLu4kHWsY6UhKBZUw74uUyBSU5tpFHHS");
  REQUIRE(short_hash("{ }", {}, out) == Status::ok);
  CHECK(out == "shortHash_zMBw4j6zNH7AZixrHPX2D5bQF2X");
  REQUIRE(secure_hash(R"({"b":[1,2.50,"x"],"a":null})", {}, out) == Status::ok);
  CHECK(out == "hash_zDUpFqtjMTRwx3maWwJsGsNAznRGVAN7GNLLDt7rwP8iT");
  REQUIRE(short_hash(R"({"b":[1,2.5,"x"],"a":null})", {}, out) == Status::ok);
  CHECK(out == "shortHash_zawr5G3tqmeW6G9yC4TdXmZfiTS");
  REQUIRE(secure_hash(R"("hash_zabc")", {}, out) == Status::ok);
  CHECK(out == "hash_z7PgYjzHepNJx2tpTwtAoah4EJuxEYYRpKDWKNQZYNJta");
  CHECK(secure_hash("{", {}, out) == Status::not_json);
}
