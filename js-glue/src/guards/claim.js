// Replay guards: one interface, `claim(id, expiresAt) -> Promise<boolean>`, true for
// the first claim of an id only, and `release(id)`, which forgets a claim whose
// handler never started. The guard is the authority on which ids were seen;
// handle() fails closed (503) when it throws or does not answer in time, and
// releases a claim that lands after it gave up, so the client's retry of the same
// body can succeed. Every guard refuses an id whose expiresAt has passed.


/**
 * Runs guard.claim with a deadline; rejects when the guard fails or is late. A
 * claim that lands after the deadline is released (guard.release), so that the
 * 503 handle() answered can be retried with the same body.
 */
export function claimWithin(guard, id, expiresAt, timeoutMs) {
  let timer;
  let late = false;
  const claim = Promise.resolve().then(() => guard.claim(id, expiresAt));
  claim.then(
    (first) => {
      if (late && first === true) return Promise.resolve().then(() => guard.release?.(id)).catch(() => {});
    },
    () => {},
  );
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => {
      late = true;
      reject(new Error(`replay guard did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  return Promise.race([claim, deadline]).finally(() => clearTimeout(timer));
}

/** The ms from now until expiresAt, at least 1 (what Redis PX and Deno KV expireIn take). */
export const ttlOf = (expiresAt, now) => Math.max(1, Math.ceil(expiresAt - now));
/** As the core's replay set and the envelope window: an id is live until expiresAt, inclusive. */
export const hasExpired = (expiresAt, now) => !(expiresAt >= now);
