// The status view: per-batch progress of a Rollout at the seed walkthrough's steps, the IHPA's
// portrait, gray progress and next scheduled change at the seed's gray scale-down, how an
// Application's components gather their objects, when --watch is done, and the text.

import type { Ihpa } from '../../../controllers/ihpa/types.js';
import type { Rollout, RolloutStatus } from '../../../controllers/rollout/types.js';
import {
  buildStatusView,
  ihpaView,
  progressBar,
  renderStatusView,
  rolloutBatchViews,
  rolloutView,
  statusSettled,
  type ApplicationObject,
  type StatusSnapshot,
  type WorkloadObject,
} from '../../../cli/status-view.js';

const T0 = Date.UTC(2024, 0, 1, 10, 0, 0);

function rollout(
  target: string,
  plan: Rollout['spec']['rolloutPlan'],
  status: RolloutStatus | undefined,
  generation = 1,
): Rollout {
  return {
    apiVersion: 'standard.oam.dev/v1alpha1',
    kind: 'Rollout',
    metadata: {
      name: 'express-server',
      namespace: 'default',
      generation,
      labels: { 'app.oam.dev/name': 'rollout-trait-test' },
    },
    spec: { targetRevisionName: target, componentName: 'express-server', rolloutPlan: plan },
    ...(status ? { status } : {}),
  };
}

const batches23 = { targetSize: 5, rolloutBatches: [{ replicas: 2 }, { replicas: 3 }] };

