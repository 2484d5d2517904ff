#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

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

namespace {

std::uint64_t bits_of(double value) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

// The number json_parse reads from a text that is one JSON number, as its bits.
bool parsed_bits(const std::string &text, std::uint64_t &bits) {
  JsonValue value;
  if (json_parse(text, {}, value) != Status::ok || value.kind != JsonValue::Kind::number) return false;
  bits = bits_of(value.number);
  return true;
}

// What the parser's old path gave: strtod over the token (glibc's natively; musl's in
// the wasm build), correctly rounded as JSON.parse is, ±Infinity past the range, ±0 under it.
std::uint64_t strtod_bits(const std::string &text) { return bits_of(std::strtod(text.c_str(), nullptr)); }

// Checks that json_parse gives strtod's bits for each text (each one a JSON number).
void check_same_as_strtod(const std::vector<std::string> &texts) {
  std::size_t mismatches = 0;
  for (const std::string &text : texts) {
    std::uint64_t bits = 0;
    const bool parsed = parsed_bits(text, bits);
    if (parsed && bits == strtod_bits(text)) continue;
    if (++mismatches <= 10) {
      INFO("number: " << (text.size() > 200 ? text.substr(0, 200) + "..." : text));
      CHECK(parsed);
      CHECK(bits == strtod_bits(text));
    }
  }
  CHECK(mismatches == 0);
}

// The exact decimal expansion of the point halfway between a finite double and the next
// one up (x86-64's long double holds it exactly: 64 significant bits, a wider exponent).
std::string exact_midpoint_above(double value) {
  const double next = std::nextafter(value, std::numeric_limits<double>::infinity());
  // past the largest double, the next one would be 2^1024, one ulp up as below it
  const long double up = std::isinf(next) ? 2 * static_cast<long double>(value) - std::nextafter(value, 0.0)
                                          : static_cast<long double>(next);
  const long double mid = (static_cast<long double>(value) + up) / 2;
  char buffer[1200];
  std::snprintf(buffer, sizeof buffer, "%.800Le", mid);  // glibc prints every digit exactly
  std::string text = buffer;
  // "d.ddd…000e±x": trailing zeros of the mantissa dropped, as an exact expansion ends
  const std::size_t e = text.find('e');
  std::size_t end = e;
  while (end > 0 && text[end - 1] == '0') --end;
  if (text[end - 1] == '.') --end;
  return text.substr(0, end) + text.substr(e);
}

}  // namespace

