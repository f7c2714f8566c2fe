// The gray strategy as the IHPA planner drives it, with wake-ups on a FakeClock: the seed's exact
// timeline, steps that leave the counts unchanged, and new targets that arrive mid-gray.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

import { planIhpa } from '../../../controllers/ihpa/planner.js';
import type { IhpaSpec, PortraitProviderSpec } from '../../../controllers/ihpa/types.js';
import { IhpaWorld, seconds } from './world.js';

const at = (h: number, m: number, s = 0) => Date.UTC(2024, 0, 1, h, m, s);
const hms = (t: number) => new Date(t).toISOString().slice(11, 23);
const seedGray = {
  grayState: 'Cutoff' as const,
  changeIntervalSeconds: 30,
  changePercent: 50,
  observationSeconds: 60,
};
const staticSpec = (replicas: number, extra: Partial<IhpaSpec> = {}): IhpaSpec => ({
  scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'nginx' },
  minReplicas: 1,
  maxReplicas: 10,
  portraitProviders: [{ type: 'Static', priority: 1, static: { replicas } } satisfies PortraitProviderSpec],
  behavior: { scaleDown: { grayStrategy: seedGray } },
  ...extra,
});
const changes = (world: IhpaWorld) =>
  world.profileChanges.map((c) => [hms(c.at), c.counts.online, c.counts.cutoff, c.counts.standby]);

describe('seed 001: gray-strategy-sample (static 1, cron 0–10 → 5, 50 % every 30 s, 60 s observation)', () => {
  const spec = (
    parse(
      readFileSync(join(process.cwd(), 'test/fixtures/seeds/ihpa-gray-strategy-sample.yaml'), 'utf8'),
    ) as {
      spec: IhpaSpec;
    }
  ).spec;

  it('replays the walkthrough: every change on time, with the exact event texts', () => {
    const world = new IhpaWorld(spec, at(9, 58, 7));
    world.reconcile();
    world.advanceTo(at(10, 15));
    expect(changes(world)).toEqual([
      ['09:58:07.000', 1, 0, 0],
      ['10:00:00.000', 5, 0, 0],
      ['10:10:00.000', 3, 2, 0],
      ['10:10:30.000', 1, 4, 0],
      ['10:11:30.000', 1, 0, 0],
    ]);
    expect(world.events.map((e) => `${e.type}  ${e.reason}  ${e.message}`)).toEqual([
      'Normal  CreateReplicaProfile  create ReplicaProfile with onlineReplcas: 1, cutoffReplicas: 0, standbyReplicas: 0',
      'Normal  UpdateReplicaProfile  update ReplicaProfile with onlineReplcas: 1 -> 5, cutoffReplicas: 0 -> 0, standbyReplicas: 0 -> 0',
      'Normal  UpdateReplicaProfile  update ReplicaProfile with onlineReplcas: 5 -> 3, cutoffReplicas: 0 -> 2, standbyReplicas: 0 -> 0',
      'Normal  UpdateReplicaProfile  update ReplicaProfile with onlineReplcas: 3 -> 1, cutoffReplicas: 2 -> 4, standbyReplicas: 0 -> 0',
      'Normal  UpdateReplicaProfile  update ReplicaProfile with onlineReplcas: 1 -> 1, cutoffReplicas: 4 -> 0, standbyReplicas: 0 -> 0',
    ]);
    // Woken only when something is due: cron start, cron end (first step), the second step, the
    // end of the observation; then the next cron start (11:00).
    expect(world.reconciles.map(hms)).toEqual([
      '09:58:07.000',
      '10:00:00.000',
      '10:10:00.000',
      '10:10:30.000',
      '10:11:30.000',
    ]);
    expect(world.lastPlan?.nextWakeup?.toISOString()).toBe('2024-01-01T11:00:00.000Z');
    expect(world.status?.previousPortraitValue).toEqual({
      provider: 'Cron',
      replicas: 5,
      expireTime: '2024-01-01T10:10:00Z',
    });
    expect(world.status?.currentPortraitValue).toEqual({ provider: 'Static', replicas: 1 });
    expect(world.status?.gray).toEqual({ grayPercent: 100, lastUpdateTime: '2024-01-01T10:10:30.000Z' });
    expect(world.condition('GrayProgressing')).toMatchObject({
      status: 'False',
      reason: 'ReplicasMatchPortrait',
    });
  });

  it('reports the gray in status while it runs', () => {
    const world = new IhpaWorld(spec, at(10, 9, 50));
    world.reconcile();
    world.advanceTo(at(10, 10, 10));
    world.reconcile(); // what the ReplicaProfile's status update triggers
    expect(world.status?.gray).toEqual({ grayPercent: 50, lastUpdateTime: '2024-01-01T10:10:00.000Z' });
    expect(world.condition('GrayProgressing')).toMatchObject({
      status: 'True',
      reason: 'ReplicasNotMatchPortrait',
    });
    expect(world.status?.currentReplicas).toEqual({ online: 3, cutoff: 2, standby: 0 });
    expect(world.lastPlan?.nextWakeup?.toISOString()).toBe('2024-01-01T10:10:30.000Z');
  });

  it('a restarted controller continues the gray from status, on the original schedule', () => {
    // What a fresh process sees at 10:10:30 after the first step was written at 10:10:00.
    const plan = planIhpa(
      spec,
      {
        status: {
          previousPortraitValue: { provider: 'Cron', replicas: 5, expireTime: '2024-01-01T10:10:00Z' },
          currentPortraitValue: { provider: 'Static', replicas: 1 },
          gray: { grayPercent: 50, lastUpdateTime: '2024-01-01T10:10:00.000Z' },
        },
        replicaProfile: {
          spec: { online: 3, cutoff: 2, standby: 0 },
          paused: false,
          status: { online: 3, cutoff: 2, standby: 0 },
        },
      },
      new Date(at(10, 10, 30)),
    );
    expect(plan.replicaProfile).toEqual({ online: 1, cutoff: 4, standby: 0, paused: false });
    expect(plan.nextWakeup?.toISOString()).toBe('2024-01-01T10:11:30.000Z');
    expect(plan.status.gray).toEqual({ grayPercent: 100, lastUpdateTime: '2024-01-01T10:10:30.000Z' });
  });
});

