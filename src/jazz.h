// jazz-tools bodies: the envelope of jazz-tools 0.20.19, whose contentPieces carry
// CoJSON, checked so that its signer is the account that created the request.
//
// jazz-tools 0.20.19 never ties the envelope's signer to the request's creator, so
// anyone holding an unhandled body can re-sign it with an unrelated key and a fresh
// createdAt. Here the request CoValue (the piece whose id is the envelope's id) must
// have been written only in sessions of one account, whose own piece is in the body,
// whose id is the hash of its header, and whose header names the envelope's signer as
// its initial admin agent ("sealer_z…/signer_z…"). cojson, on import, then checks the
// sessions' signatures against that account.
#ifndef JAZZRPC_JAZZ_H
#define JAZZRPC_JAZZ_H

#include <string>
#include <string_view>

#include "envelope.h"

namespace jazzrpc {

struct JazzInfo {
  EnvelopeInfo envelope;
  std::string creator;  // the account that created the CoValue named by the envelope's id
};

// envelope_verify, then the signer binding above. Status::unbound_signer when the
// envelope's signer is not the creator's agent; Status::malformed when the pieces do
// not have the shape described.
Status jazz_message_verify(std::string_view body, double now, const EnvelopeOptions &options, JazzInfo &info);

// The account an agent or account session id belongs to: "co_z…_session_z…" -> "co_z…".
std::string_view session_account(std::string_view session_id);

}  // namespace jazzrpc

#endif
