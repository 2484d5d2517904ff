// Result codes of the core. Values are stable: the C ABI returns them negated
// and the JS glue maps them to error codes (js-glue/src/errors.js).
#ifndef JAZZRPC_STATUS_H
#define JAZZRPC_STATUS_H

namespace jazzrpc {

enum class Status : int {
  ok = 0,
  not_json = 1,          // the input is not JSON text
  too_large = 2,         // the input is over the size limit
  too_deep = 3,          // nesting is over the depth limit
  malformed = 4,         // JSON, but not the shape expected
  bad_signature = 5,     // the signature does not verify
  expired = 6,           // createdAt is older than the window
  future = 7,            // createdAt is further in the future than the skew allows
  bad_key = 8,           // a secret or signer id that does not decode to a key
  bad_encoding = 9,      // base58 or a prefix is invalid
  invalid_argument = 10, // an argument outside its domain (NaN time, bad length)
  internal = 11,
  wrong_route = 12,      // signed for another url path
  wrong_worker = 13,     // signed for another worker
  bad_id = 14,           // the id is not the one derived from the content and signer
  wrong_signer = 15,     // a response not signed by the worker
  wrong_request = 16,    // a response to another request
  unbound_signer = 17,   // a jazz-tools body whose signer did not create the request
};

const char *status_name(Status status) noexcept;

}  // namespace jazzrpc

#endif
