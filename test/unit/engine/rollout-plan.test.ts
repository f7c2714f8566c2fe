import {
  freshRolloutProgress,
  planRollout,
  planRolloutStep,
  type RolloutPlanSpec,
  type RolloutProgress,
  type RolloutStepInput,
  type WorkloadCounts,
  type WorkloadMode,
} from '../../../controllers/engine/index.js';

const plan25: RolloutPlanSpec = { targetSize: 5, rolloutBatches: [{ replicas: 2 }, { replicas: 3 }] };

function status(partial: Partial<RolloutProgress> = {}): RolloutProgress {
  return { ...freshRolloutProgress(), rolloutTargetSize: 5, ...partial };
}

function rolling(
  batchRollingState: RolloutProgress['batchRollingState'],
  currentBatch = 0,
  extra: Partial<RolloutProgress> = {},
) {
  return status({
    rollingState: 'rollingInBatches',
    batchRollingState,
    currentBatch,
    rolloutOriginalSize: 5,
    ...extra,
  });
}

function w(
  name: string,
  desired: number,
  ready: number,
  extra: Partial<WorkloadCounts> = {},
): WorkloadCounts {
  return { name, desired, ready, ...extra };
}

function across(target: WorkloadCounts | undefined, ...sources: WorkloadCounts[]) {
  return { mode: 'acrossWorkloads' as WorkloadMode, target, sources };
}

function input(
  partial: Partial<RolloutStepInput> & Pick<RolloutStepInput, 'status' | 'observed'>,
): RolloutStepInput {
  return { plan: plan25, ...partial };
}

describe('freshRolloutProgress', () => {
  it('matches upstream defaults', () => {
    expect(freshRolloutProgress()).toEqual({
      rollingState: 'locatingTargetApp',
      batchRollingState: 'batchInitializing',
      currentBatch: 0,
      rolloutOriginalSize: 0,
      rolloutTargetSize: -1,
      upgradedReplicas: 0,
      upgradedReadyReplicas: 0,
    });
  });
});

describe('locatingTargetApp', () => {
  it('asks for the target workload with 0 replicas and waits for it', () => {
    const result = planRolloutStep(
      input({ status: freshRolloutProgress(), observed: across(undefined, w('v1', 5, 5)) }),
    );
    expect(result.actions).toEqual([{ type: 'createTarget', replicas: 0 }]);
    expect(result.transitioned).toBe(false);
    expect(result.waitingFor).toBe('target');
    expect(result.status).toEqual(freshRolloutProgress());
  });

  it('moves to verifyingSpec once the target exists', () => {
    const result = planRolloutStep(
      input({ status: freshRolloutProgress(), observed: across(w('v2', 0, 0), w('v1', 5, 5)) }),
    );
    expect(result.status.rollingState).toBe('verifyingSpec');
    expect(result.transitioned).toBe(true);
    expect(result.actions).toEqual([]);
  });
});

describe('verifyingSpec', () => {
  const verifying = status({ rollingState: 'verifyingSpec', rolloutTargetSize: -1 });

  it('records the sizes and moves to initializing when the plan is valid (upgrade across workloads)', () => {
    const result = planRolloutStep(
      input({ status: verifying, observed: across(w('v2', 0, 0), w('v1', 5, 5)) }),
    );
    expect(result.status).toMatchObject({
      rollingState: 'initializing',
      rolloutTargetSize: 5,
      rolloutOriginalSize: 5,
    });
    expect(result.reason).toBe('SpecVerified');
  });

  it('records the workload size as the original for a scale', () => {
    const result = planRolloutStep(
      input({
        plan: { targetSize: 7, rolloutBatches: [{ replicas: 1 }, { replicas: 1 }] },
        status: verifying,
        observed: { mode: 'scaleOnly', target: w('v1', 5, 5) },
      }),
    );
    expect(result.status).toMatchObject({
      rollingState: 'initializing',
      rolloutTargetSize: 7,
      rolloutOriginalSize: 5,
    });
  });

  it('fails a plan whose batches do not fit the scale, naming the numbers', () => {
    const result = planRolloutStep(
      input({
        plan: { targetSize: 7, rolloutBatches: [{ replicas: 1 }, { replicas: 3 }] },
        status: verifying,
        observed: { mode: 'scaleOnly', target: w('v1', 5, 5) },
      }),
    );
    expect(result.status.rollingState).toBe('rolloutFailing');
    expect(result.reason).toBe('SpecInvalid');
    expect(result.message).toContain(
      'rolloutBatches sum to 4 but the rollout moves 2 replicas (from 5 to 7)',
    );
  });

  it('fails an unknown strategy', () => {
    const result = planRolloutStep(
      input({
        plan: { ...plan25, rolloutStrategy: 'Sideways' },
        status: verifying,
        observed: across(w('v2', 0, 0)),
      }),
    );
    expect(result.status.rollingState).toBe('rolloutFailing');
    expect(result.message).toContain('rolloutStrategy is "Sideways"');
  });

  it('goes back to locating when the target vanished', () => {
    const result = planRolloutStep(input({ status: verifying, observed: across(undefined, w('v1', 5, 5)) }));
    expect(result.status.rollingState).toBe('locatingTargetApp');
  });
});

