// jazz-tools' auth tokens: "signature_z…~co_z…~<createdAt ms>", sent as
// "Authorization: Jazz <token>". The signature is over the quoted
// secureHash({id, createdAt}), as cojson signs.
#ifndef JAZZRPC_AUTH_TOKEN_H
#define JAZZRPC_AUTH_TOKEN_H

#include <string>
#include <string_view>

#include "status.h"

namespace jazzrpc {

struct AuthToken {
  std::string signature;
  std::string id;
  double created_at = 0;
};

// Status::invalid_argument unless created_at is an integer from 0 to 2^53 (ms).
Status auth_token_create(std::string_view signer_secret, std::string_view id, double created_at, std::string &token);
// Status::malformed unless there are exactly three parts: a signature_z…, a co_z… and
// createdAt in its one text, String(n): decimal digits without a leading zero, at most 2^53.
// So a token has one text: no other spelling of createdAt verifies.
Status auth_token_parse(std::string_view token, AuthToken &out);
// Parses, checks the time (expired after expiration_ms, refused beyond skew_ms ahead), then the signature.
Status auth_token_verify(std::string_view token, std::string_view signer_id, double now, double expiration_ms,
                         double skew_ms, AuthToken &out);

}  // namespace jazzrpc

#endif
