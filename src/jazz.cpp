#include "jazz.h"

#include <map>
#include <vector>

#include "base58.h"
#include "hash.h"
#include "sign.h"

namespace jazzrpc {
namespace {

const JsonNode *member_of_kind(const JsonNode &object, std::u16string_view key, JsonNode::Kind kind) {
  if (object.kind() != JsonNode::Kind::object) return nullptr;
  const JsonNode *v = object.find(key);
  return v != nullptr && v->kind() == kind ? v : nullptr;
}

std::string string_member(const JsonNode &object, std::u16string_view key) {
  const JsonNode *v = member_of_kind(object, key, JsonNode::Kind::string);
  return v != nullptr ? json_string_utf8(*v) : std::string();
}

// The pieces of contentPieces whose "id" is id, in their order: one pass, no copies.
std::vector<const JsonNode *> pieces_with_id(const JsonNode &pieces, std::u16string_view id) {
  std::vector<const JsonNode *> found;
  for (const auto &piece : pieces.array()) {
    const JsonNode *piece_id = member_of_kind(piece, u"id", JsonNode::Kind::string);
    if (piece_id != nullptr && piece_id->string() == id) found.push_back(&piece);
  }
  return found;
}

// The first piece whose id is id (as jazz-tools finds it), or nullptr.
const JsonNode *piece_with_id(const JsonNode &pieces, std::u16string_view id) {
  for (const auto &piece : pieces.array()) {
    const JsonNode *piece_id = member_of_kind(piece, u"id", JsonNode::Kind::string);
    if (piece_id != nullptr && piece_id->string() == id) return &piece;
  }
  return nullptr;
}

// A piece's header, when its id is the hash of it (cojson's CoValue id); else nullptr.
const JsonNode *header_of(const JsonNode *piece, std::string_view id) {
  const JsonNode *header = piece != nullptr ? member_of_kind(*piece, u"header", JsonNode::Kind::object) : nullptr;
  return header != nullptr && co_id_of(*header) == id ? header : nullptr;
}

// The one account whose sessions wrote the pieces, or "" if none or several.
std::string writing_account(const std::vector<const JsonNode *> &pieces) {
  std::string account;
  for (const JsonNode *piece : pieces) {
    const JsonNode *sessions = member_of_kind(*piece, u"new", JsonNode::Kind::object);
    if (sessions == nullptr) return {};
    for (const auto &session : sessions->object()) {
      std::string id;
      utf8_append(session.first, id);
      const std::string_view owner = session_account(id);
      if (owner.empty() || (!account.empty() && owner != account)) return {};
      account = std::string(owner);
    }
  }
  return account;
}

// The agent a group or account header names as its initial admin, when its ruleset is a group's.
std::string initial_admin(const JsonNode &header) {
  const JsonNode *ruleset = member_of_kind(header, u"ruleset", JsonNode::Kind::object);
  return ruleset != nullptr && string_member(*ruleset, u"type") == "group" ? string_member(*ruleset, u"initialAdmin")
                                                                            : std::string();
}

// The creator's account piece names the envelope's signer as its initial admin agent.
Status check_account_agent(const JsonNode &pieces, const std::string &creator, std::string_view signer_id) {
  const JsonNode *header = header_of(piece_with_id(pieces, utf16_from_utf8(creator)), creator);
  if (header == nullptr) return Status::unbound_signer;
  const JsonNode *meta = member_of_kind(*header, u"meta", JsonNode::Kind::object);
  if (meta == nullptr || string_member(*meta, u"type") != "account") return Status::unbound_signer;
  const std::string agent = initial_admin(*header);
  const std::size_t slash = agent.find('/');
  if (slash == std::string::npos || agent.compare(slash + 1, std::string::npos, signer_id) != 0) {
    return Status::unbound_signer;
  }
  return Status::ok;
}

// ---- the sessions of the request ----------------------------------------------------------

// A session's hash chain as far as the pieces read so far carried it.
struct SessionChain {
  Blake3Stream hash;
  double transactions = 0;
};

// Adds one piece's content of a session ({after, newTransactions, lastSignature}) to its
// chain, and checks that lastSignature signs the chain's hash. cojson-core hashes each
// transaction's JSON as serde writes it: the fields in sorted order, as the canonical
// text of every transaction cojson makes. A transaction written otherwise hashes
// differently and is refused, which only ever refuses, never accepts, more than cojson.
Status add_session_content(const JsonNode &content, std::string_view signer_id, SessionChain &chain) {
  const JsonNode *after = member_of_kind(content, u"after", JsonNode::Kind::number);
  const JsonNode *transactions = member_of_kind(content, u"newTransactions", JsonNode::Kind::array);
  const JsonNode *signature = member_of_kind(content, u"lastSignature", JsonNode::Kind::string);
  if (after == nullptr || transactions == nullptr || signature == nullptr || transactions->array().empty() ||
      after->number() != chain.transactions) {
    return Status::malformed;
  }
  std::string text;
  for (const auto &transaction : transactions->array()) {
    if (transaction.kind() != JsonNode::Kind::object) return Status::malformed;
    text.clear();
    json_write_canonical(transaction, text);
    chain.hash.update(text);
  }
  chain.transactions += static_cast<double>(transactions->array().size());
  const Status status =
      verify_canonical(json_string_utf8(*signature), quoted_hash_message(chain.hash.secure_hash()), signer_id);
  return status == Status::ok ? Status::ok : Status::bad_signature;
}

// Every session of every request piece, in order, verifies under the envelope's signer.
Status verify_request_sessions(const std::vector<const JsonNode *> &pieces, std::string_view signer_id) {
  std::map<std::u16string_view, SessionChain> chains;
  std::size_t signatures = 0;
  for (const JsonNode *piece : pieces) {
    for (const auto &session : piece->find(u"new")->object()) {  // writing_account checked "new"
      if (++signatures > jazz_max_session_signatures) return Status::malformed;
      const Status status = add_session_content(session.second, signer_id, chains[session.first]);
      if (status != Status::ok) return status;
    }
  }
  return Status::ok;
}

// The request is owned by a group whose header names the creator as its initial admin.
Status check_owning_group(const JsonNode &pieces, const JsonNode &request_header, const std::string &creator) {
  const JsonNode *ruleset = member_of_kind(request_header, u"ruleset", JsonNode::Kind::object);
  if (ruleset == nullptr || string_member(*ruleset, u"type") != "ownedByGroup") return Status::malformed;
  const JsonNode *group_id = member_of_kind(*ruleset, u"group", JsonNode::Kind::string);
  if (group_id == nullptr) return Status::malformed;
  const JsonNode *group_header = header_of(piece_with_id(pieces, group_id->string()), json_string_utf8(*group_id));
  if (group_header == nullptr) return Status::malformed;
  return initial_admin(*group_header) == creator ? Status::ok : Status::unbound_signer;
}

}  // namespace

std::string_view session_account(std::string_view session_id) {
  const std::size_t at = session_id.find("_session_");
  if (at == std::string_view::npos) return {};
  const std::string_view owner = session_id.substr(0, at);
  return owner.substr(0, prefix::co_id.size()) == prefix::co_id ? owner : std::string_view();
}

Status jazz_message_verify(std::string_view body, double now, const EnvelopeOptions &options, JazzInfo &info) {
  info = JazzInfo{};
  JsonDocument root;
  Status status = envelope_verify(body, now, options, info.envelope, root);
  if (status != Status::ok) return status;
  const JsonNode &pieces = *root.root().find(u"contentPieces");
  const std::string &id = info.envelope.id;

  // The request CoValue: its first piece's header hashes to the envelope's id.
  const std::vector<const JsonNode *> request = pieces_with_id(pieces, utf16_from_utf8(id));
  const JsonNode *header = request.empty() ? nullptr : header_of(request.front(), id);
  if (header == nullptr) return Status::malformed;

  // Written by one account only, whose own piece makes the envelope's signer its agent.
  const std::string creator = writing_account(request);
  if (creator.empty()) return Status::malformed;
  status = check_account_agent(pieces, creator, info.envelope.signer_id);
  if (status != Status::ok) return status;

  // Signed session by session by that agent, and owned by a group the creator made.
  status = verify_request_sessions(request, info.envelope.signer_id);
  if (status != Status::ok) return status;
  status = check_owning_group(pieces, *header, creator);
  if (status != Status::ok) return status;
  info.creator = creator;
  return Status::ok;
}

}  // namespace jazzrpc
