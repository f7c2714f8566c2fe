// The controllers this process runs. Each reconciler package adds one entry: a function that
// takes the manager and registers its informers, controller and watches. main.ts runs them all
// before starting the manager, so adding a reconciler never touches main.ts.

import type { Manager } from './kit/manager.js';
import { registerRollout } from './rollout/index.js';
import { registerIhpaController } from './ihpa/index.js';
import { registerReplicaProfileController } from './replicaprofile/index.js';
import { registerPortrait } from './portrait/horizontalportrait/index.js';
import { registerWebhookFromEnv } from './webhook/index.js';
import { registerApplication } from './application/index.js';
import { registerGrpcMetrics } from './metrics/grpc/index.js';

export interface ControllerRegistration {
  /** Selects it with `--controllers`, e.g. `rollout`. */
  name: string;
  register: (manager: Manager) => void | Promise<void>;
}

export const controllers: ControllerRegistration[] = [
  { name: 'rollout', register: registerRollout },
  { name: 'ihpa', register: registerIhpaController },
  { name: 'replicaprofile', register: registerReplicaProfileController },
  { name: 'portrait', register: registerPortrait },
  { name: 'webhook', register: registerWebhookFromEnv },
  { name: 'application', register: registerApplication },
  { name: 'grpc-metrics', register: registerGrpcMetrics },
];
