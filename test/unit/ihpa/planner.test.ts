import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

import {
  createEventMessage,
  planIhpa,
  updateEventMessage,
  type IhpaObserved,
} from '../../../controllers/ihpa/planner.js';
import type { IhpaSpec, PortraitProviderSpec } from '../../../controllers/ihpa/types.js';
import { IhpaWorld, seconds } from './world.js';

const seedDir = join(process.cwd(), 'test', 'fixtures', 'seeds');
function seedSpec(file: string): IhpaSpec {
  return (parse(readFileSync(join(seedDir, file), 'utf8')) as { spec: IhpaSpec }).spec;
}

const at = (h: number, m: number, s = 0) => Date.UTC(2024, 0, 1, h, m, s);
const staticProvider = (replicas: number, priority = 1): PortraitProviderSpec => ({
  type: 'Static',
  priority,
  static: { replicas },
});
const baseSpec = (providers: PortraitProviderSpec[], extra: Partial<IhpaSpec> = {}): IhpaSpec => ({
  scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'nginx' },
  minReplicas: 1,
  maxReplicas: 10,
  portraitProviders: providers,
  ...extra,
});
const seedGray = {
  grayState: 'Cutoff' as const,
  changeIntervalSeconds: 30,
  changePercent: 50,
  observationSeconds: 60,
};
const messages = (world: IhpaWorld) => world.events.map((e) => `${e.type} ${e.reason} ${e.message}`);

describe('event texts (upstream, typo included)', () => {
  it('formats create and update exactly', () => {
    expect(createEventMessage({ online: 1, cutoff: 0, standby: 0 })).toBe(
      'create ReplicaProfile with onlineReplcas: 1, cutoffReplicas: 0, standbyReplicas: 0',
    );
    expect(
      updateEventMessage({ online: 5, cutoff: 0, standby: 0 }, { online: 3, cutoff: 2, standby: 0 }),
    ).toBe(
      'update ReplicaProfile with onlineReplcas: 5 -> 3, cutoffReplicas: 0 -> 2, standbyReplicas: 0 -> 0',
    );
  });
});

describe('Static provider', () => {
  it('creates the ReplicaProfile online at the static count and asks for no wake-up', () => {
    const world = new IhpaWorld(baseSpec([staticProvider(3)]), at(10, 0));
    const plan = world.reconcile();
    expect(plan.replicaProfile).toEqual({ online: 3, cutoff: 0, standby: 0, paused: false });
    expect(messages(world)).toEqual([
      'Normal CreateReplicaProfile create ReplicaProfile with onlineReplcas: 3, cutoffReplicas: 0, standbyReplicas: 0',
    ]);
    expect(plan.nextWakeup).toBeUndefined();
    expect(world.status?.currentPortraitValue).toEqual({ provider: 'Static', replicas: 3 });
    expect(world.condition('ScalingActive')).toMatchObject({
      status: 'True',
      reason: 'SucceededAutoscaling',
    });
    expect(world.condition('ScalingLimited')).toMatchObject({
      status: 'False',
      reason: 'DesiredWithinRange',
    });
    expect(world.condition('GrayProgressing')).toMatchObject({
      status: 'False',
      reason: 'ReplicasMatchPortrait',
    });
  });

  it('a second reconcile changes nothing and records nothing', () => {
    const world = new IhpaWorld(baseSpec([staticProvider(3)]), at(10, 0));
    world.reconcile();
    world.reconcile(); // the profile now reports its pods: status.currentReplicas appears
    expect(world.status?.currentReplicas).toEqual({ online: 3, cutoff: 0, standby: 0 });
    const status = world.status;
    world.advance(seconds(5));
    world.reconcile();
    expect(world.events).toHaveLength(1);
    expect(world.profileChanges).toHaveLength(1);
    expect(world.status).toEqual(status);
  });

  it('updates with the exact text when the static count changes, scaling up at once', () => {
    const world = new IhpaWorld(baseSpec([staticProvider(1)]), at(10, 0));
    world.reconcile();
    world.spec = baseSpec([staticProvider(4)]);
    world.reconcile();
    expect(messages(world)[1]).toBe(
      'Normal UpdateReplicaProfile update ReplicaProfile with onlineReplcas: 1 -> 4, cutoffReplicas: 0 -> 0, standbyReplicas: 0 -> 0',
    );
    expect(world.status?.previousPortraitValue).toEqual({ provider: 'Static', replicas: 1 });
    expect(world.status?.currentPortraitValue).toEqual({ provider: 'Static', replicas: 4 });
  });
});