describe('a target deleted during the rollout', () => {
  it('restarts the attempt (fresh progress) instead of failing, saying so', () => {
    const result = planRolloutStep(
      input({ status: rolling('batchFinalizing', 0), observed: across(undefined, w('v1', 3, 3)) }),
    );
    expect(result).toMatchObject({
      restart: true,
      transitioned: true,
      status: freshRolloutProgress(),
      reason: 'TargetLost',
    });
    expect(result.message).toMatch(/creating it again/);
    expect(result.actions).toEqual([]);
  });

  it('creates the target again in the same plan and keeps the sources as they are', () => {
    const result = planRollout(
      input({
        status: rolling('batchReady', 1, { upgradedReplicas: 2 }),
        observed: across(undefined, w('v1', 3, 3)),
      }),
    );
    expect(result.transitions.map((t) => t.reason)).toEqual(['TargetLost']);
    expect(result.actions).toEqual([{ type: 'createTarget', replicas: 0 }]);
    expect(result.status.rollingState).toBe('locatingTargetApp');
  });

  it('also when it vanishes while finalising', () => {
    const result = planRolloutStep(
      input({
        status: status({ rollingState: 'finalising', rolloutOriginalSize: 5 }),
        observed: across(undefined, w('v1', 0, 0)),
      }),
    );
    expect(result).toMatchObject({ restart: true, reason: 'TargetLost' });
  });
});

describe('initializing', () => {
  const initializing = status({ rollingState: 'initializing', rolloutOriginalSize: 5 });

  it('starts batch 0', () => {
    const result = planRolloutStep(
      input({ status: initializing, observed: across(w('v2', 0, 0), w('v1', 5, 5)) }),
    );
    expect(result.status).toMatchObject({
      rollingState: 'rollingInBatches',
      batchRollingState: 'batchInitializing',
      currentBatch: 0,
    });
    expect(result.actions).toEqual([]);
  });

  it('calls initialize-rollout webhooks', () => {
    const result = planRolloutStep(
      input({
        plan: { ...plan25, rolloutWebhooks: [{ type: 'initialize-rollout' }] },
        status: initializing,
        observed: across(w('v2', 0, 0)),
      }),
    );
    expect(result.actions).toEqual([{ type: 'callWebhooks', hook: 'initialize-rollout' }]);
  });

  it('holds every CloneSet pod at its revision with partition = replicas', () => {
    const result = planRolloutStep(
      input({ status: initializing, observed: { mode: 'inPlace', target: w('cs', 5, 5, { partition: 0 }) } }),
    );
    expect(result.actions).toEqual([{ type: 'setPartition', workload: 'cs', partition: 5 }]);
  });

  it('holds while paused', () => {
    const result = planRolloutStep(
      input({ plan: { ...plan25, paused: true }, status: initializing, observed: across(w('v2', 0, 0)) }),
    );
    expect(result).toMatchObject({
      transitioned: false,
      waitingFor: 'paused',
      actions: [],
      status: initializing,
    });
  });
});

