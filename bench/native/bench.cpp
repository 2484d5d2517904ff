// jazzrpc_bench: the native core (jazzrpc_core over Debian's libsodium) on the
// operations `make bench` compares. Prints one JSON object on stdout.
//
//   jazzrpc_bench [--quick] [--reps N] [--seconds S] [--body FILE] [--only NAME[,NAME]] [--count N]
//
// --body names a file holding one jazz-tools request body (bench/run.mjs writes
// it); without it the envelope and secureHash figures are left out.
// --only runs some figures: ed25519, envelope, hash, message, replay. "message" is
// the core's share of one handle(): verify a jazzrpc request, sign the response.
// --count N calls each selected operation exactly N times, untimed, for
// `valgrind --tool=callgrind` (instructions per call = the function's inclusive
// count / N); replay then claims N distinct ids.
// Each figure runs for S seconds per repetition after a warm-up; the median of the
// repetitions is reported, with every repetition's value.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base58.h"
#include "envelope.h"
#include "hash.h"
#include "json.h"
#include "message.h"
#include "replay_set.h"
#include "sign.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int reps = 5;
  double seconds = 1.0;
  std::string body_file;
  std::set<std::string> only;
  long count = 0;
  bool wants(const std::string &name) const { return only.empty() || only.count(name) > 0; }
};

volatile std::uint64_t g_sink = 0;  // keeps results observable

// Runs op in batches for `seconds`, returns operations per second.
double rate(const std::function<void()> &op, double seconds) {
  std::uint64_t count = 0;
  std::uint64_t batch = 1;
  const auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (std::uint64_t i = 0; i < batch; i++) op();
    count += batch;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (elapsed < seconds / 20) batch *= 2;
  }
  return static_cast<double>(count) / elapsed;
}

struct Figure {
  std::string name;
  std::vector<double> samples;
  double median() const {
    std::vector<double> s = samples;
    std::sort(s.begin(), s.end());
    const std::size_t n = s.size();
    if (n == 0) return 0;
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
};

std::string json_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void fail(const char *what) {
  std::fprintf(stderr, "jazzrpc_bench: %s\n", what);
  std::exit(1);
}

// The replay set: claims/s of distinct ids on a steady clock, and bytes per live id.
struct ReplayResult {
  double claims_per_second = 0;
  double bytes_per_live_id = 0;
  double live_ids = 0;
};

std::vector<std::string> make_ids(std::size_t n) {
  std::vector<std::string> ids;
  ids.reserve(n);
  std::uint8_t bytes[19] = {};
  std::uint64_t x = 0x9e3779b97f4a7c15ull;
  for (std::size_t i = 0; i < n; i++) {
    for (auto &b : bytes) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      b = static_cast<std::uint8_t>(x);
    }
    ids.push_back(jazzrpc::prefixed_encode(jazzrpc::prefix::co_id, bytes, sizeof bytes));
  }
  return ids;
}