describe('Cron provider (seed cron-portrait-sample: 0–10 → 1, …, 40–50 → 5, 50–60 → nothing)', () => {
  const spec = seedSpec('ihpa-cron-portrait-sample.yaml');

  it('follows the windows, wakes exactly at each start and end, and warns in the gap', () => {
    const world = new IhpaWorld(spec, at(10, 25, 13));
    world.reconcile();
    world.advanceTo(at(11, 5));
    expect(
      world.events.map((e) => [new Date(e.at).toISOString().slice(11, 19), e.type, e.reason, e.message]),
    ).toEqual([
      [
        '10:25:13',
        'Normal',
        'CreateReplicaProfile',
        'create ReplicaProfile with onlineReplcas: 3, cutoffReplicas: 0, standbyReplicas: 0',
      ],
      [
        '10:30:00',
        'Normal',
        'UpdateReplicaProfile',
        'update ReplicaProfile with onlineReplcas: 3 -> 4, cutoffReplicas: 0 -> 0, standbyReplicas: 0 -> 0',
      ],
      [
        '10:40:00',
        'Normal',
        'UpdateReplicaProfile',
        'update ReplicaProfile with onlineReplcas: 4 -> 5, cutoffReplicas: 0 -> 0, standbyReplicas: 0 -> 0',
      ],
      ['10:50:00', 'Warning', 'NoValidPortraitValue', 'no valid portrait value for now'],
      [
        '11:00:00',
        'Normal',
        'UpdateReplicaProfile',
        'update ReplicaProfile with onlineReplcas: 5 -> 1, cutoffReplicas: 0 -> 0, standbyReplicas: 0 -> 0',
      ],
    ]);
    // Woken only at window edges: the first reconcile, then :30, :40, :50, :00, and 11:10 is next.
    expect(world.reconciles.map((t) => new Date(t).toISOString().slice(11, 19))).toEqual([
      '10:25:13',
      '10:30:00',
      '10:40:00',
      '10:50:00',
      '11:00:00',
    ]);
    expect(world.lastPlan?.nextWakeup?.toISOString()).toBe('2024-01-01T11:10:00.000Z');
    expect(world.status?.currentPortraitValue).toEqual({
      provider: 'Cron',
      replicas: 1,
      expireTime: '2024-01-01T11:10:00Z',
    });
  });

  it('in the gap: ScalingActive False, nothing changes, wakes at the next start', () => {
    const world = new IhpaWorld(spec, at(10, 45));
    world.reconcile();
    world.advanceTo(at(10, 50, 30));
    const plan = world.lastPlan;
    expect(plan?.replicaProfile).toBeUndefined();
    expect(plan?.nextWakeup?.toISOString()).toBe('2024-01-01T11:00:00.000Z');
    expect(world.condition('ScalingActive')).toMatchObject({
      status: 'False',
      reason: 'NoValidPortraitValue',
      message: 'no valid portrait value for now',
    });
    expect(world.profile?.spec.online).toBe(5);
  });

  it('records the NoValidPortraitValue warning once per episode, not on every look', () => {
    const world = new IhpaWorld(spec, at(10, 52));
    world.reconcile();
    world.advance(seconds(10));
    world.reconcile();
    expect(world.events.filter((e) => e.reason === 'NoValidPortraitValue')).toHaveLength(1);
  });

  it('evaluates windows in their time zone', () => {
    const zoned = baseSpec([
      {
        type: 'Cron',
        priority: 1,
        cron: {
          crons: [
            { name: 'office', timeZone: 'Asia/Shanghai', start: '0 9 * * *', end: '0 18 * * *', replicas: 4 },
          ],
        },
      },
      staticProvider(1, 0),
    ]);
    // 02:00 UTC is 10:00 in Shanghai: inside the window, which ends at 18:00 local = 10:00 UTC.
    const plan = planIhpa(zoned, {}, new Date(at(2, 0)));
    expect(plan.status.currentPortraitValue).toEqual({
      provider: 'Cron',
      replicas: 4,
      expireTime: '2024-01-01T10:00:00Z',
    });
    expect(plan.nextWakeup?.toISOString()).toBe('2024-01-01T10:00:00.000Z');
  });
});