describe('rollingInBatches, IncreaseFirst across two Deployments', () => {
  it('batchInitializing → batchInRolling, calling pre-batch webhooks', () => {
    const result = planRolloutStep(
      input({
        plan: { ...plan25, rolloutWebhooks: [{ type: 'pre-batch-rollout' }] },
        status: rolling('batchInitializing'),
        observed: across(w('v2', 0, 0), w('v1', 5, 5)),
      }),
    );
    expect(result.status.batchRollingState).toBe('batchInRolling');
    expect(result.actions).toEqual([{ type: 'callWebhooks', hook: 'pre-batch-rollout', batch: 0 }]);
  });

  it('batchInRolling scales the target up to the goal and leaves the source alone', () => {
    const result = planRolloutStep(
      input({ status: rolling('batchInRolling'), observed: across(w('v2', 0, 0), w('v1', 5, 5)) }),
    );
    expect(result.actions).toEqual([{ type: 'setReplicas', workload: 'v2', replicas: 2 }]);
    expect(result.status).toMatchObject({
      batchRollingState: 'batchVerifying',
      upgradedReplicas: 2,
      upgradedReadyReplicas: 0,
    });
  });

  it('batchVerifying waits for the target to be ready', () => {
    const result = planRolloutStep(
      input({ status: rolling('batchVerifying'), observed: across(w('v2', 2, 1), w('v1', 5, 5)) }),
    );
    expect(result).toMatchObject({ transitioned: false, waitingFor: 'readiness', actions: [] });
    expect(result.message).toContain('v2 has 1 ready of 2');
    expect(result.status.upgradedReadyReplicas).toBe(1);
  });

  it('batchVerifying lets maxUnavailable cover unready target pods', () => {
    const plan: RolloutPlanSpec = {
      targetSize: 5,
      rolloutBatches: [{ replicas: 2, maxUnavailable: 1 }, { replicas: 3 }],
    };
    const result = planRolloutStep(
      input({ plan, status: rolling('batchVerifying'), observed: across(w('v2', 2, 1), w('v1', 5, 5)) }),
    );
    expect(result.status.batchRollingState).toBe('batchFinalizing');
  });

  it('batchVerifying re-asserts the target level and does not pass on a stale observation', () => {
    const plan: RolloutPlanSpec = {
      targetSize: 5,
      rolloutBatches: [{ replicas: 2, maxUnavailable: '40%' }, { replicas: 3 }],
    };
    const result = planRolloutStep(
      input({ plan, status: rolling('batchVerifying'), observed: across(w('v2', 0, 0), w('v1', 5, 5)) }),
    );
    expect(result.transitioned).toBe(false);
    expect(result.actions).toEqual([{ type: 'setReplicas', workload: 'v2', replicas: 2 }]);
  });

  it('batchVerifying → batchFinalizing once ready, calling the batch webhooks', () => {
    const plan: RolloutPlanSpec = {
      targetSize: 5,
      rolloutBatches: [{ replicas: 2, batchRolloutWebhooks: [{ name: 'check' }] }, { replicas: 3 }],
    };
    const result = planRolloutStep(
      input({ plan, status: rolling('batchVerifying'), observed: across(w('v2', 2, 2), w('v1', 5, 5)) }),
    );
    expect(result.status.batchRollingState).toBe('batchFinalizing');
    expect(result.actions).toEqual([{ type: 'callWebhooks', hook: 'batch', batch: 0 }]);
  });

  it('batchFinalizing scales the source down to targetSize − goal and waits for it to shrink', () => {
    const result = planRolloutStep(
      input({ status: rolling('batchFinalizing'), observed: across(w('v2', 2, 2), w('v1', 5, 5)) }),
    );
    expect(result.actions).toEqual([{ type: 'setReplicas', workload: 'v1', replicas: 3 }]);
    expect(result.transitioned).toBe(false);
    expect(result.waitingFor).toBe('readiness');
  });

  it('batchFinalizing → batchReady once the source shrank, calling post-batch webhooks', () => {
    const result = planRolloutStep(
      input({
        plan: { ...plan25, rolloutWebhooks: [{ type: 'post-batch-rollout' }] },
        status: rolling('batchFinalizing'),
        observed: across(w('v2', 2, 2), w('v1', 3, 3)),
      }),
    );
    expect(result.status).toMatchObject({
      batchRollingState: 'batchReady',
      upgradedReplicas: 2,
      upgradedReadyReplicas: 2,
    });
    expect(result.actions).toEqual([{ type: 'callWebhooks', hook: 'post-batch-rollout', batch: 0 }]);
  });

  it('batchReady is held by batchPartition', () => {
    const result = planRolloutStep(
      input({
        plan: { ...plan25, batchPartition: 0 },
        status: rolling('batchReady', 0, { upgradedReplicas: 2, upgradedReadyReplicas: 2 }),
        observed: across(w('v2', 2, 2), w('v1', 3, 3)),
      }),
    );
    expect(result).toMatchObject({
      transitioned: false,
      waitingFor: 'batchPartition',
      actions: [],
      reason: 'HeldByBatchPartition',
    });
    expect(result.status).toMatchObject({
      rollingState: 'rollingInBatches',
      batchRollingState: 'batchReady',
      currentBatch: 0,
    });
  });

  it('batchReady continues when batchPartition is raised past the batch', () => {
    const plan: RolloutPlanSpec = {
      targetSize: 5,
      rolloutBatches: [{ replicas: 1 }, { replicas: 1 }, { replicas: 3 }],
      batchPartition: 1,
    };
    const result = planRolloutStep(
      input({ plan, status: rolling('batchReady', 0), observed: across(w('v2', 1, 1), w('v1', 4, 4)) }),
    );
    expect(result.status).toMatchObject({ batchRollingState: 'batchInitializing', currentBatch: 1 });
  });

  it('batchReady → next batch when there is no partition', () => {
    const result = planRolloutStep(
      input({ status: rolling('batchReady', 0), observed: across(w('v2', 2, 2), w('v1', 3, 3)) }),
    );
    expect(result.status).toMatchObject({ batchRollingState: 'batchInitializing', currentBatch: 1 });
    expect(result.reason).toBe('BatchStarted');
  });

  it('batchReady of the last batch → finalising', () => {
    const result = planRolloutStep(
      input({ status: rolling('batchReady', 1), observed: across(w('v2', 5, 5), w('v1', 0, 0)) }),
    );
    expect(result.status.rollingState).toBe('finalising');
  });

  it('holds a batchPartition that names the last batch without finalising', () => {
    const result = planRolloutStep(
      input({
        plan: { ...plan25, batchPartition: 1 },
        status: rolling('batchReady', 1),
        observed: across(w('v2', 5, 5), w('v1', 0, 0)),
      }),
    );
    expect(result.waitingFor).toBe('batchPartition');
  });

  it('the second batch raises the target to targetSize then empties the source', () => {
    const raised = planRolloutStep(
      input({ status: rolling('batchInRolling', 1), observed: across(w('v2', 2, 2), w('v1', 3, 3)) }),
    );
    expect(raised.actions).toEqual([{ type: 'setReplicas', workload: 'v2', replicas: 5 }]);
    const emptied = planRolloutStep(
      input({ status: rolling('batchFinalizing', 1), observed: across(w('v2', 5, 5), w('v1', 3, 3)) }),
    );
    expect(emptied.actions).toEqual([{ type: 'setReplicas', workload: 'v1', replicas: 0 }]);
  });

  it('holds while paused, doing nothing', () => {
    const result = planRolloutStep(
      input({
        plan: { ...plan25, paused: true },
        status: rolling('batchInRolling'),
        observed: across(w('v2', 0, 0), w('v1', 5, 5)),
      }),
    );
    expect(result).toMatchObject({ transitioned: false, waitingFor: 'paused', actions: [] });
  });
});

