// The test Worker: jazz-tools' edge wasm loader first, as jazz-tools asks of Workers
// (cojson's wasm is then imported as a module instead of compiled from bytes), then
// the scenario (scenario.js).
import "jazz-tools/load-edge-wasm";

export { default, ReplayGuardDurableObject } from "./scenario.js";
