// Real jazz-tools 0.20.19 request bodies, for the envelope and secureHash figures
// (and the native bench): written to bench/out/jazz-bodies.json and, the first one,
// to bench/out/jazz-body.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { emit, OUT } from "../lib/measure.mjs";
import { quietJazzWarnings, setupJazz } from "../lib/jazz.mjs";

quietJazzWarnings();
const count = Number(process.argv[2] ?? 16);
const { worker, makeBodies } = await setupJazz();
const bodies = await makeBodies(count);
mkdirSync(OUT, { recursive: true });
writeFileSync(OUT + "jazz-bodies.json", JSON.stringify({ workerId: worker.$jazz.id, bodies }));
writeFileSync(OUT + "jazz-body.json", bodies[0]);
const sizes = bodies.map((b) => Buffer.byteLength(b));
emit({ count, bytes: { min: Math.min(...sizes), max: Math.max(...sizes), first: sizes[0] } });
process.exit(0);
