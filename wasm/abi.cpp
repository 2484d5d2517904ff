// The C ABI of jazzrpc_abi.h over the core. Every entry point checks its
// arguments, returns a status and never throws: the module is built without
// exception support.
#include "jazzrpc_abi.h"

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth_token.h"
#include "base58.h"
#include "envelope.h"
#include "hash.h"
#include "jazz.h"
#include "json.h"
#include "message.h"
#include "replay_set.h"
#include "sign.h"

#ifdef __EMSCRIPTEN__
// WASI's random_get, imported directly: Emscripten 3.1.6 would otherwise route
// randomness through its own JS runtime, which a standalone module does not have.
extern "C" __attribute__((import_module("wasi_snapshot_preview1"), import_name("random_get"))) uint16_t
jazzrpc_host_random_get(uint8_t *buf, size_t len);
#endif

using namespace jazzrpc;

namespace {

// The output buffer. An output of up to small_output_bytes is copied into one block
// reserved by jazzrpc_init, before any body was read, and kept: allocated afresh, such a
// small block, held until the next output, landed amid the blocks a large body had just
// freed and split the space the next large body needed (wasm memory grew by a megabyte
// on the second 1 MiB body, issue 17.6). A larger output has a block of its own, freed by
// the next output or wipe.
constexpr size_t small_output_bytes = 4096;
std::string g_small_output;
std::string g_large_output;
std::string *g_output = &g_small_output;
std::vector<std::unique_ptr<ReplaySet>> g_replay_sets;

// Open signers: a worker's secret decoded and expanded once (its 64-byte libsodium
// secret key, wiped when closed). Each open is given a handle never given before: a
// counter of the process, below 2^53 (exact in a JavaScript number; at a million opens
// a second it would last 285 years), so a closed handle never names a signer again,
// and a handle names a signer only while it is in this table (issue 17.5).
std::map<uint64_t, std::unique_ptr<ExpandedSigner>> g_signers;
uint64_t g_last_signer_handle = 0;
constexpr uint64_t max_signer_handle = (uint64_t{1} << 53) - 1;
constexpr size_t max_signers = 65535;

// The stack below an export's frame, where the frames of the calls it made were:
// libsodium's hashing state and expanded scalar, base58 digits, SecretBytes whose
// copies the compiler spilled. Each export that touches a secret zeroes this much of
// it on its way out (StackWipe), from a frame of its own below the caller's. The
// deepest secret path (message_sign: JSON, SHA-512, ed25519) reaches 3 KB below the
// export (measured from stackSave()); 16 KB, over 5 times that, costs about a microsecond.
constexpr size_t stack_wipe_bytes = 16 * 1024;
// signer_sign_detached runs libsodium's crypto_sign_detached with a key expanded already:
// a part of message_sign's path (no JSON, no base58), so within its 3 KB. It wipes 4 KB:
// 16 KB cost about a microsecond, 2 % of a signature, all of the gap to libsodium.js's
// (which wipes no stack) in the browser bench. libsodium wipes its own hash state and
// scalars on this path too; wasm-secrets.test.mjs finds nothing left after it.
constexpr size_t detached_sign_wipe_bytes = 4 * 1024;

template <size_t Bytes>
__attribute__((noinline)) void wipe_stack() {
  unsigned char below[Bytes];
  sodium_memzero(below, sizeof below);  // built without LTO, ends with a barrier: never removed
  __asm__ __volatile__("" : : "r"(below) : "memory");
}

// Declared first in an export, so destroyed last: after every other local wiped itself.
template <size_t Bytes>
struct StackWipeOf {
  StackWipeOf() = default;
  StackWipeOf(const StackWipeOf &) = delete;
  StackWipeOf &operator=(const StackWipeOf &) = delete;
  ~StackWipeOf() { wipe_stack<Bytes>(); }
};
using StackWipe = StackWipeOf<stack_wipe_bytes>;

int fail(Status status) { return -static_cast<int>(status); }

void wipe_output() {
  sodium_memzero(g_output->data(), g_output->size());
  g_output->clear();
  g_large_output = std::string();
  g_output = &g_small_output;
}

int output(std::string text) {
  wipe_output();
  if (text.size() <= g_small_output.capacity()) {
    g_small_output.assign(text);
    sodium_memzero(text.data(), text.size());  // may hold a secret (keygen)
  } else {
    g_large_output = std::move(text);
    g_output = &g_large_output;
  }
  return static_cast<int>(g_output->size());
}

// text is taken by reference: a by-value parameter could be moved from before the call
// that fills it (the order in which arguments are evaluated is unspecified; GCC goes right to left).
int output_or_fail(Status status, std::string &text) { return status == Status::ok ? output(std::move(text)) : fail(status); }

std::string_view view(const char *ptr, size_t len) { return ptr == nullptr ? std::string_view() : std::string_view(ptr, len); }

// A string's JSON text, as stableStringify writes it.
std::string json_string_text(std::string_view utf8) {
  std::string out;
  json_write_canonical_string(utf16_from_utf8(utf8), out);
  return out;
}

// {"key":value,…}: each member's value given as JSON text, written in key order (ASCII keys).
std::string json_object(std::vector<std::pair<std::string_view, std::string>> members) {
  std::sort(members.begin(), members.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
  std::string out = "{";
  for (const auto &member : members) {
    if (out.size() > 1) out += ',';
    out += '"';
    out += member.first;
    out += "\":";
    out += member.second;
  }
  out += '}';
  return out;
}

// {"signerID":"…","signerSecret":"…"}, written into one buffer of the exact size, so that
// the secret is copied nowhere else (both are prefixed base58: nothing to escape).
std::string keypair_json(const SignerKeypair &keypair) {
  constexpr std::string_view open = "{\"signerID\":\"", middle = "\",\"signerSecret\":\"", close = "\"}";
  std::string out;
  out.reserve(open.size() + keypair.signer_id.size() + middle.size() + keypair.signer_secret.size() + close.size());
  out += open;
  out += keypair.signer_id;
  out += middle;
  out += keypair.signer_secret;
  out += close;
  return out;
}

std::string utf8_of_member(const JsonNode &object, std::u16string_view key) {
  const JsonNode *v = object.find(key);
  return v != nullptr ? json_string_utf8(*v) : std::string();
}

EnvelopeOptions envelope_options(double window_ms, double skew_ms, size_t max_bytes, uint32_t max_depth) {
  EnvelopeOptions options;
  options.window_ms = window_ms;
  options.skew_ms = skew_ms;
  options.limits = ParseLimits::from(max_bytes, max_depth);
  return options;
}

// Reads a message spec (see jazzrpc_abi.h) into spec.
Status parse_message_spec(std::string_view text, MessageSpec &spec) {
  JsonDocument doc;
  const Status status = json_parse(text, ParseLimits{}, doc);
  if (status != Status::ok) return status;
  const JsonNode &root = doc.root();
  if (root.kind() != JsonNode::Kind::object) return Status::invalid_argument;
  const std::string kind = utf8_of_member(root, u"kind");
  if (kind != "request" && kind != "response") return Status::invalid_argument;
  spec.kind = kind == "request" ? MessageKind::request : MessageKind::response;
  spec.url = utf8_of_member(root, u"url");
  spec.worker_id = utf8_of_member(root, u"workerId");
  spec.in_response_to = utf8_of_member(root, u"inResponseTo");
  spec.nonce = utf8_of_member(root, u"nonce");
  if (const JsonNode *value = root.find(u"value")) json_write_canonical(*value, spec.value_json);
  const JsonNode *created_at = root.find(u"createdAt");
  spec.created_at = created_at != nullptr && created_at->kind() == JsonNode::Kind::number ? created_at->number() : NAN;
  return Status::ok;
}

// {"createdAt","expiresAt","id","signerID",…extra} as the verify functions report them.
std::string envelope_report(const EnvelopeInfo &info, std::initializer_list<std::pair<std::string_view, std::string>> extra,
                            std::string_view raw_value) {
  std::string created_at, expires_at;
  js_number_append(info.created_at, created_at);
  js_number_append(info.expires_at, expires_at);
  std::vector<std::pair<std::string_view, std::string>> members{
      {"id", json_string_text(info.id)},
      {"signerID", json_string_text(info.signer_id)},
      {"createdAt", std::move(created_at)},
      {"expiresAt", std::move(expires_at)},
  };
  for (const auto &field : extra) members.emplace_back(field.first, json_string_text(field.second));
  std::string out = json_object(std::move(members));
  if (!raw_value.empty()) {  // the value is already canonical JSON: splice it in
    out.pop_back();
    out += ",\"value\":";
    out += raw_value;
    out += '}';
  }
  return out;
}

ReplaySet *replay_set(int handle) {
  if (handle <= 0 || static_cast<size_t>(handle) > g_replay_sets.size()) return nullptr;
  return g_replay_sets[static_cast<size_t>(handle) - 1].get();
}

// The open signer a handle names, or nullptr: closed, never given, or not an integer.
ExpandedSigner *open_signer(double handle) {
  if (!(handle >= 1 && handle <= static_cast<double>(max_signer_handle)) || handle != std::floor(handle)) return nullptr;
  const auto found = g_signers.find(static_cast<uint64_t>(handle));
  return found == g_signers.end() ? nullptr : found->second.get();
}

#ifdef __EMSCRIPTEN__
// libsodium's randomness, from the host through WASI random_get (crypto.getRandomValues in the glue).
void host_random_buf(void *buf, size_t size) {
  auto *p = static_cast<uint8_t *>(buf);
  if (size != 0 && jazzrpc_host_random_get(p, size) != 0) __builtin_trap();  // no randomness: stop, never go on without
}
uint32_t host_random() {
  uint32_t value = 0;
  host_random_buf(&value, sizeof value);
  return value;
}
const char *host_random_name() { return "wasi_random_get"; }
randombytes_implementation g_host_random = {host_random_name, host_random, nullptr, nullptr, host_random_buf, nullptr};
#endif

}  // namespace

extern "C" {

void *jazzrpc_alloc(size_t len) { return std::malloc(len == 0 ? 1 : len); }

void jazzrpc_free(void *ptr, size_t len) {
  if (ptr == nullptr) return;
  sodium_memzero(ptr, len);
  std::free(ptr);
}

const uint8_t *jazzrpc_output_ptr(void) { return reinterpret_cast<const uint8_t *>(g_output->data()); }
size_t jazzrpc_output_len(void) { return g_output->size(); }
void jazzrpc_output_wipe(void) { wipe_output(); }

int jazzrpc_init(void) {
  g_small_output.reserve(small_output_bytes);
#ifdef __EMSCRIPTEN__
  randombytes_set_implementation(&g_host_random);
  return 0;
#else
  return sodium_init() < 0 ? fail(Status::internal) : 0;
#endif
}

int jazzrpc_canonicalize(const char *json, size_t json_len, size_t max_bytes, uint32_t max_depth) {
  std::string out;
  return output_or_fail(json_canonicalize(view(json, json_len), ParseLimits::from(max_bytes, max_depth), out), out);
}

int jazzrpc_secure_hash(const char *json, size_t json_len, size_t max_bytes, uint32_t max_depth) {
  std::string out;
  return output_or_fail(secure_hash(view(json, json_len), ParseLimits::from(max_bytes, max_depth), out), out);
}

int jazzrpc_short_hash(const char *json, size_t json_len, size_t max_bytes, uint32_t max_depth) {
  std::string out;
  return output_or_fail(short_hash(view(json, json_len), ParseLimits::from(max_bytes, max_depth), out), out);
}

int jazzrpc_blake3(const uint8_t *in, size_t in_len, size_t out_len) {
  if ((in == nullptr && in_len != 0) || out_len == 0 || out_len > 65536) return fail(Status::invalid_argument);
  std::string out(out_len, '\0');
  blake3_hash(in, in_len, reinterpret_cast<uint8_t *>(out.data()), out_len);
  return output(std::move(out));
}

int jazzrpc_base58_encode(const uint8_t *in, size_t in_len) {
  if (in == nullptr && in_len != 0) return fail(Status::invalid_argument);
  if (in_len > base58_max_bytes) return fail(Status::too_large);  // base58 is quadratic in the length
  return output(base58_encode(in, in_len));
}

int jazzrpc_base58_decode(const char *in, size_t in_len) {
  std::vector<uint8_t> bytes;
  const Status status = base58_decode(view(in, in_len), bytes);
  if (status != Status::ok) return fail(status);
  return output(std::string(bytes.begin(), bytes.end()));
}

int jazzrpc_sign_keypair(void) {
  const StackWipe stack_wipe;
  SignerKeypair keypair;
  const Status status = sign_keypair(keypair);
  if (status != Status::ok) return fail(status);
  return output(keypair_json(keypair));
}

int jazzrpc_sign_seed_keypair(const uint8_t *seed32) {
  const StackWipe stack_wipe;
  if (seed32 == nullptr) return fail(Status::invalid_argument);
  SignerKeypair keypair;
  const Status status = sign_seed_keypair(seed32, keypair);
  if (status != Status::ok) return fail(status);
  return output(keypair_json(keypair));
}

int jazzrpc_sign_signer_id(const char *secret, size_t secret_len) {
  const StackWipe stack_wipe;
  std::string out;
  return output_or_fail(sign_signer_id(view(secret, secret_len), out), out);
}

int jazzrpc_sign_detached(const uint8_t *msg, size_t msg_len, const uint8_t *seed32) {
  const StackWipe stack_wipe;
  if ((msg == nullptr && msg_len != 0) || seed32 == nullptr) return fail(Status::invalid_argument);
  std::string sig(sign_bytes, '\0');
  const Status status = sign_detached(msg, msg_len, seed32, reinterpret_cast<uint8_t *>(sig.data()));
  return output_or_fail(status, sig);
}

int jazzrpc_sign_verify_detached(const uint8_t *sig, size_t sig_len, const uint8_t *msg, size_t msg_len,
                                 const uint8_t *pk, size_t pk_len) {
  if (sig_len != sign_bytes || pk_len != sign_public_key_bytes) return fail(Status::bad_signature);
  if (sig == nullptr || pk == nullptr || (msg == nullptr && msg_len != 0)) return fail(Status::invalid_argument);
  return sign_verify_detached(sig, msg, msg_len, pk) ? 0 : fail(Status::bad_signature);
}

// The canonical text of a message to sign or verify; refuses values whose text is ambiguous.
Status signable_canonical(std::string_view json, std::string &canonical) {
  JsonDocument doc;
  const Status status = json_parse(json, ParseLimits{}, doc);
  if (status != Status::ok) return status;
  if (!json_canonical_is_unambiguous(doc.root())) return Status::malformed;
  json_write_canonical(doc.root(), canonical);
  return Status::ok;
}

int jazzrpc_sign_json(const char *secret, size_t secret_len, const char *json, size_t json_len) {
  const StackWipe stack_wipe;
  std::string canonical;
  Status status = signable_canonical(view(json, json_len), canonical);
  if (status != Status::ok) return fail(status);
  std::string signature;
  status = sign_canonical(view(secret, secret_len), canonical, signature);
  return output_or_fail(status, signature);
}

int jazzrpc_verify_json(const char *sig, size_t sig_len, const char *json, size_t json_len, const char *signer_id,
                        size_t signer_id_len) {
  std::string canonical;
  const Status status = signable_canonical(view(json, json_len), canonical);
  if (status != Status::ok) return fail(status);
  return fail(verify_canonical(view(sig, sig_len), canonical, view(signer_id, signer_id_len)));
}

int jazzrpc_envelope_sign(const char *secret, size_t secret_len, const char *content_pieces_json,
                          size_t content_pieces_len, const char *id, size_t id_len, double created_at) {
  const StackWipe stack_wipe;
  std::string body;
  const Status status = envelope_sign(view(secret, secret_len), view(content_pieces_json, content_pieces_len),
                                      view(id, id_len), created_at, ParseLimits{}, body);
  return output_or_fail(status, body);
}

int jazzrpc_envelope_verify(const char *body, size_t body_len, double now, double window_ms, double skew_ms,
                            size_t max_bytes, uint32_t max_depth) {
  const EnvelopeOptions options = envelope_options(window_ms, skew_ms, max_bytes, max_depth);
  EnvelopeInfo info;
  const Status status = envelope_verify(view(body, body_len), now, options, info);
  output(info.parsed ? envelope_report(info, {}, {}) : std::string());
  return fail(status);
}

int jazzrpc_account_id(const char *signer_id, size_t signer_id_len) {
  std::string out;
  return output_or_fail(account_id_from_signer(view(signer_id, signer_id_len), out), out);
}

int jazzrpc_account_signer_id(const char *account_id, size_t account_id_len) {
  std::string out;
  return output_or_fail(signer_from_account_id(view(account_id, account_id_len), out), out);
}

int jazzrpc_message_sign(const char *secret, size_t secret_len, const char *spec_json, size_t spec_len) {
  const StackWipe stack_wipe;
  MessageSpec spec;
  Status status = parse_message_spec(view(spec_json, spec_len), spec);
  if (status != Status::ok) return fail(status);
  std::string body;
  status = message_sign(view(secret, secret_len), spec, ParseLimits{}, body);
  return output_or_fail(status, body);
}

double jazzrpc_signer_open(const char *secret, size_t secret_len) {
  const StackWipe stack_wipe;
  auto signer = std::make_unique<ExpandedSigner>();
  const Status status = sign_expand(view(secret, secret_len), *signer);
  if (status != Status::ok) return fail(status);
  if (g_signers.size() >= max_signers || g_last_signer_handle >= max_signer_handle) return fail(Status::internal);
  const uint64_t handle = ++g_last_signer_handle;
  g_signers.emplace(handle, std::move(signer));
  return static_cast<double>(handle);
}

int jazzrpc_signer_close(double handle) {
  const StackWipe stack_wipe;
  if (open_signer(handle) == nullptr) return fail(Status::invalid_argument);
  g_signers.erase(static_cast<uint64_t>(handle));  // ~SecretBytes wipes
  return 0;
}

int jazzrpc_signer_id(double handle) {
  const ExpandedSigner *signer = open_signer(handle);
  if (signer == nullptr) return fail(Status::invalid_argument);
  return output(signer->signer_id);
}

int jazzrpc_signer_message_sign(double handle, const char *spec_json, size_t spec_len) {
  const StackWipe stack_wipe;
  const ExpandedSigner *signer = open_signer(handle);
  if (signer == nullptr) return fail(Status::invalid_argument);
  MessageSpec spec;
  Status status = parse_message_spec(view(spec_json, spec_len), spec);
  if (status != Status::ok) return fail(status);
  std::string body;
  status = message_sign(*signer, spec, ParseLimits{}, body);
  return output_or_fail(status, body);
}

int jazzrpc_signer_sign_detached(double handle, const uint8_t *msg, size_t msg_len) {
  const StackWipeOf<detached_sign_wipe_bytes> stack_wipe;
  const ExpandedSigner *signer = open_signer(handle);
  if (signer == nullptr || (msg == nullptr && msg_len != 0)) return fail(Status::invalid_argument);
  std::string sig(sign_bytes, '\0');
  const Status status = sign_detached(*signer, msg, msg_len, reinterpret_cast<uint8_t *>(sig.data()));
  return output_or_fail(status, sig);
}

int jazzrpc_message_verify(const char *body, size_t body_len, const char *spec_json, size_t spec_len, double now,
                           double window_ms, double skew_ms, size_t max_bytes, uint32_t max_depth) {
  MessageSpec expected;
  Status status = parse_message_spec(view(spec_json, spec_len), expected);
  if (status != Status::ok) return fail(status);
  const EnvelopeOptions options = envelope_options(window_ms, skew_ms, max_bytes, max_depth);
  MessageInfo info;
  status = message_verify(view(body, body_len), now, options, expected, info);
  output(info.envelope.parsed ? envelope_report(info.envelope, {{"madeBy", info.made_by}},
                                                status == Status::ok ? info.value_canonical : std::string())
                              : std::string());
  return fail(status);
}

int jazzrpc_jazz_message_verify(const char *body, size_t body_len, double now, double window_ms, double skew_ms,
                                size_t max_bytes, uint32_t max_depth) {
  const EnvelopeOptions options = envelope_options(window_ms, skew_ms, max_bytes, max_depth);
  JazzInfo info;
  const Status status = jazz_message_verify(view(body, body_len), now, options, info);
  output(info.envelope.parsed ? envelope_report(info.envelope, {{"creator", info.creator}}, {}) : std::string());
  return fail(status);
}

int jazzrpc_auth_token_create(const char *secret, size_t secret_len, const char *id, size_t id_len,
                              double created_at) {
  const StackWipe stack_wipe;
  std::string token;
  return output_or_fail(auth_token_create(view(secret, secret_len), view(id, id_len), created_at, token), token);
}

int jazzrpc_auth_token_parse(const char *token, size_t token_len) {
  AuthToken parsed;
  const Status status = auth_token_parse(view(token, token_len), parsed);
  if (status != Status::ok) return fail(status);
  std::string out = json_object({{"signature", json_string_text(parsed.signature)}, {"id", json_string_text(parsed.id)}});
  out.pop_back();
  out += ",\"createdAt\":";
  js_number_append(parsed.created_at, out);
  out += '}';
  return output(std::move(out));
}

int jazzrpc_auth_token_verify(const char *token, size_t token_len, const char *signer_id, size_t signer_id_len,
                              double now, double expiration_ms, double skew_ms) {
  AuthToken parsed;
  return fail(auth_token_verify(view(token, token_len), view(signer_id, signer_id_len), now, expiration_ms, skew_ms,
                                parsed));
}

int jazzrpc_replay_create(void) {
  g_replay_sets.push_back(std::make_unique<ReplaySet>());
  return static_cast<int>(g_replay_sets.size());
}

int jazzrpc_replay_destroy(int handle) {
  if (replay_set(handle) == nullptr) return fail(Status::invalid_argument);
  g_replay_sets[static_cast<size_t>(handle) - 1].reset();
  return 0;
}

int jazzrpc_replay_claim(int handle, const char *id, size_t id_len, double expires_at, double now) {
  ReplaySet *set = replay_set(handle);
  if (set == nullptr) return fail(Status::invalid_argument);
  switch (set->claim(view(id, id_len), expires_at, now)) {
    case ReplaySet::Claim::first: return 1;
    case ReplaySet::Claim::seen:
    case ReplaySet::Claim::expired: return 0;
    case ReplaySet::Claim::invalid: break;
  }
  return fail(Status::invalid_argument);
}

int jazzrpc_replay_release(int handle, const char *id, size_t id_len) {
  ReplaySet *set = replay_set(handle);
  if (set == nullptr) return fail(Status::invalid_argument);
  return set->release(view(id, id_len)) ? 1 : 0;
}

double jazzrpc_replay_count(int handle) {
  const ReplaySet *set = replay_set(handle);
  return set == nullptr ? -1 : static_cast<double>(set->count());
}

double jazzrpc_replay_bytes(int handle) {
  const ReplaySet *set = replay_set(handle);
  return set == nullptr ? -1 : static_cast<double>(set->bytes());
}

}  // extern "C"