describe('merging providers and clamping', () => {
  it('a higher priority wins; an equal priority with more replicas wins', () => {
    expect(
      planIhpa(baseSpec([staticProvider(2, 1), staticProvider(7, 2)]), {}, new Date(at(10, 0))).replicaProfile
        ?.online,
    ).toBe(7);
    expect(
      planIhpa(baseSpec([staticProvider(7, 2), staticProvider(2, 1)]), {}, new Date(at(10, 0))).replicaProfile
        ?.online,
    ).toBe(7);
    expect(
      planIhpa(baseSpec([staticProvider(3, 1), staticProvider(5, 1)]), {}, new Date(at(10, 0))).replicaProfile
        ?.online,
    ).toBe(5);
  });

  it('a provider with no value falls through to lower priorities', () => {
    // A night window, closed at 10:00: the static value holds until the window opens at 01:00.
    const closed: PortraitProviderSpec = {
      type: 'Cron',
      priority: 9,
      cron: { crons: [{ name: 'night', start: '0 1 * * *', end: '0 2 * * *', replicas: 8 }] },
    };
    const plan = planIhpa(baseSpec([closed, staticProvider(2, 1)]), {}, new Date(at(10, 0)));
    expect(plan.replicaProfile?.online).toBe(2);
    expect(plan.status.currentPortraitValue?.provider).toBe('Static');
    expect(plan.nextWakeup?.toISOString()).toBe('2024-01-02T01:00:00.000Z');
  });

  it('clamps to maxReplicas with ScalingLimited TooManyReplicas', () => {
    const plan = planIhpa(baseSpec([staticProvider(15)]), {}, new Date(at(10, 0)));
    expect(plan.replicaProfile?.online).toBe(10);
    expect(plan.status.currentPortraitValue?.replicas).toBe(10);
    expect(plan.status.conditions?.find((c) => c.type === 'ScalingLimited')).toMatchObject({
      status: 'True',
      reason: 'TooManyReplicas',
    });
  });

  it('clamps to minReplicas with ScalingLimited TooFewReplicas', () => {
    const plan = planIhpa(baseSpec([staticProvider(0)], { minReplicas: 2 }), {}, new Date(at(10, 0)));
    expect(plan.replicaProfile?.online).toBe(2);
    expect(plan.status.conditions?.find((c) => c.type === 'ScalingLimited')).toMatchObject({
      status: 'True',
      reason: 'TooFewReplicas',
    });
  });
});

