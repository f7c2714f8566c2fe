import {
  indexRolloutByComponent,
  indexRolloutByTargetRevision,
  podCacheView,
  podUpdateMatters,
  rolloutsForPod,
  rolloutsForRevision,
  rolloutsForWorkload,
  ROLLOUTS_BY_COMPONENT,
  ROLLOUTS_BY_TARGET_REVISION,
  type RolloutIndex,
} from '../../../controllers/rollout/mapping.js';
import type { Rollout } from '../../../controllers/rollout/types.js';
import { ObjectStore } from '../../../controllers/kit/store.js';

function rollout(name: string, component: string, target: string, namespace = 'ns'): Rollout {
  return {
    metadata: { name, namespace, resourceVersion: '1' },
    spec: { targetRevisionName: target, componentName: component, rolloutPlan: {} },
  };
}

const store = new ObjectStore<Rollout>({
  [ROLLOUTS_BY_COMPONENT]: indexRolloutByComponent,
  [ROLLOUTS_BY_TARGET_REVISION]: indexRolloutByTargetRevision,
});
store.replace([
  rollout('express-server', 'express-server', 'express-server-v2'),
  rollout('express-server', 'express-server', 'express-server-v2', 'elsewhere'),
  rollout('api', 'api', 'api-v1'),
]);
const lookup: RolloutIndex = (index, value) => store.byIndex(index, value);

describe('mapping watched objects to Rollouts', () => {
  it('a workload wakes its owning Rollout and the Rollout of its component, in its namespace only', () => {
    const deployment = {
      metadata: {
        name: 'express-server-v1',
        namespace: 'ns',
        labels: { 'app.oam.dev/component': 'express-server' },
        ownerReferences: [
          { apiVersion: 'standard.oam.dev/v1alpha1', kind: 'Rollout', name: 'legacy', uid: 'u' },
        ],
      },
    };
    expect(rolloutsForWorkload(lookup, deployment).sort()).toEqual(['ns/express-server', 'ns/legacy']);
  });

  it('a pod wakes the Rollout of its component', () => {
    expect(
      rolloutsForPod(lookup, {
        metadata: { name: 'p', namespace: 'ns', labels: { 'app.oam.dev/component': 'api' } },
      }),
    ).toEqual(['ns/api']);
    expect(rolloutsForPod(lookup, { metadata: { name: 'p', namespace: 'ns' } })).toEqual([]);
  });

  it('a ControllerRevision wakes the Rollouts that target it and those of its component', () => {
    expect(rolloutsForRevision(lookup, { metadata: { name: 'express-server-v2', namespace: 'ns' } })).toEqual(
      ['ns/express-server'],
    );
    expect(
      rolloutsForRevision(lookup, {
        metadata: { name: 'api-v7', namespace: 'ns', labels: { 'controller.oam.dev/component': 'api' } },
      }),
    ).toEqual(['ns/api']);
  });
});

describe('podUpdateMatters', () => {
  const pod = (ready: string, extra: Record<string, unknown> = {}) => ({
    metadata: { name: 'p', labels: { 'controller-revision-hash': 'r1' } },
    status: { conditions: [{ type: 'Ready', status: ready }] },
    ...extra,
  });

  it('passes readiness, termination and revision changes; skips the rest', () => {
    expect(podUpdateMatters(pod('False'), pod('True'))).toBe(true);
    expect(
      podUpdateMatters(pod('True'), {
        ...pod('True'),
        metadata: { name: 'p', deletionTimestamp: 'now', labels: { 'controller-revision-hash': 'r1' } },
      }),
    ).toBe(true);
    expect(
      podUpdateMatters(pod('True'), {
        ...pod('True'),
        metadata: { name: 'p', labels: { 'controller-revision-hash': 'r2' } },
      }),
    ).toBe(true);
    const gated = {
      ...pod('True'),
      status: {
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'InPlaceUpdateReady', status: 'False' },
        ],
      },
    };
    expect(podUpdateMatters(pod('True'), gated)).toBe(true);
    const moved = { ...pod('True'), spec: { nodeName: 'n1' } };
    expect(podUpdateMatters(pod('True'), moved)).toBe(false);
  });
});

describe('podCacheView', () => {
  it('keeps metadata, node, phase, conditions and restart counts, and drops the rest', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'prod', labels: { a: 'b' }, annotations: { c: 'd' } },
      spec: {
        nodeName: 'n1',
        containers: [{ name: 'main', image: 'nginx', env: [{ name: 'X', value: 'y' }] }],
      },
      status: {
        phase: 'Running',
        podIP: '10.0.0.1',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [{ name: 'main', restartCount: 3, image: 'nginx', ready: true }],
      },
    };
    expect(podCacheView(pod)).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: pod.metadata,
      spec: { nodeName: 'n1' },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [{ restartCount: 3 }],
      },
    });
    // A pending pod: no node, no status fields yet.
    expect(podCacheView({ metadata: { name: 'p' }, spec: {}, status: {} })).toEqual({
      apiVersion: undefined,
      kind: undefined,
      metadata: { name: 'p' },
      status: {},
    });
  });
});
