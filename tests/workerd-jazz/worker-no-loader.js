// The same Worker without jazz-tools/load-edge-wasm: shows where jazz-tools stops in workerd.
export { default, ReplayGuardDurableObject } from "./scenario.js";
