import fc from 'fast-check';
import {
  calculateReplicas,
  describeMetric,
  type MetricObservation,
  type MetricSpec,
  type MetricTarget,
  type PodMetricSample,
  type PodSnapshot,
  type ReplicaCalculationInput,
  type ReplicaCalculationResult,
} from '../../../controllers/portrait/index.js';

const NOW = new Date('2024-01-01T12:00:00Z');
const ago = (seconds: number): Date => new Date(NOW.getTime() - seconds * 1000);

/** A long-running, Ready pod requesting 1 CPU and 1 GiB. */
function pod(name: string, overrides: Partial<PodSnapshot> = {}): PodSnapshot {
  return {
    name,
    phase: 'Running',
    ready: true,
    startTime: ago(3600),
    readyTransitionTime: ago(3570),
    containers: [{ name: 'app', requests: { cpu: '1', memory: '1Gi' } }],
    ...overrides,
  };
}

function sample(podName: string, value: string, overrides: Partial<PodMetricSample> = {}): PodMetricSample {
  return { pod: podName, timestamp: ago(10), windowSeconds: 30, value, ...overrides };
}

const cpuUtilization = (averageUtilization: number): MetricSpec => ({
  type: 'Resource',
  resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization } },
});
const memoryUtilization = (averageUtilization: number): MetricSpec => ({
  type: 'Resource',
  resource: { name: 'memory', target: { type: 'Utilization', averageUtilization } },
});
const podsObservation = (samples: PodMetricSample[]): MetricObservation => ({ kind: 'pods', samples });

function ok(result: ReplicaCalculationResult): number {
  if (!result.ok) throw new Error(`expected a result, got error: ${result.error}`);
  return result.replicas;
}

/**
 * Pods p0…pn: a usage string gives the pod a sample, `null` leaves it missing; `podOverrides`
 * adjusts individual pods by index.
 */
function usageCase(opts: {
  usages: (string | null)[];
  metric?: MetricSpec;
  currentReplicas?: number;
  podOverrides?: Record<number, Partial<PodSnapshot>>;
  sampleOverrides?: Record<number, Partial<PodMetricSample>>;
  input?: Partial<ReplicaCalculationInput>;
}): ReplicaCalculationResult {
  const pods = opts.usages.map((_, i) => pod(`p${i}`, opts.podOverrides?.[i]));
  const samples = opts.usages.flatMap((usage, i) =>
    usage === null ? [] : [sample(`p${i}`, usage, opts.sampleOverrides?.[i])],
  );
  return calculateReplicas({
    metrics: [opts.metric ?? cpuUtilization(50)],
    observations: [podsObservation(samples)],
    pods,
    currentReplicas: opts.currentReplicas ?? opts.usages.length,
    now: NOW,
    ...opts.input,
  });
}

describe('Kapacity reference case', () => {
  it('one Ready pod requesting 1 CPU across containers, using 300m+500m+700m, target 30 % → 5', () => {
    const result = calculateReplicas({
      metrics: [cpuUtilization(30)],
      observations: [
        podsObservation([
          {
            pod: 'nginx-0',
            timestamp: ago(15),
            windowSeconds: 30,
            containers: [
              { name: 'app', value: '300m' },
              { name: 'sidecar', value: '500m' },
              { name: 'worker', value: '700m' },
            ],
          },
        ]),
      ],
      pods: [
        pod('nginx-0', {
          containers: [
            { name: 'app', requests: { cpu: '300m' } },
            { name: 'sidecar', requests: { cpu: '300m' } },
            { name: 'worker', requests: { cpu: '400m' } },
          ],
        }),
      ],
      currentReplicas: 1,
      now: NOW,
    });
    expect(result).toEqual({
      ok: true,
      replicas: 5,
      metric: 'cpu resource utilization (percentage of request)',
      proposals: [
        {
          index: 0,
          metric: 'cpu resource utilization (percentage of request)',
          replicas: 5,
          usageRatio: 5,
          currentAverageUtilization: 150,
        },
      ],
      failures: [],
    });
  });
});

