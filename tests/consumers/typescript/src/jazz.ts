// jazz.ts: "jazzrpc/jazz" (the jazz-tools path for bundles) has types; an untyped
// module is an error here (noImplicitAny).
import * as jazzPath from "jazzrpc/jazz";

export const jazzPathExports: string[] = Object.keys(jazzPath);
