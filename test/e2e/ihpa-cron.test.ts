// Seed 002 §1.1 (cron portrait) on the local cluster: the seeds' NGINX StatefulSet and the
// cron-portrait-sample IHPA applied with kubectl, with its windows placed on the wall clock (one
// minute each instead of ten, starting around now) so the test takes about two minutes:
//   cron-1 [m-1, m+1) → 3 replicas (open when the IHPA is created), cron-2 [m+1, m+2) → 4,
//   then no window: NoValidPortraitValue and nothing changes.
// No clock is faked: the controller reads the real time and the crons are computed from it.
import { stringify } from 'yaml';

import { startController, type ControllerProcess } from './controller-process.js';
import {
  MINUTE_MS,
  NGINX_STATEFULSET,
  describedEvents,
  hourlyCronAt,
  profileChanges,
  record,
  type ReplicaProfileObject,
} from './ihpa-support.js';
import { createNamespace, deleteNamespace, kubectlOk, watchUntil } from './support.js';

interface CoreEvent {
  metadata: { name: string };
  reason: string;
  message: string;
  type: string;
  involvedObject: { kind: string; name: string };
  source?: { component?: string };
}
interface StatefulSet {
  metadata: { name: string };
  spec?: { replicas?: number };
  status?: { readyReplicas?: number };
}

function cronSample(minute: number): string {
  return stringify({
    apiVersion: 'autoscaling.kapacitystack.io/v1alpha1',
    kind: 'IntelligentHorizontalPodAutoscaler',
    metadata: { name: 'cron-portrait-sample' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'nginx' },
      minReplicas: 1,
      maxReplicas: 10,
      portraitProviders: [
        {
          type: 'Cron',
          priority: 1,
          cron: {
            crons: [
              {
                name: 'cron-1',
                start: hourlyCronAt(minute - MINUTE_MS),
                end: hourlyCronAt(minute + MINUTE_MS),
                replicas: 3,
              },
              {
                name: 'cron-2',
                start: hourlyCronAt(minute + MINUTE_MS),
                end: hourlyCronAt(minute + 2 * MINUTE_MS),
                replicas: 4,
              },
            ],
          },
        },
      ],
    },
  });
}

describe('IHPA cron portrait (seed 002 §1.1) on the local cluster', () => {
  let ns: string;
  let controller: ControllerProcess | undefined;

  beforeAll(async () => {
    ns = await createNamespace('ihpa-cron');
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], NGINX_STATEFULSET);
    controller = await startController({ controllers: ['ihpa', 'replicaprofile'], namespace: ns });
  });

  afterAll(async () => {
    await controller?.stop();
    await deleteNamespace(ns);
  });

  test('follows the windows at their start and end, then warns and changes nothing', async () => {
    // m is chosen so that cron-2 opens 10–70 s from now: the create and the update events then
    // fall in different seconds, and cron-1 [m-1, m+1) is open when the IHPA is created.
    const minute = Math.floor((Date.now() + 10_000) / MINUTE_MS) * MINUTE_MS;
    const profiles = await record<ReplicaProfileObject>(
      `/apis/autoscaling.kapacitystack.io/v1alpha1/namespaces/${ns}/replicaprofiles`,
    );
    const events = await record<CoreEvent>(`/api/v1/namespaces/${ns}/events`, {
      fieldSelector: 'involvedObject.name=cron-portrait-sample',
    });
    try {
      await kubectlOk(['-n', ns, 'apply', '-f', '-'], cronSample(minute));
      await events.until(
        (es) => es.some((e) => e.object.reason === 'NoValidPortraitValue'),
        minute + 2 * MINUTE_MS - Date.now() + 20_000,
        'the NoValidPortraitValue warning after the last window',
      );
      const warning = events.events.find((e) => e.object.reason === 'NoValidPortraitValue');
      const changes = profileChanges(profiles.events);
      expect(changes.map((c) => c.counts)).toEqual(['3/0/0', '4/0/0']);

      const lateness = [changes[1]!.at - (minute + MINUTE_MS), warning!.at - (minute + 2 * MINUTE_MS)];
      console.log(
        `cron timing (ms late vs window edge): cron-2 start ${lateness[0]}, end of windows ${lateness[1]}`,
      );
      for (const late of lateness) {
        expect(late).toBeGreaterThanOrEqual(0);
        expect(late).toBeLessThan(1000);
      }

      // Nothing changes without a value: the workload stays at 4.
      await watchUntil<StatefulSet>(
        `/apis/apps/v1/namespaces/${ns}/statefulsets`,
        (m) => m.get('nginx')?.spec?.replicas === 4 && m.get('nginx')?.status?.readyReplicas === 4,
        { what: 'StatefulSet nginx at 4 ready replicas' },
      );
      expect(profileChanges(profiles.events).map((c) => c.counts)).toEqual(['3/0/0', '4/0/0']);

      const described = describedEvents(
        await kubectlOk(['-n', ns, 'describe', 'ihpa', 'cron-portrait-sample']),
      );
      expect(
        described.map(([type, reason, from, message]) => `${type} ${reason} ${from} ${message}`),
      ).toEqual([
        'Normal CreateReplicaProfile ihpa_controller create ReplicaProfile with onlineReplcas: 3, cutoffReplicas: 0, standbyReplicas: 0',
        'Normal UpdateReplicaProfile ihpa_controller update ReplicaProfile with onlineReplcas: 3 -> 4, cutoffReplicas: 0 -> 0, standbyReplicas: 0 -> 0',
        'Warning NoValidPortraitValue ihpa_controller no valid portrait value for now',
      ]);
      const condition = await kubectlOk([
        '-n',
        ns,
        'get',
        'ihpa',
        'cron-portrait-sample',
        '-o',
        'jsonpath={.status.conditions[?(@.type=="ScalingActive")].reason}',
      ]);
      expect(condition).toBe('NoValidPortraitValue');
    } finally {
      profiles.stop();
      events.stop();
    }
  }, 240_000);
});
