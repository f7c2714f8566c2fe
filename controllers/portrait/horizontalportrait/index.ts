/** HorizontalPortrait generation: reactive (KubeHPA) and predictive (ExternalJob) portraits. */
export {
  CONTROLLER_NAME,
  DEFAULT_ALGORITHM_JOB_IMAGE,
  DEFAULT_METRICS_SERVER_ADDRESS,
  EVENT_COMPONENT,
  generatorFor,
  portraitSettingsFromEnv,
  registerHorizontalPortraitController,
} from './controller.js';
export type { PortraitSettings } from './controller.js';
export {
  ALGORITHM_CONTAINER,
  algorithmCronJobName,
  parseAlgorithmResult,
  portraitNameOfResult,
  renderAlgorithmCronJob,
  resultConfigMapName,
  withEnv,
} from './predictive.js';
export type { AlgorithmJobSettings, CronJob, EnvVar, ResultReading } from './predictive.js';
export {
  DEFAULT_SYNC_PERIOD_MS,
  generateReactivePortrait,
  kubeHPASettings,
  podSnapshot,
} from './reactive.js';
export type { KubeHPASettings, Pod, ReactiveContext, ReactiveResult } from './reactive.js';
export * from './types.js';

import type { Manager } from '../../kit/manager.js';
import { portraitSettingsFromEnv, registerHorizontalPortraitController } from './controller.js';

/** The `portrait` registration: settings from the environment main.ts fills from its flags. */
export function registerPortrait(manager: Manager): void {
  registerHorizontalPortraitController(manager, portraitSettingsFromEnv(process.env, manager.watchNamespace));
}
