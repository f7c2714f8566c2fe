import { freshRolloutProgress } from '../../../controllers/engine/index.js';
import {
  buildRequest,
  compareAttempt,
  decide,
  effectiveTargetSize,
  enginePlan,
  ownerReferenceTo,
  progressOf,
  revisionWorkload,
  sourceWorkloads,
  workloadMode,
  type TargetSizeInput,
} from '../../../controllers/rollout/plan-input.js';
import type { ControllerRevision, Rollout, RolloutStatus } from '../../../controllers/rollout/types.js';
import type { Workload } from '../../../controllers/workloads/index.js';

function rollout(status?: RolloutStatus, generation = 4, target = 'web-v2'): Rollout {
  return {
    apiVersion: 'standard.oam.dev/v1alpha1',
    kind: 'Rollout',
    metadata: {
      name: 'web',
      namespace: 'ns',
      uid: 'rollout-uid',
      generation,
      labels: { 'app.oam.dev/name': 'shop' },
    },
    spec: {
      targetRevisionName: target,
      componentName: 'web',
      rolloutPlan: { targetSize: 5, rolloutBatches: [{ replicas: 2 }, { replicas: 3 }] },
    },
    ...(status ? { status } : {}),
  };
}

describe('progressOf', () => {
  it('reads a missing status as fresh (rolloutTargetSize −1, locatingTargetApp)', () => {
    expect(progressOf(undefined)).toEqual(freshRolloutProgress());
  });

  it('keeps stored values and replaces unknown states and non-integers with the fresh ones', () => {
    expect(
      progressOf({
        rollingState: 'rollingInBatches',
        batchRollingState: 'batchReady',
        currentBatch: 1,
        rolloutTargetSize: 5,
        upgradedReplicas: 2,
      }),
    ).toMatchObject({
      rollingState: 'rollingInBatches',
      batchRollingState: 'batchReady',
      currentBatch: 1,
      upgradedReplicas: 2,
    });
    expect(
      progressOf({ rollingState: 'sideways' as never, currentBatch: 1.5, batchRollingState: 'x' as never }),
    ).toMatchObject({
      rollingState: 'locatingTargetApp',
      currentBatch: 0,
      batchRollingState: 'batchInitializing',
    });
  });
});

describe('compareAttempt', () => {
  const record = (
    state: RolloutStatus['rollingState'],
    target = 'web-v2',
    source = 'web-v1',
    generation = '4',
  ) => ({
    rollingState: state,
    lastTargetRevision: target,
    LastSourceRevision: source,
    targetGeneration: generation,
  });

  it('plans a first attempt from nothing (or from the revision an in-place workload runs)', () => {
    expect(compareAttempt(rollout(), undefined)).toEqual({
      targetRevisionChanged: false,
      specChanged: false,
      planned: { target: 'web-v2', source: '', generation: '4' },
    });
    expect(compareAttempt(rollout(), undefined, 'web-v1').planned.source).toBe('web-v1');
  });

  it('a new target revision takes the previous target as its source', () => {
    const result = compareAttempt(rollout(undefined, 5, 'web-v3'), record('rollingInBatches'));
    expect(result).toMatchObject({
      targetRevisionChanged: true,
      specChanged: true,
      planned: { target: 'web-v3', source: 'web-v2', generation: '5' },
    });
  });

  it('from a finished rollout only a scale starts: the source is the target itself', () => {
    const result = compareAttempt(rollout(undefined, 5), record('rolloutSucceed'));
    expect(result).toMatchObject({ targetRevisionChanged: false, specChanged: true });
    expect(result.planned).toEqual({ target: 'web-v2', source: 'web-v2', generation: '5' });
  });

  it('an unfinished attempt keeps its source when it is resized or retried', () => {
    expect(compareAttempt(rollout(undefined, 5), record('rollingInBatches')).planned).toEqual({
      target: 'web-v2',
      source: 'web-v1',
      generation: '5',
    });
    expect(compareAttempt(rollout(undefined, 5), record('rolloutFailed')).planned.source).toBe('web-v1');
  });

  it('nothing changed: same revision and generation', () => {
    expect(compareAttempt(rollout(), record('rollingInBatches'))).toMatchObject({
      targetRevisionChanged: false,
      specChanged: false,
    });
  });
});

