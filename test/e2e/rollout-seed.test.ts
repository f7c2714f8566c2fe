// The seed walkthrough (003) for a webservice component, driven through ControllerRevisions and
// the Rollout the rollout trait renders, asserting what `kubectl get rollout` and
// `kubectl get deploy -l app.oam.dev/component=express-server` print at every step.
import { startController, type ControllerProcess } from './controller-process.js';
import {
  applyRevision,
  applyRollout,
  getDeployments,
  getRollout,
  rolloutEvents,
  waitColumns,
  waitDeployments,
  waitNoWorkloads,
  waitRollout,
} from './rollout-fixtures.js';
import { createNamespace, deleteNamespace, kubectlOk } from './support.js';

const COMPONENT = 'express-server';
const batches23 = [{ replicas: 2 }, { replicas: 3 }];

describe('rollout walkthrough: webservice (one Deployment per revision)', () => {
  let ns: string;
  let controller: ControllerProcess;

  beforeAll(async () => {
    ns = await createNamespace('rollout-seed');
    controller = await startController({ controllers: ['rollout'], namespace: ns });
  });
  afterAll(async () => {
    await controller?.stop();
    await deleteNamespace(ns);
  });

  test('first release: express-server-v1 5/5 and "5 5 5 batchReady rolloutSucceed"', async () => {
    await applyRevision(ns, COMPONENT, 'express-server-v1', 1, 'stefanprodan/podinfo:4.0.3');
    await applyRollout(ns, COMPONENT, 'express-server-v1', { targetSize: 5, rolloutBatches: batches23 });
    const rollout = await waitColumns(ns, COMPONENT, [5, 5, 5, 'batchReady', 'rolloutSucceed']);
    await waitDeployments(ns, COMPONENT, { 'express-server-v1': 5 });

    expect(await getRollout(ns, COMPONENT)).toEqual([
      COMPONENT,
      '5',
      '5',
      '5',
      'batchReady',
      'rolloutSucceed',
    ]);
    expect(await getDeployments(ns, COMPONENT)).toEqual([['express-server-v1', '5/5']]);
    expect(rollout.metadata.annotations).toMatchObject({
      'trait.oam.dev/workload-name': 'express-server-v1',
      'trait.oam.dev/workload-gvk': '{"apiVersion":"apps/v1","kind":"Deployment"}',
    });
    expect(rollout.status?.lastTargetRevision).toBe('express-server-v1');
    expect(rollout.status?.conditions).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'True', reason: 'RolloutSucceeded' }),
    ]);

    const deployment = JSON.parse(
      await kubectlOk(['get', 'deploy', 'express-server-v1', '-n', ns, '-o', 'json']),
    ) as {
      metadata: {
        labels: Record<string, string>;
        ownerReferences: { kind: string; name: string; controller: boolean }[];
      };
    };
    expect(deployment.metadata.labels).toMatchObject({
      'app.oam.dev/component': COMPONENT,
      'app.oam.dev/revision': 'express-server-v1',
      'app.oam.dev/name': 'rollout-trait-test',
    });
    expect(deployment.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Rollout', name: COMPONENT, controller: false }),
    ]);
    const events = await rolloutEvents(ns, COMPONENT);
    expect(events.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['SpecVerified', 'BatchReady', 'RolloutSucceeded']),
    );
    expect(new Set(events.map((e) => e.source))).toEqual(new Set(['rollout-controller']));
  });

  test('upgrade to v2 with batchPartition 0: "5 2 2 batchReady rollingInBatches", v1 3/3, v2 2/2', async () => {
    await applyRevision(ns, COMPONENT, 'express-server-v2', 2, 'stefanprodan/podinfo:5.0.2');
    await applyRollout(ns, COMPONENT, 'express-server-v2', {
      targetSize: 5,
      batchPartition: 0,
      rolloutBatches: batches23,
    });
    await waitColumns(ns, COMPONENT, [5, 2, 2, 'batchReady', 'rollingInBatches']);
    await waitDeployments(ns, COMPONENT, { 'express-server-v1': 3, 'express-server-v2': 2 });

    expect(await getRollout(ns, COMPONENT)).toEqual([
      COMPONENT,
      '5',
      '2',
      '2',
      'batchReady',
      'rollingInBatches',
    ]);
    expect(await getDeployments(ns, COMPONENT)).toEqual([
      ['express-server-v1', '3/3'],
      ['express-server-v2', '2/2'],
    ]);
    const image = await kubectlOk([
      'get',
      'deploy',
      'express-server-v2',
      '-n',
      ns,
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    ]);
    expect(image).toBe('stefanprodan/podinfo:5.0.2');
  });

  test('removing batchPartition finishes: v2 5/5 and v1 deleted', async () => {
    await applyRollout(ns, COMPONENT, 'express-server-v2', { targetSize: 5, rolloutBatches: batches23 });
    await waitColumns(ns, COMPONENT, [5, 5, 5, 'batchReady', 'rolloutSucceed']);
    await waitDeployments(ns, COMPONENT, { 'express-server-v2': 5 });

    expect(await getRollout(ns, COMPONENT)).toEqual([
      COMPONENT,
      '5',
      '5',
      '5',
      'batchReady',
      'rolloutSucceed',
    ]);
    expect(await getDeployments(ns, COMPONENT)).toEqual([['express-server-v2', '5/5']]);
  });

  test('rollback with targetRevision express-server-v1: only v1 5/5 remains', async () => {
    await applyRollout(ns, COMPONENT, 'express-server-v1', { targetSize: 5, rolloutBatches: batches23 });
    await waitRollout(
      ns,
      COMPONENT,
      (r) =>
        r.status?.lastTargetRevision === 'express-server-v1' && r.status?.rollingState === 'rolloutSucceed',
      'rollback to v1',
    );
    await waitDeployments(ns, COMPONENT, { 'express-server-v1': 5 });

    expect(await getRollout(ns, COMPONENT)).toEqual([
      COMPONENT,
      '5',
      '5',
      '5',
      'batchReady',
      'rolloutSucceed',
    ]);
    expect(await getDeployments(ns, COMPONENT)).toEqual([['express-server-v1', '5/5']]);
    const image = await kubectlOk([
      'get',
      'deploy',
      'express-server-v1',
      '-n',
      ns,
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    ]);
    expect(image).toBe('stefanprodan/podinfo:4.0.3');
  });

  test('scale 5 → 7 with batches [1, 1]: 7/7', async () => {
    await applyRollout(ns, COMPONENT, 'express-server-v1', {
      targetSize: 7,
      rolloutBatches: [{ replicas: 1 }, { replicas: 1 }],
    });
    await waitColumns(ns, COMPONENT, [7, 7, 7, 'batchReady', 'rolloutSucceed']);
    await waitDeployments(ns, COMPONENT, { 'express-server-v1': 7 });

    expect(await getRollout(ns, COMPONENT)).toEqual([
      COMPONENT,
      '7',
      '7',
      '7',
      'batchReady',
      'rolloutSucceed',
    ]);
    expect(await getDeployments(ns, COMPONENT)).toEqual([['express-server-v1', '7/7']]);
  });

  test('scale 7 → 3 with batches [1, 3]: 3/3', async () => {
    await applyRollout(ns, COMPONENT, 'express-server-v1', {
      targetSize: 3,
      rolloutBatches: [{ replicas: 1 }, { replicas: 3 }],
    });
    await waitColumns(ns, COMPONENT, [3, 3, 3, 'batchReady', 'rolloutSucceed']);
    await waitDeployments(ns, COMPONENT, { 'express-server-v1': 3 });

    expect(await getRollout(ns, COMPONENT)).toEqual([
      COMPONENT,
      '3',
      '3',
      '3',
      'batchReady',
      'rolloutSucceed',
    ]);
    expect(await getDeployments(ns, COMPONENT)).toEqual([['express-server-v1', '3/3']]);
  });

  test('scaling twice without rolloutBatches works both times, and the spec is never rewritten', async () => {
    for (const targetSize of [4, 6]) {
      await applyRollout(ns, COMPONENT, 'express-server-v1', { targetSize });
      await waitColumns(ns, COMPONENT, [targetSize, targetSize, targetSize, 'batchReady', 'rolloutSucceed']);
      await waitDeployments(ns, COMPONENT, { 'express-server-v1': targetSize });
      expect(await getDeployments(ns, COMPONENT)).toEqual([
        ['express-server-v1', `${targetSize}/${targetSize}`],
      ]);
    }
    const batches = await kubectlOk([
      'get',
      'rollout',
      COMPONENT,
      '-n',
      ns,
      '-o',
      'jsonpath={.spec.rolloutPlan.rolloutBatches}',
    ]);
    expect(batches).toBe('');
  });

  test('deleting the Rollout removes its workloads', async () => {
    await kubectlOk(['delete', 'rollout', COMPONENT, '-n', ns]);
    await waitNoWorkloads(ns, 'deployments', COMPONENT);
    expect(await getDeployments(ns, COMPONENT)).toEqual([]);
  });
});