describe('utilization and tolerance (all pods ready, 1 CPU requested each)', () => {
  it.each<[string, (string | null)[], number, number, number | undefined, number]>([
    // name, usages, target %, current, tolerance, expected
    ['scale up: 90 % vs 50 %', ['900m', '900m', '900m'], 50, 3, undefined, 6],
    ['scale down: 10 % vs 50 %', ['100m', '100m', '100m', '100m'], 50, 4, undefined, 1],
    ['within tolerance above (ratio 1.08)', ['540m', '540m', '540m'], 50, 3, undefined, 3],
    ['just outside tolerance above (ratio 1.12)', ['560m', '560m', '560m'], 50, 3, undefined, 4],
    ['within tolerance below (ratio 0.92)', Array<string>(10).fill('460m'), 50, 10, undefined, 10],
    ['just outside tolerance below (ratio 0.88)', Array<string>(10).fill('440m'), 50, 10, undefined, 9],
    ['custom tolerance 0.2 holds ratio 1.2', ['600m', '600m', '600m'], 50, 3, 0.2, 3],
    ['custom tolerance 0.2 lets ratio 1.22 scale', ['610m', '610m', '610m'], 50, 3, 0.2, 4],
    [
      'a ratio exactly at the tolerance is within it (1.5 with tolerance 0.5)',
      ['750m', '750m'],
      50,
      2,
      0.5,
      2,
    ],
    ['tolerance 0 scales on any difference', ['510m', '510m', '510m'], 50, 3, 0, 4],
    ['no change keeps currentReplicas even when pods differ', ['500m', '500m'], 50, 7, undefined, 7],
    ['utilization percent is truncated (0.1 % → 0 %)', ['1m', '1m', '1m'], 1, 3, undefined, 0],
  ])('%s', (_name, usages, target, currentReplicas, tolerance, expected) => {
    const input: Partial<ReplicaCalculationInput> = tolerance === undefined ? {} : { tolerance };
    expect(ok(usageCase({ usages, metric: cpuUtilization(target), currentReplicas, input }))).toBe(expected);
  });

  it('reports the ratio and the truncated utilization', () => {
    const result = usageCase({ usages: ['333m'], metric: cpuUtilization(50), currentReplicas: 1 });
    expect(result.proposals[0]).toMatchObject({
      usageRatio: 33 / 50,
      currentAverageUtilization: 33,
      replicas: 1,
    });
  });
});

describe('missing metrics', () => {
  it.each<[string, (string | null)[], number, number, number]>([
    // name, usages (null = missing), target %, current, expected
    ['scale-down counts missing pods at 100 % of request', ['100m', '100m', '100m', null], 50, 4, 3],
    ['scale-down counts missing pods at the target when it is above 100 %', ['300m', null], 150, 3, 2],
    [
      'scale-down that the missing pods turn into a scale-up → no change',
      ['200m', null, null, null],
      50,
      4,
      4,
    ],
    ['scale-down whose recount exceeds current replicas → no change', ['100m', null, null], 90, 1, 1],
    ['scale-up counts missing pods at 0 %', ['1000m', '1000m', '1000m', '1000m', null], 50, 5, 8],
    ['scale-up that the missing pods bring within tolerance → no change', ['800m', '800m', null], 50, 3, 3],
    [
      'scale-up that the missing pods turn into a scale-down → no change',
      ['1000m', null, null, null],
      50,
      4,
      4,
    ],
  ])('%s', (_name, usages, target, currentReplicas, expected) => {
    expect(ok(usageCase({ usages, metric: cpuUtilization(target), currentReplicas }))).toBe(expected);
  });
});