describe('workloadMode', () => {
  it('in place only when the attempt changes revision', () => {
    expect(workloadMode(true, { target: 'cs-v2', source: 'cs-v1', generation: '1' }, 0)).toBe('inPlace');
    expect(workloadMode(true, { target: 'cs-v2', source: 'cs-v2', generation: '1' }, 0)).toBe('scaleOnly');
    expect(workloadMode(true, { target: 'cs-v1', source: '', generation: '1' }, 0)).toBe('scaleOnly');
  });

  it('across workloads whenever another Deployment of the component runs', () => {
    const attempt = { target: 'web-v2', source: 'web-v2', generation: '1' };
    expect(workloadMode(false, attempt, 1)).toBe('acrossWorkloads');
    expect(workloadMode(false, attempt, 0)).toBe('scaleOnly');
  });
});

describe('effectiveTargetSize', () => {
  const base: TargetSizeInput = {
    specTargetSize: 5,
    progress: freshRolloutProgress(),
    targetRevisionChanged: false,
    specChanged: false,
    ihpaScaledSource: false,
    currentSize: 8,
  };
  const succeeded = {
    ...freshRolloutProgress(),
    rollingState: 'rolloutSucceed' as const,
    rolloutTargetSize: 5,
  };
  const underWay = {
    ...freshRolloutProgress(),
    rollingState: 'rollingInBatches' as const,
    rolloutTargetSize: 8,
  };

  it('is the spec size for an ordinary rollout, the current size when the spec names none', () => {
    expect(effectiveTargetSize(base)).toBe(5);
    expect(effectiveTargetSize({ ...base, specTargetSize: undefined })).toBe(8);
  });

  it('keeps a finished rollout at its size until the spec or revision changes', () => {
    expect(effectiveTargetSize({ ...base, progress: succeeded, specTargetSize: 9 })).toBe(5);
    expect(effectiveTargetSize({ ...base, progress: succeeded, specTargetSize: 9, specChanged: true })).toBe(
      9,
    );
  });

  it('starts a new revision from the current size when an IHPA scaled the source, and keeps it', () => {
    expect(
      effectiveTargetSize({
        ...base,
        progress: succeeded,
        targetRevisionChanged: true,
        ihpaScaledSource: true,
      }),
    ).toBe(8);
    expect(effectiveTargetSize({ ...base, ihpaScaledSource: true })).toBe(8);
    expect(
      effectiveTargetSize({ ...base, progress: underWay, specChanged: true, ihpaScaledSource: true }),
    ).toBe(8);
  });
});

describe('sourceWorkloads', () => {
  const owned = (name: string, created: string, extra: Partial<Workload['metadata']> = {}): Workload => ({
    metadata: {
      name,
      creationTimestamp: created,
      labels: { 'app.oam.dev/component': 'web' },
      ownerReferences: [
        { apiVersion: 'standard.oam.dev/v1alpha1', kind: 'Rollout', name: 'web', uid: 'rollout-uid' },
      ],
      ...extra,
    },
  });

  it('drains every other owned Deployment of the component, oldest first', () => {
    const candidates = [
      owned('web-v3', '2024-01-03T00:00:00Z'),
      owned('web-v2', '2024-01-02T00:00:00Z'),
      owned('web-v1', '2024-01-01T00:00:00Z'),
      owned('other', '2024-01-01T00:00:00Z', { labels: { 'app.oam.dev/component': 'api' } }),
      owned('foreign', '2024-01-01T00:00:00Z', { ownerReferences: [] }),
      owned('old-owner', '2024-01-01T00:00:00Z', {
        ownerReferences: [{ apiVersion: 'x', kind: 'Rollout', name: 'web', uid: 'previous-uid' }],
      }),
      owned('going', '2024-01-01T00:00:00Z', { deletionTimestamp: '2024-01-04T00:00:00Z' }),
    ];
    expect(sourceWorkloads(candidates, rollout(), 'web-v3').map((w) => w.metadata.name)).toEqual([
      'web-v1',
      'web-v2',
    ]);
  });
});