describe('rollingInBatches, DecreaseFirst across two Deployments', () => {
  const plan: RolloutPlanSpec = { ...plan25, rolloutStrategy: 'DecreaseFirst' };

  it('batchInRolling shrinks the source first', () => {
    const result = planRolloutStep(
      input({ plan, status: rolling('batchInRolling'), observed: across(w('v2', 0, 0), w('v1', 5, 5)) }),
    );
    expect(result.actions).toEqual([{ type: 'setReplicas', workload: 'v1', replicas: 3 }]);
    expect(result.status.batchRollingState).toBe('batchVerifying');
  });

  it('batchVerifying waits for the source to shrink', () => {
    const waiting = planRolloutStep(
      input({ plan, status: rolling('batchVerifying'), observed: across(w('v2', 0, 0), w('v1', 3, 4)) }),
    );
    expect(waiting.waitingFor).toBe('readiness');
    const done = planRolloutStep(
      input({ plan, status: rolling('batchVerifying'), observed: across(w('v2', 0, 0), w('v1', 3, 3)) }),
    );
    expect(done.status.batchRollingState).toBe('batchFinalizing');
  });

  it('batchFinalizing raises the target and waits for it to be ready', () => {
    const raising = planRolloutStep(
      input({ plan, status: rolling('batchFinalizing'), observed: across(w('v2', 0, 0), w('v1', 3, 3)) }),
    );
    expect(raising.actions).toEqual([{ type: 'setReplicas', workload: 'v2', replicas: 2 }]);
    expect(raising.waitingFor).toBe('readiness');
    const ready = planRolloutStep(
      input({ plan, status: rolling('batchFinalizing'), observed: across(w('v2', 2, 2), w('v1', 3, 3)) }),
    );
    expect(ready.status.batchRollingState).toBe('batchReady');
  });
});

describe('rollingInBatches, scale only', () => {
  const up: RolloutPlanSpec = { targetSize: 7, rolloutBatches: [{ replicas: 1 }, { replicas: 1 }] };
  const down: RolloutPlanSpec = { targetSize: 3, rolloutBatches: [{ replicas: 1 }, { replicas: 3 }] };
  const scaling = (
    state: RolloutProgress['batchRollingState'],
    original: number,
    target: number,
    batch = 0,
  ) => rolling(state, batch, { rolloutOriginalSize: original, rolloutTargetSize: target });

  it('sets replicas to the batch goal', () => {
    const result = planRolloutStep(
      input({
        plan: up,
        status: scaling('batchInRolling', 5, 7),
        observed: { mode: 'scaleOnly', target: w('v1', 5, 5) },
      }),
    );
    expect(result.actions).toEqual([{ type: 'setReplicas', workload: 'v1', replicas: 6 }]);
  });

  it('scaling up is ready when ready + maxUnavailable ≥ goal', () => {
    const waiting = planRolloutStep(
      input({
        plan: up,
        status: scaling('batchVerifying', 5, 7),
        observed: { mode: 'scaleOnly', target: w('v1', 6, 5) },
      }),
    );
    expect(waiting.waitingFor).toBe('readiness');
    const withSlack = planRolloutStep(
      input({
        plan: { targetSize: 7, rolloutBatches: [{ replicas: 1, maxUnavailable: 1 }, { replicas: 1 }] },
        status: scaling('batchVerifying', 5, 7),
        observed: { mode: 'scaleOnly', target: w('v1', 6, 5) },
      }),
    );
    expect(withSlack.status.batchRollingState).toBe('batchFinalizing');
  });

  it('scaling down is ready when ready ≤ goal', () => {
    const waiting = planRolloutStep(
      input({
        plan: down,
        status: scaling('batchVerifying', 7, 3),
        observed: { mode: 'scaleOnly', target: w('v1', 6, 7) },
      }),
    );
    expect(waiting.waitingFor).toBe('readiness');
    expect(waiting.message).toContain('v1 still has 7 ready, waiting for at most 6');
    const done = planRolloutStep(
      input({
        plan: down,
        status: scaling('batchVerifying', 7, 3),
        observed: { mode: 'scaleOnly', target: w('v1', 6, 6) },
      }),
    );
    expect(done.status.batchRollingState).toBe('batchFinalizing');
  });

  it('batchFinalizing has nothing to wait for', () => {
    const result = planRolloutStep(
      input({
        plan: down,
        status: scaling('batchFinalizing', 7, 3, 1),
        observed: { mode: 'scaleOnly', target: w('v1', 3, 3) },
      }),
    );
    expect(result.status.batchRollingState).toBe('batchReady');
    expect(result.status.upgradedReplicas).toBe(3);
  });

  it('finalising deletes nothing', () => {
    const result = planRolloutStep(
      input({
        plan: down,
        status: status({ rollingState: 'finalising', rolloutTargetSize: 3 }),
        observed: { mode: 'scaleOnly', target: w('v1', 3, 3) },
      }),
    );
    expect(result.actions).toEqual([]);
    expect(result.status).toMatchObject({
      rollingState: 'rolloutSucceed',
      upgradedReplicas: 3,
      upgradedReadyReplicas: 3,
    });
  });
});

