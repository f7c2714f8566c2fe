import {
  freshRolloutProgress,
  type RolloutPlanResult,
  type RolloutProgress,
} from '../../../controllers/engine/index.js';
import {
  correctionEvents,
  eventsFor,
  eventTypeFor,
  readyCondition,
  rolloutStatus,
  workloadAnnotations,
} from '../../../controllers/rollout/status.js';
import { cloneSetAdapter, deploymentAdapter } from '../../../controllers/workloads/index.js';

const now = new Date('2024-05-01T10:00:00Z');
const later = new Date('2024-05-01T10:05:00Z');

type Result = Pick<RolloutPlanResult, 'status' | 'reason' | 'message' | 'transitions'>;

function result(
  state: Partial<RolloutProgress>,
  reason: string,
  message: string,
  transitions: Result['transitions'] = [],
): Result {
  return { status: { ...freshRolloutProgress(), ...state }, reason, message, transitions };
}

const from = (rollingState: RolloutProgress['rollingState']) => ({
  rollingState,
  batchRollingState: 'batchInitializing' as const,
  currentBatch: 0,
});

describe('readyCondition', () => {
  it('is True once the rollout succeeded', () => {
    expect(
      readyCondition(
        undefined,
        result({ rollingState: 'rolloutSucceed' }, 'RolloutSucceeded', 'done'),
        now,
        3,
      ),
    ).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'RolloutSucceeded',
        message: 'done',
        lastTransitionTime: '2024-05-01T10:00:00Z',
        observedGeneration: 3,
      },
    ]);
  });

  it('says what the rollout waits for while it runs', () => {
    const [condition] = readyCondition(
      undefined,
      result(
        { rollingState: 'rollingInBatches' },
        'WaitingForBatch',
        'batch 0 (goal 2 of 5): web-v2 has 1 ready of 2',
      ),
      now,
      3,
    );
    expect(condition).toMatchObject({
      status: 'False',
      reason: 'WaitingForBatch',
      message: expect.stringContaining('1 ready of 2'),
    });
  });

  it('keeps the cause of a failure, not the generic message of the steps after it', () => {
    const failed = result(
      { rollingState: 'rolloutFailed' },
      'RolloutFailed',
      'rollout failed; change the spec to try again',
      [
        {
          from: from('verifyingSpec'),
          reason: 'SpecInvalid',
          message: 'invalid rollout plan: rolloutBatches sum to 4',
        },
        {
          from: from('rolloutFailing'),
          reason: 'RolloutFailed',
          message: 'rollout failed; change the spec to try again',
        },
      ],
    );
    const conditions = readyCondition(undefined, failed, now, 3);
    expect(conditions[0]).toMatchObject({
      status: 'False',
      reason: 'SpecInvalid',
      message: 'invalid rollout plan: rolloutBatches sum to 4',
    });
    // Later reconciles hold in rolloutFailed with no transitions: the condition still names the cause.
    const held = readyCondition(
      conditions,
      result({ rollingState: 'rolloutFailed' }, 'RolloutFailed', 'rollout failed'),
      later,
      3,
    );
    expect(held).toEqual(conditions);
  });

  it('an override (webhook failure, missing revision) wins and keeps lastTransitionTime while False', () => {
    const first = readyCondition(
      undefined,
      result({ rollingState: 'rollingInBatches' }, 'WaitingForBatch', 'x'),
      now,
      3,
    );
    const overridden = readyCondition(
      first,
      result({ rollingState: 'rolloutFailed' }, 'RolloutFailed', 'y'),
      later,
      3,
      {
        reason: 'WebhookFailed',
        message: 'webhook "gate" answered 500',
      },
    );
    expect(overridden).toEqual([
      expect.objectContaining({
        reason: 'WebhookFailed',
        message: 'webhook "gate" answered 500',
        lastTransitionTime: '2024-05-01T10:00:00Z',
      }),
    ]);
  });

  it('never writes an empty message (the CRD requires one)', () => {
    const [condition] = readyCondition(undefined, result({}, 'TargetNotFound', ''), now, 1);
    expect(condition?.message).toBe('TargetNotFound');
  });
});

describe('rolloutStatus', () => {
  const attempt = { target: 'web-v2', source: 'web-v1', generation: '7' };

  it('holds the engine progress, the attempt record and the conditions, with the CRD field names', () => {
    const progress = {
      ...freshRolloutProgress(),
      rollingState: 'rollingInBatches' as const,
      rolloutTargetSize: 5,
    };
    expect(rolloutStatus(progress, attempt, [], undefined)).toEqual({
      rollingState: 'rollingInBatches',
      batchRollingState: 'batchInitializing',
      currentBatch: 0,
      rolloutOriginalSize: 0,
      rolloutTargetSize: 5,
      upgradedReplicas: 0,
      upgradedReadyReplicas: 0,
      lastTargetRevision: 'web-v2',
      LastSourceRevision: 'web-v1',
      targetGeneration: '7',
      conditions: [],
    });
  });

  it('records the template of the last successful rollout, and keeps it during the next one', () => {
    const done = rolloutStatus(
      { ...freshRolloutProgress(), rollingState: 'rolloutSucceed' },
      attempt,
      [],
      undefined,
    );
    expect(done.lastAppliedPodTemplateIdentifier).toBe('web-v2');
    const next = rolloutStatus(freshRolloutProgress(), { ...attempt, target: 'web-v3' }, [], done);
    expect(next.lastAppliedPodTemplateIdentifier).toBe('web-v2');
  });

  it('records no attempt when there is none', () => {
    const status = rolloutStatus(freshRolloutProgress(), undefined, [], undefined);
    expect(status).not.toHaveProperty('lastTargetRevision');
    expect(status.rolloutTargetSize).toBe(-1);
  });
});

