// In-place rollouts: an OpenKruise CloneSet (the seed's cloneset walkthrough) and a StatefulSet,
// both named after the component, upgraded through their update partition and never replaced.
import { startController, type ControllerProcess } from './controller-process.js';
import {
  applyRevision,
  applyRollout,
  cloneSetsPath,
  getRollout,
  isReadyPod,
  podsPath,
  statefulSetsPath,
  waitColumns,
  waitNoWorkloads,
  waitRollout,
  waitWorkloads,
  type PodObject,
  type WorkloadObject,
} from './rollout-fixtures.js';
import { createNamespace, deleteNamespace, kubectlOk, watchUntil } from './support.js';

const batches23 = [{ replicas: 2 }, { replicas: 3 }];

function podsAt(ns: string, component: string, predicate: (pods: PodObject[]) => boolean, what: string) {
  return watchUntil<PodObject>(podsPath(ns), (objects) => predicate([...objects.values()]), {
    labelSelector: `app.oam.dev/component=${component}`,
    what,
  });
}

const image = (pod: PodObject) => pod.spec?.containers?.[0]?.image;

describe('in-place rollouts', () => {
  let ns: string;
  let controller: ControllerProcess;

  beforeAll(async () => {
    ns = await createNamespace('rollout-inplace');
    controller = await startController({ controllers: ['rollout'], namespace: ns });
  });
  afterAll(async () => {
    await controller?.stop();
    await deleteNamespace(ns);
  });

  describe('CloneSet (cloneset-server)', () => {
    const c = 'cloneset-server';
    let cloneSetUid: string;
    let podUids: string[];

    test('first release: cloneset-server 5/5, "5 5 5 batchReady rolloutSucceed"', async () => {
      await applyRevision(ns, c, `${c}-v1`, 1, 'stefanprodan/podinfo:4.0.3', 'CloneSet');
      await applyRollout(ns, c, `${c}-v1`, { targetSize: 5, rolloutBatches: batches23 });
      const rollout = await waitColumns(ns, c, [5, 5, 5, 'batchReady', 'rolloutSucceed']);
      const sets = await waitWorkloads(cloneSetsPath(ns), c, { [c]: 5 });
      cloneSetUid = sets.get(c)?.metadata.uid ?? '';

      expect(await getRollout(ns, c)).toEqual([c, '5', '5', '5', 'batchReady', 'rolloutSucceed']);
      expect(rollout.metadata.annotations?.['trait.oam.dev/workload-gvk']).toBe(
        '{"apiVersion":"apps.kruise.io/v1alpha1","kind":"CloneSet"}',
      );
      const table = await kubectlOk([
        'get',
        'cloneset',
        '-n',
        ns,
        '-l',
        `app.oam.dev/component=${c}`,
        '--no-headers',
      ]);
      expect(table.trim().split(/\s+/).slice(0, 6)).toEqual([c, '5', '5', '5', '5', '5']);
      const pods = await podsAt(ns, c, (p) => p.filter(isReadyPod).length === 5, '5 ready pods');
      podUids = [...pods.values()].map((p) => p.metadata.uid).sort();
    });

    test('upgrade in place held at batchPartition 0: 2 pods on the new image, "5 2 2 batchReady rollingInBatches"', async () => {
      await applyRevision(ns, c, `${c}-v2`, 2, 'stefanprodan/podinfo:5.0.2', 'CloneSet');
      await applyRollout(ns, c, `${c}-v2`, { targetSize: 5, batchPartition: 0, rolloutBatches: batches23 });
      await waitColumns(ns, c, [5, 2, 2, 'batchReady', 'rollingInBatches']);
      const pods = await podsAt(
        ns,
        c,
        (p) =>
          p.length === 5 &&
          p.filter((pod) => image(pod) === 'stefanprodan/podinfo:5.0.2' && isReadyPod(pod)).length === 2,
        'two pods updated in place',
      );
      expect([...pods.values()].filter((pod) => image(pod) === 'stefanprodan/podinfo:4.0.3')).toHaveLength(3);
      const partition = await kubectlOk([
        'get',
        'cloneset',
        c,
        '-n',
        ns,
        '-o',
        'jsonpath={.spec.updateStrategy.partition}',
      ]);
      expect(partition).toBe('3');
    });

    test('removing batchPartition finishes in place: same CloneSet and pods, all on the new image', async () => {
      await applyRollout(ns, c, `${c}-v2`, { targetSize: 5, rolloutBatches: batches23 });
      await waitColumns(ns, c, [5, 5, 5, 'batchReady', 'rolloutSucceed']);
      const sets = await watchUntil<WorkloadObject>(
        cloneSetsPath(ns),
        (objects) => objects.get(c)?.status?.updatedReadyReplicas === 5,
        { what: 'CloneSet updatedReady 5' },
      );
      expect(sets.get(c)?.metadata.uid).toBe(cloneSetUid);
      expect(sets.get(c)?.spec?.template?.spec?.containers?.[0]?.image).toBe('stefanprodan/podinfo:5.0.2');
      const pods = await podsAt(
        ns,
        c,
        (p) =>
          p.length === 5 && p.every((pod) => image(pod) === 'stefanprodan/podinfo:5.0.2' && isReadyPod(pod)),
        'every pod on 5.0.2',
      );
      expect([...pods.values()].map((p) => p.metadata.uid).sort()).toEqual(podUids);
      const table = await kubectlOk([
        'get',
        'cloneset',
        '-n',
        ns,
        '-l',
        `app.oam.dev/component=${c}`,
        '--no-headers',
      ]);
      expect(table.trim().split(/\s+/).slice(0, 6)).toEqual([c, '5', '5', '5', '5', '5']);
    });

    test('deleting the Rollout removes the CloneSet', async () => {
      await kubectlOk(['delete', 'rollout', c, '-n', ns]);
      await waitNoWorkloads(ns, 'clonesets.apps.kruise.io', c);
      const left = await kubectlOk([
        'get',
        'cloneset',
        '-n',
        ns,
        '-l',
        `app.oam.dev/component=${c}`,
        '-o',
        'name',
      ]);
      expect(left.trim()).toBe('');
    });
  });

  describe('StatefulSet', () => {
    const c = 'stateful-server';

    test('first release then an in-place upgrade through the RollingUpdate partition', async () => {
      await applyRevision(ns, c, `${c}-v1`, 1, 'stefanprodan/podinfo:4.0.3', 'StatefulSet');
      await applyRollout(ns, c, `${c}-v1`, {
        targetSize: 3,
        rolloutBatches: [{ replicas: 1 }, { replicas: 2 }],
      });
      await waitColumns(ns, c, [3, 3, 3, 'batchReady', 'rolloutSucceed'], 90000);
      const before = await waitWorkloads(statefulSetsPath(ns), c, { [c]: 3 });

      await applyRevision(ns, c, `${c}-v2`, 2, 'stefanprodan/podinfo:5.0.2', 'StatefulSet');
      await applyRollout(ns, c, `${c}-v2`, {
        targetSize: 3,
        batchPartition: 0,
        rolloutBatches: [{ replicas: 1 }, { replicas: 2 }],
      });
      await waitColumns(ns, c, [3, 1, 1, 'batchReady', 'rollingInBatches'], 90000);
      // The highest ordinal goes first.
      await podsAt(
        ns,
        c,
        (p) =>
          p.length === 3 &&
          p.filter(isReadyPod).length === 3 &&
          p.find((pod) => pod.metadata.name === `${c}-2`)?.spec?.containers?.[0]?.image ===
            'stefanprodan/podinfo:5.0.2' &&
          p.filter((pod) => image(pod) === 'stefanprodan/podinfo:4.0.3').length === 2,
        'pod 2 on the new image',
      );

      await applyRollout(ns, c, `${c}-v2`, {
        targetSize: 3,
        rolloutBatches: [{ replicas: 1 }, { replicas: 2 }],
      });
      await waitRollout(ns, c, (r) => r.status?.rollingState === 'rolloutSucceed', 'rolloutSucceed', 90000);
      await podsAt(
        ns,
        c,
        (p) =>
          p.length === 3 && p.every((pod) => isReadyPod(pod) && image(pod) === 'stefanprodan/podinfo:5.0.2'),
        'every pod on 5.0.2',
      );
      const after = await waitWorkloads(statefulSetsPath(ns), c, { [c]: 3 });
      expect(after.get(c)?.metadata.uid).toBe(before.get(c)?.metadata.uid);
      expect(await getRollout(ns, c)).toEqual([c, '3', '3', '3', 'batchReady', 'rolloutSucceed']);
    });
  });
});
