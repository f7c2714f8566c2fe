// An IHPA whose scale target does not exist: the planner stops with ScalingActive False
// (FailedGetScale, naming the kind and name), a Warning once, nothing applied and no wake-up (the
// workload's add event brings the next reconcile); once the target exists it scales as usual.
// And which watched workloads an IHPA's scaleTargetRef names.
import { planIhpa, type IhpaObserved } from '../../../controllers/ihpa/planner.js';
import { refersTo, targetNotFoundMessage } from '../../../controllers/ihpa/scale-target.js';
import type { IhpaSpec } from '../../../controllers/ihpa/types.js';
import { builtin } from '../../../controllers/kit/discovery.js';
import { ihpaResources } from '../../../controllers/ihpa/types.js';

const now = new Date(Date.UTC(2024, 0, 1, 10, 0));
const spec = (extra: Partial<IhpaSpec> = {}): IhpaSpec => ({
  scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
  minReplicas: 1,
  maxReplicas: 10,
  portraitProviders: [{ type: 'Static', priority: 1, static: { replicas: 3 } }],
  ...extra,
});
const missing = (s: IhpaSpec): IhpaObserved => ({ generation: 1, scaleTargetMissing: s.scaleTargetRef });
const MESSAGE = 'the scale target Deployment "web" (apps/v1) was not found; scaling starts once it exists';

describe('a scale target that does not exist', () => {
  test('ScalingActive False FailedGetScale, one Warning, nothing applied, no wake-up', () => {
    const plan = planIhpa(spec(), missing(spec()), now);
    expect(plan.status.conditions).toEqual([
      expect.objectContaining({
        type: 'ScalingActive',
        status: 'False',
        reason: 'FailedGetScale',
        message: MESSAGE,
        observedGeneration: 1,
      }),
    ]);
    expect(plan.events).toEqual([{ type: 'Warning', reason: 'FailedGetScale', message: MESSAGE }]);
    expect(plan.replicaProfile).toBeUndefined();
    expect(plan.nextWakeup).toBeUndefined();
    expect(plan.status.currentPortraitValue).toBeUndefined();

    // Still missing on the next look: no second Warning.
    const again = planIhpa(spec(), { ...missing(spec()), status: plan.status }, now);
    expect(again.events).toEqual([]);
    expect(again.status.conditions).toEqual(plan.status.conditions);
  });

  test('once the workload exists, the IHPA scales it', () => {
    const failed = planIhpa(spec(), missing(spec()), now);
    const plan = planIhpa(spec(), { generation: 1, status: failed.status }, now);
    expect(plan.replicaProfile).toEqual({ online: 3, cutoff: 0, standby: 0, paused: false });
    expect(plan.status.conditions?.find((c) => c.type === 'ScalingActive')).toMatchObject({
      status: 'True',
      reason: 'SucceededAutoscaling',
    });
  });

  test('a paused IHPA stays paused; a Rollout that will create the workload is waited for quietly', () => {
    expect(planIhpa(spec({ paused: true }), missing(spec()), now).status.conditions?.[0]).toMatchObject({
      reason: 'ScalingPaused',
    });
    const waiting = planIhpa(
      spec(),
      { ...missing(spec()), rolloutInProgress: { name: 'web', rollingState: 'rollingInBatches' } },
      now,
    );
    expect(waiting.status.conditions?.[0]).toMatchObject({ status: 'False', reason: 'RolloutInProgress' });
    expect(waiting.events).toEqual([]);
  });

  test('the message names the kind, the name and the apiVersion (apps/v1 when left out)', () => {
    expect(
      targetNotFoundMessage({ kind: 'CloneSet', name: 'c', apiVersion: 'apps.kruise.io/v1alpha1' }),
    ).toBe(
      'the scale target CloneSet "c" (apps.kruise.io/v1alpha1) was not found; scaling starts once it exists',
    );
    expect(targetNotFoundMessage({ kind: 'StatefulSet', name: 's' })).toContain('(apps/v1)');
  });
});

describe('which workload an IHPA names', () => {
  test('group, kind and name must all match', () => {
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
    expect(refersTo(ref, builtin.Deployment, 'web')).toBe(true);
    expect(refersTo(ref, builtin.Deployment, 'other')).toBe(false);
    expect(refersTo(ref, builtin.StatefulSet, 'web')).toBe(false);
    expect(refersTo({ kind: 'Deployment', name: 'web' }, builtin.Deployment, 'web')).toBe(true);
    expect(
      refersTo(
        { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', name: 'c' },
        ihpaResources.CloneSet,
        'c',
      ),
    ).toBe(true);
    expect(
      refersTo({ apiVersion: 'apps/v1', kind: 'CloneSet', name: 'c' }, ihpaResources.CloneSet, 'c'),
    ).toBe(false);
    expect(refersTo(undefined, builtin.Deployment, 'web')).toBe(false);
  });
});
