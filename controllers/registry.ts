// The controllers this process runs. Each reconciler package adds one entry: a function that
// takes the manager and registers its informers, controller and watches. main.ts runs them all
// before starting the manager, so adding a reconciler never touches main.ts.

import type { Manager } from './kit/manager.js';

export interface ControllerRegistration {
  /** Selects it with `--controllers`, e.g. `rollout`. */
  name: string;
  register: (manager: Manager) => void | Promise<void>;
}

export const controllers: ControllerRegistration[] = [];
