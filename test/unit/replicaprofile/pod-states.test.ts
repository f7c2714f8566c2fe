import {
  GRAY_POD_DELETION_COST,
  SAVED_DELETION_COST_ANNOTATION,
  allowedReplicas,
  changeFor,
  planPodStates,
  type PodChange,
  type ProfilePod,
} from '../../../controllers/replicaprofile/pod-states.js';

const GATE = 'kapacitystack.io/online';

interface Options {
  state?: 'Online' | 'Cutoff' | 'Standby';
  online?: 'True' | 'False';
  ready?: boolean;
  gate?: boolean;
  cost?: string;
  saved?: string;
  deleting?: boolean;
  phase?: string;
  created?: string;
}

function pod(name: string, o: Options = {}): ProfilePod {
  const annotations: Record<string, string> = {};
  if (o.cost !== undefined) annotations['controller.kubernetes.io/pod-deletion-cost'] = o.cost;
  if (o.saved !== undefined) annotations[SAVED_DELETION_COST_ANNOTATION] = o.saved;
  const conditions = [{ type: 'Ready', status: (o.ready ?? o.online !== 'False') ? 'True' : 'False' }];
  if (o.online !== undefined) conditions.push({ type: GATE, status: o.online });
  return {
    metadata: {
      name,
      creationTimestamp: o.created ?? '2024-01-01T00:00:00Z',
      ...(o.state ? { labels: { 'kapacitystack.io/pod-state': o.state } } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ...(o.deleting ? { deletionTimestamp: '2024-01-01T01:00:00Z' } : {}),
    },
    spec: { nodeName: 'n1', ...((o.gate ?? true) ? { readinessGates: [{ conditionType: GATE }] } : {}) },
    status: { phase: o.phase ?? 'Running', conditions },
  };
}

const nginx = (states: (Options | undefined)[]) =>
  states.map((o, i) => pod(`nginx-${i}`, o ?? { online: 'True' }));
const summary = (changes: PodChange[]) => changes.map((c) => `${c.name}:${c.state}`);

describe('StatefulSet, the seed timeline (5 → 1, 50 %)', () => {
  it('5/0 → 3/2: the two highest ordinals are cut off (label Cutoff, condition False)', () => {
    const plan = planPodStates({
      pods: nginx([undefined, undefined, undefined, undefined, undefined]),
      kind: 'StatefulSet',
      desired: { online: 3, cutoff: 2, standby: 0 },
      workloadReplicas: 5,
    });
    expect(plan.changes).toEqual([
      { name: 'nginx-4', state: 'Cutoff', label: 'Cutoff', onlineCondition: 'False' },
      { name: 'nginx-3', state: 'Cutoff', label: 'Cutoff', onlineCondition: 'False' },
    ]);
    expect(plan.replicas).toBe(5);
    expect(plan.counts).toEqual({ online: 3, cutoff: 2, standby: 0 });
    expect(plan.stateChangeSkipped).toBe(false);
  });

  it('3/2 → 1/4: the next two highest are cut off, the cut-off ones untouched', () => {
    const cut = { state: 'Cutoff' as const, online: 'False' as const };
    const plan = planPodStates({
      pods: nginx([undefined, undefined, undefined, cut, cut]),
      kind: 'StatefulSet',
      desired: { online: 1, cutoff: 4, standby: 0 },
      workloadReplicas: 5,
    });
    expect(summary(plan.changes)).toEqual(['nginx-2:Cutoff', 'nginx-1:Cutoff']);
    expect(plan.deletions).toEqual([]);
  });

  it('never deletes online pods above the new size: the StatefulSet removes those itself', () => {
    const plan = planPodStates({
      pods: nginx([undefined, undefined, undefined]),
      kind: 'StatefulSet',
      desired: { online: 1, cutoff: 0, standby: 0 },
      workloadReplicas: 3,
    });
    expect(plan.replicas).toBe(1);
    expect(plan.deletions).toEqual([]);
  });

  it('1/4 → 1/0: no pod changes state, the workload goes to 1 and removes exactly the cut-off pods', () => {
    const cut = { state: 'Cutoff' as const, online: 'False' as const };
    const plan = planPodStates({
      pods: nginx([undefined, cut, cut, cut, cut]),
      kind: 'StatefulSet',
      desired: { online: 1, cutoff: 0, standby: 0 },
      workloadReplicas: 5,
    });
    expect(plan.changes).toEqual([]);
    expect(plan.replicas).toBe(1);
    // The four cut-off pods still run until they are removed; an OrderedReady StatefulSet would
    // wait forever for them to be Ready, so they are deleted once the replicas exclude them.
    expect(plan.counts).toEqual({ online: 1, cutoff: 4, standby: 0 });
    expect(plan.deletions).toEqual(['nginx-4', 'nginx-3', 'nginx-2', 'nginx-1']);
  });

  it('pods being deleted do not count', () => {
    const cut = { state: 'Cutoff' as const, online: 'False' as const, deleting: true };
    const plan = planPodStates({
      pods: nginx([undefined, cut, cut]),
      kind: 'StatefulSet',
      desired: { online: 1, cutoff: 0, standby: 0 },
      workloadReplicas: 1,
    });
    expect(plan.counts).toEqual({ online: 1, cutoff: 0, standby: 0 });
    expect(plan.changes).toEqual([]);
  });
});

describe('coming back online', () => {
  const cut = { state: 'Cutoff' as const, online: 'False' as const };

  it('scale-up: every gray pod comes back before the workload grows', () => {
    const plan = planPodStates({
      pods: nginx([undefined, cut, cut, cut, cut]),
      kind: 'StatefulSet',
      desired: { online: 7, cutoff: 0, standby: 0 },
      workloadReplicas: 5,
    });
    expect(plan.changes).toEqual(
      ['nginx-4', 'nginx-3', 'nginx-2', 'nginx-1'].map((name) => ({
        name,
        state: 'Online',
        label: 'Online',
        onlineCondition: 'True',
      })),
    );
    expect(plan.replicas).toBe(7);
  });

  it('partly back (1/4 → 3/2): the lowest cut-off ordinals return, the highest stay to be removed', () => {
    const plan = planPodStates({
      pods: nginx([undefined, cut, cut, cut, cut]),
      kind: 'StatefulSet',
      desired: { online: 3, cutoff: 2, standby: 0 },
      workloadReplicas: 5,
    });
    expect(summary(plan.changes)).toEqual(['nginx-2:Online', 'nginx-1:Online']);
    expect(plan.counts).toEqual({ online: 3, cutoff: 2, standby: 0 });
  });

  it('a pod that was never cut off keeps no label', () => {
    expect(changeFor(pod('fresh', { online: 'True' }), 'Online', false)).toBeUndefined();
    expect(changeFor(pod('fresh', { gate: true }), 'Online', false)).toEqual({
      name: 'fresh',
      state: 'Online',
      onlineCondition: 'True',
    });
    expect(changeFor(pod('no-gate', { gate: false }), 'Online', false)).toBeUndefined();
  });
});

describe('Standby', () => {
  it('label Standby and condition False', () => {
    const plan = planPodStates({
      pods: nginx([undefined, undefined, undefined]),
      kind: 'StatefulSet',
      desired: { online: 2, cutoff: 0, standby: 1 },
      workloadReplicas: 3,
    });
    expect(plan.changes).toEqual([
      { name: 'nginx-2', state: 'Standby', label: 'Standby', onlineCondition: 'False' },
    ]);
  });

  it('pods keep their gray state where the counts allow', () => {
    const plan = planPodStates({
      pods: nginx([undefined, { state: 'Standby', online: 'False' }, { state: 'Cutoff', online: 'False' }]),
      kind: 'StatefulSet',
      desired: { online: 1, cutoff: 1, standby: 1 },
      workloadReplicas: 3,
    });
    expect(plan.changes).toEqual([]);
  });
});

describe('between sizes', () => {
  it('waits with states while the workload does not have its replicas, and says so', () => {
    const plan = planPodStates({
      pods: nginx([undefined, undefined, undefined, undefined]),
      kind: 'StatefulSet',
      desired: { online: 3, cutoff: 2, standby: 0 },
      workloadReplicas: 5,
    });
    expect(plan.changes).toEqual([]);
    expect(plan.stateChangeSkipped).toBe(true);
  });

  it('still lets a fresh pod whose gate nobody set into traffic', () => {
    const plan = planPodStates({
      pods: [pod('nginx-0', { online: 'True' }), pod('nginx-1', { ready: false })],
      kind: 'StatefulSet',
      desired: { online: 5, cutoff: 0, standby: 0 },
      workloadReplicas: 5,
    });
    expect(plan.changes).toEqual([{ name: 'nginx-1', state: 'Online', onlineCondition: 'True' }]);
    expect(plan.stateChangeSkipped).toBe(false);
    expect(plan.replicas).toBe(5);
  });
});

describe('Deployment: the ActivePods ranking and deletion cost', () => {
  const web = (name: string, o: Options = {}) => pod(name, { online: 'True', ...o });

  it('cuts off the pods the ReplicaSet would remove first and gives them the lowest deletion cost', () => {
    const plan = planPodStates({
      pods: [
        web('old', { created: '2024-01-01T00:00:00Z' }),
        web('newest', { created: '2024-01-03T00:00:00Z' }),
        web('valued', { created: '2024-01-04T00:00:00Z', cost: '100' }),
        web('newer', { created: '2024-01-02T00:00:00Z' }),
      ],
      kind: 'Deployment',
      desired: { online: 2, cutoff: 2, standby: 0 },
      workloadReplicas: 4,
    });
    expect(plan.changes).toEqual([
      {
        name: 'newest',
        state: 'Cutoff',
        label: 'Cutoff',
        onlineCondition: 'False',
        annotations: {
          'controller.kubernetes.io/pod-deletion-cost': GRAY_POD_DELETION_COST,
          [SAVED_DELETION_COST_ANNOTATION]: '',
        },
      },
      {
        name: 'newer',
        state: 'Cutoff',
        label: 'Cutoff',
        onlineCondition: 'False',
        annotations: {
          'controller.kubernetes.io/pod-deletion-cost': GRAY_POD_DELETION_COST,
          [SAVED_DELETION_COST_ANNOTATION]: '',
        },
      },
    ]);
  });

  it('a pod coming back gets its own deletion cost again', () => {
    const back = changeFor(
      pod('p', { state: 'Cutoff', online: 'False', cost: GRAY_POD_DELETION_COST, saved: '100' }),
      'Online',
      true,
    );
    expect(back?.annotations).toEqual({
      'controller.kubernetes.io/pod-deletion-cost': '100',
      [SAVED_DELETION_COST_ANNOTATION]: null,
    });
    const none = changeFor(
      pod('q', { state: 'Cutoff', online: 'False', cost: GRAY_POD_DELETION_COST, saved: '' }),
      'Online',
      true,
    );
    expect(none?.annotations).toEqual({
      'controller.kubernetes.io/pod-deletion-cost': null,
      [SAVED_DELETION_COST_ANNOTATION]: null,
    });
  });

  it('the final scale-down leaves the gray pods first in line for removal', () => {
    const gray = {
      state: 'Cutoff' as const,
      online: 'False' as const,
      ready: false,
      cost: GRAY_POD_DELETION_COST,
      saved: '',
    };
    const plan = planPodStates({
      pods: [web('a'), web('b', gray), web('c'), web('d', gray)],
      kind: 'Deployment',
      desired: { online: 2, cutoff: 0, standby: 0 },
      workloadReplicas: 4,
    });
    expect(plan.changes).toEqual([]);
    expect(plan.replicas).toBe(2);
    expect(plan.deletions).toEqual([]);
  });
});

describe('allowedScalingDirection', () => {
  it('holds the replicas in the forbidden direction', () => {
    expect(allowedReplicas(3, 5, 'Up')).toBe(5);
    expect(allowedReplicas(7, 5, 'Up')).toBe(7);
    expect(allowedReplicas(7, 5, 'Down')).toBe(5);
    expect(allowedReplicas(3, 5, 'Neither')).toBe(5);
    expect(allowedReplicas(3, 5, 'Both')).toBe(3);
  });
});
