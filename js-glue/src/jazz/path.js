// The jazz-tools path of send() and handle(): when the worker or the owner is a
// jazz-tools Account, requests and responses are jazz-tools' own format (CoJSON
// contentPieces), so real jazz-tools clients and servers talk to ours unchanged.
// jazz-tools is an optional peer dependency, imported only here, only when used.
//
// The security checks stay in the core: core.verifyJazzMessage checks the envelope,
// the time window and that its signer created the CoValue it names; the replay
// guard (never a `$handled` field) is claimed by route.js between verifyJazzRequest and
// handleJazzRequest.

import {
  Account,
  Group,
  co,
  coValueClassFromCoValueClassOrSchema,
  cojsonInternals,
  exportCoValue,
  importContentPieces,
  loadCoValue,
} from "jazz-tools";
import { getCore } from "../core/wasm.js";
import { JazzRequestError } from "../rpc/request-error.js";
import { isCoValueSchema } from "../rpc/schema.js";

/** The CoValue schema of a definition: as given, or a CoMap of the shape. */
function coSchemaOf(definition) {
  return isCoValueSchema(definition.schema) ? definition.schema : co.map(definition.schema);
}

/** Loads a CoValue of the definition's schema, as jazz-tools' handle() loads it. */
function loadAs(definition, id, account, resolve) {
  return loadCoValue(coValueClassFromCoValueClassOrSchema(coSchemaOf(definition)), id, { resolve, loadAs: account });
}

const signerOf = (account) => {
  const node = account.$jazz.localNode;
  return node.crypto.getAgentSignerID(account.$jazz.raw.currentAgentID());
};

const signerSecretOf = (account) => account.$jazz.localNode.getCurrentAgent().currentSignerSecret();

// Only the pieces the named CoValue depends on, as jazz-tools imports them.
function dependedOnPieces(contentPieces, id) {
  const piece = contentPieces.find((p) => p?.id === id);
  if (!piece?.header) return [];
  const wanted = cojsonInternals.getDependedOnCoValues(piece.header, piece);
  wanted.add(id);
  return contentPieces.filter((p) => wanted.has(p?.id));
}

// Imports the pieces and checks, through jazz-tools, what the core already
// checked in the CoJSON: the first valid transaction comes from `creator`, whose
// current agent is the envelope's signer.
async function importAndLoadCreator(contentPieces, verdict, loadAs) {
  const node = loadAs.$jazz.localNode;
  importContentPieces(dependedOnPieces(contentPieces, verdict.id), loadAs);
  const coValue = await node.loadCoValueCore(verdict.id);
  if (!coValue.isAvailable()) throw new JazzRequestError("Value not found", 400, undefined, { reason: "ERR_MALFORMED" });
  const session = coValue.getValidSortedTransactions().at(0)?.txID.sessionID;
  const creatorId = session && cojsonInternals.accountOrAgentIDfromSessionID(session);
  if (creatorId !== verdict.creator) {
    throw new JazzRequestError("Request payload is not valid, the creator is not a valid account", 400, undefined, { reason: "ERR_MALFORMED" });
  }
  const creator = await Account.load(creatorId, { loadAs });
  if (!creator.$isLoaded) throw new JazzRequestError("Creator account not found", 400, undefined, { reason: "ERR_MALFORMED" });
  if (signerOf(creator) !== verdict.signerID) throw new JazzRequestError("Request is not signed by its creator", 401, undefined, { reason: "ERR_UNBOUND_SIGNER" });
  return creator;
}

/**
 * handle(), before the claim: after the core verified the body
 * (core.verifyJazzMessage, including the request CoValue's session signatures),
 * imports the pieces, loads the creator and the request value. Anything that can
 * refuse the body refuses it here, so a refused body never burns its id.
 */
export async function verifyJazzRequest({ bodyText, verdict, worker, request }) {
  const { contentPieces } = JSON.parse(bodyText);
  const madeBy = await importAndLoadCreator(contentPieces, verdict, worker);
  const value = await loadAs(request, verdict.id, worker, request.jazzResolve);
  if (!value.$isLoaded) throw new JazzRequestError("Value not found", 400, undefined, { reason: "ERR_MALFORMED" });
  return { madeBy, value };
}

