// jazz-tools bodies: the envelope of jazz-tools 0.20.19, whose contentPieces carry
// CoJSON, checked so that its signer is the account that created the request and that
// nobody else can make a body for the request's id.
//
// jazz-tools 0.20.19 never ties the envelope's signer to the request's creator, so
// anyone holding an unhandled body can re-sign it with an unrelated key and a fresh
// createdAt. Here, before any id is claimed:
// - the request CoValue (the pieces whose id is the envelope's id) has a header that
//   hashes to that id, and was written only in sessions of one account, the creator;
// - the creator's own piece is in the body, its id is the hash of its header, and that
//   header names the envelope's signer as its initial admin agent ("sealer_z…/signer_z…");
// - every session of the request verifies as cojson verifies it on import: its
//   transactions start at `after: 0` (a request is new; a session split over pieces
//   goes on where the previous piece stopped), and each `lastSignature` is the
//   envelope signer's signature of the session's hash chain (BLAKE3 over the JSON of
//   each transaction, in order, as cojson-core writes it);
// - the request is owned by a group whose piece is in the body, whose id is the hash of
//   its header, and whose header names the creator as its initial admin (jazz-tools
//   makes a new group for each request and response, owned by its sender).
// Renaming the sessions to another account and re-signing them and the envelope then
// fails the last check: the group's id pins its creator, so only the creator can make a
// valid body for the id. cojson checks the rest (permissions, decryption) on import.
#ifndef JAZZRPC_JAZZ_H
#define JAZZRPC_JAZZ_H

#include <cstddef>
#include <string>
#include <string_view>

#include "envelope.h"

namespace jazzrpc {

struct JazzInfo {
  EnvelopeInfo envelope;
  std::string creator;  // the account that created the CoValue named by the envelope's id
};

// The most session signatures a request is verified with: jazz-tools writes a request in
// one session, split over a piece for each 100 KB of transactions. Beyond it a body is
// refused (Status::malformed) rather than verified at an ed25519 verification per ~200 bytes.
inline constexpr std::size_t jazz_max_session_signatures = 32;

// envelope_verify, then the checks above. Status::malformed when the pieces do not have
// the shape described; Status::unbound_signer when the envelope's signer is not the
// creator's agent, or the creator did not create the request's group;
// Status::bad_signature when a session of the request does not verify.
Status jazz_message_verify(std::string_view body, double now, const EnvelopeOptions &options, JazzInfo &info);

// The account an agent or account session id belongs to: "co_z…_session_z…" -> "co_z…".
std::string_view session_account(std::string_view session_id);

}  // namespace jazzrpc

#endif
