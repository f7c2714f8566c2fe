// The batch engine: pure arithmetic and planning shared by the Rollout reconciler and the IHPA
// gray strategy. No I/O and no clock reads; time is always an argument (ms since the epoch).

export * from './steps.js';
export * from './batches.js';
export * from './rollout-plan.js';
export * from './gray-plan.js';
