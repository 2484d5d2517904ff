// jazzrpc's own request and response messages: the jazz-tools envelope, with
// contentPieces holding one piece that binds the message to its route.
//
//   request piece:  {"jazzrpc":"request","url":path,"workerId":"co_z…","nonce":"z…","value":{…}}
//   response piece: {"jazzrpc":"response","url":path,"workerId":"co_z…","inResponseTo":"co_z…","nonce":"z…","value":{…}}
//   id:             "co_z" + base58(first 19 bytes of BLAKE3(stableStringify({contentPieces, signerID})))
//
// So the signature covers the url path and the worker (a body cannot be moved to
// another route or worker), a response names the request it answers, and the id
// is tied to the signer (a body re-signed with another key gets another id, which
// the verifier refuses). An account's id is its public key: "co_z" + the same
// base58 as its "signer_z" id, so a client checks that a response comes from
// workerId, and a server checks an auth token, with no directory lookup.
#ifndef JAZZRPC_MESSAGE_H
#define JAZZRPC_MESSAGE_H

#include <string>
#include <string_view>

#include "envelope.h"
#include "sign.h"
#include "status.h"

namespace jazzrpc {

enum class MessageKind { request, response };

// "signer_z<key>" <-> "co_z<key>": both check that <key> is 32 bytes of base58.
Status account_id_from_signer(std::string_view signer_id, std::string &account_id);
Status signer_from_account_id(std::string_view account_id, std::string &signer_id);

struct MessageSpec {
  MessageKind kind = MessageKind::request;
  std::string url;             // the route's path
  std::string worker_id;       // the worker's account id
  std::string in_response_to;  // responses: the request's id
  std::string nonce;           // any string; makes each request's id unique
  std::string value_json;      // the values, a JSON object
  double created_at = 0;
};

struct MessageInfo {
  EnvelopeInfo envelope;
  std::string made_by;          // the signer's account id
  std::string value_canonical;  // the values, as canonical JSON text
};

Status message_sign(std::string_view signer_secret, const MessageSpec &spec, const ParseLimits &limits,
                    std::string &body);
// The same with a signer expanded once (sign_expand): a worker that signs every
// response keeps one, instead of deriving its public key again for each.
Status message_sign(const ExpandedSigner &signer, const MessageSpec &spec, const ParseLimits &limits,
                    std::string &body);

// Verifies the envelope (envelope_verify), then the binding: the piece's kind, url
// and workerId equal the expected ones; for a response, inResponseTo equals the
// expected request id and the signer's account is the worker; and the id is the
// one derived from the content and the signer.
Status message_verify(std::string_view body, double now, const EnvelopeOptions &options, const MessageSpec &expected,
                      MessageInfo &info);

}  // namespace jazzrpc

#endif
