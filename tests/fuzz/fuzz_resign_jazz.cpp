// Re-signing jazz-tools bodies: the input is read as JSON (a jazz-tools body, or any
// value), its contentPieces are bound to the fixed client key the way a real client's
// are, and everything is signed with that key. So each mutated body reaches every
// check after the envelope's signature: the request CoValue, its sessions' signatures,
// the creator's account piece and the group that owns the request.
//
// The binding, applied where the body has the parts (a step is skipped when its part
// is missing, so the fuzzer also explores bodies that must be refused):
//  1. the creator's account piece (named by the request's sessions) gets an
//     initialAdmin "<sealer>/<fixed signer id>" and the id of its new header;
//  2. the group named by the request's ownedByGroup ruleset gets that account as its
//     initialAdmin and the id of its new header, and the request's ruleset that group;
//  3. the request pieces (those whose id is the envelope's) get the id of the first
//     one's new header, and the envelope that id;
//  4. the request's sessions are renamed to the account, and each is chained from
//     `after` 0 and signed (lastSignature) with the fixed key, as cojson signs them.
// Invariants:
//  - envelope_sign refuses only for a reason (a non-finite time, an id without co_z,
//    ambiguous content, the size or depth limits);
//  - what it signs, envelope_verify accepts at its createdAt, the same id, signer and time,
//    and the body is canonical JSON;
//  - jazz_message_verify never gives a time, limit or envelope verdict on it; when every
//    step applied to a body of the jazz-tools shape it accepts, with that account as the
//    creator; whatever it accepts holds every binding (jazz_check.h);
//  - the accepted body with the envelope alone re-signed by another key (a thief holding
//    it) is refused.
#include <algorithm>

#include "jazz_check.h"

using namespace jazzrpc;

