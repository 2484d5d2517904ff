// node:http adapter: turns a fetch-style handler, (Request) => Promise<Response>,
// into a listener for http.createServer. The body is streamed through, so
// handle()'s size limit applies before anything is buffered.
import { Readable } from "node:stream";

/** @param {(request: Request) => Response | Promise<Response>} fetchHandler */
export function toNodeListener(fetchHandler) {
  return async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (Array.isArray(value)) for (const v of value) headers.append(name, v);
        else if (value !== undefined) headers.set(name, value);
      }
      const request = new Request(url, {
        method: req.method,
        headers,
        body: hasBody ? Readable.toWeb(req) : undefined,
        duplex: "half",
      });
      const response = await fetchHandler(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (response.body) {
        for await (const chunk of response.body) res.write(chunk);
      }
      res.end();
    } catch {
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
      res.end(res.headersSent ? undefined : JSON.stringify({ message: "Internal server error", code: 500 }));
    }
  };
}
