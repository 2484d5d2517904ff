// Types of jazzrpc/jazz: importing it registers the jazz-tools path (for bundles:
// Workers, Vite, Next.js, deno bundle). Afterwards send() and handle() speak
// jazz-tools' own format whenever the owner or the worker is a jazz-tools Account.
// Its functions are the path's internals, called by send() and handle().
export declare function verifyJazzRequest(args: {
  bodyText: string;
  verdict: unknown;
  worker: unknown;
  request: unknown;
}): Promise<{ madeBy: unknown; value: unknown }>;
export declare function handleJazzRequest(args: {
  madeBy: unknown;
  value: unknown;
  worker: unknown;
  handler: (value: any, madeBy: any) => unknown;
  response: unknown;
  now: () => number;
}): Promise<Response>;
export declare function prepareJazzRequest(args: Record<string, unknown>): Promise<{ body: string; readPayload(payload: string): Promise<unknown> }>;