describe('rollingInBatches, in place on a CloneSet', () => {
  const observedCs = (partition: number, updatedReady: number) => ({
    mode: 'inPlace' as WorkloadMode,
    target: w('cs', 5, 5, { partition, updated: 5 - partition, updatedReady }),
  });

  it('each batch sets partition = size − goal', () => {
    const first = planRolloutStep(input({ status: rolling('batchInRolling'), observed: observedCs(5, 0) }));
    expect(first.actions).toEqual([{ type: 'setPartition', workload: 'cs', partition: 3 }]);
    expect(first.status.upgradedReplicas).toBe(2);
    const second = planRolloutStep(
      input({ status: rolling('batchInRolling', 1), observed: observedCs(3, 2) }),
    );
    expect(second.actions).toEqual([{ type: 'setPartition', workload: 'cs', partition: 0 }]);
  });

  it('is ready when updatedReadyReplicas + maxUnavailable ≥ goal', () => {
    expect(
      planRolloutStep(input({ status: rolling('batchVerifying'), observed: observedCs(3, 1) })).waitingFor,
    ).toBe('readiness');
    expect(
      planRolloutStep(input({ status: rolling('batchVerifying'), observed: observedCs(3, 2) })).status
        .batchRollingState,
    ).toBe('batchFinalizing');
  });

  it('does not pass before the partition is observed', () => {
    const result = planRolloutStep(input({ status: rolling('batchVerifying'), observed: observedCs(5, 2) }));
    expect(result.transitioned).toBe(false);
    expect(result.actions).toEqual([{ type: 'setPartition', workload: 'cs', partition: 3 }]);
  });

  it('finalising never deletes the CloneSet and clears any partition left', () => {
    const result = planRolloutStep(
      input({ status: status({ rollingState: 'finalising' }), observed: observedCs(1, 4) }),
    );
    expect(result.actions).toEqual([{ type: 'setPartition', workload: 'cs', partition: 0 }]);
    expect(result.status.rollingState).toBe('rolloutSucceed');
  });
});

describe('finalising across Deployments', () => {
  it('deletes the drained source, calls finalize webhooks and succeeds', () => {
    const result = planRolloutStep(
      input({
        plan: { ...plan25, rolloutWebhooks: [{ type: 'finalize-rollout' }] },
        status: status({ rollingState: 'finalising', batchRollingState: 'batchReady', currentBatch: 1 }),
        observed: across(w('v2', 5, 5), w('v1', 0, 0)),
      }),
    );
    expect(result.actions).toEqual([
      { type: 'deleteWorkload', workload: 'v1' },
      { type: 'callWebhooks', hook: 'finalize-rollout' },
    ]);
    expect(result.status).toMatchObject({
      rollingState: 'rolloutSucceed',
      batchRollingState: 'batchReady',
      upgradedReplicas: 5,
      upgradedReadyReplicas: 5,
    });
  });

  it('never deletes a source that is the target itself', () => {
    const result = planRolloutStep(
      input({
        status: status({ rollingState: 'finalising' }),
        observed: across(w('v1', 5, 5), w('v1', 5, 5)),
      }),
    );
    expect(result.actions).toEqual([]);
  });
});

