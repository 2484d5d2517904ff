// The signed request envelope of JazzRPC (jazz-tools 0.20.19):
//   {"contentPieces":[…],"id":"co_z…","createdAt":<ms>,"authToken":"signature_z…","signerID":"signer_z…"}
// signed as: P = stableStringify({contentPieces, id, createdAt, signerID});
//            H = "hash_z" + base58(BLAKE3(P)); the ed25519 message is "\"" + H + "\"".
#ifndef JAZZRPC_ENVELOPE_H
#define JAZZRPC_ENVELOPE_H

#include <string>
#include <string_view>

#include "json.h"
#include "sign.h"
#include "status.h"

namespace jazzrpc {

struct EnvelopeOptions {
  double window_ms = 60'000;  // older than this is expired
  double skew_ms = 10'000;    // further in the future than this is refused
  ParseLimits limits;
};

// What verification learnt about the body, set as far as it parsed.
struct EnvelopeInfo {
  bool parsed = false;       // id, signer_id and created_at are set
  std::string id;
  std::string signer_id;
  double created_at = 0;
  double expires_at = 0;     // created_at + window: how long the id must be remembered
};

// Order of checks: size, JSON, shape, time window, then the signature.
Status envelope_verify(std::string_view body, double now, const EnvelopeOptions &options, EnvelopeInfo &info);
// The same, handing back the parsed body for the layer above.
Status envelope_verify(std::string_view body, double now, const EnvelopeOptions &options, EnvelopeInfo &info,
                       JsonDocument &root);
// And, when the signature was checked (ok or bad_signature), the canonical text of
// contentPieces in content_pieces_canonical (when not null): the message id hashes it too.
Status envelope_verify(std::string_view body, double now, const EnvelopeOptions &options, EnvelopeInfo &info,
                       JsonDocument &root, std::string *content_pieces_canonical);

// Builds and signs a body. content_pieces_json must be a JSON array.
Status envelope_sign(const ExpandedSigner &signer, std::string_view content_pieces_json, std::string_view id,
                     double created_at, const ParseLimits &limits, std::string &body);
Status envelope_sign(std::string_view signer_secret, std::string_view content_pieces_json, std::string_view id,
                     double created_at, const ParseLimits &limits, std::string &body);

// The hash an envelope's authToken signs, from its parts (contentPieces already parsed).
// reserve: bytes to set aside for the canonical text at once (the body's size when verifying).
std::string envelope_signed_hash(const JsonNode &content_pieces, std::u16string_view id, double created_at,
                                 std::u16string_view signer_id, std::size_t reserve = 0);

bool is_valid_time(double ms) noexcept;

}  // namespace jazzrpc

#endif