describe('steps that leave the counts unchanged still fire on time', () => {
  it('diff 1 (2 → 1): 50 % and 100 % both cut one pod; the observation still ends at t0 + 90 s', () => {
    const t0 = at(12, 0);
    const world = new IhpaWorld(staticSpec(2), t0 - seconds(60));
    world.reconcile();
    world.advanceTo(t0);
    world.spec = staticSpec(1);
    world.reconcile();
    world.advanceTo(t0 + seconds(200));
    expect(changes(world)).toEqual([
      ['11:59:00.000', 2, 0, 0],
      ['12:00:00.000', 1, 1, 0],
      ['12:01:30.000', 1, 0, 0],
    ]);
    // The unchanged step at t0 + 30 s was taken (percent 100 recorded then) and timed the end.
    expect(world.reconciles.map(hms)).toEqual([
      '11:59:00.000',
      '12:00:00.000',
      '12:00:30.000',
      '12:01:30.000',
    ]);
    expect(world.status?.gray).toEqual({ grayPercent: 100, lastUpdateTime: '2024-01-01T12:00:30.000Z' });
  });

  it('a small changePercent moves one pod per step until the percentage names more', () => {
    const t0 = at(12, 0);
    const gray = {
      grayState: 'Cutoff' as const,
      changeIntervalSeconds: 10,
      changePercent: 10,
      observationSeconds: 0,
    };
    const world = new IhpaWorld(staticSpec(4, { behavior: { scaleDown: { grayStrategy: gray } } }), t0);
    world.reconcile();
    world.spec = staticSpec(1, { behavior: { scaleDown: { grayStrategy: gray } } });
    world.reconcile();
    world.advanceTo(t0 + seconds(200));
    // 3 to move: 10 %…30 % → 1, 40 %…60 % → 1, 70 %…90 % → 2, 100 % → 3, then the end at once
    // (one step per reconcile: the end follows in the next one, the shortest timer later).
    expect(changes(world).slice(1)).toEqual([
      ['12:00:00.000', 3, 1, 0],
      ['12:01:00.000', 2, 2, 0],
      ['12:01:30.000', 1, 3, 0],
      ['12:01:30.001', 1, 0, 0],
    ]);
    expect(world.reconciles.map(hms)).toEqual([
      '12:00:00.000',
      '12:00:00.000',
      '12:00:10.000',
      '12:00:20.000',
      '12:00:30.000',
      '12:00:40.000',
      '12:00:50.000',
      '12:01:00.000',
      '12:01:10.000',
      '12:01:20.000',
      '12:01:30.000',
      '12:01:30.001',
    ]);
  });
});

