// Account ids and signer ids: "co_z…" and "signer_z…" of the same public key.
import { string } from "./arguments.js";

/** "co_z…": the account id of a signer id (the same public key). */
export function accountId(abi, signerID) {
  abi.check("jazzrpc_account_id", string(signerID, "signerID"));
  return abi.outputText();
}

/** "signer_z…": the signer id of an account id (the same public key). */
export function signerIdOfAccount(abi, accountId) {
  abi.check("jazzrpc_account_signer_id", string(accountId, "accountId"));
  return abi.outputText();
}
