// The IHPA controller's smaller pure parts: provider helpers, the cron overlap look-ahead, metric
// checks, the Rollout gate, the write-through memo and the wake-up delay.
import { compileCrons } from '../../../controllers/portrait/index.js';
import {
  dynamicProviderId,
  evaluateProviders,
  findCronOverlap,
  horizontalPortraitName,
  validateDynamicMetrics,
} from '../../../controllers/ihpa/providers.js';
import { MAX_WAKEUP_DELAY_MS, wakeupDelay } from '../../../controllers/ihpa/reconciler.js';
import { blockingRollout } from '../../../controllers/ihpa/rollout-gate.js';
import type { IhpaSpec, RolloutObject } from '../../../controllers/ihpa/types.js';
import { WriteThroughMemo } from '../../../controllers/ihpa/write-through.js';

const at = (h: number, m: number) => new Date(Date.UTC(2024, 0, 1, h, m));

describe('names', () => {
  it('HorizontalPortrait `<ihpa>-<portraitType lowercased>` and the Dynamic provider id', () => {
    expect(horizontalPortraitName('predictive-sample', 'Predictive')).toBe('predictive-sample-predictive');
    expect(dynamicProviderId('Reactive')).toBe('Dynamic-Reactive');
  });
});

describe('findCronOverlap', () => {
  const crons = (...windows: [string, string, string][]) =>
    compileCrons(windows.map(([name, start, end]) => ({ name, start, end, replicas: 1 })));

  it('finds none in the seed windows (back to back is not an overlap)', () => {
    const seed = crons(
      ['cron-1', '0 * * * *', '10 * * * *'],
      ['cron-2', '10 * * * *', '20 * * * *'],
      ['cron-3', '20 * * * *', '30 * * * *'],
    );
    expect(findCronOverlap(seed, at(10, 5))).toBeUndefined();
  });

  it('names an overlap under way now', () => {
    expect(
      findCronOverlap(crons(['a', '0 * * * *', '30 * * * *'], ['b', '15 * * * *', '45 * * * *']), at(10, 20)),
    ).toBe('crons "a" and "b" overlap at 2024-01-01T10:20:00Z');
  });

  it('names the same instant for every reconcile within a minute of an overlap under way', () => {
    const overlapping = crons(['a', '0 * * * *', '30 * * * *'], ['b', '15 * * * *', '45 * * * *']);
    const midMinute = new Date(Date.UTC(2024, 0, 1, 10, 20, 13, 647));
    expect(findCronOverlap(overlapping, midMinute)).toBe('crons "a" and "b" overlap at 2024-01-01T10:20:00Z');
    expect(findCronOverlap(overlapping, new Date(midMinute.getTime() + 30_000))).toBe(
      'crons "a" and "b" overlap at 2024-01-01T10:20:00Z',
    );
  });

  it('names the first overlap ahead, at the instant it begins', () => {
    expect(
      findCronOverlap(
        crons(['day', '0 9 * * *', '0 17 * * *'], ['lunch', '0 16 * * *', '0 18 * * *']),
        at(1, 0),
      ),
    ).toBe('crons "day" and "lunch" overlap at 2024-01-01T16:00:00Z');
  });

  it('looks a day ahead only', () => {
    const weekly = crons(['mon', '0 9 * * 1', '0 17 * * 1'], ['mon-late', '0 16 * * 1', '0 18 * * 1']);
    // 2024-01-02 is a Tuesday: the next Monday is 6 days away.
    const tuesday = new Date(Date.UTC(2024, 0, 2, 1, 0));
    expect(findCronOverlap(weekly, tuesday, 24 * 3600_000)).toBeUndefined();
    expect(findCronOverlap(weekly, tuesday, 8 * 24 * 3600_000)).toBe(
      'crons "mon" and "mon-late" overlap at 2024-01-08T16:00:00Z',
    );
  });
});

describe('validateDynamicMetrics', () => {
  it('accepts the seed samples', () => {
    expect(
      validateDynamicMetrics({
        portraitType: 'Reactive',
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 30 } },
          },
        ],
        algorithm: { type: 'KubeHPA' },
      }),
    ).toEqual([]);
    expect(
      validateDynamicMetrics({
        portraitType: 'Predictive',
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'AverageValue', averageValue: '1m' } },
          },
          { type: 'Pods', pods: { metric: { name: 'kube_pod_status_ready' }, target: { type: 'NA' } } },
        ],
        algorithm: { type: 'ExternalJob' },
      }),
    ).toEqual([]);
  });

  it('names unknown resources, missing targets and missing metrics', () => {
    expect(
      validateDynamicMetrics({
        portraitType: 'Reactive',
        metrics: [
          {
            type: 'ContainerResource',
            containerResource: { name: 'gpu', container: 'c', target: { averageUtilization: 1 } },
          },
          { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'NA' } } },
        ],
        algorithm: { type: 'KubeHPA' },
      }),
    ).toEqual([
      'metrics[0]: unknown resource metric "gpu" (supported: cpu, memory)',
      'metrics[1]: the Pods metric qps has no target value or averageValue',
    ]);
    expect(validateDynamicMetrics({ portraitType: 'Reactive', algorithm: { type: 'KubeHPA' } })).toEqual([
      'the KubeHPA algorithm needs at least one metric',
    ]);
  });
});

