import fc from 'fast-check';

import { podDeletionCost, podOrdinal, rankPodsForScaleDown, type RankablePod } from './pod-ranking.js';

interface PodOptions {
  node?: string;
  phase?: string;
  ready?: boolean;
  readySince?: string;
  cost?: string;
  restarts?: number;
  created?: string;
  labels?: Record<string, string>;
}

function pod(name: string, o: PodOptions = {}): RankablePod {
  return {
    metadata: {
      name,
      creationTimestamp: o.created ?? '2024-01-01T00:00:00Z',
      ...(o.cost !== undefined
        ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': o.cost } }
        : {}),
      ...(o.labels ? { labels: o.labels } : {}),
    },
    spec: { nodeName: o.node ?? 'node-a' },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [
        {
          type: 'Ready',
          status: (o.ready ?? true) ? 'True' : 'False',
          lastTransitionTime: o.readySince ?? '2024-01-01T00:01:00Z',
        },
      ],
      containerStatuses: [{ restartCount: o.restarts ?? 0 }],
    },
  };
}

const names = (pods: RankablePod[]) => pods.map((p) => p.metadata?.name);

describe('StatefulSet: highest ordinal first', () => {
  it('orders by ordinal only, whatever the readiness', () => {
    const pods = [
      pod('nginx-0'),
      pod('nginx-3', { ready: false }),
      pod('nginx-10'),
      pod('nginx-2'),
      pod('nginx-1'),
    ];
    expect(names(rankPodsForScaleDown(pods, 'StatefulSet'))).toEqual([
      'nginx-10',
      'nginx-3',
      'nginx-2',
      'nginx-1',
      'nginx-0',
    ]);
  });

  it('prefers the pod-index label to the name', () => {
    expect(podOrdinal(pod('web-7', { labels: { 'apps.kubernetes.io/pod-index': '3' } }))).toBe(3);
    expect(podOrdinal(pod('web-7'))).toBe(7);
    expect(podOrdinal(pod('web'))).toBeUndefined();
  });

  it('does not modify its input', () => {
    const pods = [pod('nginx-0'), pod('nginx-1')];
    rankPodsForScaleDown(pods, 'StatefulSet');
    expect(names(pods)).toEqual(['nginx-0', 'nginx-1']);
  });
});

describe('Deployment / ReplicaSet / CloneSet: the ActivePods ranking', () => {
  const rank = (pods: RankablePod[]) => names(rankPodsForScaleDown(pods, 'Deployment'));

  it('unscheduled before scheduled', () => {
    expect(rank([pod('scheduled'), pod('unscheduled', { node: '' })])).toEqual(['unscheduled', 'scheduled']);
  });

  it('Pending before Unknown before Running', () => {
    expect(
      rank([pod('running'), pod('unknown', { phase: 'Unknown' }), pod('pending', { phase: 'Pending' })]),
    ).toEqual(['pending', 'unknown', 'running']);
  });

  it('not ready before ready', () => {
    expect(rank([pod('ready'), pod('not-ready', { ready: false })])).toEqual(['not-ready', 'ready']);
  });

  it('lower deletion cost first, after readiness', () => {
    expect(
      rank([
        pod('cheap-but-ready', { cost: '-5' }),
        pod('costly'),
        pod('not-ready', { ready: false, cost: '100' }),
      ]),
    ).toEqual(['not-ready', 'cheap-but-ready', 'costly']);
  });

  it('pods on crowded nodes first', () => {
    expect(
      rank([
        pod('alone', { node: 'n1' }),
        pod('crowded-1', { node: 'n2' }),
        pod('crowded-2', { node: 'n2' }),
      ]),
    ).toEqual(['crowded-1', 'crowded-2', 'alone']);
  });

  it('ready for a shorter time first, then more restarts, then newer', () => {
    expect(
      rank([
        pod('ready-long', { readySince: '2024-01-01T00:00:00Z' }),
        pod('ready-short', { readySince: '2024-01-01T05:00:00Z' }),
      ]),
    ).toEqual(['ready-short', 'ready-long']);
    expect(rank([pod('calm'), pod('restarty', { restarts: 3 })])).toEqual(['restarty', 'calm']);
    expect(
      rank([
        pod('old', { created: '2024-01-01T00:00:00Z' }),
        pod('new', { created: '2024-01-02T00:00:00Z' }),
      ]),
    ).toEqual(['new', 'old']);
  });

  it('the criteria apply in order: unscheduled beats every later criterion', () => {
    const unscheduledOld = pod('unscheduled-old', {
      node: '',
      created: '2020-01-01T00:00:00Z',
      cost: '1000',
    });
    expect(
      rank([pod('not-ready', { ready: false }), pod('pending', { phase: 'Pending' }), unscheduledOld]),
    ).toEqual(['unscheduled-old', 'pending', 'not-ready']);
  });

  it('is a total order: the same ranking whatever the input order', () => {
    const arbitraryPod = fc.record({
      node: fc.constantFrom('', 'n1', 'n2'),
      phase: fc.constantFrom('Pending', 'Running', 'Unknown'),
      ready: fc.boolean(),
      cost: fc.constantFrom('-3', '0', '7', 'junk'),
      restarts: fc.nat(3),
      created: fc.constantFrom('2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'),
    });
    const podsAndPermutation = fc
      .array(arbitraryPod, { maxLength: 8 })
      .chain((options) =>
        fc.tuple(
          fc.constant(options),
          fc.shuffledSubarray([...options.keys()], { minLength: options.length, maxLength: options.length }),
        ),
      );
    fc.assert(
      fc.property(podsAndPermutation, ([options, order]) => {
        const pods = options.map((o, i) => pod(`p${i}`, o));
        const shuffled = order.map((i) => pods[i] as RankablePod);
        expect(names(rankPodsForScaleDown(shuffled, 'ReplicaSet'))).toEqual(
          names(rankPodsForScaleDown(pods, 'ReplicaSet')),
        );
      }),
    );
  });
});

describe('podDeletionCost', () => {
  it('reads int32 values; absent or malformed counts as 0', () => {
    expect(podDeletionCost(pod('a', { cost: '-2147483648' }))).toBe(-2147483648);
    expect(podDeletionCost(pod('a', { cost: '42' }))).toBe(42);
    expect(podDeletionCost(pod('a', { cost: 'high' }))).toBe(0);
    expect(podDeletionCost(pod('a', { cost: '99999999999' }))).toBe(0);
    expect(podDeletionCost(pod('a'))).toBe(0);
  });
});