describe('unready pods', () => {
  const pending: Partial<PodSnapshot> = { phase: 'Pending', ready: false, startTime: undefined };

  it('count as 0 % on a scale-up (here bringing the ratio below 1 → no change)', () => {
    const result = usageCase({
      usages: ['600m', '600m', null, null],
      podOverrides: { 2: pending, 3: pending },
      currentReplicas: 4,
    });
    expect(ok(result)).toBe(4);
  });

  it('count as 0 % on a scale-up, which can bring the ratio within tolerance', () => {
    // 10 ready pods at 60 % (ratio 1.2) and one Pending: 6000m over 11 cores = 54 % → 1.08 → no change.
    const result = usageCase({
      usages: [...Array<string>(10).fill('600m'), null],
      podOverrides: { 10: pending },
      currentReplicas: 10,
    });
    expect(ok(result)).toBe(10);
  });

  it('count as 0 on a scale-up of a Pods metric too', () => {
    const metric: MetricSpec = {
      type: 'Pods',
      pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } },
    };
    // 10 ready pods at 12 and one Pending: 120 / 11 = 10.9 → 1.09 → no change (12 without the rule).
    const result = usageCase({
      usages: [...Array<string>(10).fill('12'), null],
      metric,
      podOverrides: { 10: pending },
      currentReplicas: 10,
    });
    expect(ok(result)).toBe(10);
  });

  it('count as 0 % on a scale-up that still scales', () => {
    const result = usageCase({
      usages: ['1000m', '1000m', null],
      metric: cpuUtilization(25),
      podOverrides: { 2: pending },
      currentReplicas: 3,
    });
    // 2000m over 3 requested cores = 66 % → ratio 2.64 → ceil(2.64 × 3) = 8
    expect(ok(result)).toBe(8);
  });

  it('are left out on a scale-down (not counted as missing)', () => {
    const result = usageCase({
      usages: ['400m', '400m', null, null],
      podOverrides: { 2: pending, 3: pending },
      currentReplicas: 4,
    });
    expect(ok(result)).toBe(2);
  });

  it('do not count as 0 % when not scaling up', () => {
    // Ready pods at 29 % against 30 % are within tolerance → no change; counting the Pending pod
    // as 0 % would make it 22 % and scale down to 3.
    const result = usageCase({
      usages: ['299m', '299m', '299m', null],
      metric: cpuUtilization(30),
      podOverrides: { 3: pending },
      currentReplicas: 4,
    });
    expect(ok(result)).toBe(4);
  });

  it('a Pending pod with a sample is still unready: its sample is dropped', () => {
    const result = usageCase({ usages: ['100m', '5000m'], podOverrides: { 1: pending }, currentReplicas: 2 });
    expect(ok(result)).toBe(1);
  });
});

describe('pods that are ignored', () => {
  it('deleted and Failed pods count neither as samples nor as missing', () => {
    const result = usageCase({
      usages: ['100m', null, null],
      podOverrides: { 1: { deletionTimestamp: ago(5) }, 2: { phase: 'Failed', ready: false } },
      currentReplicas: 3,
    });
    // Treated as missing they would push the scale-down back up to 70 % → no change (3).
    expect(ok(result)).toBe(1);
  });

  it('samples of pods that are not in the pod list are ignored', () => {
    const result = calculateReplicas({
      metrics: [cpuUtilization(50)],
      observations: [podsObservation([sample('p0', '100m'), sample('ghost', '5000m')])],
      pods: [pod('p0')],
      currentReplicas: 1,
      now: NOW,
    });
    expect(ok(result)).toBe(1);
  });
});