/** handle(), after verifyJazzRequest and the claim: runs the handler and answers in jazz-tools' format. */
export async function handleJazzRequest({ madeBy, value, worker, handler, response, now }) {
  const node = worker.$jazz.localNode;
  const tracking = node.syncManager.trackDirtyCoValues();
  const result = await handler(value, madeBy);

  const schema = coSchemaOf(response);
  const group = Group.create({ owner: worker });
  group.addMember(madeBy, "reader");
  const envelope = schema.create(result ?? {}, group);
  const pieces =
    (await exportCoValue(schema, envelope.$jazz.id, { resolve: response.jazzResolve, loadAs: worker, bestEffortResolution: true })) ?? [];
  const payload = getCore().signEnvelope({ contentPieces: pieces, id: envelope.$jazz.id, createdAt: now() }, signerSecretOf(worker));
  await Promise.all(Array.from(tracking.done(), (id) => node.syncManager.waitForSync(id)));
  return new Response(`{"type":"success","payload":${payload}}`, {
    status: 200,
    headers: { "Content-Type": "application/json" },
  });
}

async function loadWorkerAccountOrGroup(id, loadAs) {
  const node = loadAs.$jazz.localNode;
  const coValue = await node.loadCoValueCore(id);
  if (!coValue.isAvailable()) throw new JazzRequestError("Worker account not found", 400, undefined, { reason: "ERR_WRONG_WORKER" });
  const account = await Account.load(id, { loadAs }).catch(() => null);
  if (account?.$isLoaded) return account;
  const group = await Group.load(id, { loadAs });
  if (!group.$isLoaded) throw new JazzRequestError("Worker group not found", 400, undefined, { reason: "ERR_WRONG_WORKER" });
  return group;
}

/**
 * send() with a jazz-tools Account as owner: the request as jazz-tools builds it,
 * and a reader for the worker's response.
 */
export async function prepareJazzRequest({ workerId, values, owner, request, response, now, verifyOptions }) {
  const target = await loadWorkerAccountOrGroup(workerId, owner);
  const schema = coSchemaOf(request);
  const group = Group.create({ owner });
  group.addMember(target, "writer");
  const envelope = schema.create(values ?? {}, group);
  const contentPieces = (await exportCoValue(schema, envelope.$jazz.id, { resolve: true, loadAs: owner, bestEffortResolution: true })) ?? [];
  const createdAt = now();
  const body = getCore().signEnvelope({ contentPieces, id: envelope.$jazz.id, createdAt }, signerSecretOf(owner));
  return { body, readPayload: responseReader({ target, owner, response, now, verifyOptions, createdAt }) };
}

/**
 * The reader of the worker's answers to a body prepared earlier (route.deliver()):
 * `owner` is the account that signed it, `createdAt` the body's.
 */
export async function jazzResponseReader({ workerId, owner, response, now, verifyOptions, createdAt }) {
  const target = await loadWorkerAccountOrGroup(workerId, owner);
  return responseReader({ target, owner, response, now, verifyOptions, createdAt });
}

function responseReader({ target, owner, response, now, verifyOptions, createdAt }) {
  return async function readPayload(payloadText) {
    // A stored answer replayed later is as old as the first handling: any answer made
    // since the request was created is in time (it names this request, so it cannot be older).
    const at = now();
    const window = Math.max(verifyOptions.window, at - createdAt + verifyOptions.window + verifyOptions.skew);
    const verdict = getCore().verifyJazzMessage(payloadText, { ...verifyOptions, window, now: at });
    if (!verdict.ok) throw new JazzRequestError(`Response refused: ${verdict.message}`, 502, { code: verdict.code }, { reason: "ERR_RESPONSE_REFUSED" });
    // The response must come from the worker: the worker account itself, or a
    // member of the worker group allowed to write for it.
    const isWorker =
      target instanceof Account
        ? verdict.creator === target.$jazz.id
        : ["admin", "manager", "writer"].includes(target.getRoleOf(verdict.creator));
    if (!isWorker) throw new JazzRequestError("Response refused: not signed by the worker", 502, { code: "ERR_WRONG_SIGNER" }, { reason: "ERR_RESPONSE_REFUSED" });
    await importAndLoadCreator(JSON.parse(payloadText).contentPieces, verdict, owner);
    const value = await loadAs(response, verdict.id, owner, response.jazzResolve);
    if (!value.$isLoaded) throw new JazzRequestError("Response payload is not valid", 502, undefined, { reason: "ERR_RESPONSE_SCHEMA" });
    return value;
  };
}