// Claims `ids` once each, `per_ms` ids per simulated millisecond, each held for a
// 60 s window; returns claims/s and the bytes per live id at the end.
ReplayResult replay_run(const std::vector<std::string> &ids, double per_ms) {
  jazzrpc::ReplaySet set;
  const double t0 = 1.7e12;
  const auto start = Clock::now();
  std::uint64_t first = 0;
  for (std::size_t i = 0; i < ids.size(); i++) {
    const double now = t0 + static_cast<double>(i) / per_ms;
    first += set.claim(ids[i], now + 60'000, now) == jazzrpc::ReplaySet::Claim::first;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (first != ids.size()) fail("replay set: a distinct id was refused");
  g_sink = g_sink + first;
  ReplayResult r;
  r.claims_per_second = static_cast<double>(ids.size()) / elapsed;
  r.live_ids = static_cast<double>(set.count());
  r.bytes_per_live_id = static_cast<double>(set.bytes()) / r.live_ids;
  return r;
}

}  // namespace

int main(int argc, char **argv) {
  Options opt;
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) fail("missing value after an option");
      return argv[++i];
    };
    if (a == "--quick") {
      opt.reps = 3;
      opt.seconds = 0.3;
    } else if (a == "--reps") {
      opt.reps = std::max(1, std::atoi(next().c_str()));
    } else if (a == "--seconds") {
      opt.seconds = std::atof(next().c_str());
    } else if (a == "--body") {
      opt.body_file = next();
    } else if (a == "--count") {
      opt.count = std::max(1L, std::atol(next().c_str()));
    } else if (a == "--only") {
      std::stringstream names(next());
      std::string name;
      while (std::getline(names, name, ',')) opt.only.insert(name);
    } else {
      fail("usage: jazzrpc_bench [--quick] [--reps N] [--seconds S] [--body FILE] [--only NAME,...]");
    }
  }
  if (sodium_init() < 0) fail("sodium_init failed");

  // A fixed key and the message cojson signs for a hash: the quoted "hash_z…".
  std::array<std::uint8_t, jazzrpc::sign_seed_bytes> seed{};
  for (std::size_t i = 0; i < seed.size(); i++) seed[i] = static_cast<std::uint8_t>(i * 7 + 1);
  jazzrpc::SignerKeypair keypair;
  if (jazzrpc::sign_seed_keypair(seed.data(), keypair) != jazzrpc::Status::ok) fail("keypair");
  std::array<std::uint8_t, jazzrpc::sign_public_key_bytes> pk{};
  if (jazzrpc::prefixed_decode(keypair.signer_id, jazzrpc::prefix::signer, pk.size(), pk.data()) != jazzrpc::Status::ok)
    fail("signer id");
  const std::string message = jazzrpc::quoted_hash_message(jazzrpc::secure_hash_canonical("{\"bench\":true}"));
  const auto *msg = reinterpret_cast<const std::uint8_t *>(message.data());
  std::array<std::uint8_t, jazzrpc::sign_bytes> sig{};
  if (jazzrpc::sign_detached(msg, message.size(), seed.data(), sig.data()) != jazzrpc::Status::ok) fail("sign");

  std::string body;
  double body_now = 0;
  std::string payload;  // the signed content {contentPieces, id, createdAt, signerID} as JSON text
  if (!opt.body_file.empty()) {
    std::ifstream in(opt.body_file, std::ios::binary);
    if (!in) fail("cannot read --body");
    body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    jazzrpc::EnvelopeInfo info;
    jazzrpc::EnvelopeOptions eo;
    eo.window_ms = 1e15;  // the body's own time: only the createdAt is read here
    jazzrpc::envelope_verify(body, 1e13, eo, info);
    if (!info.parsed) fail("the --body file is not a request body");
    body_now = info.created_at + 1000;
    jazzrpc::JsonValue root;
    if (jazzrpc::json_parse(body, {}, root) != jazzrpc::Status::ok) fail("body parse");
    root.object.erase(std::remove_if(root.object.begin(), root.object.end(),
                                     [](const jazzrpc::JsonValue::Member &m) { return m.first == u"authToken"; }),
                      root.object.end());
    jazzrpc::json_write_canonical(root, payload);
  }

  std::vector<Figure> figures;
  std::vector<std::function<void()>> ops;
  auto add = [&](const std::string &name, std::function<void()> op) {
    figures.push_back({name, {}});
    ops.push_back(std::move(op));
  };

  if (opt.wants("ed25519")) {
    add("ed25519_sign", [&] {
      std::array<std::uint8_t, jazzrpc::sign_bytes> s{};
      jazzrpc::sign_detached(msg, message.size(), seed.data(), s.data());
      g_sink = g_sink + s[0];
    });
    add("ed25519_verify", [&] {
      if (!jazzrpc::sign_verify_detached(sig.data(), msg, message.size(), pk.data())) fail("verify failed");
      g_sink = g_sink + 1;
    });
  }
  if (!body.empty() && opt.wants("envelope")) {
    add("envelope_verify", [&] {
      jazzrpc::EnvelopeInfo info;
      if (jazzrpc::envelope_verify(body, body_now, {}, info) != jazzrpc::Status::ok) fail("envelope did not verify");
      g_sink = g_sink + info.id.size();
    });
  }
  if (!payload.empty() && opt.wants("hash")) {
    add("secure_hash", [&] {
      std::string out;
      if (jazzrpc::secure_hash(payload, {}, out) != jazzrpc::Status::ok) fail("secure_hash");
      g_sink = g_sink + out.size();
    });
  }

  if (opt.wants("message")) {
    // a worker and a client, a request signed by the client, as js-glue's send() makes it
    std::array<std::uint8_t, jazzrpc::sign_seed_bytes> worker_seed{};
    worker_seed.fill(9);
    static jazzrpc::SignerKeypair worker, client;
    if (jazzrpc::sign_seed_keypair(worker_seed.data(), worker) != jazzrpc::Status::ok) fail("worker keypair");
    if (jazzrpc::sign_seed_keypair(seed.data(), client) != jazzrpc::Status::ok) fail("client keypair");
    static std::string worker_id, request;
    if (jazzrpc::account_id_from_signer(worker.signer_id, worker_id) != jazzrpc::Status::ok) fail("worker id");
    jazzrpc::MessageSpec spec;
    spec.kind = jazzrpc::MessageKind::request;
    spec.url = "/api/book-event-ticket";
    spec.worker_id = worker_id;
    spec.nonce = "z4fS2vbLKcWnDbyBQbA1Jwq";
    spec.value_json = "{\"eventId\":\"event-1\"}";
    spec.created_at = 1.7e12;
    if (jazzrpc::message_sign(client.signer_secret, spec, {}, request) != jazzrpc::Status::ok) fail("message_sign");
    add("message_verify_and_respond", [&] {
      jazzrpc::MessageSpec expected;
      expected.kind = jazzrpc::MessageKind::request;
      expected.url = "/api/book-event-ticket";
      expected.worker_id = worker_id;
      jazzrpc::MessageInfo info;
      if (jazzrpc::message_verify(request, 1.7e12 + 1000, {}, expected, info) != jazzrpc::Status::ok) fail("message_verify");
      jazzrpc::MessageSpec response;
      response.kind = jazzrpc::MessageKind::response;
      response.url = expected.url;
      response.worker_id = worker_id;
      response.in_response_to = info.envelope.id;
      response.nonce = "z8mWq3bLKcWnDbyBQbA1Jwq";
      response.value_json = "{\"ticketId\":\"ticket-1\"}";
      response.created_at = 1.7e12 + 1000;
      std::string out;
      if (jazzrpc::message_sign(worker.signer_secret, response, {}, out) != jazzrpc::Status::ok) fail("response sign");
      g_sink = g_sink + out.size();
    });
  }

  if (opt.count > 0) {
    for (std::size_t i = 0; i < ops.size(); i++) {
      for (long k = 0; k < opt.count; k++) ops[i]();
    }
    if (opt.wants("replay")) {
      const std::vector<std::string> ids = make_ids(static_cast<std::size_t>(opt.count));
      replay_run(ids, 5.0);
    }
    std::printf("{\"count\":%ld}\n", opt.count);
    return 0;
  }

  // A first call and a short warm-up, outside the timing.
  for (std::size_t i = 0; i < ops.size(); i++) {
    ops[i]();
    rate(ops[i], opt.seconds / 4);
  }
  // Repetitions interleave the figures, so machine noise spreads over all of them.
  for (int r = 0; r < opt.reps; r++) {
    for (std::size_t i = 0; i < ops.size(); i++) figures[i].samples.push_back(rate(ops[i], opt.seconds));
  }

  std::vector<ReplayResult> replay;
  std::size_t replay_ids = 0;
  if (opt.wants("replay")) {
    // 1,000,000 distinct ids (200,000 in quick mode) at 5,000 per simulated second:
    // 200 s of traffic, so the set holds one 60 s window at the end.
    replay_ids = opt.reps <= 3 && opt.seconds < 1 ? 200'000 : 1'000'000;
    const std::vector<std::string> ids = make_ids(replay_ids);
    for (int r = 0; r < opt.reps; r++) replay.push_back(replay_run(ids, 5.0 * static_cast<double>(replay_ids) / 1e6));
  }

  std::string out = "{\"unit\":\"ops/s\",\"reps\":" + std::to_string(opt.reps) + ",\"seconds\":" + json_number(opt.seconds);
  out += ",\"message_bytes\":" + std::to_string(message.size());
  if (!body.empty()) out += ",\"body_bytes\":" + std::to_string(body.size()) + ",\"payload_bytes\":" + std::to_string(payload.size());
  out += ",\"figures\":{";
  for (std::size_t i = 0; i < figures.size(); i++) {
    if (i) out += ",";
    out += "\"" + figures[i].name + "\":{\"median\":" + json_number(figures[i].median()) + ",\"samples\":[";
    for (std::size_t j = 0; j < figures[i].samples.size(); j++) out += (j ? "," : "") + json_number(figures[i].samples[j]);
    out += "]}";
  }
  out += "}";
  if (!replay.empty()) {
    Figure claims{"claims", {}}, bytes{"bytes", {}};
    for (const auto &r : replay) {
      claims.samples.push_back(r.claims_per_second);
      bytes.samples.push_back(r.bytes_per_live_id);
    }
    out += ",\"replay\":{\"ids\":" + std::to_string(replay_ids) + ",\"claims_per_second\":" + json_number(claims.median()) +
           ",\"bytes_per_live_id\":" + json_number(bytes.median()) + ",\"live_ids\":" + json_number(replay.back().live_ids) + "}";
  }
  out += "}\n";
  std::fputs(out.c_str(), stdout);
  return 0;
}