describe('changes in flight and terminal states', () => {
  it('abandons a rollout whose target revision changed, then restarts fresh', () => {
    const abandoning = planRolloutStep(
      input({
        status: rolling('batchReady'),
        observed: across(w('v2', 2, 2), w('v1', 3, 3)),
        targetRevisionChanged: true,
      }),
    );
    expect(abandoning.status.rollingState).toBe('rolloutAbandoning');
    expect(abandoning.actions).toEqual([]);
    const restarted = planRolloutStep(
      input({
        status: abandoning.status,
        observed: across(w('v3', 0, 0), w('v1', 3, 3), w('v2', 2, 2)),
        targetRevisionChanged: true,
      }),
    );
    expect(restarted.status).toEqual(freshRolloutProgress());
    expect(restarted.restart).toBe(true);
  });

  it('abandons a rollout whose targetSize changed', () => {
    const result = planRolloutStep(
      input({
        plan: { ...plan25, targetSize: 6 },
        status: rolling('batchVerifying'),
        observed: across(w('v2', 2, 2), w('v1', 5, 5)),
      }),
    );
    expect(result.status.rollingState).toBe('rolloutAbandoning');
    expect(result.message).toContain('targetSize changed from 5 to 6');
  });

  it('restarts directly when the revision changes before anything moved', () => {
    const result = planRolloutStep(
      input({
        status: status({ rollingState: 'verifyingSpec' }),
        observed: across(w('v2', 0, 0)),
        targetRevisionChanged: true,
      }),
    );
    expect(result.restart).toBe(true);
    expect(result.status).toEqual(freshRolloutProgress());
  });

  it('a succeeded rollout leaves replicas alone (an autoscaler may own them now)', () => {
    const done = status({
      rollingState: 'rolloutSucceed',
      batchRollingState: 'batchReady',
      upgradedReplicas: 5,
      upgradedReadyReplicas: 5,
    });
    const result = planRolloutStep(
      input({ status: done, observed: { mode: 'scaleOnly', target: w('v1', 8, 8) } }),
    );
    expect(result).toMatchObject({
      actions: [],
      transitioned: false,
      waitingFor: 'specChange',
      status: done,
    });
  });

  it('a succeeded rollout starts a new one for a new targetSize or revision', () => {
    const done = status({ rollingState: 'rolloutSucceed', batchRollingState: 'batchReady' });
    const resized = planRolloutStep(
      input({
        plan: { targetSize: 7 },
        status: done,
        observed: { mode: 'scaleOnly', target: w('v1', 5, 5) },
      }),
    );
    expect(resized).toMatchObject({ restart: true, transitioned: true, status: freshRolloutProgress() });
    const revised = planRolloutStep(
      input({ status: done, observed: across(w('v1', 5, 5)), targetRevisionChanged: true }),
    );
    expect(revised.restart).toBe(true);
  });

  it('a failure reported by the reconciler goes through rolloutFailing to rolloutFailed', () => {
    const failing = planRolloutStep(
      input({
        status: rolling('batchInRolling'),
        observed: across(w('v2', 0, 0), w('v1', 5, 5)),
        failure: 'webhook returned 500',
      }),
    );
    expect(failing.status.rollingState).toBe('rolloutFailing');
    expect(failing.message).toBe('webhook returned 500');
    const failed = planRolloutStep(
      input({ status: failing.status, observed: across(w('v2', 0, 0), w('v1', 5, 5)) }),
    );
    expect(failed.status.rollingState).toBe('rolloutFailed');
  });

  it('a plan that fails verification stays failed instead of restarting over and over', () => {
    const badBatches: RolloutPlanSpec = { targetSize: 5, rolloutBatches: [{ replicas: 2 }, { replicas: 2 }] };
    const observed = across(w('v2', 0, 0), w('v1', 3, 3));
    const first = planRollout(
      input({
        plan: badBatches,
        status: status({ rollingState: 'rolloutSucceed', rolloutTargetSize: 3 }),
        observed,
        targetRevisionChanged: true,
      }),
    );
    expect(first.status).toMatchObject({ rollingState: 'rolloutFailed', rolloutTargetSize: 5 });
    expect(first.transitions.map((t) => t.reason)).toEqual([
      'RolloutStarted',
      'TargetLocated',
      'SpecInvalid',
      'RolloutFailed',
    ]);
    const again = planRollout(input({ plan: badBatches, status: first.status, observed }));
    expect(again).toMatchObject({ transitioned: false, waitingFor: 'specChange', actions: [] });
    expect(again.status).toEqual(first.status);
  });

  it('a failed rollout waits for a spec change, then retries', () => {
    const failed = status({ rollingState: 'rolloutFailed' });
    const waiting = planRolloutStep(input({ status: failed, observed: across(w('v2', 0, 0)) }));
    expect(waiting).toMatchObject({ transitioned: false, waitingFor: 'specChange' });
    const retried = planRolloutStep(
      input({ status: failed, observed: across(w('v2', 0, 0)), specChanged: true }),
    );
    expect(retried).toMatchObject({ restart: true, status: freshRolloutProgress() });
  });

  it('enters RolloutDeletingState when the Rollout is deleted and stays there', () => {
    const deleting = planRolloutStep(
      input({ status: rolling('batchInRolling'), observed: across(w('v2', 0, 0)), deleting: true }),
    );
    expect(deleting.status.rollingState).toBe('RolloutDeletingState');
    const again = planRolloutStep(input({ status: deleting.status, observed: across(w('v2', 0, 0)) }));
    expect(again).toMatchObject({ transitioned: false, actions: [] });
  });

  it('survives rolloutBatches being removed mid-rollout (the batch index falls back to the last batch)', () => {
    const result = planRolloutStep(
      input({
        plan: { targetSize: 5 },
        status: rolling('batchInRolling', 1),
        observed: across(w('v2', 2, 2), w('v1', 3, 3)),
      }),
    );
    expect(result.actions).toEqual([{ type: 'setReplicas', workload: 'v2', replicas: 5 }]);
    expect(result.status.currentBatch).toBe(0);
  });

  it('holds when the plan becomes invalid mid-rollout', () => {
    const result = planRolloutStep(
      input({
        plan: { targetSize: 5, rolloutBatches: [{ replicas: 2 }, { replicas: 2 }] },
        status: rolling('batchInRolling', 1),
        observed: across(w('v2', 2, 2), w('v1', 3, 3)),
      }),
    );
    expect(result).toMatchObject({ transitioned: false, waitingFor: 'validSpec', actions: [] });
    expect(result.message).toContain(
      'rolloutBatches sum to 4 but the rollout moves 5 replicas (from 0 to 5)',
    );
  });
});