describe('evaluateProviders', () => {
  it('gives one candidate per provider in spec order and the earliest wake-up', () => {
    const spec: IhpaSpec = {
      scaleTargetRef: { kind: 'StatefulSet', name: 'nginx' },
      minReplicas: 1,
      maxReplicas: 10,
      portraitProviders: [
        { type: 'Static', priority: 1, static: { replicas: 1 } },
        {
          type: 'Cron',
          priority: 2,
          cron: { crons: [{ name: 'c', start: '0 * * * *', end: '10 * * * *', replicas: 5 }] },
        },
      ],
    };
    const evaluation = evaluateProviders(spec, new Map(), at(10, 5));
    expect(evaluation.candidates).toEqual([
      { provider: 'Static', replicas: 1, priority: 1 },
      { provider: 'Cron', replicas: 5, priority: 2, expireTime: at(10, 10) },
    ]);
    expect(evaluation.wakeup).toEqual(at(10, 10));
    expect(evaluation.errors).toEqual([]);
  });
});

describe('blockingRollout', () => {
  const rollout = (name: string, rollingState?: string): RolloutObject => ({
    metadata: { name },
    ...(rollingState ? { status: { rollingState } } : {}),
  });
  const labels = { 'app.oam.dev/component': 'express-server' };

  it('blocks while the component Rollout has not succeeded', () => {
    expect(
      blockingRollout(labels, [rollout('other'), rollout('express-server', 'rollingInBatches')]),
    ).toEqual({
      name: 'express-server',
      rollingState: 'rollingInBatches',
    });
    expect(blockingRollout(labels, [rollout('express-server')])).toEqual({ name: 'express-server' });
    expect(blockingRollout(labels, [rollout('express-server', 'rolloutFailed')])?.rollingState).toBe(
      'rolloutFailed',
    );
  });

  it('lets go once it succeeded, or when there is no such Rollout or label', () => {
    expect(blockingRollout(labels, [rollout('express-server', 'rolloutSucceed')])).toBeUndefined();
    expect(blockingRollout(labels, [rollout('other', 'initializing')])).toBeUndefined();
    expect(blockingRollout({}, [rollout('express-server', 'initializing')])).toBeUndefined();
    expect(blockingRollout(undefined, [rollout('express-server', 'initializing')])).toBeUndefined();
  });
});

describe('WriteThroughMemo', () => {
  const obj = (rv: string, value: number) => ({ metadata: { name: 'x', resourceVersion: rv }, value });

  it('serves what we wrote while the cache still shows what the write replaced', () => {
    const memo = new WriteThroughMemo<ReturnType<typeof obj>>();
    memo.wrote('k', obj('1', 1), obj('2', 2), 0);
    expect(memo.read('k', obj('1', 1), 10)?.value).toBe(2);
    expect(memo.read('k', obj('2', 2), 20)?.value).toBe(2);
    // Once caught up the memo is dropped: later versions from others win.
    expect(memo.read('k', obj('1', 1), 30)?.value).toBe(1);
  });

  it('keeps serving across several writes until the cache reaches the last one', () => {
    const memo = new WriteThroughMemo<ReturnType<typeof obj>>();
    memo.wrote('k', obj('1', 1), obj('2', 2), 0);
    const served = memo.read('k', obj('1', 1), 1);
    memo.wrote('k', served, obj('3', 3), 2);
    expect(memo.read('k', obj('1', 1), 3)?.value).toBe(3);
    expect(memo.read('k', obj('2', 2), 4)?.value).toBe(3);
    expect(memo.read('k', obj('3', 3), 5)?.value).toBe(3);
  });

  it('serves a created object while the cache has none, for a bounded time', () => {
    const memo = new WriteThroughMemo<ReturnType<typeof obj>>(100);
    memo.wrote('k', undefined, obj('5', 5), 0);
    expect(memo.read('k', undefined, 50)?.value).toBe(5);
    expect(memo.read('k', undefined, 150)).toBeUndefined();
  });

  it('a newer version written by someone else wins at once', () => {
    const memo = new WriteThroughMemo<ReturnType<typeof obj>>();
    memo.wrote('k', obj('1', 1), obj('2', 2), 0);
    expect(memo.read('k', obj('7', 7), 1)?.value).toBe(7);
  });
});

describe('wakeupDelay', () => {
  it('is at least 1 ms (0 would mean no requeue) and at most a day', () => {
    expect(wakeupDelay(at(10, 0), at(10, 0))).toBe(1);
    expect(wakeupDelay(new Date(at(10, 0).getTime() + 1500), at(10, 0))).toBe(1500);
    expect(wakeupDelay(new Date(Date.UTC(2030, 0, 1)), at(10, 0))).toBe(MAX_WAKEUP_DELAY_MS);
  });
});