describe('CPU initialization period and initial readiness delay', () => {
  // Pod p0 is trusted at 100 %; p1 (also 100 %) varies. Target 50 %, two replicas:
  // p1 trusted → ratio 2 over both pods → 4; p1 set aside (unready, 0 on scale-up) → 50 % → 2.
  const TRUSTED = 4;
  const SET_ASIDE = 2;
  const cases: [
    string,
    Partial<PodSnapshot>,
    Partial<PodMetricSample>,
    Partial<ReplicaCalculationInput>,
    number,
  ][] = [
    [
      'young pod, Ready long enough for a full window → counted',
      { startTime: ago(120), readyTransitionTime: ago(90) },
      {},
      {},
      TRUSTED,
    ],
    [
      'young pod whose sample window started before it became Ready → set aside',
      { startTime: ago(120), readyTransitionTime: ago(20) },
      {},
      {},
      SET_ASIDE,
    ],
    [
      'young pod, sample window just covered (window 30 s, Ready 50 s ago, sample 10 s old) → counted',
      { startTime: ago(120), readyTransitionTime: ago(50) },
      { windowSeconds: 30 },
      {},
      TRUSTED,
    ],
    [
      'same pod with a 60 s window → set aside',
      { startTime: ago(120), readyTransitionTime: ago(50) },
      { windowSeconds: 60 },
      {},
      SET_ASIDE,
    ],
    [
      'young pod not Ready → set aside',
      { startTime: ago(120), ready: false, readyTransitionTime: ago(100) },
      {},
      {},
      SET_ASIDE,
    ],
    [
      'young pod with Ready Unknown and an old transition → counted (only False sets aside)',
      { startTime: ago(120), ready: 'Unknown', readyTransitionTime: ago(90) },
      {},
      {},
      TRUSTED,
    ],
    [
      'old pod never Ready (turned not-Ready within the readiness delay) → set aside',
      { startTime: ago(600), ready: false, readyTransitionTime: ago(590) },
      {},
      {},
      SET_ASIDE,
    ],
    [
      'old pod that was Ready and later turned not-Ready → counted',
      { startTime: ago(600), ready: false, readyTransitionTime: ago(300) },
      {},
      {},
      TRUSTED,
    ],
    ['pod without a Ready condition → set aside', { ready: undefined }, {}, {}, SET_ASIDE],
    ['pod without a start time → set aside', { startTime: undefined }, {}, {}, SET_ASIDE],
    [
      'shorter CPU initialization period (60 s): a 2-minute-old pod is past it → counted',
      { startTime: ago(120), readyTransitionTime: ago(20) },
      {},
      { cpuInitializationPeriodSeconds: 60 },
      TRUSTED,
    ],
    [
      'default period is 5 minutes: a 4-minute-old pod is still within it',
      { startTime: ago(240), readyTransitionTime: ago(20) },
      {},
      {},
      SET_ASIDE,
    ],
    [
      'default period is 5 minutes: a 6-minute-old pod is past it',
      { startTime: ago(360), readyTransitionTime: ago(20) },
      {},
      {},
      TRUSTED,
    ],
    [
      'initial readiness delay 30 s (default): not-Ready 45 s after start means it had been Ready → counted',
      { startTime: ago(600), ready: false, readyTransitionTime: ago(555) },
      {},
      {},
      TRUSTED,
    ],
    [
      'initial readiness delay 60 s: not-Ready 45 s after start means never Ready → set aside',
      { startTime: ago(600), ready: false, readyTransitionTime: ago(555) },
      {},
      { initialReadinessDelaySeconds: 60 },
      SET_ASIDE,
    ],
  ];
  it.each(cases)('%s', (_name, podOverride, sampleOverride, input, expected) => {
    const result = usageCase({
      usages: ['1000m', '1000m'],
      podOverrides: { 1: podOverride },
      sampleOverrides: { 1: sampleOverride },
      currentReplicas: 2,
      input,
    });
    expect(ok(result)).toBe(expected);
  });

  const youngNotReady: Partial<PodSnapshot> = {
    startTime: ago(30),
    ready: false,
    readyTransitionTime: ago(30),
  };

  it('applies to CPU average-value targets too', () => {
    const metric: MetricSpec = {
      type: 'Resource',
      resource: { name: 'cpu', target: { type: 'AverageValue', averageValue: '500m' } },
    };
    const result = usageCase({
      usages: ['1000m', '1000m'],
      metric,
      podOverrides: { 1: youngNotReady },
      currentReplicas: 2,
    });
    expect(ok(result)).toBe(2);
  });

  it('does not apply to memory', () => {
    const result = usageCase({
      usages: ['1Gi', '1Gi'],
      metric: memoryUtilization(50),
      podOverrides: { 1: youngNotReady },
      currentReplicas: 2,
    });
    expect(ok(result)).toBe(4);
  });

  it('does not apply to Pods metrics', () => {
    const metric: MetricSpec = {
      type: 'Pods',
      pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } },
    };
    const result = usageCase({
      usages: ['20', '20'],
      metric,
      podOverrides: { 1: youngNotReady },
      currentReplicas: 2,
    });
    expect(ok(result)).toBe(4);
  });
});

