// Seed 001 (multi-stage gray scaling) on the local cluster: the seeds' NGINX StatefulSet and the
// gray-strategy-sample IHPA, applied with kubectl. Two things differ from the seed, and only in
// numbers: the cron window is placed on the wall clock (it opens at the next minute boundary and
// closes one minute later, instead of minutes 0–10 of every hour), and the gray runs at 5 s
// intervals with a 10 s observation instead of 30 s / 60 s. The seed's exact numbers are replayed
// in test/unit/ihpa/gray.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

import { startController, type ControllerProcess } from './controller-process.js';
import {
  MINUTE_MS,
  NGINX_STATEFULSET,
  describedEvents,
  hourlyCronAt,
  nextMinuteBoundary,
  profileChanges,
  record,
  type ReplicaProfileObject,
} from './ihpa-support.js';
import { createNamespace, deleteNamespace, kubectlOk, repoRoot, watchUntil } from './support.js';

interface Pod {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  status?: { conditions?: { type: string; status: string }[] };
}
interface EndpointSlice {
  metadata: { name: string };
  endpoints?: { targetRef?: { name?: string }; conditions?: { ready?: boolean } }[];
}

const INTERVAL_S = 5;
const OBSERVATION_S = 10;

function graySample(start: number, end: number): string {
  const sample = parse(
    readFileSync(join(repoRoot, 'test/fixtures/seeds/ihpa-gray-strategy-sample.yaml'), 'utf8'),
  ) as {
    spec: {
      portraitProviders: { cron?: { crons: { start: string; end: string }[] } }[];
      behavior: { scaleDown: { grayStrategy: Record<string, number | string> } };
    };
  };
  const cron = sample.spec.portraitProviders[1]?.cron?.crons[0];
  if (!cron) throw new Error('the gray sample has no cron');
  cron.start = hourlyCronAt(start);
  cron.end = hourlyCronAt(end);
  sample.spec.behavior.scaleDown.grayStrategy.changeIntervalSeconds = INTERVAL_S;
  sample.spec.behavior.scaleDown.grayStrategy.observationSeconds = OBSERVATION_S;
  return stringify(sample);
}

const isReady = (p: Pod) =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

