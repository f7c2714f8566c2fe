// The HorizontalPortrait object as this package reads and writes it (see
// definitions/crds/autoscaling.kapacitystack.io_horizontalportraits.yaml).

import type { Condition } from '../../kit/conditions.js';
import type { ResourceDescriptor } from '../../kit/discovery.js';
import type { KubeObject } from '../../kit/objects.js';
import type { MetricSpec } from '../replica-calculator.js';

export const HORIZONTAL_PORTRAIT_GROUP = 'autoscaling.kapacitystack.io';
export const HORIZONTAL_PORTRAIT_API_VERSION = `${HORIZONTAL_PORTRAIT_GROUP}/v1alpha1`;

export const HORIZONTAL_PORTRAIT: ResourceDescriptor = {
  group: HORIZONTAL_PORTRAIT_GROUP,
  version: 'v1alpha1',
  resource: 'horizontalportraits',
  kind: 'HorizontalPortrait',
  namespaced: true,
};

/** The condition this package owns, and its reasons (upstream's names). */
export const PORTRAIT_GENERATED = 'PortraitGenerated';
export const SUCCEEDED_GENERATE_PORTRAIT = 'SucceededGeneratePortrait';
export const FAILED_GENERATE_PORTRAIT = 'FailedGeneratePortrait';
/** Predictive only: the CronJob exists, its first result is not there yet. */
export const WAITING_FOR_ALGORITHM_RESULT = 'WaitingForAlgorithmResult';
export const SUCCEEDED_MESSAGE = 'portrait has been successfully generated';

export interface ScaleTargetRef {
  apiVersion?: string;
  kind: string;
  name: string;
}

export interface KubeHPAConfig {
  syncPeriod?: string;
  tolerance?: string;
  cpuInitializationPeriod?: string;
  initialReadinessDelay?: string;
}

export interface CronJobTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

export interface PortraitAlgorithm {
  type: 'KubeHPA' | 'ExternalJob' | (string & {});
  kubeHPA?: KubeHPAConfig;
  externalJob?: {
    job?: { type?: string; cronJob?: { template?: CronJobTemplate } };
    resultSource?: { type?: string };
  };
}

export interface HorizontalPortraitSpec {
  scaleTargetRef: ScaleTargetRef;
  portraitType: 'Reactive' | 'Predictive' | (string & {});
  externalGeneratorName?: string;
  metrics?: MetricSpec[];
  algorithm: PortraitAlgorithm;
}

export interface TimeSeriesPointStatus {
  timestamp: number;
  replicas: number;
}

/** status.portraitData as written to the API (times as RFC 3339 strings). */
export interface PortraitDataStatus {
  type: 'Static' | 'Cron' | 'TimeSeries';
  static?: { replicas: number };
  cron?: { crons: unknown[] };
  timeSeries?: { timeSeries: TimeSeriesPointStatus[] };
  expireTime?: string;
}

export interface HorizontalPortraitStatus {
  portraitData?: PortraitDataStatus;
  conditions?: Condition[];
}

export interface HorizontalPortrait extends KubeObject {
  spec: HorizontalPortraitSpec;
  status?: HorizontalPortraitStatus;
}

/** A spec the generators cannot work with (the user must change it). */
export class PortraitSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortraitSpecError';
  }
}
