/** nengo-ts/dl: the differentiable simulator and training (NengoDL 2.x on tfjs). */
export { tf, selectBackend, type BackendName } from "./backend.js";
export {
  Simulator,
  type DLSimulatorOptions,
  type DataMap,
  type ObjectiveMap,
  type TrainOptions,
  type LossOptions,
  type DLSimData,
} from "./simulator.js";
export { configureSettings, type DLSettings } from "./settings.js";
export * as objectives from "./objectives.js";
export type { Objective } from "./objectives.js";