describe('metric types', () => {
  const twoContainerPod = pod('p0', {
    containers: [
      { name: 'app', requests: { cpu: '500m' } },
      { name: 'sidecar', requests: { cpu: '1500m' } },
    ],
  });
  const twoContainerSample: PodMetricSample = {
    pod: 'p0',
    timestamp: ago(10),
    windowSeconds: 30,
    containers: [
      { name: 'app', value: '500m' },
      { name: 'sidecar', value: '0' },
    ],
  };
  const containerCpu = (container: string): MetricSpec => ({
    type: 'ContainerResource',
    containerResource: { name: 'cpu', container, target: { type: 'Utilization', averageUtilization: 50 } },
  });

  it('ContainerResource uses only the named container (usage and request)', () => {
    const base = {
      observations: [podsObservation([twoContainerSample])],
      pods: [twoContainerPod],
      currentReplicas: 1,
      now: NOW,
    };
    expect(ok(calculateReplicas({ ...base, metrics: [containerCpu('app')] }))).toBe(2);
    // The whole pod: 500m of 2 cores = 25 % → ratio 0.5 → 1.
    expect(ok(calculateReplicas({ ...base, metrics: [cpuUtilization(50)] }))).toBe(1);
  });

  it('ContainerResource needs only the named container to have a request', () => {
    const noSidecarRequest = pod('p0', {
      containers: [{ name: 'app', requests: { cpu: '500m' } }, { name: 'sidecar' }],
    });
    const base = {
      observations: [podsObservation([twoContainerSample])],
      pods: [noSidecarRequest],
      currentReplicas: 1,
      now: NOW,
    };
    expect(ok(calculateReplicas({ ...base, metrics: [containerCpu('app')] }))).toBe(2);
    const whole = calculateReplicas({ ...base, metrics: [cpuUtilization(50)] });
    expect(whole.ok).toBe(false);
    expect(whole.failures[0]?.message).toBe('missing request for cpu in container "sidecar" of pod "p0"');
  });

  it('ContainerResource fails when a sample lacks the container', () => {
    const result = calculateReplicas({
      metrics: [containerCpu('worker')],
      observations: [podsObservation([twoContainerSample])],
      pods: [twoContainerPod],
      currentReplicas: 1,
      now: NOW,
    });
    expect(result.ok).toBe(false);
    expect(result.failures).toEqual([
      {
        index: 0,
        metric: 'cpu container resource utilization (percentage of request)',
        message: 'container "worker" not present in metrics for pod "p0"',
      },
    ]);
  });

  it('Resource average value', () => {
    const metric: MetricSpec = {
      type: 'Resource',
      resource: { name: 'cpu', target: { type: 'AverageValue', averageValue: '300m' } },
    };
    const result = usageCase({ usages: ['500m', '700m'], metric, currentReplicas: 2 });
    expect(ok(result)).toBe(4);
    expect(result.proposals[0]).toMatchObject({
      metric: 'cpu resource',
      usageRatio: 2,
      currentAverageMilli: 600,
    });
  });

  it('Resource average value for memory', () => {
    const metric: MetricSpec = {
      type: 'Resource',
      resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '512Mi' } },
    };
    expect(ok(usageCase({ usages: ['1Gi', '1Gi'], metric, currentReplicas: 2 }))).toBe(4);
  });

  it('Resource utilization for memory', () => {
    // 600Mi of 1Gi = 58 % (truncated) against 50 % → 1.16 → ceil(3.48) = 4
    expect(ok(usageCase({ usages: ['600Mi', '600Mi', '600Mi'], metric: memoryUtilization(50) }))).toBe(4);
  });

  const qps = (averageValue: string): MetricSpec => ({
    type: 'Pods',
    pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue } },
  });

  it.each<[string, (string | null)[], string, number, number]>([
    ['Pods average value', ['10', '20', '30'], '10', 3, 6],
    ['Pods within tolerance', ['10', '10.5'], '10', 2, 2],
    ['Pods scale-down counts missing pods at the target', ['2', '2', null], '10', 3, 2],
    ['Pods scale-up counts missing pods at 0 and recomputes', ['30', '30', null], '10', 3, 6],
    ['Pods scale-up that the missing pods bring within tolerance', ['16', '16', null], '10', 3, 3],
  ])('%s', (_name, usages, target, currentReplicas, expected) => {
    expect(ok(usageCase({ usages, metric: qps(target), currentReplicas }))).toBe(expected);
  });

  it('Pods needs an average value target', () => {
    const metric: MetricSpec = {
      type: 'Pods',
      pods: { metric: { name: 'qps' }, target: { type: 'Value', value: '10' } },
    };
    const result = usageCase({ usages: ['10'], metric });
    expect(result.failures[0]?.message).toBe('invalid pods metric source: no average value target was set');
  });

  const ingress = (target: MetricTarget): MetricSpec => ({
    type: 'Object',
    object: {
      describedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'nginx-server' },
      metric: { name: 'requests_rate' },
      target,
    },
  });
  const objectCase = (
    spec: MetricSpec,
    value: string,
    currentReplicas: number,
    statusReplicas?: number,
    pods: PodSnapshot[] = [pod('p0'), pod('p1'), pod('p2', { phase: 'Pending', ready: false })],
  ): ReplicaCalculationResult =>
    calculateReplicas({
      metrics: [spec],
      observations: [{ kind: 'object', value }],
      pods,
      currentReplicas,
      ...(statusReplicas === undefined ? {} : { statusReplicas }),
      now: NOW,
    });

  it('Object value: ratio × Running-and-Ready pods', () => {
    const result = objectCase(ingress({ type: 'Value', value: '100' }), '300', 3);
    expect(ok(result)).toBe(6);
    expect(result.proposals[0]).toMatchObject({
      metric: 'Ingress metric requests_rate',
      usageRatio: 3,
      currentValueMilli: 300000,
    });
  });

  it('Object value within tolerance keeps current replicas', () => {
    expect(ok(objectCase(ingress({ type: 'Value', value: '100' }), '105', 3))).toBe(3);
  });

  it.each([
    ['250', 3],
    ['0', 0],
  ])('Object value with zero current replicas scales to ceil(ratio): %s → %i', (value, expected) => {
    expect(ok(objectCase(ingress({ type: 'Value', value: '100' }), value, 0, undefined, []))).toBe(expected);
  });

  it.each<[string, string, number, number | undefined, number]>([
    ['far from target', '1000', 4, undefined, 10],
    ['within tolerance keeps status replicas', '420', 4, undefined, 4],
    ['uses status replicas, not spec replicas', '420', 4, 5, 5],
  ])('Object average value: %s', (_name, value, current, status, expected) => {
    expect(
      ok(objectCase(ingress({ type: 'AverageValue', averageValue: '100' }), value, current, status)),
    ).toBe(expected);
  });

  it('Object goes by the target type: Value without a value is invalid', () => {
    const result = objectCase(ingress({ type: 'Value', averageValue: '100' }), '300', 3);
    expect(result.failures[0]?.message).toBe(
      'invalid object metric source: neither a value target nor an average value target was set',
    );
  });

  const external = (target: MetricTarget): MetricSpec => ({
    type: 'External',
    external: { metric: { name: 'queue_messages' }, target },
  });
  const externalCase = (
    spec: MetricSpec,
    values: string[],
    currentReplicas: number,
    statusReplicas?: number,
  ) =>
    calculateReplicas({
      metrics: [spec],
      observations: [{ kind: 'external', values }],
      pods: [pod('p0'), pod('p1')],
      currentReplicas,
      ...(statusReplicas === undefined ? {} : { statusReplicas }),
      now: NOW,
    });

  it('External value sums the series: ratio × Running-and-Ready pods', () => {
    expect(ok(externalCase(external({ type: 'Value', value: '100' }), ['100', '200'], 2))).toBe(6);
  });

  it('External average value divides by status replicas', () => {
    expect(ok(externalCase(external({ type: 'AverageValue', averageValue: '10' }), ['50', '50'], 2))).toBe(
      10,
    );
  });

  it('External prefers the average value when both are set', () => {
    expect(ok(externalCase(external({ value: '1000', averageValue: '10' }), ['50', '50'], 2))).toBe(10);
  });

  it.each<[string, MetricSpec, MetricObservation, string]>([
    ['unknown type', { type: 'Foo' }, { kind: 'object', value: '1' }, 'unknown metric source type "Foo"'],
    [
      'Resource without a section',
      { type: 'Resource' },
      podsObservation([]),
      'metric of type Resource has no resource section',
    ],
    [
      'Resource without a target',
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization' } } },
      podsObservation([]),
      'invalid resource metric source: neither an average utilization target nor an average value target was set',
    ],
    [
      'Resource given an object observation',
      cpuUtilization(50),
      { kind: 'object', value: '1' },
      'expected per-pod samples for a Resource metric, got object',
    ],
    [
      'Object given per-pod samples',
      {
        type: 'Object',
        object: {
          describedObject: { kind: 'Service', name: 's' },
          metric: { name: 'm' },
          target: { type: 'Value', value: '1' },
        },
      },
      podsObservation([]),
      'expected an object observation, got pods',
    ],
    [
      'External without a target',
      { type: 'External', external: { metric: { name: 'm' }, target: { type: 'NA' } } },
      { kind: 'external', values: ['1'] },
      'invalid external metric source: neither a value target nor an average value target was set',
    ],
    [
      'an unparseable target',
      {
        type: 'Pods',
        pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: 'ten' } },
      },
      podsObservation([sample('p0', '10')]),
      'invalid quantity "ten"',
    ],
  ])('reports a failure for %s', (_name, spec, observation, message) => {
    const result = calculateReplicas({
      metrics: [spec],
      observations: [observation],
      pods: [pod('p0')],
      currentReplicas: 1,
      now: NOW,
    });
    expect(result.ok).toBe(false);
    expect(result.failures.map((f) => f.message)).toEqual([message]);
  });

  it.each<[MetricSpec, string]>([
    [cpuUtilization(50), 'cpu resource utilization (percentage of request)'],
    [{ type: 'Resource', resource: { name: 'memory', target: { averageValue: '1Gi' } } }, 'memory resource'],
    [
      {
        type: 'ContainerResource',
        containerResource: { name: 'cpu', container: 'app', target: { averageUtilization: 5 } },
      },
      'cpu container resource utilization (percentage of request)',
    ],
    [
      {
        type: 'ContainerResource',
        containerResource: { name: 'cpu', container: 'app', target: { averageValue: '1' } },
      },
      'cpu container resource',
    ],
    [{ type: 'Pods', pods: { metric: { name: 'qps' }, target: {} } }, 'pods metric qps'],
    [{ type: 'External', external: { metric: { name: 'q' }, target: {} } }, 'external metric q'],
    [{ type: 'Foo' }, 'Foo metric'],
  ])('describeMetric(%j) = %s', (spec, name) => {
    expect(describeMetric(spec)).toBe(name);
  });
});