describe('Dynamic provider (HorizontalPortrait status.portraitData)', () => {
  const dynamic = (type: string, priority = 1): PortraitProviderSpec => ({
    type: 'Dynamic',
    priority,
    dynamic: {
      portraitType: type,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 30 } },
        },
      ],
      algorithm: { type: 'KubeHPA' },
    },
  });
  const t0 = 1698231600; // the seed's predictive portrait: 4, 3, 2 every 10 minutes, expiring at 11:30

  it('reads the time series, wakes at the next point, and stops at expiry', () => {
    const world = new IhpaWorld(baseSpec([dynamic('Predictive')]), (t0 - 60) * 1000);
    world.portraits.set('Predictive', {
      type: 'TimeSeries',
      timeSeries: {
        timeSeries: [
          { timestamp: t0, replicas: 4 },
          { timestamp: t0 + 600, replicas: 3 },
          { timestamp: t0 + 1200, replicas: 2 },
        ],
      },
      expireTime: '2023-10-25T11:30:00Z',
    });
    world.reconcile();
    expect(world.events.map((e) => e.message)).toEqual(['no valid portrait value for now']);
    world.advanceTo((t0 + 2400) * 1000);
    expect(messages(world).slice(1)).toEqual([
      'Normal CreateReplicaProfile create ReplicaProfile with onlineReplcas: 4, cutoffReplicas: 0, standbyReplicas: 0',
      'Normal UpdateReplicaProfile update ReplicaProfile with onlineReplcas: 4 -> 3, cutoffReplicas: 0 -> 0, standbyReplicas: 0 -> 0',
      'Normal UpdateReplicaProfile update ReplicaProfile with onlineReplcas: 3 -> 2, cutoffReplicas: 0 -> 0, standbyReplicas: 0 -> 0',
      'Warning NoValidPortraitValue no valid portrait value for now',
    ]);
    expect(world.events.map((e) => e.at / 1000 - t0)).toEqual([-60, 0, 600, 1200, 1800]);
    expect(world.status?.currentPortraitValue?.provider).toBe('Dynamic-Predictive');
  });

  it('a portrait not generated yet yields nothing and lower priorities decide', () => {
    const plan = planIhpa(
      baseSpec([dynamic('Reactive', 5), staticProvider(2, 1)]),
      { portraits: new Map() },
      new Date(at(10, 0)),
    );
    expect(plan.replicaProfile?.online).toBe(2);
  });

  it('broken portrait data stops with FailedUpdateAndFetchPortraitValue naming the provider', () => {
    const plan = planIhpa(
      baseSpec([dynamic('Reactive')]),
      { portraits: new Map([['Reactive', { type: 'Static' }]]) },
      new Date(at(10, 0)),
    );
    expect(plan.replicaProfile).toBeUndefined();
    expect(plan.events).toEqual([
      {
        type: 'Warning',
        reason: 'FailedUpdateAndFetchPortraitValue',
        message:
          'failed to update and fetch portrait value: Dynamic Reactive provider (priority 1): portrait data of type Static has no static section',
      },
    ]);
  });
});

describe('paused and preview', () => {
  const observed: IhpaObserved = {
    replicaProfile: { spec: { online: 4, cutoff: 0, standby: 0 }, paused: false },
  };

  it('paused: ScalingPaused, the ReplicaProfile is paused with its counts unchanged, no event', () => {
    const plan = planIhpa(baseSpec([staticProvider(1)], { paused: true }), observed, new Date(at(10, 0)));
    expect(plan.replicaProfile).toEqual({ online: 4, cutoff: 0, standby: 0, paused: true });
    expect(plan.events).toEqual([]);
    expect(plan.nextWakeup).toBeUndefined();
    expect(plan.status.conditions?.find((c) => c.type === 'ScalingActive')).toMatchObject({
      status: 'False',
      reason: 'ScalingPaused',
    });
  });

  it('unpausing un-pauses the ReplicaProfile and scales', () => {
    const paused = { replicaProfile: { spec: { online: 4, cutoff: 0, standby: 0 }, paused: true } };
    const plan = planIhpa(baseSpec([staticProvider(2)]), paused, new Date(at(10, 0)));
    expect(plan.replicaProfile).toEqual({ online: 2, cutoff: 0, standby: 0, paused: false });
  });

  it('preview: status computed, nothing applied, no ReplicaProfile events', () => {
    const plan = planIhpa(
      baseSpec([staticProvider(7)], { scaleMode: 'Preview' }),
      observed,
      new Date(at(10, 0)),
    );
    expect(plan.replicaProfile).toBeUndefined();
    expect(plan.events).toEqual([]);
    expect(plan.status.currentPortraitValue).toEqual({ provider: 'Static', replicas: 7 });
    expect(plan.status.conditions?.find((c) => c.type === 'ScalingActive')?.status).toBe('True');
  });
});