describe('rollout batches (seed 003)', () => {
  test('first release, second batch rolling: 2/2 ready, then 1 of 3', () => {
    const r = rollout('express-server-v1', batches23, {
      rollingState: 'rollingInBatches',
      batchRollingState: 'batchInRolling',
      currentBatch: 1,
      rolloutOriginalSize: 0,
      rolloutTargetSize: 5,
      upgradedReplicas: 5,
      upgradedReadyReplicas: 3,
      lastTargetRevision: 'express-server-v1',
      LastSourceRevision: '',
      targetGeneration: '1',
    });
    expect(rolloutBatchViews(r)).toEqual([
      { index: 0, size: 2, moved: 2, state: 'done' },
      { index: 1, size: 3, moved: 1, state: 'rolling' },
    ]);
  });

  test('upgrade held at batchPartition 0: 2 of 2 on v2, the second batch held (from 0, not from the 5 of v1)', () => {
    const r = rollout(
      'express-server-v2',
      { ...batches23, batchPartition: 0 },
      {
        rollingState: 'rollingInBatches',
        batchRollingState: 'batchReady',
        currentBatch: 0,
        rolloutOriginalSize: 5,
        rolloutTargetSize: 5,
        upgradedReplicas: 2,
        upgradedReadyReplicas: 2,
        lastTargetRevision: 'express-server-v2',
        LastSourceRevision: 'express-server-v1',
        targetGeneration: '1',
      },
    );
    expect(rolloutBatchViews(r)).toEqual([
      { index: 0, size: 2, moved: 2, state: 'done' },
      { index: 1, size: 3, moved: 0, state: 'held' },
    ]);
    const view = rolloutView(r);
    expect(view).toMatchObject({
      sourceRevision: 'express-server-v1',
      current: true,
      finished: false,
      batchPartition: 0,
    });
  });

  test('scale of the same revision 5 → 7 in 1 + 1 starts from 5', () => {
    const r = rollout(
      'express-server-v1',
      { targetSize: 7, rolloutBatches: [{ replicas: 1 }, { replicas: 1 }] },
      {
        rollingState: 'rollingInBatches',
        batchRollingState: 'batchInRolling',
        currentBatch: 1,
        rolloutOriginalSize: 5,
        rolloutTargetSize: 7,
        upgradedReplicas: 7,
        upgradedReadyReplicas: 6,
        lastTargetRevision: 'express-server-v1',
        LastSourceRevision: 'express-server-v1',
        targetGeneration: '1',
      },
    );
    expect(rolloutBatchViews(r)).toEqual([
      { index: 0, size: 1, moved: 1, state: 'done' },
      { index: 1, size: 1, moved: 0, state: 'rolling' },
    ]);
  });

  test('scale down 7 → 3 in 1 + 3 fills as replicas go away', () => {
    const r = rollout(
      'express-server-v1',
      { targetSize: 3, rolloutBatches: [{ replicas: 1 }, { replicas: 3 }] },
      {
        rollingState: 'rollingInBatches',
        batchRollingState: 'batchInRolling',
        currentBatch: 1,
        rolloutOriginalSize: 7,
        rolloutTargetSize: 3,
        upgradedReplicas: 3,
        upgradedReadyReplicas: 4,
        lastTargetRevision: 'express-server-v1',
        LastSourceRevision: 'express-server-v1',
        targetGeneration: '1',
      },
    );
    expect(rolloutBatchViews(r)).toEqual([
      { index: 0, size: 1, moved: 1, state: 'done' },
      { index: 1, size: 3, moved: 2, state: 'rolling' },
    ]);
  });

  test('percentages resolve against the change; no batches means one batch', () => {
    const status: RolloutStatus = {
      rollingState: 'initializing',
      rolloutOriginalSize: 0,
      rolloutTargetSize: 10,
      upgradedReadyReplicas: 0,
      lastTargetRevision: 'v1',
      targetGeneration: '1',
    };
    expect(
      rolloutBatchViews(
        rollout('v1', { targetSize: 10, rolloutBatches: [{ replicas: '20%' }, { replicas: '80%' }] }, status),
      ).map((b) => [b.size, b.state]),
    ).toEqual([
      [2, 'pending'],
      [8, 'pending'],
    ]);
    expect(rolloutBatchViews(rollout('v1', { targetSize: 10 }, status)).map((b) => b.size)).toEqual([10]);
  });

  test('before the plan is verified there are no bars; after success every batch is ready', () => {
    expect(
      rolloutBatchViews(rollout('v1', batches23, { rollingState: 'verifyingSpec', rolloutTargetSize: -1 })),
    ).toEqual([]);
    expect(rolloutBatchViews(rollout('v1', batches23, undefined))).toEqual([]);
    const done = rollout('v1', batches23, {
      rollingState: 'rolloutSucceed',
      batchRollingState: 'batchReady',
      currentBatch: 1,
      rolloutOriginalSize: 0,
      rolloutTargetSize: 5,
      upgradedReplicas: 5,
      upgradedReadyReplicas: 5,
      lastTargetRevision: 'v1',
      targetGeneration: '1',
    });
    expect(rolloutBatchViews(done).map((b) => b.state)).toEqual(['done', 'done']);
    expect(rolloutView(done)).toMatchObject({ finished: true, succeeded: true, current: true });
  });

  test('a succeeded status of an older generation or revision is not finished yet', () => {
    const status: RolloutStatus = {
      rollingState: 'rolloutSucceed',
      rolloutTargetSize: 5,
      lastTargetRevision: 'express-server-v1',
      targetGeneration: '1',
    };
    expect(rolloutView(rollout('express-server-v1', batches23, status, 2))).toMatchObject({
      current: false,
      finished: false,
    });
    expect(rolloutView(rollout('express-server-v2', batches23, status, 1))).toMatchObject({
      current: false,
      finished: false,
    });
  });

  test('a failing rollout shows its Ready condition message', () => {
    const r = rollout('v1', batches23, {
      rollingState: 'rolloutFailed',
      rolloutTargetSize: 5,
      lastTargetRevision: 'v1',
      targetGeneration: '1',
      conditions: [
        { type: 'Ready', status: 'False', reason: 'SpecInvalid', message: 'invalid rollout plan: too many' },
      ],
    });
    expect(rolloutView(r)).toMatchObject({
      finished: true,
      succeeded: false,
      failing: true,
      message: 'invalid rollout plan: too many',
    });
  });
});

// ---------------------------------------------------------------------------------------------

function ihpa(status: Ihpa['status']): Ihpa {
  return {
    apiVersion: 'autoscaling.kapacitystack.io/v1alpha1',
    kind: 'IntelligentHorizontalPodAutoscaler',
    metadata: { name: 'gray-strategy-sample', namespace: 'default' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'nginx' },
      minReplicas: 1,
      maxReplicas: 10,
      portraitProviders: [{ type: 'Static', priority: 1, static: { replicas: 1 } }],
      behavior: {
        scaleDown: {
          grayStrategy: {
            grayState: 'Cutoff',
            changeIntervalSeconds: 30,
            changePercent: 50,
            observationSeconds: 60,
          },
        },
      },
    },
    ...(status ? { status } : {}),
  };
}

const grayProgressing = [
  { type: 'GrayProgressing', status: 'True' as const, reason: 'ReplicasNotMatchPortrait' },
];