describe('requests', () => {
  it('fails when the requests add up to zero', () => {
    const result = usageCase({
      usages: ['100m'],
      podOverrides: { 0: { containers: [{ name: 'app', requests: { cpu: '0' } }] } },
    });
    expect(result).toMatchObject({
      ok: false,
      failures: [{ message: 'the cpu requests of the measured pods add up to zero' }],
    });
  });

  it('fails when a container has no request for the resource', () => {
    const result = usageCase({
      usages: ['100m'],
      podOverrides: { 0: { containers: [{ name: 'app', requests: { memory: '1Gi' } }] } },
    });
    expect(result.failures[0]?.message).toBe('missing request for cpu in container "app" of pod "p0"');
  });

  it('counts sidecar init containers (restartPolicy Always) but not plain init containers', () => {
    const withInit = (restartPolicy?: string): Partial<PodSnapshot> => ({
      initContainers: [{ name: 'init', requests: { cpu: '1' }, ...(restartPolicy ? { restartPolicy } : {}) }],
    });
    // 1000m over 2 cores (sidecar counted) = 50 % → no change; over 1 core = 100 % → 2.
    expect(
      ok(usageCase({ usages: ['1000m'], podOverrides: { 0: withInit('Always') }, currentReplicas: 1 })),
    ).toBe(1);
    expect(ok(usageCase({ usages: ['1000m'], podOverrides: { 0: withInit() }, currentReplicas: 1 }))).toBe(2);
  });
});