describe('a new target mid-gray starts from the pods as they are', () => {
  const t0 = at(12, 0);
  function midGray(): IhpaWorld {
    const world = new IhpaWorld(staticSpec(5), t0 - seconds(60));
    world.reconcile();
    world.advanceTo(t0);
    world.spec = staticSpec(1);
    world.reconcile(); // 3 online, 2 cut off
    return world;
  }

  it('further down: the cut-off pods stay cut off, nothing else moves until the next step is due', () => {
    const world = midGray();
    world.advanceTo(t0 + seconds(10));
    world.spec = staticSpec(2);
    world.reconcile();
    expect(world.lastPlan?.replicaProfile).toEqual({ online: 3, cutoff: 2, standby: 0, paused: false });
    expect(world.status?.previousPortraitValue?.replicas).toBe(5);
    expect(world.status?.gray).toEqual({ grayPercent: 67, lastUpdateTime: '2024-01-01T12:00:10.000Z' });
    world.advanceTo(t0 + seconds(300));
    expect(changes(world).slice(2)).toEqual([
      ['12:00:40.000', 2, 3, 0],
      ['12:01:40.000', 2, 0, 0],
    ]);
  });

  it('back up between online and all pods: only the pods needed come back, the rest is observed', () => {
    const world = midGray();
    world.advanceTo(t0 + seconds(40)); // 1 online, 4 cut off since t0 + 30 s
    expect(world.profile?.spec).toEqual({ online: 1, cutoff: 4, standby: 0 });
    world.spec = staticSpec(3);
    world.reconcile();
    world.advanceTo(t0 + seconds(300));
    expect(changes(world).slice(3)).toEqual([
      ['12:00:40.000', 3, 2, 0],
      ['12:01:40.000', 3, 0, 0],
    ]);
    expect(world.events.at(-2)?.message).toBe(
      'update ReplicaProfile with onlineReplcas: 1 -> 3, cutoffReplicas: 4 -> 2, standbyReplicas: 0 -> 0',
    );
  });

  it('above every pod without a scale-up strategy: all gray pods back online at once, then more', () => {
    const world = midGray();
    world.advanceTo(t0 + seconds(5));
    world.spec = staticSpec(7);
    world.reconcile();
    expect(world.lastPlan?.replicaProfile).toEqual({ online: 7, cutoff: 0, standby: 0, paused: false });
    expect(world.lastPlan?.nextWakeup).toBeUndefined();
    expect(world.status?.gray).toBeUndefined();
    expect(world.condition('GrayProgressing')).toMatchObject({ status: 'False' });
  });

  it('starts from the reported pods, not from the old target, when the profile is not carried out yet', () => {
    // The profile asked for 5 online, but only 3 pods exist yet; a new target of 1 cuts off 1 pod
    // per step from those 3 instead of cutting off pods that were never created.
    const plan = planIhpa(
      staticSpec(1),
      {
        status: { currentPortraitValue: { provider: 'Static', replicas: 5 } },
        replicaProfile: {
          spec: { online: 5, cutoff: 0, standby: 0 },
          paused: false,
          status: { online: 3, cutoff: 0, standby: 0 },
        },
      },
      new Date(t0),
    );
    expect(plan.replicaProfile).toEqual({ online: 2, cutoff: 1, standby: 0, paused: false });
    expect(plan.status.previousPortraitValue?.replicas).toBe(3);
  });
});

describe('scale-up', () => {
  const t0 = at(12, 0);

  it('is immediate without a scaleUp strategy', () => {
    const world = new IhpaWorld(staticSpec(1), t0);
    world.reconcile();
    world.spec = staticSpec(6);
    world.reconcile();
    expect(world.lastPlan?.replicaProfile).toEqual({ online: 6, cutoff: 0, standby: 0, paused: false });
    expect(world.lastPlan?.nextWakeup).toBeUndefined();
  });

  it('steps with a scaleUp strategy, nothing in a gray state', () => {
    const up = {
      grayState: 'Online' as const,
      changeIntervalSeconds: 10,
      changePercent: 50,
      observationSeconds: 20,
    };
    const world = new IhpaWorld(staticSpec(1, { behavior: { scaleUp: { grayStrategy: up } } }), t0);
    world.reconcile();
    world.spec = staticSpec(5, { behavior: { scaleUp: { grayStrategy: up } } });
    world.reconcile();
    world.advanceTo(t0 + seconds(100));
    expect(changes(world)).toEqual([
      ['12:00:00.000', 1, 0, 0],
      ['12:00:00.000', 3, 0, 0],
      ['12:00:10.000', 5, 0, 0],
    ]);
  });

  it('Standby as the gray state: the gray pods are counted as standby', () => {
    const standby = { ...seedGray, grayState: 'Standby' as const };
    const world = new IhpaWorld(staticSpec(5, { behavior: { scaleDown: { grayStrategy: standby } } }), t0);
    world.reconcile();
    world.spec = staticSpec(1, { behavior: { scaleDown: { grayStrategy: standby } } });
    world.reconcile();
    expect(world.lastPlan?.replicaProfile).toEqual({ online: 3, cutoff: 0, standby: 2, paused: false });
  });
});
