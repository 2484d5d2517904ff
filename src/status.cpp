#include "status.h"

namespace jazzrpc {

const char *status_name(Status status) noexcept {
  switch (status) {
    case Status::ok: return "OK";
    case Status::not_json: return "ERR_NOT_JSON";
    case Status::too_large: return "ERR_TOO_LARGE";
    case Status::too_deep: return "ERR_TOO_DEEP";
    case Status::malformed: return "ERR_MALFORMED";
    case Status::bad_signature: return "ERR_BAD_SIGNATURE";
    case Status::expired: return "ERR_EXPIRED";
    case Status::future: return "ERR_FUTURE";
    case Status::bad_key: return "ERR_BAD_KEY";
    case Status::bad_encoding: return "ERR_BAD_ENCODING";
    case Status::invalid_argument: return "ERR_INVALID_ARGUMENT";
    case Status::internal: return "ERR_INTERNAL";
    case Status::wrong_route: return "ERR_WRONG_ROUTE";
    case Status::wrong_worker: return "ERR_WRONG_WORKER";
    case Status::bad_id: return "ERR_BAD_ID";
    case Status::wrong_signer: return "ERR_WRONG_SIGNER";
    case Status::wrong_request: return "ERR_WRONG_REQUEST";
    case Status::unbound_signer: return "ERR_UNBOUND_SIGNER";
  }
  return "ERR_INTERNAL";
}

}  // namespace jazzrpc