describe('revision data and the target it builds', () => {
  const revision = (data: unknown): ControllerRevision => ({ metadata: { name: 'web-v2' }, data });

  it('reads the rendered workload from data (object or JSON text)', () => {
    const workload = { apiVersion: 'apps/v1', kind: 'Deployment', spec: {} };
    expect(revisionWorkload(revision(workload))).toEqual({ ok: true, data: workload });
    expect(revisionWorkload(revision(JSON.stringify(workload)))).toEqual({ ok: true, data: workload });
  });

  it('says what is wrong with data that holds no workload', () => {
    expect(revisionWorkload(revision(undefined))).toEqual({
      ok: false,
      message: 'ControllerRevision web-v2 has no workload in its data',
    });
    expect(revisionWorkload(revision('{'))).toMatchObject({
      ok: false,
      message: expect.stringContaining('not JSON'),
    });
    expect(revisionWorkload(revision({ spec: {} }))).toMatchObject({
      ok: false,
      message: expect.stringContaining('no apiVersion and kind'),
    });
  });

  it('builds the target with the Rollout as a non-controller owner and the app name from its labels', () => {
    const data = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { labels: { 'app.oam.dev/name': 'other' } },
    };
    expect(buildRequest(rollout(), data, 'web-v2', 'web-v2', 0)).toEqual({
      data,
      name: 'web-v2',
      namespace: 'ns',
      revision: 'web-v2',
      component: 'web',
      appName: 'shop',
      owner: ownerReferenceTo(rollout()),
      replicas: 0,
    });
    expect(ownerReferenceTo(rollout())).toEqual({
      apiVersion: 'standard.oam.dev/v1alpha1',
      kind: 'Rollout',
      name: 'web',
      uid: 'rollout-uid',
      controller: false,
      blockOwnerDeletion: true,
    });
  });

  it('hands the engine the plan with the decided size', () => {
    const plan = rollout().spec.rolloutPlan;
    expect(enginePlan({ ...plan, batchPartition: 0, paused: true }, 8)).toMatchObject({
      targetSize: 8,
      batchPartition: 0,
      paused: true,
      rolloutBatches: plan.rolloutBatches,
    });
  });
});

describe('decide: the in-place template goes on first', () => {
  const underWay: RolloutStatus = {
    rollingState: 'rollingInBatches',
    batchRollingState: 'batchInitializing',
    rolloutTargetSize: 5,
    lastTargetRevision: 'cs-v2',
    LastSourceRevision: 'cs-v1',
    targetGeneration: '4',
  };
  const target = (revision: string, extra: { behind?: boolean; desired?: number } = {}) => ({
    counts: { name: 'cs', desired: extra.desired ?? 5, ready: 5, partition: 5 },
    revision,
    ihpa: false,
    behind: extra.behind,
  });

  it('asks for the template while the workload still runs the source revision, holding every pod', () => {
    const decision = decide({
      rollout: rollout(underWay, 4, 'cs-v2'),
      inPlace: true,
      target: target('cs-v1', { desired: 6 }),
      sources: [],
    });
    expect(decision.mode).toBe('inPlace');
    expect(decision.templateFirst).toEqual({ revision: 'cs-v2', hold: 6 });
  });

  it('not once the template is there, not before the attempt is verified, not on a stale cache', () => {
    expect(
      decide({ rollout: rollout(underWay, 4, 'cs-v2'), inPlace: true, target: target('cs-v2'), sources: [] })
        .templateFirst,
    ).toBeUndefined();
    const verifying = { ...underWay, rollingState: 'verifyingSpec' as const, rolloutTargetSize: -1 };
    expect(
      decide({ rollout: rollout(verifying, 4, 'cs-v2'), inPlace: true, target: target('cs-v1'), sources: [] })
        .templateFirst,
    ).toBeUndefined();
    expect(
      decide({
        rollout: rollout(underWay, 4, 'cs-v2'),
        inPlace: true,
        target: target('cs-v1', { behind: true }),
        sources: [],
      }).templateFirst,
    ).toBeUndefined();
  });

  it('not when a new revision is about to abandon the attempt', () => {
    const decision = decide({
      rollout: rollout(underWay, 5, 'cs-v3'),
      inPlace: true,
      target: target('cs-v1'),
      sources: [],
    });
    expect(decision.templateFirst).toBeUndefined();
    expect(decision.input.targetRevisionChanged).toBe(true);
  });
});