describe('no usable data', () => {
  it('fails without pods', () => {
    const result = calculateReplicas({
      metrics: [cpuUtilization(50)],
      observations: [podsObservation([])],
      pods: [],
      currentReplicas: 1,
      now: NOW,
    });
    expect(result.failures[0]?.message).toBe('no pods to calculate the replica count from');
  });

  it('fails when no ready pod has a sample', () => {
    const result = usageCase({ usages: [null, null] });
    expect(result.failures[0]?.message).toBe('no metrics for any ready pod (pods might be unready)');
  });

  it('fails without metrics', () => {
    const result = calculateReplicas({
      metrics: [],
      observations: [],
      pods: [pod('p0')],
      currentReplicas: 1,
      now: NOW,
    });
    expect(result).toEqual({
      ok: false,
      error: 'no metrics to calculate the replica count from',
      proposals: [],
      failures: [],
    });
  });
});

describe('several metrics', () => {
  const pods = [pod('p0'), pod('p1'), pod('p2')];
  const cpuScaleUp = podsObservation(pods.map((p) => sample(p.name, '900m'))); // → 6
  const memoryMild = podsObservation(pods.map((p) => sample(p.name, '600Mi'))); // → 4 at 50 %
  const cpuScaleDown = podsObservation(pods.map((p) => sample(p.name, '100m'))); // → 1
  const qps: MetricSpec = { type: 'Pods', pods: { metric: { name: 'qps' }, target: { averageValue: '10' } } };
  const run = (metrics: MetricSpec[], observations: (MetricObservation | undefined)[]) =>
    calculateReplicas({ metrics, observations, pods, currentReplicas: 3, now: NOW });

  it('takes the largest proposal, whatever the order', () => {
    const a = run([cpuUtilization(50), memoryUtilization(50)], [cpuScaleUp, memoryMild]);
    const b = run([memoryUtilization(50), cpuUtilization(50)], [memoryMild, cpuScaleUp]);
    expect(a).toMatchObject({
      ok: true,
      replicas: 6,
      metric: 'cpu resource utilization (percentage of request)',
    });
    expect(b).toMatchObject({
      ok: true,
      replicas: 6,
      metric: 'cpu resource utilization (percentage of request)',
    });
    expect(a.proposals.map((p) => p.replicas)).toEqual([6, 4]);
    const c = run([cpuUtilization(50), memoryUtilization(20)], [cpuScaleUp, memoryMild]);
    expect(c).toMatchObject({
      ok: true,
      replicas: 9,
      metric: 'memory resource utilization (percentage of request)',
    });
  });

  it('scales up on the valid metrics when another fails, and reports the failure', () => {
    const result = run(
      [cpuUtilization(50), qps],
      [cpuScaleUp, { kind: 'failed', error: 'metrics API unavailable' }],
    );
    expect(result).toEqual({
      ok: true,
      replicas: 6,
      metric: 'cpu resource utilization (percentage of request)',
      proposals: [expect.objectContaining({ index: 0, replicas: 6 })],
      failures: [{ index: 1, metric: 'pods metric qps', message: 'metrics API unavailable' }],
    });
  });

  it('keeps the current count when another metric fails (no scale-down)', () => {
    const steady = podsObservation(pods.map((p) => sample(p.name, '500m')));
    const result = run(
      [cpuUtilization(50), qps],
      [steady, { kind: 'failed', error: 'metrics API unavailable' }],
    );
    expect(result).toMatchObject({ ok: true, replicas: 3 });
  });

  it('refuses to scale down when another metric fails', () => {
    const result = run(
      [cpuUtilization(50), qps],
      [cpuScaleDown, { kind: 'failed', error: 'metrics API unavailable' }],
    );
    expect(result).toMatchObject({
      ok: false,
      error: 'invalid metrics (1 invalid out of 2), first error is: pods metric qps: metrics API unavailable',
    });
    expect(result.proposals.map((p) => p.replicas)).toEqual([1]);
  });

  it('fails when every metric fails, naming the first', () => {
    const result = run([cpuUtilization(50), qps], [{ kind: 'failed', error: 'boom' }, undefined]);
    expect(result).toEqual({
      ok: false,
      error:
        'invalid metrics (2 invalid out of 2), first error is: cpu resource utilization (percentage of request): boom',
      proposals: [],
      failures: [
        { index: 0, metric: 'cpu resource utilization (percentage of request)', message: 'boom' },
        { index: 1, metric: 'pods metric qps', message: 'no observation was supplied for this metric' },
      ],
    });
  });
});

describe('property: all pods ready with samples', () => {
  it('desired = current within tolerance, else ceil(truncated utilization / target × pods)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4000 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 150 }),
        fc.integer({ min: 1, max: 20 }),
        (usages, target, currentReplicas) => {
          const result = usageCase({
            usages: usages.map((u) => `${u}m`),
            metric: cpuUtilization(target),
            currentReplicas,
          });
          const total = usages.reduce((a, b) => a + b, 0);
          const utilization = Math.floor((total * 100) / (usages.length * 1000));
          const ratio = utilization / target;
          const expected = Math.abs(1 - ratio) <= 0.1 ? currentReplicas : Math.ceil(ratio * usages.length);
          expect(ok(result)).toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