describe('several sources and reverts', () => {
  it('drains sources in order, never growing one', () => {
    const result = planRolloutStep(
      input({
        status: rolling('batchFinalizing'),
        observed: across(w('v3', 2, 2), w('v1', 3, 3), w('v2', 2, 2)),
      }),
    );
    // targetSize 5 − goal 2 = 3 may stay: v2 keeps its 2, v1 keeps 1.
    expect(result.actions).toEqual([{ type: 'setReplicas', workload: 'v1', replicas: 1 }]);
  });

  it('a revert to a workload that still runs never shrinks it', () => {
    // verifyingSpec recorded the sources' 2 replicas as the original size.
    const reverting = (state: RolloutProgress['batchRollingState']) =>
      rolling(state, 0, { rolloutOriginalSize: 2 });
    const result = planRolloutStep(
      input({ status: reverting('batchInRolling'), observed: across(w('v1', 3, 3), w('v2', 2, 2)) }),
    );
    expect(result.actions).toEqual([]);
    const finalizing = planRolloutStep(
      input({ status: reverting('batchFinalizing'), observed: across(w('v1', 3, 3), w('v2', 2, 2)) }),
    );
    expect(finalizing.status.batchRollingState).toBe('batchReady');
    expect(finalizing.actions).toEqual([]);
  });
});

describe('level-based planning', () => {
  const observed = across(w('v2', 0, 0), w('v1', 5, 5));

  it('returns the same result for the same observation', () => {
    for (const state of [
      'batchInitializing',
      'batchInRolling',
      'batchVerifying',
      'batchFinalizing',
      'batchReady',
    ] as const) {
      const once = planRolloutStep(input({ status: rolling(state), observed }));
      const twice = planRolloutStep(input({ status: rolling(state), observed }));
      expect(twice).toEqual(once);
    }
  });

  it('asks for the same absolute levels when planned again on a stale observation', () => {
    const first = planRolloutStep(input({ status: rolling('batchInRolling'), observed }));
    const again = planRolloutStep(input({ status: first.status, observed }));
    expect(again.actions).toEqual(first.actions);
    expect(again.actions.every((action) => action.type === 'setReplicas')).toBe(true);
  });
});

describe('unsettled observations', () => {
  it('open no gate while a workload controller has not caught up with the spec', () => {
    const cases: [RolloutStepInput['observed'], RolloutProgress][] = [
      [across(w('v2', 2, 2, { settled: false }), w('v1', 5, 5)), rolling('batchVerifying')],
      [across(w('v2', 2, 2), w('v1', 3, 3, { settled: false })), rolling('batchFinalizing')],
      [
        { mode: 'scaleOnly', target: w('v1', 6, 6, { settled: false }) },
        rolling('batchVerifying', 0, { rolloutTargetSize: 7 }),
      ],
      [
        { mode: 'inPlace', target: w('cs', 5, 5, { partition: 3, updatedReady: 2, settled: false }) },
        rolling('batchVerifying'),
      ],
    ];
    for (const [observed, at] of cases) {
      const plan =
        at.rolloutTargetSize === 7
          ? { targetSize: 7, rolloutBatches: [{ replicas: 1 }, { replicas: 1 }] }
          : plan25;
      const blocked = planRolloutStep(input({ plan, status: at, observed }));
      expect(blocked).toMatchObject({ transitioned: false, waitingFor: 'readiness' });
      const settled = {
        ...observed,
        target: observed.target && { ...observed.target, settled: true },
        sources: observed.sources?.map((source) => ({ ...source, settled: true })),
      };
      expect(planRolloutStep(input({ plan, status: at, observed: settled })).transitioned).toBe(true);
    }
  });
});

