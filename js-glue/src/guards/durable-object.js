// The authoritative record of request ids on Cloudflare: Durable Objects.
//
// Each ReplayGuardDurableObject is the one authority for the ids that hash to it. A
// claim runs without an await, so no other event of the object interleaves with it:
// the in-memory replay set (the wasm core's) tells a new id at once; a first claim is
// written to the object's SQLite storage in the same turn, and the runtime's output
// gate holds the answer until the write is durable. An object restarted or evicted
// therefore still knows every id it accepted, with its state and stored answer.
//
// An id's life in the object (issue 15), all on the object's own clock:
//  - held from its claim until expiresAt + skewMs at least (issue 17.2: a Worker whose
//    clock is up to skewMs behind the object's still finds it), and until keepUntil
//    (the route's answerTtlMs, 24 h by default) once its answer is stored;
//  - a claim made with leaseMs holds a lease, extended by renew() while its handler
//    runs; a copy that finds the lease lapsed (the isolate that ran it died) turns the
//    row into the lapsed answer the route gave (500 ERR_OUTCOME_UNKNOWN) and gets
//    { state: "lapsed" }; later copies get that answer; a complete() that comes after
//    all (the first copy was only slow) overwrites it with the real answer;
//  - lookup() tells its state without claiming (a body whose window has passed);
//  - answers longer than 64 KiB (as JSON, UTF-8) are split over chunk rows of 64 KiB,
//    written and read in the same transaction as their row (Durable Objects allow
//    2 MB per row and 100 KB per SQL statement);
//  - the alarm deletes rows past their time with their chunks, at most 500 per run,
//    again at once while more are due; it is idempotent (an alarm delivered twice
//    deletes nothing more).
//
// The Worker side, durableObjectReplayGuard(), keeps two things per isolate (module
// state, shared by every request the isolate serves):
//
//  - Coalesced calls. Claims, completes, renewals, lookups and releases bound for one shard's object are
//    queued, and the queue goes to the object as one RPC, batch(ops), which runs them
//    in order in one synchronous turn and one SQLite transaction and answers one
//    result per operation: each caller gets what the same call alone would have got
//    (an id twice in one batch: the first is "first", the second a duplicate). The
//    operations of one turn go together; while a shard has MAX_BATCHES_IN_FLIGHT
//    batches out, the next ones wait and leave together, at most MAX_BATCH per RPC and
//    about MAX_BATCH_BYTES of answers (the object bounds the answers it gives back in
//    one reply the same way; a large one left out is asked for alone). A
//    batch that throws (storage failure: the object rolls all of it back) fails each
//    of its callers, as a single call would (handle() answers 503 and the same body
//    can be retried). A batch is sent from the request of one of its callers (a stub
//    belongs to the request that made it), kept alive with waitUntil until it is
//    answered; each caller waits for its answer with its own timer. Carrying other
//    requests' calls needs workerd to run a promise's continuations in the request
//    that made it (handle_cross_request_promise_resolution, the default since
//    2024-10-14); without it, only the calls of one request's turn go together.
//  - The ids this isolate claimed (at most LOCAL_IDS, the oldest dropped first, each
//    forgotten at its expiresAt, or with its answer at its keepUntil; stored answers
//    held up to LOCAL_ANSWER_BYTES). A duplicate of an id this isolate is running
//    while its lease holds (renewed here as at the object) is answered "running" (409, or 400
//    with duplicates "reject", which never completes) and a duplicate of one it
//    completed gets the answer it stored itself, without a round trip. Anything else
//    goes to the object, which stays the authority: a miss costs a round trip, never
//    a wrong answer, and a release() or a failed complete() forgets the local entry.
//    Ids answered by the object as another's are not kept.
//
// Rate limits (the route's `rateLimit`, begin()'s `rate`): a sliding window log per key,
// rows (key, id, at, until) of the table jazzrpc_rate in the SQLite of the shard the key
// hashes to (shardOf(key, shards)): one place per key, whichever shards its ids go to.
// When that is the id's shard too (always with one shard), the object counts a first
// claim in the claim's own transaction, and over the limit undoes the claim and answers
// { state: "limited", retryAfterMs }. Otherwise the isolate claims in the id's shard,
// then, for a first claim only, sends { op: "limit", id, rate } to the key's shard (its
// own lane, batched like the rest), and over the limit (or when the count fails)
// releases the claim. Exact either way: only first claims are counted, each key's
// count-and-add runs in one object's transaction, and an id counts once per window; a
// copy of a refused id may meanwhile be told 409, and a Worker that dies between the
// two calls leaves a claim whose lease lapses. Bounds: at most `requests` rows per key,
// deleted at the key's next count once past its window, or by the sweep alarm.
//
// exactlyOnce(ctx) keeps the same rows in the SQLite of the object that owns the
// handler's state (an event's object), so that handle() commits the claim, the
// handler's writes and the answer in one transaction: no leases there (nothing is
// ever left running), answers kept until keepUntil, lookup() as above.
//
// The files, in the order a claim passes them (durable-object/):
//  - replay-guard.js: durableObjectReplayGuard(namespace, options), the guard handle() calls;
//  - isolate-guard.js: what one isolate shares per guard, a lane per shard and its ids;
//  - local-ids.js: LocalIds, the ids this isolate claimed and the answers it stored;
//  - shards.js: which shard's object owns an id;
//  - lane.js: Lane, one isolate's calls to one shard, sent as batch RPCs;
//  - guard-object.js: ReplayGuardDurableObject, the object (begin, complete, renew, lookup,
//    release, batch, stats, the sweep alarm);
//  - checks.js: what the object accepts (ids, options, leases, the batch's size);
//  - claim-table.js: ClaimTable, the rows in the object's SQLite, LAPSED and DEFERRED;
//  - answer-chunks.js: answers longer than 64 KiB, in chunk rows;
//  - exactly-once.js: exactlyOnce(ctx), the same rows in the handler's own object.

export { LAPSED } from "./durable-object/claim-table.js";
export { exactlyOnce } from "./durable-object/exactly-once.js";
export { ReplayGuardDurableObject } from "./durable-object/guard-object.js";
export { durableObjectReplayGuard } from "./durable-object/replay-guard.js";
