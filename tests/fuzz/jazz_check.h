// What an accepted jazz-tools body must be (src/jazz.h), checked again from the parsed
// body by the jazz targets whenever jazz_message_verify says ok: a signer binding
// that holds only because the verifier skipped a step is a finding.
#ifndef JAZZRPC_FUZZ_JAZZ_CHECK_H
#define JAZZRPC_FUZZ_JAZZ_CHECK_H

#include <map>
#include <vector>

#include "fuzz_common.h"
#include "hash.h"
#include "jazz.h"

namespace fuzz {

inline std::vector<const jazzrpc::JsonValue *> pieces_with_id(const jazzrpc::JsonValue &pieces, std::string_view id) {
  // Compared as UTF-16, as the verifier does: a lone surrogate is not U+FFFD.
  const std::u16string wanted = jazzrpc::utf16_from_utf8(id);
  std::vector<const jazzrpc::JsonValue *> found;
  for (const auto &piece : pieces.array) {
    const jazzrpc::JsonValue *piece_id = member_of_kind(piece, u"id", jazzrpc::JsonValue::Kind::string);
    if (piece_id != nullptr && piece_id->string == wanted) found.push_back(&piece);
  }
  return found;
}

inline const jazzrpc::JsonValue *first_piece_with_id(const jazzrpc::JsonValue &pieces, std::string_view id) {
  const auto found = pieces_with_id(pieces, id);
  return found.empty() ? nullptr : found.front();
}

// The admin of a header's group ruleset ("" when it is not a group's).
inline std::string initial_admin(const jazzrpc::JsonValue &header) {
  const jazzrpc::JsonValue *ruleset = member_of_kind(header, u"ruleset", jazzrpc::JsonValue::Kind::object);
  return ruleset != nullptr && string_member(*ruleset, u"type") == "group" ? string_member(*ruleset, u"initialAdmin")
                                                                          : std::string();
}

// body was accepted by jazz_message_verify with info: check every binding again.
inline void check_accepted_jazz_body(std::string_view body, const jazzrpc::EnvelopeOptions &options,
                                     const jazzrpc::JazzInfo &info) {
  using jazzrpc::JsonValue;
  JsonValue root;
  FUZZ_CHECK(jazzrpc::json_parse(body, options.limits, root) == jazzrpc::Status::ok);
  const JsonValue &pieces = *root.find(u"contentPieces");
  const std::string &id = info.envelope.id;
  const std::string &signer = info.envelope.signer_id;
  const std::string &creator = info.creator;
  FUZZ_CHECK(creator.substr(0, jazzrpc::prefix::co_id.size()) == jazzrpc::prefix::co_id, "creator", creator);

  // The request: its first piece's header hashes to the id; its sessions are the creator's.
  const auto request = pieces_with_id(pieces, id);
  FUZZ_CHECK(!request.empty(), "no request piece", id);
  const JsonValue *header = member_of_kind(*request.front(), u"header", JsonValue::Kind::object);
  FUZZ_CHECK(header != nullptr && jazzrpc::co_id_of(*header) == id, "request header", id);

  // The creator's account piece names the signer as its agent.
  const JsonValue *account = first_piece_with_id(pieces, creator);
  FUZZ_CHECK(account != nullptr, "no account piece", creator);
  const JsonValue *account_header = member_of_kind(*account, u"header", JsonValue::Kind::object);
  FUZZ_CHECK(account_header != nullptr && jazzrpc::co_id_of(*account_header) == creator, "account header", creator);
  const JsonValue *meta = member_of_kind(*account_header, u"meta", JsonValue::Kind::object);
  FUZZ_CHECK(meta != nullptr && string_member(*meta, u"type") == "account");
  const std::string agent = initial_admin(*account_header);
  const std::size_t slash = agent.find('/');
  FUZZ_CHECK(slash != std::string::npos && agent.substr(slash + 1) == signer, "agent", agent);

  // The owning group names the creator as its admin.
  const JsonValue *ruleset = member_of_kind(*header, u"ruleset", JsonValue::Kind::object);
  FUZZ_CHECK(ruleset != nullptr && string_member(*ruleset, u"type") == "ownedByGroup");
  const std::string group_id = string_member(*ruleset, u"group");
  const JsonValue *group = first_piece_with_id(pieces, group_id);
  FUZZ_CHECK(group != nullptr, "no group piece", group_id);
  const JsonValue *group_header = member_of_kind(*group, u"header", JsonValue::Kind::object);
  FUZZ_CHECK(group_header != nullptr && jazzrpc::co_id_of(*group_header) == group_id, "group header", group_id);
  FUZZ_CHECK(initial_admin(*group_header) == creator, "group admin", initial_admin(*group_header));

  // Every session of the request is the creator's, chained from 0, signed by the signer.
  struct Chain {
    jazzrpc::Blake3Stream hash;
    double count = 0;
  };
  std::map<std::u16string, Chain> chains;
  std::size_t sessions_seen = 0;
  for (const JsonValue *piece : request) {
    const JsonValue *sessions = member_of_kind(*piece, u"new", JsonValue::Kind::object);
    FUZZ_CHECK(sessions != nullptr);
    for (const auto &session : sessions->object) {
      ++sessions_seen;
      std::string name;
      jazzrpc::utf8_append(session.first, name);
      FUZZ_CHECK(jazzrpc::session_account(name) == creator, "session", name);
      const JsonValue *after = member_of_kind(session.second, u"after", JsonValue::Kind::number);
      const JsonValue *txs = member_of_kind(session.second, u"newTransactions", JsonValue::Kind::array);
      const std::string signature = string_member(session.second, u"lastSignature");
      Chain &chain = chains[session.first];
      FUZZ_CHECK(after != nullptr && after->number == chain.count && txs != nullptr && !txs->array.empty(), "session",
                 name);
      for (const auto &tx : txs->array) {
        FUZZ_CHECK(tx.kind == JsonValue::Kind::object);
        std::string text;
        jazzrpc::json_write_canonical(tx, text);
        chain.hash.update(text);
      }
      chain.count += static_cast<double>(txs->array.size());
      FUZZ_CHECK(jazzrpc::verify_canonical(signature, jazzrpc::quoted_hash_message(chain.hash.secure_hash()), signer) ==
                     jazzrpc::Status::ok,
                 "session signature", name);
    }
  }
  FUZZ_CHECK(sessions_seen > 0 && sessions_seen <= jazzrpc::jazz_max_session_signatures);
}

}  // namespace fuzz

#endif