TEST_CASE("numbers are read bit for bit as strtod (and JSON.parse) read them", "[json][numbers]") {
  // -0, the ends of the range, overflow to ±Infinity and underflow to ±0, as before
  const std::vector<std::string> tricky = {
      "0", "-0", "-0.0", "0e0", "-0e+0", "0.000e-999", "-0.0E99999", "1", "-1", "0.1", "-0.1", "0.3",
      "1e400", "-1e400", "1e-400", "-1e-400", "1e309", "1e308", "1e-324", "-1e-324",
      "5e-324", "-5e-324", "4.9e-324", "4.9406564584124654e-324", "3e-324", "2e-324",
      "2.4703282292062327e-324", "2.4703282292062328e-324", "-2.4703282292062328e-324",
      "2.2250738585072011e-308", "2.2250738585072012e-308", "2.2250738585072014e-308",
      "2.225073858507201e-308", "2.2250738585072009e-308", "1.5e-300", "-1.5e-300",
      "1.7976931348623157e308", "-1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308",
      "179769313486231580793728971405301e276",  // halfway between the largest double and 2^1024
      "179769313486231580793728971405300e276", "179769313486231580793728971405302e276",
      "1.7976931348623157E+308", "17976931348623157e292", "0.17976931348623157e309",
      // 15, 16, 17 and more digits; integers past 2^53
      "123456789012345", "1234567890123456", "12345678901234567", "9007199254740992", "9007199254740993",
      "-9007199254740993", "9007199254740993.000000000000000000001", "9007199254740992.9999999999999999999",
      "18446744073709551615", "18446744073709551616", "123456789012345678901234567890",
      "0.30000000000000004", "0.1000000000000000055511151231257827021181583404541015625",
      "1.00000000000000011102230246251565404236316680908203125",   // halfway above 1: rounds to even, 1
      "1.000000000000000111022302462515654042363166809082031250001",  // just past it: up
      "1.000000000000000111022302462515654042363166809082031249999",  // just under it: 1
      "7.2057594037927933e16", "4.35679845e-9", "1e23", "8.98846567431158e307", "1.1754943508222875e-38",
      // exponents with many digits, and leading zeros
      "1e0000000000000000001", "1e-0000000000000000001", "1E+0000000000000000000000308", "1e999999999999999999999",
      "-1e999999999999999999999", "1e-999999999999999999999", "0e999999999999999999999", "1.0e00",
      "123456789e-999999999999", "0.0000000000000000000000000000000000000001e40",
  };
  check_same_as_strtod(tricky);

  // long mantissas: the value in many digits, zeros before it or after it
  std::vector<std::string> long_ones = {
      "0." + std::string(1000, '0') + "1e1001",  // 1
      "1" + std::string(400, '0') + "e-400",     // 1
      "1" + std::string(400, '0') + "e-92",      // 1e308
      "1" + std::string(400, '0') + "e-91",      // Infinity
      "0." + std::string(2000, '0') + "1e1700",  // 1e-301
      std::string(800, '9') + "e-1100",
      "2." + std::string(5000, '5') + "e-324",
      "-" + std::string(1000, '7') + "." + std::string(1000, '3'),
  };
  long_ones.push_back(exact_midpoint_above(0.0));  // halfway between 0 and 5e-324: 0
  long_ones.push_back(exact_midpoint_above(0.0) + "1");  // past it: 5e-324
  long_ones.push_back(exact_midpoint_above(std::numeric_limits<double>::max()));  // Infinity
  long_ones.push_back(exact_midpoint_above(std::numeric_limits<double>::min()));
  long_ones.push_back(exact_midpoint_above(std::numeric_limits<double>::denorm_min()));
  check_same_as_strtod(long_ones);
}

TEST_CASE("generated numbers are read bit for bit as strtod reads them", "[json][numbers]") {
  std::mt19937_64 rng(20261125);
  const auto below = [&](std::uint64_t n) { return static_cast<std::size_t>(rng() % n); };
  const auto digits = [&](std::size_t count, bool leading_nonzero) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) out += static_cast<char>('0' + (i == 0 && leading_nonzero ? 1 + below(9) : below(10)));
    return out;
  };
  std::vector<std::string> texts;
  // Doubles of every kind (random bit patterns: subnormals, both ends of the range),
  // written with 17 digits, with fewer, with their exact expansion, and the points
  // halfway to the next double up, exactly and a little off either side.
  for (int i = 0; i < 3000; ++i) {
    std::uint64_t bits = rng() & ~(std::uint64_t{1} << 63);
    if (i % 3 == 0) bits &= 0x000FFFFFFFFFFFFFu;                                      // subnormals
    if (i % 3 == 1) bits = (bits & 0x000FFFFFFFFFFFFFu) | (std::uint64_t{0x7FE - below(4)} << 52);  // near the top
    double value = 0;
    std::memcpy(&value, &bits, sizeof value);
    if (!std::isfinite(value)) continue;
    const char *sign = below(2) ? "-" : "";
    char buffer[64];
    for (int precision : {16, 15, 13, 5, 0}) {
      std::snprintf(buffer, sizeof buffer, "%s%.*e", sign, precision, value);
      texts.emplace_back(buffer);
    }
    const std::string mid = exact_midpoint_above(value);
    texts.push_back(sign + mid);
    texts.push_back(sign + mid + "1");                       // just past halfway
    const std::size_t e = mid.find('e');
    texts.push_back(sign + mid.substr(0, std::min<std::size_t>(e, 40)) + mid.substr(e));  // cut to 39 digits
  }
  // Decimal texts of every shape: 1 to 40 digits (sometimes hundreds), a fraction or not,
  // exponents anywhere, most of them near the ends of the range.
  for (int i = 0; i < 40000; ++i) {
    std::string text = below(4) == 0 ? "-" : "";
    const std::size_t int_digits = below(8) == 0 ? 1 + below(400) : 1 + below(25);
    text += below(6) == 0 ? "0" : digits(int_digits, true);
    if (below(2)) text += "." + digits(below(8) == 0 ? 1 + below(400) : 1 + below(25), false);
    if (below(8) != 0) {
      text += below(2) ? "e" : "E";
      const std::size_t sign = below(3);
      text += sign == 0 ? "" : sign == 1 ? "+" : "-";
      long exponent = 0;
      switch (below(4)) {
        case 0: exponent = static_cast<long>(below(30)); break;
        case 1: exponent = 290 + static_cast<long>(below(40)); break;
        case 2: exponent = 300 + static_cast<long>(below(440)); break;
        default: exponent = static_cast<long>(below(100000)); break;
      }
      text += std::string(below(6) == 0 ? below(20) : 0, '0') + std::to_string(exponent);
    }
    texts.push_back(text);
  }
  check_same_as_strtod(texts);
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