describe('IHPA multi-stage gray scaling (seed 001) on the local cluster', () => {
  let ns: string;
  let controller: ControllerProcess | undefined;

  beforeAll(async () => {
    ns = await createNamespace('ihpa-gray');
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], NGINX_STATEFULSET);
    controller = await startController({ controllers: ['ihpa', 'replicaprofile'], namespace: ns });
  });

  afterAll(async () => {
    await controller?.stop();
    await deleteNamespace(ns);
  });

  test('scales 1 → 5 at the window start, then grays 5 → 3 → 1 and removes the cut-off pods', async () => {
    await watchUntil<Pod>(
      `/api/v1/namespaces/${ns}/pods`,
      (m) => m.size === 1 && isReady(m.get('nginx-0')!),
      {
        what: 'nginx-0 Ready',
      },
    );
    const start = nextMinuteBoundary(Date.now(), 10_000);
    const end = start + MINUTE_MS;

    const profiles = await record<ReplicaProfileObject>(
      `/apis/autoscaling.kapacitystack.io/v1alpha1/namespaces/${ns}/replicaprofiles`,
    );
    const pods = await record<Pod>(`/api/v1/namespaces/${ns}/pods`);
    const slices = await record<EndpointSlice>(`/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, {
      labelSelector: 'kubernetes.io/service-name=nginx',
    });
    try {
      await kubectlOk(['-n', ns, 'apply', '-f', '-'], graySample(start, end));

      const expected = ['1/0/0', '5/0/0', '3/2/0', '1/4/0', '1/0/0'];
      await profiles.until(
        (events) => profileChanges(events).length >= expected.length,
        end - Date.now() + (INTERVAL_S + OBSERVATION_S + 30) * 1000,
        'the whole gray timeline on the ReplicaProfile',
      );
      const changes = profileChanges(profiles.events);
      expect(changes.map((c) => c.counts)).toEqual(expected);

      // Timing: each change as the watch delivered it against the time it was due.
      const scheduled = [start, end, end + INTERVAL_S * 1000, end + (INTERVAL_S + OBSERVATION_S) * 1000];
      const errors = scheduled.map((due, i) => (changes[i + 1]?.at ?? Number.NaN) - due);
      console.log(
        `gray timing (ms late, observed ReplicaProfile change vs schedule): ` +
          `1→5 at window start ${errors[0]}, step 1 ${errors[1]}, step 2 ${errors[2]}, end of observation ${errors[3]}; ` +
          `max ${Math.max(...errors.map(Math.abs))}`,
      );
      for (const error of errors) {
        expect(error).toBeGreaterThanOrEqual(0);
        expect(error).toBeLessThan(1000);
      }

      // The StatefulSet ends at 1 replica with only nginx-0 left.
      await watchUntil<{
        metadata: { name: string };
        spec?: { replicas?: number };
        status?: { replicas?: number };
      }>(
        `/apis/apps/v1/namespaces/${ns}/statefulsets`,
        (m) => m.get('nginx')?.spec?.replicas === 1 && m.get('nginx')?.status?.replicas === 1,
        { what: 'StatefulSet nginx at 1 replica' },
      );
      await pods.until(
        (events) => {
          const live = new Map<string, Pod>();
          for (const e of events) {
            if (e.type === 'DELETED') live.delete(e.object.metadata.name);
            else live.set(e.object.metadata.name, e.object);
          }
          return live.size === 1 && live.has('nginx-0');
        },
        30_000,
        'only nginx-0 left',
      );

      // Highest ordinals cut off first: {nginx-3, nginx-4}, then {nginx-1 … nginx-4}; nginx-0 never
      // (followed until the first pod goes away at the end of the observation).
      const cutoffSets: string[] = [];
      const states = new Map<string, string>();
      for (const e of pods.events) {
        const name = e.object.metadata.name;
        if (e.type === 'DELETED' || e.object.metadata.deletionTimestamp) break;
        states.set(name, e.object.metadata.labels?.['kapacitystack.io/pod-state'] ?? 'Online');
        const cut = [...states]
          .filter(([, s]) => s === 'Cutoff')
          .map(([n]) => n)
          .sort()
          .join(',');
        if (cutoffSets.at(-1) !== cut) cutoffSets.push(cut);
      }
      expect(cutoffSets).toContain('nginx-3,nginx-4');
      expect(cutoffSets).toContain('nginx-1,nginx-2,nginx-3,nginx-4');
      expect(cutoffSets.indexOf('nginx-3,nginx-4')).toBeLessThan(
        cutoffSets.indexOf('nginx-1,nginx-2,nginx-3,nginx-4'),
      );
      expect(cutoffSets.some((s) => s.includes('nginx-0'))).toBe(false);
      expect(cutoffSets.filter((s) => s.split(',').length === 2)).toEqual(['nginx-3,nginx-4']);

      // The pods that went away are exactly the cut-off ones.
      const removed = new Map<string, string>();
      for (const e of pods.events) {
        if (e.type === 'DELETED' || e.object.metadata.deletionTimestamp) {
          removed.set(
            e.object.metadata.name,
            e.object.metadata.labels?.['kapacitystack.io/pod-state'] ?? 'Online',
          );
        }
      }
      expect([...removed].sort()).toEqual([
        ['nginx-1', 'Cutoff'],
        ['nginx-2', 'Cutoff'],
        ['nginx-3', 'Cutoff'],
        ['nginx-4', 'Cutoff'],
      ]);

      // The Service's endpoints follow: 5 ready, then 3 (cut-off pods leave), then 1.
      const readySets: string[] = [];
      const bySlice = new Map<string, string[]>();
      for (const e of slices.events) {
        const ready = (e.object.endpoints ?? [])
          .filter((ep) => ep.conditions?.ready)
          .map((ep) => ep.targetRef?.name ?? '');
        if (e.type === 'DELETED') bySlice.delete(e.object.metadata.name);
        else bySlice.set(e.object.metadata.name, ready);
        const all = [...bySlice.values()].flat().sort().join(',');
        if (readySets.at(-1) !== all) readySets.push(all);
      }
      const five = 'nginx-0,nginx-1,nginx-2,nginx-3,nginx-4';
      const three = 'nginx-0,nginx-1,nginx-2';
      const afterFive = readySets.slice(readySets.indexOf(five));
      expect(afterFive[0]).toBe(five);
      expect(afterFive.indexOf(three)).toBeGreaterThan(0);
      expect(afterFive.slice(afterFive.indexOf(three)).indexOf('nginx-0')).toBeGreaterThan(0);
      expect(readySets.at(-1)).toBe('nginx-0');
      expect(readySets.slice(1).every((s) => s.split(',').includes('nginx-0'))).toBe(true);

      // kubectl describe ihpa shows the whole process with upstream's exact texts.
      const events = describedEvents(await kubectlOk(['-n', ns, 'describe', 'ihpa', 'gray-strategy-sample']));
      expect(events.map(([type, reason, from, message]) => `${type} ${reason} ${from} ${message}`)).toEqual([
        'Normal CreateReplicaProfile ihpa_controller create ReplicaProfile with onlineReplcas: 1, cutoffReplicas: 0, standbyReplicas: 0',
        'Normal UpdateReplicaProfile ihpa_controller update ReplicaProfile with onlineReplcas: 1 -> 5, cutoffReplicas: 0 -> 0, standbyReplicas: 0 -> 0',
        'Normal UpdateReplicaProfile ihpa_controller update ReplicaProfile with onlineReplcas: 5 -> 3, cutoffReplicas: 0 -> 2, standbyReplicas: 0 -> 0',
        'Normal UpdateReplicaProfile ihpa_controller update ReplicaProfile with onlineReplcas: 3 -> 1, cutoffReplicas: 2 -> 4, standbyReplicas: 0 -> 0',
        'Normal UpdateReplicaProfile ihpa_controller update ReplicaProfile with onlineReplcas: 1 -> 1, cutoffReplicas: 4 -> 0, standbyReplicas: 0 -> 0',
      ]);

      // The printer columns, and the annotation a later rollout reads.
      const row = (await kubectlOk(['-n', ns, 'get', 'ihpa', 'gray-strategy-sample', '--no-headers']))
        .trim()
        .split(/\s+/);
      expect(row.slice(0, 8)).toEqual(['gray-strategy-sample', '1', '10', 'Static', '1', '1', '0', '0']);
      const annotation = await kubectlOk([
        '-n',
        ns,
        'get',
        'statefulset.apps',
        'nginx',
        '-o',
        'jsonpath={.metadata.annotations.autoscaling\\.kapacitystack\\.io/ihpa}',
      ]);
      expect(annotation).toBe('gray-strategy-sample');
    } finally {
      profiles.stop();
      pods.stop();
      slices.stop();
    }
  }, 240_000);
});
