// "jazzrpc/jazz": the jazz-tools path, imported statically. Node and Deno load it on
// their own when a jazz-tools Account is used; bundled programs (Workers, deno bundle)
// import this module so that the bundle carries it and jazz-tools.
import * as jazzPath from "./jazz.js";
import { useJazzPath } from "./route.js";

useJazzPath(jazzPath);

export { verifyJazzRequest, handleJazzRequest, prepareJazzRequest } from "./jazz.js";