describe('eventsFor', () => {
  it('one Event per transition, Warning for failures', () => {
    const events = eventsFor(
      result({}, 'RolloutFailed', 'failed', [
        { from: from('verifyingSpec'), reason: 'SpecInvalid', message: 'bad batches' },
        { from: from('rolloutFailing'), reason: 'RolloutFailed', message: 'failed' },
      ]),
      undefined,
    );
    expect(events).toEqual([
      { type: 'Warning', reason: 'SpecInvalid', message: 'bad batches' },
      { type: 'Warning', reason: 'RolloutFailed', message: 'failed' },
    ]);
  });

  it('tells a new hold (batchPartition, pause) once, not the waiting between pod events', () => {
    const held = result({}, 'HeldByBatchPartition', 'held by batchPartition 0');
    expect(eventsFor(held, 'BatchReady')).toEqual([
      { type: 'Normal', reason: 'HeldByBatchPartition', message: 'held by batchPartition 0' },
    ]);
    expect(eventsFor(held, 'HeldByBatchPartition')).toEqual([]);
    expect(eventsFor(result({}, 'WaitingForBatch', 'w'), 'BatchRolling')).toEqual([]);
  });

  it('classifies reasons', () => {
    expect(eventTypeFor('BatchReady')).toBe('Normal');
    expect(eventTypeFor('TargetRevisionNotFound')).toBe('Warning');
  });
});

describe('workloadAnnotations', () => {
  it('names the workload and its kind as upstream does', () => {
    expect(workloadAnnotations(deploymentAdapter, 'express-server-v2')).toEqual({
      'trait.oam.dev/workload-name': 'express-server-v2',
      'trait.oam.dev/workload-gvk': '{"apiVersion":"apps/v1","kind":"Deployment"}',
    });
    expect(workloadAnnotations(cloneSetAdapter, 'cloneset-server')['trait.oam.dev/workload-gvk']).toBe(
      '{"apiVersion":"apps.kruise.io/v1alpha1","kind":"CloneSet"}',
    );
  });
});

describe('correctionEvents', () => {
  const observed = {
    mode: 'acrossWorkloads' as const,
    target: { name: 'web-v2', desired: 5, ready: 5 },
    sources: [{ name: 'web-v1', desired: 1, ready: 1 }],
  };

  it('tells which workload was changed outside the rollout and what it was set back to', () => {
    const events = correctionEvents(
      {
        transitions: [],
        actions: [
          { type: 'setReplicas', workload: 'web-v2', replicas: 2 },
          { type: 'setReplicas', workload: 'web-v1', replicas: 3 },
        ],
      },
      observed,
      'Deployment',
    );
    expect(events).toEqual([
      {
        type: 'Warning',
        reason: 'ReplicasRestored',
        message:
          'Deployment web-v2 had 5 replicas, set outside the rollout; set back to 2 as the current batch requires',
      },
      {
        type: 'Warning',
        reason: 'ReplicasRestored',
        message:
          'Deployment web-v1 had 1 replicas, set outside the rollout; set back to 3 as the current batch requires',
      },
    ]);
  });

  it('reports a partition changed outside the rollout', () => {
    const events = correctionEvents(
      { transitions: [], actions: [{ type: 'setPartition', workload: 'web', partition: 3 }] },
      { mode: 'inPlace', target: { name: 'web', desired: 5, ready: 5, partition: 0 } },
      'CloneSet',
    );
    expect(events.map((e) => [e.reason, e.message])).toEqual([
      [
        'PartitionRestored',
        'CloneSet web had partition 0, set outside the rollout; set back to 3 as the current batch requires',
      ],
    ]);
  });

  it('says nothing when the plan moved on (its writes are the rollout itself) or wrote nothing', () => {
    const moved = {
      transitions: [{ from: from('rollingInBatches'), reason: 'BatchRolling', message: 'rolling batch 0' }],
      actions: [{ type: 'setReplicas' as const, workload: 'web-v2', replicas: 2 }],
    };
    expect(correctionEvents(moved, observed, 'Deployment')).toEqual([]);
    expect(correctionEvents({ transitions: [], actions: [] }, observed, 'Deployment')).toEqual([]);
    expect(
      correctionEvents(
        { transitions: [], actions: [{ type: 'createTarget', replicas: 0 }] },
        { mode: 'scaleOnly' },
        'Deployment',
      ),
    ).toEqual([]);
  });
});