describe('bad input: a condition and a Warning that say what is wrong, nothing applied', () => {
  const observed: IhpaObserved = {
    replicaProfile: { spec: { online: 4, cutoff: 0, standby: 0 }, paused: false },
  };
  const cronProvider = (
    crons: { name: string; start: string; end: string; timeZone?: string }[],
  ): PortraitProviderSpec => ({
    type: 'Cron',
    priority: 1,
    cron: { crons: crons.map((c) => ({ replicas: 2, ...c })) },
  });
  const expectStop = (spec: IhpaSpec, reason: string, message: string) => {
    const plan = planIhpa(spec, observed, new Date(at(10, 5)));
    expect(plan.replicaProfile).toBeUndefined();
    expect(plan.events).toEqual([{ type: 'Warning', reason, message }]);
    expect(plan.status.conditions?.find((c) => c.type === 'ScalingActive')).toMatchObject({
      status: 'False',
      reason,
      message,
    });
  };

  it('overlapping crons are named, even before the overlap begins', () => {
    expectStop(
      baseSpec([
        cronProvider([
          { name: 'morning', start: '20 * * * *', end: '40 * * * *' },
          { name: 'noon', start: '30 * * * *', end: '50 * * * *' },
        ]),
      ]),
      'FailedUpdateAndFetchPortraitValue',
      'failed to update and fetch portrait value: Cron provider (priority 1): crons "morning" and "noon" overlap at 2024-01-01T10:30:00Z',
    );
  });

  it('an unknown time zone', () => {
    expectStop(
      baseSpec([
        cronProvider([{ name: 'mars', start: '0 * * * *', end: '10 * * * *', timeZone: 'Mars/Olympus' }]),
      ]),
      'FailedUpdateAndFetchPortraitValue',
      'failed to update and fetch portrait value: Cron provider (priority 1): cron "mars": unknown time zone "Mars/Olympus"',
    );
  });

  it('a malformed cron expression', () => {
    expectStop(
      baseSpec([cronProvider([{ name: 'bad', start: '61 * * * *', end: '10 * * * *' }])]),
      'FailedUpdateAndFetchPortraitValue',
      'failed to update and fetch portrait value: Cron provider (priority 1): cron "bad": invalid cron "61 * * * *": minute 61 is out of range 0-59',
    );
  });

  it('an unknown resource metric', () => {
    expectStop(
      baseSpec([
        {
          type: 'Dynamic',
          priority: 1,
          dynamic: {
            portraitType: 'Reactive',
            metrics: [{ type: 'Resource', resource: { name: 'gpu', target: { averageUtilization: 50 } } }],
            algorithm: { type: 'KubeHPA' },
          },
        },
      ]),
      'FailedUpdateAndFetchPortraitValue',
      'failed to update and fetch portrait value: Dynamic Reactive provider (priority 1): metrics[0]: unknown resource metric "gpu" (supported: cpu, memory)',
    );
  });

  it('minReplicas above maxReplicas', () => {
    expectStop(
      baseSpec([staticProvider(3)], { minReplicas: 5, maxReplicas: 2 }),
      'InvalidSpec',
      'minReplicas 5 is greater than maxReplicas 2',
    );
  });

  it('a gray strategy out of range', () => {
    expectStop(
      baseSpec([staticProvider(3)], {
        behavior: { scaleDown: { grayStrategy: { ...seedGray, changePercent: 0 } } },
      }),
      'InvalidSpec',
      'behavior.scaleDown.grayStrategy: changePercent is 0, it must be a whole number from 1 to 100',
    );
  });
});

describe('Rollout in progress', () => {
  it('waits: ScalingActive False RolloutInProgress, no ReplicaProfile change, no wake-up', () => {
    const plan = planIhpa(
      baseSpec([staticProvider(6)]),
      {
        replicaProfile: { spec: { online: 2, cutoff: 0, standby: 0 }, paused: false },
        rolloutInProgress: { name: 'express-server', rollingState: 'rollingInBatches' },
      },
      new Date(at(10, 0)),
    );
    expect(plan.replicaProfile).toBeUndefined();
    expect(plan.events).toEqual([]);
    expect(plan.nextWakeup).toBeUndefined();
    expect(plan.status.conditions?.find((c) => c.type === 'ScalingActive')).toMatchObject({
      status: 'False',
      reason: 'RolloutInProgress',
      message: 'Rollout express-server owns the replicas until it succeeds (rollingState: rollingInBatches)',
    });
  });
});