namespace {

constexpr double fixture_now = 1795585768507.0;

// The pieces whose id is id (compared as UTF-16, as the verifier does), in order.
std::vector<JsonValue *> pieces_with_id(JsonValue &pieces, std::string_view id) {
  const std::u16string wanted = utf16_from_utf8(id);
  std::vector<JsonValue *> found;
  for (auto &piece : pieces.array) {
    const JsonValue *piece_id = fuzz::member_of_kind(piece, u"id", JsonValue::Kind::string);
    if (piece_id != nullptr && piece_id->string == wanted) found.push_back(&piece);
  }
  return found;
}

JsonValue *first_piece_with_id(JsonValue &pieces, std::string_view id) {
  const auto found = pieces_with_id(pieces, id);
  return found.empty() ? nullptr : found.front();
}

JsonValue *mutable_member(JsonValue &object, std::u16string_view key, JsonValue::Kind kind) {
  if (object.kind != JsonValue::Kind::object) return nullptr;
  auto *v = const_cast<JsonValue *>(object.find(key));
  return v != nullptr && v->kind == kind ? v : nullptr;
}

// Sets a member of an object; pointers into object's members are invalid afterwards
// when the key was new.
void set_member(JsonValue &object, std::u16string_view key, JsonValue value) {
  if (auto *v = const_cast<JsonValue *>(object.find(key))) {
    *v = std::move(value);
    return;
  }
  object.object.emplace_back(std::u16string(key), std::move(value));
  json_sort_members(object.object);
}

bool contains(const std::vector<JsonValue *> &pieces, const JsonValue *piece) {
  return std::find(pieces.begin(), pieces.end(), piece) != pieces.end();
}

struct Bound {
  bool complete = false;  // every step applied, to a body of the jazz-tools shape
  std::string account;    // the creator's new id
};

Bound bind(JsonValue &pieces, std::string &id, const fuzz::FixedKey &key) {
  Bound bound;
  bool complete = true;
  const std::vector<JsonValue *> request = pieces_with_id(pieces, id);
  if (request.empty()) return bound;
  JsonValue *header = mutable_member(*request.front(), u"header", JsonValue::Kind::object);
  if (header == nullptr) return bound;

  // The creator: the account of the request's first session.
  std::string creator;
  std::size_t signatures = 0;
  for (JsonValue *piece : request) {
    const JsonValue *sessions = fuzz::member_of_kind(*piece, u"new", JsonValue::Kind::object);
    if (sessions == nullptr) {
      complete = false;
      continue;
    }
    for (const auto &session : sessions->object) {
      ++signatures;
      std::string name;
      utf8_append(session.first, name);
      if (creator.empty()) creator = std::string(session_account(name));
    }
  }
  if (signatures == 0 || signatures > jazz_max_session_signatures || creator.empty()) complete = false;

  // 1. The account piece: the fixed signer as its agent.
  JsonValue *account = creator.empty() ? nullptr : first_piece_with_id(pieces, creator);
  bound.account = creator;
  if (account != nullptr && !contains(request, account)) {
    JsonValue *account_header = mutable_member(*account, u"header", JsonValue::Kind::object);
    JsonValue *ruleset =
        account_header != nullptr ? mutable_member(*account_header, u"ruleset", JsonValue::Kind::object) : nullptr;
    if (ruleset != nullptr) {
      const std::string admin = fuzz::string_member(*ruleset, u"initialAdmin");
      const std::size_t slash = admin.find('/');
      const std::string sealer = slash == std::string::npos ? "sealer_z" : admin.substr(0, slash);
      complete = complete && fuzz::string_member(*ruleset, u"type") == "group";
      set_member(*ruleset, u"initialAdmin", JsonValue::from_string(sealer + "/" + key.keypair.signer_id));
      const JsonValue *meta = fuzz::member_of_kind(*account_header, u"meta", JsonValue::Kind::object);
      complete = complete && meta != nullptr && fuzz::string_member(*meta, u"type") == "account";
      bound.account = co_id_of(*account_header);
      set_member(*account, u"id", JsonValue::from_string(bound.account));
    } else {
      complete = false;
    }
  } else {
    complete = false;
  }

  // 2. The owning group: the account as its admin.
  JsonValue *request_ruleset = mutable_member(*header, u"ruleset", JsonValue::Kind::object);
  const JsonValue *group_name =
      request_ruleset != nullptr ? fuzz::member_of_kind(*request_ruleset, u"group", JsonValue::Kind::string) : nullptr;
  JsonValue *group = group_name != nullptr ? first_piece_with_id(pieces, json_string_utf8(*group_name)) : nullptr;
  if (group != nullptr && group != account && !contains(request, group) &&
      fuzz::string_member(*request_ruleset, u"type") == "ownedByGroup") {
    JsonValue *group_header = mutable_member(*group, u"header", JsonValue::Kind::object);
    JsonValue *group_ruleset =
        group_header != nullptr ? mutable_member(*group_header, u"ruleset", JsonValue::Kind::object) : nullptr;
    if (group_ruleset != nullptr) {
      complete = complete && fuzz::string_member(*group_ruleset, u"type") == "group";
      set_member(*group_ruleset, u"initialAdmin", JsonValue::from_string(bound.account));
      const std::string group_id = co_id_of(*group_header);
      set_member(*group, u"id", JsonValue::from_string(group_id));
      set_member(*request_ruleset, u"group", JsonValue::from_string(group_id));
    } else {
      complete = false;
    }
  } else {
    complete = false;
  }

  // 3. The request's id, from its new header.
  header = mutable_member(*request.front(), u"header", JsonValue::Kind::object);
  id = co_id_of(*header);
  for (JsonValue *piece : request) set_member(*piece, u"id", JsonValue::from_string(id));

  // 4. The sessions: renamed to the account, chained and signed with the fixed key.
  struct Chain {
    Blake3Stream hash;
    double count = 0;
  };
  std::map<std::u16string, Chain> chains;
  for (JsonValue *piece : request) {
    JsonValue *sessions = mutable_member(*piece, u"new", JsonValue::Kind::object);
    if (sessions == nullptr) continue;
    for (auto &session : sessions->object) {
      std::string name;
      utf8_append(session.first, name);
      const std::size_t at = name.find("_session_");
      session.first = utf16_from_utf8(bound.account + (at == std::string::npos ? "_session_z" : name.substr(at)));
    }
    json_sort_members(sessions->object);
    for (auto &session : sessions->object) {
      JsonValue &content = session.second;
      const JsonValue *txs = fuzz::member_of_kind(content, u"newTransactions", JsonValue::Kind::array);
      if (txs == nullptr || txs->array.empty()) {
        complete = false;
        continue;
      }
      Chain &chain = chains[session.first];
      std::string text;
      for (const auto &tx : txs->array) {
        if (tx.kind != JsonValue::Kind::object) complete = false;
        text.clear();
        json_write_canonical(tx, text);
        chain.hash.update(text);
      }
      const double after = chain.count;
      chain.count += static_cast<double>(txs->array.size());
      set_member(content, u"after", JsonValue::from_number(after));  // txs is invalid from here
      std::string signature;
      FUZZ_CHECK(sign_canonical(key.expanded, quoted_hash_message(chain.hash.secure_hash()), signature) == Status::ok);
      set_member(content, u"lastSignature", JsonValue::from_string(signature));
    }
  }

  // The new ids name the pieces changed, not others that happened to hold them.
  complete = complete && first_piece_with_id(pieces, bound.account) == account &&
             (group == nullptr || first_piece_with_id(pieces, fuzz::string_member(*group, u"id")) == group) &&
             pieces_with_id(pieces, id).size() == request.size();
  bound.complete = complete;
  return bound;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const ParseLimits limits;
  JsonValue root;
  if (json_parse(fuzz::as_text(data, size), limits, root) != Status::ok) return 0;

  JsonValue pieces;
  if (const JsonValue *p = fuzz::member_of_kind(root, u"contentPieces", JsonValue::Kind::array)) {
    pieces = *p;
  } else if (root.kind == JsonValue::Kind::array) {
    pieces = root;
  } else {
    pieces.kind = JsonValue::Kind::array;
    pieces.array.push_back(root);
  }
  std::string id = fuzz::string_member(root, u"id");
  const JsonValue *created = fuzz::member_of_kind(root, u"createdAt", JsonValue::Kind::number);
  const double created_at = created != nullptr ? created->number : fixture_now;

  const fuzz::FixedKey &key = fuzz::client_key();
  const Bound bound = bind(pieces, id, key);
  if (id.empty()) id = "co_z";

  std::string pieces_text;
  json_write_canonical(pieces, pieces_text);
  std::string body;
  const Status sign_status = envelope_sign(key.expanded, pieces_text, id, created_at, limits, body);
  // What the signer reads is the pieces' canonical text; for pieces whose text is
  // ambiguous that is other pieces (a raw string's lone surrogate becomes U+FFFD) or no
  // JSON at all (a raw string's quote ends it).
  JsonValue handed;
  const Status handed_status = json_parse(pieces_text, limits, handed);
  if (sign_status == Status::too_large) {
    FUZZ_CHECK(pieces_text.size() > limits.max_bytes);
    return 0;
  }
  if (sign_status == Status::too_deep) {
    FUZZ_CHECK(handed_status == Status::too_deep);
    return 0;
  }
  Status expected = Status::ok;
  if (!std::isfinite(created_at)) {
    expected = Status::invalid_argument;
  } else if (id.substr(0, prefix::co_id.size()) != prefix::co_id) {
    expected = Status::malformed;
  } else if (handed_status != Status::ok) {
    expected = handed_status;
  } else if (handed.kind != JsonValue::Kind::array || !json_canonical_is_unambiguous(handed)) {
    expected = Status::malformed;
  }
  FUZZ_CHECK(sign_status == expected, "envelope_sign", sign_status);
  if (sign_status != Status::ok) return 0;

  std::string canonical;
  const ParseLimits unbounded = ParseLimits::from(~std::size_t{0}, ParseLimits::hard_max_depth);
  FUZZ_CHECK(json_canonicalize(body, unbounded, canonical) == Status::ok && canonical == body, "body", body);

  EnvelopeOptions options;
  options.limits = limits;
  const bool over_limits = body.size() > limits.max_bytes || fuzz::json_depth(handed) + 1 > limits.max_depth;
  EnvelopeInfo envelope;
  const Status envelope_status = envelope_verify(body, created_at, options, envelope);
  if (over_limits) {
    FUZZ_CHECK(fuzz::is_limit_status(envelope_status), "envelope_verify of a signed body", envelope_status);
    return 0;
  }
  FUZZ_CHECK(envelope_status == Status::ok, "envelope_verify of a signed body", envelope_status);
  FUZZ_CHECK(envelope.id == id && envelope.signer_id == key.keypair.signer_id && envelope.created_at == created_at);

  JazzInfo info;
  const Status status = jazz_message_verify(body, created_at, options, info);
  FUZZ_CHECK(!fuzz::is_time_status(status) && status != Status::not_json && !fuzz::is_limit_status(status) &&
                 status != Status::invalid_argument && status != Status::internal,
             "jazz_message_verify of a signed body", status);
  if (bound.complete) {
    FUZZ_CHECK(status == Status::ok, "jazz_message_verify of a bound body", status);
    FUZZ_CHECK(info.creator == bound.account, "creator", info.creator);
  }
  if (status != Status::ok) return 0;
  fuzz::check_accepted_jazz_body(body, options, info);

  // A thief holding the body re-signs its envelope with a key of their own: refused.
  std::string stolen;
  FUZZ_CHECK(envelope_sign(fuzz::worker_key().expanded, pieces_text, id, created_at, limits, stolen) == Status::ok);
  JazzInfo thief;
  const Status thief_status = jazz_message_verify(stolen, created_at, options, thief);
  FUZZ_CHECK(thief_status == Status::unbound_signer, "a body re-signed by another key", thief_status);
  return 0;
}
