// The API scenarios (tests/scenarios/api.mjs) on Node, with the memory guard.
import { test } from "node:test";
import { z } from "zod";
import * as v from "valibot";
import * as lib from "../../../js-glue/src/entries/node.js";
import { scenarios, guardScenarios } from "../../scenarios/api.mjs";

const ctx = { lib, z, v };
for (const s of scenarios) test(s.name, () => s.fn(ctx));
for (const s of guardScenarios) {
  test(`MemoryReplayGuard: ${s.name}`, () => s.fn(ctx, (now) => new lib.MemoryReplayGuard({ now })));
}
