/** Pure IHPA arithmetic: cron schedules, portrait providers, the priority merge and the KubeHPA replica calculation. */
export { CronError, nextAfter, parseCron, validateTimeZone } from './cron.js';
export type { CronFieldName, CronSchedule } from './cron.js';

export { PortraitError } from './types.js';
export type { PortraitValue } from './types.js';

export {
  CRON_PROVIDER,
  compileCrons,
  cronWindowValue,
  formatInstant,
  nextCronWakeup,
} from './providers/cron-window.js';
export type { CompiledCron, CronWindowValue, ReplicaCron } from './providers/cron-window.js';

export { STATIC_PROVIDER, staticPortraitValue } from './providers/static.js';

export { nextTimeSeriesChange, timeSeriesValueAt } from './providers/time-series.js';
export type { TimeSeriesPoint, TimeSeriesPortrait, TimeSeriesValue } from './providers/time-series.js';

export { portraitDataValueAt } from './providers/portrait-data.js';
export type { HorizontalPortraitData, PortraitDataReading } from './providers/portrait-data.js';

export {
  NO_VALID_PORTRAIT_VALUE_MESSAGE,
  clampReplicas,
  decidePortrait,
  isPortraitValueLive,
  pickPortraitValue,
} from './merge.js';
export type { PortraitCandidate, PortraitDecision, ScalingLimited, ScalingLimitedReason } from './merge.js';

export { QuantityError, quantityToMilli } from './quantity.js';
export type { Quantity } from './quantity.js';

export {
  DEFAULT_CPU_INITIALIZATION_PERIOD_SECONDS,
  DEFAULT_INITIAL_READINESS_DELAY_SECONDS,
  DEFAULT_TOLERANCE,
  calculateReplicas,
  describeMetric,
} from './replica-calculator.js';
export type {
  MetricFailure,
  MetricIdentifier,
  MetricObservation,
  MetricProposal,
  MetricSpec,
  MetricTarget,
  PodContainerSnapshot,
  PodMetricSample,
  PodSnapshot,
  ReplicaCalculationInput,
  ReplicaCalculationResult,
} from './replica-calculator.js';
