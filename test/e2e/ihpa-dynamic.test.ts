// The IHPA side of Dynamic providers on the local cluster: the IHPA creates the HorizontalPortrait
// `<ihpa>-<portraitType lowercased>` (owned by it, spec copied from the provider), reads its
// status.portraitData (written here by hand, as a portrait controller would), follows a time
// series point by point, and deletes the portrait when the provider is removed.
import { stringify } from 'yaml';

import { startController, type ControllerProcess } from './controller-process.js';
import { NGINX_STATEFULSET, profileChanges, record, type ReplicaProfileObject } from './ihpa-support.js';
import { createNamespace, deleteNamespace, kubectlOk, watchUntil } from './support.js';

interface HorizontalPortrait {
  metadata: { name: string; ownerReferences?: { kind: string; name: string; controller?: boolean }[] };
  spec?: { portraitType?: string; scaleTargetRef?: { name?: string }; algorithm?: { type?: string } };
}

const predictive = {
  type: 'Dynamic',
  priority: 1,
  dynamic: {
    portraitType: 'Predictive',
    metrics: [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'AverageValue', averageValue: '1m' } } },
      { type: 'Pods', pods: { metric: { name: 'kube_pod_status_ready' }, target: { type: 'NA' } } },
    ],
    algorithm: {
      type: 'ExternalJob',
      externalJob: {
        job: { type: 'CronJob', cronJob: { template: { spec: { schedule: '0/30 * * * *' } } } },
        resultSource: { type: 'ConfigMap' },
      },
    },
  },
};

function ihpa(providers: unknown[]): string {
  return stringify({
    apiVersion: 'autoscaling.kapacitystack.io/v1alpha1',
    kind: 'IntelligentHorizontalPodAutoscaler',
    metadata: { name: 'predictive-sample' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'nginx' },
      minReplicas: 1,
      maxReplicas: 10,
      portraitProviders: providers,
    },
  });
}

describe('IHPA Dynamic provider ↔ HorizontalPortrait on the local cluster', () => {
  let ns: string;
  let controller: ControllerProcess | undefined;

  beforeAll(async () => {
    ns = await createNamespace('ihpa-dyn');
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], NGINX_STATEFULSET);
    controller = await startController({ controllers: ['ihpa', 'replicaprofile'], namespace: ns });
  });

  afterAll(async () => {
    await controller?.stop();
    await deleteNamespace(ns);
  });

  test('creates the portrait, follows its time series on time, deletes it with the provider', async () => {
    const portraits = `/apis/autoscaling.kapacitystack.io/v1alpha1/namespaces/${ns}/horizontalportraits`;
    const profiles = await record<ReplicaProfileObject>(
      `/apis/autoscaling.kapacitystack.io/v1alpha1/namespaces/${ns}/replicaprofiles`,
    );
    try {
      await kubectlOk(
        ['-n', ns, 'apply', '-f', '-'],
        ihpa([predictive, { type: 'Static', priority: 0, static: { replicas: 1 } }]),
      );
      const created = await watchUntil<HorizontalPortrait>(
        portraits,
        (m) => m.has('predictive-sample-predictive'),
        {
          what: 'HorizontalPortrait predictive-sample-predictive',
        },
      );
      const hp = created.get('predictive-sample-predictive');
      expect(hp?.metadata.ownerReferences).toEqual([
        expect.objectContaining({
          kind: 'IntelligentHorizontalPodAutoscaler',
          name: 'predictive-sample',
          controller: true,
        }),
      ]);
      expect(hp?.spec).toMatchObject({
        portraitType: 'Predictive',
        scaleTargetRef: { name: 'nginx' },
        algorithm: { type: 'ExternalJob' },
      });

      // A time series as the predictive algorithm writes it: 4 now, 3 in 4 s, 2 in 8 s.
      const now = Math.ceil(Date.now() / 1000) + 1;
      const points = [
        { timestamp: now, replicas: 4 },
        { timestamp: now + 4, replicas: 3 },
        { timestamp: now + 8, replicas: 2 },
      ];
      await kubectlOk([
        '-n',
        ns,
        'patch',
        'horizontalportrait',
        'predictive-sample-predictive',
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({
          status: {
            portraitData: {
              type: 'TimeSeries',
              timeSeries: { timeSeries: points },
              expireTime: new Date((now + 12) * 1000).toISOString().replace('.000Z', 'Z'),
            },
          },
        }),
      ]);
      await profiles.until(
        (events) => profileChanges(events).length >= 5,
        30_000,
        'the time series and its expiry on the ReplicaProfile',
      );
      const changes = profileChanges(profiles.events);
      expect(changes.map((c) => c.counts)).toEqual(['1/0/0', '4/0/0', '3/0/0', '2/0/0', '1/0/0']);
      const lateness = [
        changes[2]!.at - (now + 4) * 1000,
        changes[3]!.at - (now + 8) * 1000,
        changes[4]!.at - (now + 12) * 1000,
      ];
      console.log(`time-series timing (ms late vs point / expiry): ${lateness.join(', ')}`);
      for (const late of lateness) {
        expect(late).toBeGreaterThanOrEqual(0);
        expect(late).toBeLessThan(1000);
      }

      // Removing the provider removes its portrait.
      await kubectlOk(
        ['-n', ns, 'apply', '-f', '-'],
        ihpa([{ type: 'Static', priority: 0, static: { replicas: 1 } }]),
      );
      await kubectlOk([
        '-n',
        ns,
        'wait',
        '--for=delete',
        'horizontalportrait/predictive-sample-predictive',
        '--timeout=20s',
      ]);
    } finally {
      profiles.stop();
    }
  }, 120_000);
});
