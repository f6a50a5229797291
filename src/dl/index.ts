/** nengo-ts/dl: the differentiable simulator and training (NengoDL 2.x on tfjs). */
export { tf, selectBackend, type BackendName } from "./backend.js";
export {
  Simulator,
  DEFAULT_PROFILE_FILE,
  type DLSimulatorOptions,
  type DataMap,
  type ObjectiveMap,
  type TrainOptions,
  type RunOptions,
  type LossOptions,
  type SaveParamsOptions,
  type CheckGradientsOptions,
  type GradientCheckReport,
  type ParamGradientCheck,
  type DLSimData,
  type ProfileOption,
} from "./simulator.js";
export {
  checkGradient,
  numericGradient,
  DEFAULT_ATOL,
  DEFAULT_RTOL,
  DEFAULT_DELTA,
  type GradientTolerance,
  type GradientComparison,
} from "./gradcheck.js";
export { configureSettings, type DLSettings } from "./settings.js";
export { type SummaryItem, type SummaryFunction } from "./summaries.js";
export {
  MANIFEST_FILE,
  DATA_FILE,
  PARAMS_FORMAT,
  PARAMS_VERSION,
  type ParamsManifest,
  type ManifestEntry,
  type FreezeTarget,
} from "./params.js";
export * as objectives from "./objectives.js";
export type { Objective } from "./objectives.js";