describe('IHPA view (seed 001)', () => {
  test('mid-gray at 50 %: 3 online, 2 cut off; the next step 30 s after the last cuts off 4', () => {
    const view = ihpaView(
      ihpa({
        previousPortraitValue: { provider: 'Cron', replicas: 5 },
        currentPortraitValue: { provider: 'Static', replicas: 1 },
        gray: { grayPercent: 50, lastUpdateTime: new Date(T0).toISOString() },
        currentReplicas: { online: 3, cutoff: 2, standby: 0 },
        conditions: grayProgressing,
      }),
      T0 + 10_000,
    );
    expect(view).toEqual({
      name: 'gray-strategy-sample',
      target: 'StatefulSet/nginx',
      minReplicas: 1,
      maxReplicas: 10,
      provider: 'Static',
      replicas: 1,
      online: 3,
      cutoff: 2,
      standby: 0,
      gray: { percent: 50, direction: 'down', from: 5, to: 1 },
      next: { at: T0 + 30_000, text: 'gray step to 100%: 1 online, 4 cutoff, 0 standby' },
    });
  });

  test('at 100 % the next change is the end of the 60 s observation', () => {
    const view = ihpaView(
      ihpa({
        previousPortraitValue: { provider: 'Cron', replicas: 5 },
        currentPortraitValue: { provider: 'Static', replicas: 1 },
        gray: { grayPercent: 100, lastUpdateTime: new Date(T0).toISOString() },
        currentReplicas: { online: 1, cutoff: 4, standby: 0 },
        conditions: grayProgressing,
      }),
      T0 + 5_000,
    );
    expect(view.next).toEqual({ at: T0 + 60_000, text: 'gray ends: 1 online, the gray pods are removed' });
  });

  test('a step already due reads as due now', () => {
    const view = ihpaView(
      ihpa({
        previousPortraitValue: { provider: 'Cron', replicas: 5 },
        currentPortraitValue: { provider: 'Static', replicas: 1 },
        gray: { grayPercent: 50, lastUpdateTime: new Date(T0).toISOString() },
        conditions: grayProgressing,
      }),
      T0 + 45_000,
    );
    expect(view.next?.at).toBe(T0 + 45_000);
  });

  test('without a gray the next change is the portrait value expiring (a cron window closing)', () => {
    const view = ihpaView(
      ihpa({
        currentPortraitValue: {
          provider: 'Cron',
          replicas: 5,
          expireTime: new Date(T0 + 600_000).toISOString(),
        },
        currentReplicas: { online: 5, cutoff: 0, standby: 0 },
        conditions: [{ type: 'GrayProgressing', status: 'False' }],
      }),
      T0,
    );
    expect(view.gray).toBeUndefined();
    expect(view.next).toEqual({ at: T0 + 600_000, text: 'the Cron portrait value expires' });
  });

  test('ScalingActive False is the problem shown; no value yet is no next change', () => {
    const view = ihpaView(
      ihpa({
        conditions: [
          {
            type: 'ScalingActive',
            status: 'False',
            reason: 'RolloutInProgress',
            message: 'Rollout web owns the replicas',
          },
        ],
      }),
      T0,
    );
    expect(view.problem).toBe('RolloutInProgress: Rollout web owns the replicas');
    expect(view.provider).toBeUndefined();
    expect(view.next).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------

const app: ApplicationObject = {
  metadata: { name: 'rollout-trait-test', namespace: 'default', generation: 3 },
  spec: {
    components: [
      { name: 'express-server', type: 'webservice', traits: [{ type: 'rollout' }] },
      { name: 'worker', type: 'worker', traits: [{ type: 'ihpa' }] },
    ],
  },
  status: {
    observedGeneration: 3,
    status: 'running',
    services: [
      {
        name: 'express-server',
        healthy: true,
        traits: [{ type: 'rollout', healthy: true, message: 'rolloutSucceed' }],
      },
      {
        name: 'worker',
        healthy: true,
        message: 'Ready:2/2',
        traits: [{ type: 'ihpa', healthy: true, message: 'Portrait:Static Replicas:2' }],
      },
    ],
  },
};
const succeeded = rollout('express-server-v1', batches23, {
  rollingState: 'rolloutSucceed',
  batchRollingState: 'batchReady',
  currentBatch: 1,
  rolloutOriginalSize: 0,
  rolloutTargetSize: 5,
  upgradedReplicas: 5,
  upgradedReadyReplicas: 5,
  lastTargetRevision: 'express-server-v1',
  targetGeneration: '1',
});
const deployment = (name: string, component: string, ready: number, desired: number): WorkloadObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: { 'app.oam.dev/component': component, 'app.oam.dev/revision': name } },
  spec: { replicas: desired },
  status: { readyReplicas: ready },
});
const workerIhpa: Ihpa = {
  ...ihpa({
    currentPortraitValue: { provider: 'Static', replicas: 2 },
    currentReplicas: { online: 2, cutoff: 0, standby: 0 },
  }),
  metadata: { name: 'worker', namespace: 'default', labels: { 'app.oam.dev/component': 'worker' } },
};
const snapshot = (over: Partial<StatusSnapshot> = {}): StatusSnapshot => ({
  namespace: 'default',
  target: { kind: 'application', name: 'rollout-trait-test' },
  application: app,
  rollouts: [succeeded],
  ihpas: [workerIhpa],
  workloads: [deployment('express-server-v1', 'express-server', 5, 5), deployment('worker', 'worker', 2, 2)],
  now: T0,
  ...over,
});

describe('buildStatusView', () => {
  test('each component gets its health, traits, its Rollout or IHPA and its workloads', () => {
    const view = buildStatusView(snapshot());
    expect(view).toMatchObject({ title: 'Application rollout-trait-test', phase: 'running', current: true });
    expect(
      view.components.map((c) => [
        c.name,
        c.type,
        c.healthy,
        c.rollout?.name,
        c.ihpa?.name,
        c.workloads.map((w) => w.name),
      ]),
    ).toEqual([
      ['express-server', 'webservice', true, 'express-server', undefined, ['express-server-v1']],
      ['worker', 'worker', true, undefined, 'worker', ['worker']],
    ]);
    expect(view.components[1]?.traits).toEqual([
      { type: 'ihpa', healthy: true, message: 'Portrait:Static Replicas:2' },
    ]);
  });

  test('a missing Application says how to list them; rollout/<name> and ihpa/<name> stand alone', () => {
    const missing = buildStatusView(snapshot({ application: undefined }));
    expect(missing.components).toEqual([]);
    expect(missing.notice).toBe(
      'Application rollout-trait-test not found in namespace default (kubectl get app -n default lists them)',
    );

    const alone = buildStatusView(
      snapshot({
        target: { kind: 'ihpa', name: 'gray-strategy-sample' },
        ihpas: [ihpa(undefined)],
        workloads: [
          {
            kind: 'StatefulSet',
            metadata: { name: 'nginx' },
            spec: { replicas: 5 },
            status: { readyReplicas: 5 },
          },
        ],
      }),
    );
    expect(alone.title).toBe('IHPA gray-strategy-sample');
    expect(alone.components[0]?.workloads).toEqual([
      { kind: 'StatefulSet', name: 'nginx', desired: 5, ready: 5 },
    ]);
    expect(buildStatusView(snapshot({ target: { kind: 'rollout', name: 'nope' } })).notice).toBe(
      'rollout nope not found in namespace default',
    );
  });
});

describe('statusSettled (when status --watch exits)', () => {
  test('running, current, every rollout finished and no gray under way', () => {
    expect(statusSettled(buildStatusView(snapshot()))).toBe(true);
  });
  test('not while the Application is behind its spec or rendering', () => {
    expect(
      statusSettled(
        buildStatusView(snapshot({ application: { ...app, metadata: { ...app.metadata, generation: 4 } } })),
      ),
    ).toBe(false);
    expect(
      statusSettled(
        buildStatusView(
          snapshot({ application: { ...app, status: { ...app.status, status: 'rendering' } } }),
        ),
      ),
    ).toBe(false);
  });
  test('not while a rollout has not finished its current attempt', () => {
    expect(
      statusSettled(
        buildStatusView(
          snapshot({ rollouts: [{ ...succeeded, metadata: { ...succeeded.metadata, generation: 2 } }] }),
        ),
      ),
    ).toBe(false);
  });
  test('not during a gray change', () => {
    const graying = {
      ...workerIhpa,
      status: {
        previousPortraitValue: { provider: 'Static', replicas: 5 },
        currentPortraitValue: { provider: 'Static', replicas: 1 },
        gray: { grayPercent: 50, lastUpdateTime: new Date(T0).toISOString() },
        conditions: grayProgressing,
      },
    };
    expect(statusSettled(buildStatusView(snapshot({ ihpas: [graying] })))).toBe(false);
  });
  test('not before the Rollout of a rollout trait exists, nor while the Application is unhealthy', () => {
    expect(statusSettled(buildStatusView(snapshot({ rollouts: [] })))).toBe(false);
    const unhealthy = { ...app, status: { ...app.status, status: 'unhealthy' } };
    expect(statusSettled(buildStatusView(snapshot({ application: unhealthy })))).toBe(false);
  });
  test('unhealthy is final when a rollout failed', () => {
    const unhealthy = { ...app, status: { ...app.status, status: 'unhealthy' } };
    const failed = { ...succeeded, status: { ...succeeded.status, rollingState: 'rolloutFailed' as const } };
    expect(statusSettled(buildStatusView(snapshot({ application: unhealthy, rollouts: [failed] })))).toBe(
      true,
    );
  });
  test('nothing found is never settled', () => {
    expect(statusSettled(buildStatusView(snapshot({ application: undefined })))).toBe(false);
  });
});

describe('progressBar', () => {
  test.each([
    [0, 5, 10, '░░░░░░░░░░'],
    [2, 5, 10, '████░░░░░░'],
    [5, 5, 10, '██████████'],
    [9, 5, 4, '████'],
    [-1, 5, 4, '░░░░'],
    [0, 0, 4, '████'],
    [1, 3, 3, '█░░'],
  ])('%d of %d in %d cells', (filled, total, width, bar) => {
    expect(progressBar(filled, total, width)).toBe(bar);
  });
});

describe('renderStatusView', () => {
  test('the text: phase, component lines, one bar per batch, workloads, IHPA lines', () => {
    const held = rollout(
      'express-server-v2',
      { ...batches23, batchPartition: 0 },
      {
        rollingState: 'rollingInBatches',
        batchRollingState: 'batchReady',
        currentBatch: 0,
        rolloutOriginalSize: 5,
        rolloutTargetSize: 5,
        upgradedReplicas: 2,
        upgradedReadyReplicas: 2,
        lastTargetRevision: 'express-server-v2',
        LastSourceRevision: 'express-server-v1',
        targetGeneration: '1',
      },
    );
    const text = renderStatusView(
      buildStatusView(
        snapshot({
          rollouts: [held],
          workloads: [
            deployment('express-server-v1', 'express-server', 3, 3),
            deployment('express-server-v2', 'express-server', 2, 2),
          ],
        }),
      ),
      { now: T0, barWidth: 10 },
    );
    expect(text.split('\n')).toEqual([
      'Application rollout-trait-test  (namespace default)  phase: running',
      '  ✔ express-server  webservice  healthy',
      '    ✔ trait rollout: rolloutSucceed',
      '      Rollout express-server  express-server-v1 → express-server-v2  rollingInBatches / batchReady  target 5 · upgraded 2 · ready 2',
      '        batch 1/2  ██████████  2/2  ready',
      '        batch 2/2  ░░░░░░░░░░  0/3  held by batchPartition',
      '      Deployment express-server-v1  3/3 ready',
      '      Deployment express-server-v2  2/2 ready',
      '  ✔ worker  worker  healthy  Ready:2/2',
      '    ✔ trait ihpa: Portrait:Static Replicas:2',
      '      IHPA worker → StatefulSet/nginx  (min 1, max 10)',
      '        portrait: Static → 2 replicas',
      '        pods: 2 online · 0 cutoff · 0 standby',
      '',
    ]);
  });

  test('gray progress and the next change with its countdown', () => {
    const view = buildStatusView(
      snapshot({
        target: { kind: 'ihpa', name: 'gray-strategy-sample' },
        ihpas: [
          ihpa({
            previousPortraitValue: { provider: 'Cron', replicas: 5 },
            currentPortraitValue: { provider: 'Static', replicas: 1 },
            gray: { grayPercent: 50, lastUpdateTime: new Date(T0).toISOString() },
            currentReplicas: { online: 3, cutoff: 2, standby: 0 },
            conditions: grayProgressing,
          }),
        ],
        workloads: [],
      }),
    );
    const text = renderStatusView(view, { now: T0 + 10_000, barWidth: 10 });
    expect(text).toContain('  gray: scale down 5 → 1  █████░░░░░  50%');
    expect(text).toContain(
      '  next: 10:00:30 UTC (in 20 s): gray step to 100%: 1 online, 4 cutoff, 0 standby',
    );
  });

  test('colors only when asked', () => {
    const plain = renderStatusView(buildStatusView(snapshot()), { now: T0 });
    const colored = renderStatusView(buildStatusView(snapshot()), { now: T0, color: true });
    expect(plain).not.toContain('\u001b[');
    expect(colored).toContain('\u001b[32m');
  });
});