describe('planRollout (chained steps)', () => {
  it('runs every step the observation allows and stops at a gate', () => {
    const result = planRollout({
      plan: { targetSize: 7, rolloutBatches: [{ replicas: 1 }, { replicas: 1 }] },
      status: freshRolloutProgress(),
      observed: { mode: 'scaleOnly', target: w('v1', 5, 5) },
    });
    expect(result.actions).toEqual([{ type: 'setReplicas', workload: 'v1', replicas: 6 }]);
    expect(result.status).toMatchObject({
      rollingState: 'rollingInBatches',
      batchRollingState: 'batchVerifying',
      rolloutOriginalSize: 5,
    });
    expect(result.transitions.map((t) => t.from.rollingState + '/' + t.from.batchRollingState)).toEqual([
      'locatingTargetApp/batchInitializing',
      'verifyingSpec/batchInitializing',
      'initializing/batchInitializing',
      'rollingInBatches/batchInitializing',
      'rollingInBatches/batchInRolling',
    ]);
    expect(result.waitingFor).toBe('observation');
  });

  it('never judges a gate on an observation older than its own changes', () => {
    // A partition set to 5 at initialization and back to 0 by a single batch would look
    // "already done" on the old observation (partition 0); the chain must stop and observe.
    const result = planRollout({
      plan: { targetSize: 5, rolloutBatches: [{ replicas: 5, maxUnavailable: 5 }] },
      status: freshRolloutProgress(),
      observed: { mode: 'inPlace', target: w('cs', 5, 5, { partition: 0, updatedReady: 0 }) },
    });
    expect(result.actions).toEqual([{ type: 'setPartition', workload: 'cs', partition: 5 }]);
    expect(result.status).toMatchObject({
      rollingState: 'rollingInBatches',
      batchRollingState: 'batchInitializing',
    });
    expect(result.waitingFor).toBe('observation');
  });

  it('restarts once for a new revision and carries on with the new attempt', () => {
    const result = planRollout({
      plan: plan25,
      status: status({ rollingState: 'rolloutSucceed', batchRollingState: 'batchReady' }),
      observed: across(w('v2', 0, 0), w('v1', 5, 5)),
      targetRevisionChanged: true,
    });
    expect(result.restart).toBe(true);
    expect(result.waitingFor).toBe('observation');
    expect(result.transitions.filter((t) => t.from.rollingState === 'rolloutSucceed')).toHaveLength(1);
    expect(result.actions).toEqual([{ type: 'setReplicas', workload: 'v2', replicas: 2 }]);
  });

  it('stops after maxSteps', () => {
    const result = planRollout(
      { plan: plan25, status: freshRolloutProgress(), observed: across(w('v2', 0, 0), w('v1', 5, 5)) },
      2,
    );
    expect(result.transitions).toHaveLength(2);
    expect(result.status.rollingState).toBe('initializing');
  });
});

describe('a source scaled outside the rollout', () => {
  it('is brought back to its level when a person scaled it down mid-rollout', () => {
    // Held after batch 0 (goal 2 of 5): v1 should keep 3, someone scaled it to 1.
    const result = planRolloutStep(
      input({
        status: rolling('batchReady', 0),
        plan: { ...plan25, batchPartition: 0 },
        observed: across(w('v2', 2, 2), w('v1', 1, 1)),
      }),
    );
    expect(result.actions).toEqual([{ type: 'setReplicas', workload: 'v1', replicas: 3 }]);
    expect(result.transitioned).toBe(false);
  });

  it('is put back on the newest source when there are several', () => {
    const result = planRolloutStep(
      input({
        status: rolling('batchFinalizing'),
        observed: across(w('v3', 2, 2), w('v1', 1, 1), w('v2', 0, 0)),
      }),
    );
    // 5 − 2 = 3 may stay; the sources have 1: v2 (the newest) gets the 2 missing.
    expect(result.actions).toEqual([{ type: 'setReplicas', workload: 'v2', replicas: 2 }]);
  });

  it('never grows past what the sources had when the rollout started', () => {
    // An upgrade that also grows the component from 1 to 5: the old revision keeps its 1.
    const result = planRolloutStep(
      input({
        status: rolling('batchFinalizing', 0, { rolloutOriginalSize: 1 }),
        observed: across(w('v2', 2, 2), w('v1', 1, 1)),
      }),
    );
    expect(result.actions).toEqual([]);
    expect(result.status.batchRollingState).toBe('batchReady');
  });

  it('is shrunk back when a person scaled it up', () => {
    const result = planRolloutStep(
      input({
        status: rolling('batchReady', 0),
        plan: { ...plan25, batchPartition: 0 },
        observed: across(w('v2', 2, 2), w('v1', 6, 6)),
      }),
    );
    expect(result.actions).toEqual([{ type: 'setReplicas', workload: 'v1', replicas: 3 }]);
  });
});