TEST_CASE("strings are decoded from the UTF-8 in place as TextDecoder decodes the whole text", "[json]") {
  // The parser reads the bytes themselves; each run it decodes ends before an ASCII byte
  // (a quote, a backslash) or at the end: the same as decoding the whole text first.
  for (const char *text : {"\"\xf0\x9f\"", "\"\xf0\x9f\\n\xe2\x82\"", "\"a\xc3\xa9\\\"\xe2\x82\xac\xf0\x9f\x98\x80z\"",
                           "\"\xed\xa0\x80\\u0041\xff\xfe\"", "\"\xe2\x80\xa8\xc0\xaf\xf4\x90\x80\x80\""}) {
    INFO("input: " << text);
    JsonValue parsed;
    REQUIRE(json_parse(text, {}, parsed) == Status::ok);
    std::u16string expected;  // the whole text decoded first, then the escapes read
    const std::u16string whole = utf16_from_utf8(text);
    for (std::size_t i = 1; i + 1 < whole.size(); ++i) {
      if (whole[i] != u'\\') {
        expected.push_back(whole[i]);
      } else if (whole[i + 1] == u'n') {
        expected.push_back(u'\n'), ++i;
      } else if (whole[i + 1] == u'u') {
        expected.push_back(static_cast<char16_t>(std::stoi(std::string(whole.begin() + static_cast<std::ptrdiff_t>(i) + 2, whole.begin() + static_cast<std::ptrdiff_t>(i) + 6), nullptr, 16))), i += 5;
      } else {
        expected.push_back(whole[i + 1]), ++i;
      }
    }
    CHECK(std::u16string(parsed.string.view()) == expected);
  }
  // Outside strings only ASCII is JSON: a non-ASCII byte (or a BOM past the start) is not.
  for (const char *bad : {"[1,\xc2\xa0 2]", "\xe2\x80\x8b[]", "[]\xef\xbb\xbf", "\xff"}) {
    INFO("input: " << bad);
    CHECK(canonical(bad) == "<ERR_NOT_JSON>");
  }
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

TEST_CASE("a JsonValue's containers copy deeply, move, erase and sort", "[json]") {
  JsonValue parsed;
  REQUIRE(json_parse(R"({"b":[1,[2,{}]],"a":[],"c":{"y":1,"x":2,"y":3}})", {}, parsed) == Status::ok);
  JsonValue copy = parsed;
  copy.object[0].second.array.push_back(JsonValue::from_number(9));  // "a" gains an item
  copy.object[1].second.array[1].array.emplace_back();                // "b"[1] gains a null
  std::string original, copied;
  json_write_canonical(parsed, original);
  json_write_canonical(copy, copied);
  CHECK(original == R"({"a":[],"b":[1,[2,{}]],"c":{"x":2,"y":3}})");
  CHECK(copied == R"({"a":[9],"b":[1,[2,{},null]],"c":{"x":2,"y":3}})");
  JsonValue moved = std::move(copy);
  CHECK(moved.object.size() == 3);
  moved.object.erase(moved.object.begin(), moved.object.begin() + 2);
  std::string erased;
  json_write_canonical(moved, erased);
  CHECK(erased == R"({"c":{"x":2,"y":3}})");
  CHECK(moved.find(u"c") != nullptr);
  CHECK(moved.find(u"a") == nullptr);
  JsonValue empty;
  CHECK(empty.array.begin() == empty.array.end());
  CHECK(empty.object.empty());
}

namespace {

// The same value read two ways: the flat document and its tree (json_tree).
std::string canonical_of(const JsonNode &node) {
  std::string out;
  json_write_canonical(node, out);
  return out;
}

}  // namespace

TEST_CASE("a JsonDocument's nodes: kinds, numbers, strings, items and members", "[json][flat]") {
  JsonDocument doc;
  REQUIRE(json_parse(R"({"n":null,"t":true,"f":false,"i":-2147483648,"j":2147483647,"big":2147483648,)"
                     R"("d":0.5,"z":-0,"s":"h\u00e9\ud83d\ude00\udc00","e":"","a":[1,[2,{}],"x"],"o":{"b":1,"a":2,"b":3}})",
                     {}, doc) == Status::ok);
  const JsonNode &root = doc.root();
  REQUIRE(root.kind() == JsonNode::Kind::object);
  CHECK(root.object().size() == 12);
  CHECK(root.find(u"n")->kind() == JsonNode::Kind::null);
  CHECK(root.find(u"t")->kind() == JsonNode::Kind::boolean);
  CHECK(root.find(u"t")->boolean());
  CHECK_FALSE(root.find(u"f")->boolean());
  CHECK(root.find(u"i")->number() == -2147483648.0);
  CHECK(root.find(u"j")->number() == 2147483647.0);
  CHECK(root.find(u"big")->number() == 2147483648.0);
  CHECK(root.find(u"d")->number() == 0.5);
  CHECK(root.find(u"z")->kind() == JsonNode::Kind::number);
  CHECK(std::signbit(root.find(u"z")->number()));
  CHECK(root.find(u"s")->string() == std::u16string_view(u"h\u00e9\xd83d\xde00\xdc00"));
  CHECK(root.find(u"e")->kind() == JsonNode::Kind::string);
  CHECK(root.find(u"e")->string().empty());
  CHECK(root.find(u"missing") == nullptr);
  CHECK(root.find(u"a")->find(u"x") == nullptr);  // not an object
  const JsonItems items = root.find(u"a")->array();
  REQUIRE(items.size() == 3);
  CHECK(items[0].number() == 1);
  CHECK(items[1].array().size() == 2);
  CHECK(items[1].array()[1].object().empty());
  CHECK(items[2].string() == std::u16string_view(u"x"));
  const JsonMembers o = root.find(u"o")->object();
  REQUIRE(o.size() == 2);  // the last "b" wins
  CHECK(o[0].first == std::u16string_view(u"a"));
  CHECK(o[1].first == std::u16string_view(u"b"));
  CHECK(o[1].second.number() == 3);
  std::u16string keys;
  for (const JsonMember member : root.object()) keys += member.first;
  CHECK(keys == u"abigdefijnostz");  // sorted by UTF-16 code units
  // other kinds answer empty
  CHECK(root.string().empty());
  CHECK(root.array().empty());
  CHECK(items[0].object().empty());
  CHECK(root.number() == 0);
  // the tree holds the same value
  std::string tree;
  json_write_canonical(json_tree(root), tree);
  CHECK(tree == canonical_of(root));
  CHECK(canonical_of(root) ==
        "{\"a\":[1,[2,{}],\"x\"],\"big\":2147483648,\"d\":0.5,\"e\":\"\",\"f\":false,\"i\":-2147483648,"
        "\"j\":2147483647,\"n\":null,\"o\":{\"a\":2,\"b\":3},\"s\":\"h\xc3\xa9\xf0\x9f\x98\x80\\udc00\",\"t\":true,"
        "\"z\":0}");
}

TEST_CASE("a JsonDocument moves with its nodes valid; a failed parse leaves it empty", "[json][flat]") {
  JsonDocument doc;
  REQUIRE(json_parse(R"([{"k":"v"},"ab"])", {}, doc) == Status::ok);
  const JsonNode *first = &doc.root();
  JsonDocument moved = std::move(doc);
  CHECK(&moved.root() == first);
  CHECK(moved.root().array()[0].find(u"k")->string() == std::u16string_view(u"v"));
  CHECK(json_parse("[1,", {}, moved) == Status::not_json);
  CHECK(moved.root().kind() == JsonNode::Kind::null);
  CHECK(json_parse("\"a\"", {}, moved) == Status::ok);
  CHECK(moved.root().string() == std::u16string_view(u"a"));
}

TEST_CASE("containers of every size and nesting are read whole, with keys sorted and deduplicated", "[json][flat]") {
  // counts of 0, 1, 254, 255, 256 and 100,000 children (255 and more are counted aside),
  // nested, with reversed and repeated keys; checked against a text built in key order
  std::mt19937 rng(17);
  for (const std::size_t n : {0u, 1u, 2u, 254u, 255u, 256u, 1000u, 100000u}) {
    std::string array = "[", expected_array = "[";
    std::string object = "{", expected_object = "{";
    for (std::size_t i = 0; i < n; ++i) {
      const std::string item = i % 3 == 0 ? "[" + std::to_string(i) + "]" : i % 3 == 1 ? "\"s" + std::to_string(i) + "\"" : "{}";
      array += (i ? "," : "") + item;
      expected_array += (i ? "," : "") + item;
    }
    // keys k0000000..: written in reverse, each twice (the second value wins)
    char key[32];
    for (std::size_t i = n; i-- > 0;) {
      std::snprintf(key, sizeof key, "k%07zu", i);
      object += std::string(object.size() > 1 ? "," : "") + "\"" + key + "\":" + std::to_string(rng() % 1000) + ",\"" + key + "\":" + std::to_string(i);
    }
    for (std::size_t i = 0; i < n; ++i) {
      std::snprintf(key, sizeof key, "k%07zu", i);
      expected_object += std::string(i ? "," : "") + "\"" + key + "\":" + std::to_string(i);
    }
    array += "]";
    expected_array += "]";
    object += "}";
    expected_object += "}";
    INFO("children: " << n);
    const std::string text = "[" + array + "," + object + ",[" + array + "]]";
    ParseLimits limits;
    limits.max_bytes = 1u << 24;
    JsonDocument doc;
    REQUIRE(json_parse(text, limits, doc) == Status::ok);
    CHECK(canonical_of(doc.root()) == "[" + expected_array + "," + expected_object + ",[" + expected_array + "]]");
    CHECK(doc.root().array()[1].object().size() == n);
  }
}

TEST_CASE("texts that stop parsing anywhere are refused, whatever the first pass counted", "[json][flat]") {
  // Every prefix of a text with all kinds of values, and each with one byte changed: the
  // first pass counts children that the parser never reaches or more than the hint.
  const std::string text =
      R"({"a":[1,2,[3,[4,{"b":"c\"]}","d":[]}]],"e":{"f":[true,false,null,-1.5e3,"\u00e9"]},"g":[[],[{}],{"h":0}]})";
  for (std::size_t cut = 0; cut < text.size(); ++cut) {
    JsonDocument doc;
    CHECK(json_parse(text.substr(0, cut), {}, doc) != Status::ok);
  }
  for (std::size_t at = 0; at < text.size(); ++at) {
    for (const char c : {',', '[', ']', '{', '}', '"', '\\', ':', '0'}) {
      std::string changed = text;
      changed[at] = c;
      JsonDocument doc;
      std::string tree_text, flat_text;
      JsonValue tree;
      const Status status = json_parse(changed, {}, doc);
      REQUIRE(json_parse(changed, {}, tree) == status);
      if (status == Status::ok) {
        json_write_canonical(tree, tree_text);
        CHECK(tree_text == canonical_of(doc.root()));
      }
    }
  }
  // more children than any count: the hint is exceeded on a text that does not parse
  JsonDocument doc;
  CHECK(json_parse("[1,2]]", {}, doc) == Status::not_json);
  CHECK(json_parse("[[1,2}, 3, 4, 5]", {}, doc) == Status::not_json);
  CHECK(json_parse("{\"a\":1,\"b\":2]", {}, doc) == Status::not_json);
}
