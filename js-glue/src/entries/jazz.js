// "jazzrpc/jazz": the jazz-tools path, imported statically. Node and Deno load it
// by themselves when a jazz-tools Account is used; bundled programs (Workers,
// Vite, Next.js, deno bundle) import this module once so that the bundle carries
// it and jazz-tools.
import * as jazzPath from "../jazz/path.js";
import { useJazzPath } from "../rpc/route.js";

useJazzPath(jazzPath);

export { verifyJazzRequest, handleJazzRequest, prepareJazzRequest } from "../jazz/path.js";
