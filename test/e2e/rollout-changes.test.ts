// Rollouts that change in flight or go wrong: a new revision mid-rollout, a revert while held,
// a plan whose batches do not add up, a missing revision, webhooks, pause, DecreaseFirst, and
// the IHPA interplay. Each test has its own component in one namespace and controller.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { startController, type ControllerProcess } from './controller-process.js';
import {
  applyRevision,
  applyRollout,
  columnsOf,
  deploymentsPath,
  getDeployments,
  getRollout,
  rolloutEvents,
  waitColumns,
  waitDeployments,
  waitRollout,
  type WorkloadObject,
} from './rollout-fixtures.js';
import { createNamespace, deleteNamespace, kubectlOk, watchUntil } from './support.js';

const batches23 = [{ replicas: 2 }, { replicas: 3 }];

describe('rollout changes in flight and failures', () => {
  let ns: string;
  let controller: ControllerProcess;

  beforeAll(async () => {
    ns = await createNamespace('rollout-changes');
    controller = await startController({ controllers: ['rollout'], namespace: ns });
  });
  afterAll(async () => {
    await controller?.stop();
    await deleteNamespace(ns);
  });

  /** v1 released at 5, then v2 held by batchPartition 0 (v1 3/3, v2 2/2). */
  async function heldAtPartition(component: string): Promise<void> {
    await applyRevision(ns, component, `${component}-v1`, 1, 'stefanprodan/podinfo:4.0.3');
    await applyRevision(ns, component, `${component}-v2`, 2, 'stefanprodan/podinfo:5.0.2');
    await applyRollout(ns, component, `${component}-v1`, { targetSize: 5, rolloutBatches: batches23 });
    await waitColumns(ns, component, [5, 5, 5, 'batchReady', 'rolloutSucceed']);
    await applyRollout(ns, component, `${component}-v2`, {
      targetSize: 5,
      batchPartition: 0,
      rolloutBatches: batches23,
    });
    await waitColumns(ns, component, [5, 2, 2, 'batchReady', 'rollingInBatches']);
    await waitDeployments(ns, component, { [`${component}-v1`]: 3, [`${component}-v2`]: 2 });
  }

  test('a new revision mid-rollout drains both older Deployments: no orphan is left', async () => {
    const c = 'midway';
    await heldAtPartition(c);
    await applyRevision(ns, c, `${c}-v3`, 3, 'stefanprodan/podinfo:6.0.0');
    // Record every Deployment seen while v3 rolls out: at most three at once, never more.
    let mostAtOnce = 0;
    const done = watchUntil<WorkloadObject>(
      deploymentsPath(ns),
      (objects) => {
        mostAtOnce = Math.max(mostAtOnce, objects.size);
        const v3 = objects.get(`${c}-v3`);
        return objects.size === 1 && v3?.status?.readyReplicas === 5 && v3.spec?.replicas === 5;
      },
      { labelSelector: `app.oam.dev/component=${c}`, what: `only ${c}-v3 left at 5/5` },
    );
    await applyRollout(ns, c, `${c}-v3`, { targetSize: 5, rolloutBatches: batches23 });
    await done;
    await waitColumns(ns, c, [5, 5, 5, 'batchReady', 'rolloutSucceed']);

    expect(mostAtOnce).toBeLessThanOrEqual(3);
    expect(await getDeployments(ns, c)).toEqual([[`${c}-v3`, '5/5']]);
    const reasons = (await rolloutEvents(ns, c)).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['RolloutAbandoning', 'RolloutAbandoned']));
    const rollout = await waitRollout(ns, c, () => true);
    expect(rollout.status).toMatchObject({ lastTargetRevision: `${c}-v3`, LastSourceRevision: `${c}-v2` });
  });

  test('reverting to the source while held at the partition leaves only the source', async () => {
    const c = 'revert';
    await heldAtPartition(c);
    await applyRollout(ns, c, `${c}-v1`, { targetSize: 5, batchPartition: 0, rolloutBatches: batches23 });
    // Held again at batch 0; v1 keeps the 3 it has (a revert never shrinks the workload it goes back to).
    await waitRollout(
      ns,
      c,
      (r) =>
        r.status?.lastTargetRevision === `${c}-v1` &&
        r.status?.rollingState === 'rollingInBatches' &&
        r.status?.batchRollingState === 'batchReady',
      'held at batch 0 after the revert',
    );
    await waitDeployments(ns, c, { [`${c}-v1`]: 3, [`${c}-v2`]: 2 });

    await applyRollout(ns, c, `${c}-v1`, { targetSize: 5, rolloutBatches: batches23 });
    await waitColumns(ns, c, [5, 5, 5, 'batchReady', 'rolloutSucceed']);
    await waitDeployments(ns, c, { [`${c}-v1`]: 5 });
    expect(await getDeployments(ns, c)).toEqual([[`${c}-v1`, '5/5']]);
  });

  test('batches that do not add up fail the rollout with a message naming the numbers; a fix retries', async () => {
    const c = 'badbatches';
    await applyRevision(ns, c, `${c}-v1`, 1, 'stefanprodan/podinfo:4.0.3');
    await applyRollout(ns, c, `${c}-v1`, {
      targetSize: 5,
      rolloutBatches: [{ replicas: 2 }, { replicas: 2 }],
    });
    const failed = await waitRollout(
      ns,
      c,
      (r) => r.status?.rollingState === 'rolloutFailed',
      'rolloutFailed',
    );

    expect(failed.status?.conditions).toEqual([
      expect.objectContaining({
        type: 'Ready',
        status: 'False',
        reason: 'SpecInvalid',
        message:
          'invalid rollout plan: rolloutBatches sum to 4 but the rollout moves 5 replicas (from 0 to 5)',
      }),
    ]);
    expect((await getRollout(ns, c)).slice(5)).toEqual(['rolloutFailed']);
    const describe = await kubectlOk(['describe', 'rollout', c, '-n', ns]);
    expect(describe).toContain('rolloutBatches sum to 4 but the rollout moves 5 replicas');
    const warnings = (await rolloutEvents(ns, c)).filter((e) => e.type === 'Warning').map((e) => e.reason);
    expect(warnings).toEqual(expect.arrayContaining(['SpecInvalid', 'RolloutFailed']));

    await applyRollout(ns, c, `${c}-v1`, { targetSize: 5, rolloutBatches: batches23 });
    await waitColumns(ns, c, [5, 5, 5, 'batchReady', 'rolloutSucceed']);
    await waitDeployments(ns, c, { [`${c}-v1`]: 5 });
  });

  test('a target revision that does not exist is reported and nothing running is touched', async () => {
    const c = 'missing';
    await applyRevision(ns, c, `${c}-v1`, 1, 'stefanprodan/podinfo:4.0.3');
    await applyRollout(ns, c, `${c}-v1`, { targetSize: 3, rolloutBatches: [{ replicas: 3 }] });
    await waitColumns(ns, c, [3, 3, 3, 'batchReady', 'rolloutSucceed']);
    const before = await waitDeployments(ns, c, { [`${c}-v1`]: 3 });

    await applyRollout(ns, c, `${c}-v9`, { targetSize: 3, rolloutBatches: [{ replicas: 3 }] });
    const held = await waitRollout(
      ns,
      c,
      (r) => r.status?.conditions?.some((cond) => cond.reason === 'TargetRevisionNotFound') ?? false,
      'TargetRevisionNotFound',
    );
    expect(held.status?.conditions).toEqual([
      expect.objectContaining({
        status: 'False',
        message: `ControllerRevision "${c}-v9" (spec.targetRevisionName) does not exist in namespace ${ns}; no workload was changed`,
      }),
    ]);
    // The finished rollout's columns stay as they were.
    expect(columnsOf(held)).toEqual([3, 3, 3, 'batchReady', 'rolloutSucceed']);
    const events = await rolloutEvents(ns, c);
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'Warning',
          reason: 'TargetRevisionNotFound',
          message: expect.stringContaining(`${c}-v9`),
        }),
      ]),
    );
    const after = await waitDeployments(ns, c, { [`${c}-v1`]: 3 });
    expect(after.get(`${c}-v1`)?.metadata.generation).toBe(before.get(`${c}-v1`)?.metadata.generation);

    // The revision appears: the rollout proceeds on its own (woken by the ControllerRevision watch).
    await applyRevision(ns, c, `${c}-v9`, 9, 'stefanprodan/podinfo:6.0.0');
    await waitRollout(
      ns,
      c,
      (r) => r.status?.lastTargetRevision === `${c}-v9` && r.status?.rollingState === 'rolloutSucceed',
      'rollout to v9',
    );
    await waitDeployments(ns, c, { [`${c}-v9`]: 3 });
  });

  test('rollout webhooks are called with the rollout and batch; an unexpected status fails it naming the hook', async () => {
    const c = 'hooks';
    const calls: { path: string; body: { name: string; namespace: string; type: string; batch?: number } }[] =
      [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        calls.push({ path: req.url ?? '', body: JSON.parse(body || '{}') as (typeof calls)[number]['body'] });
        res.statusCode = req.url?.startsWith('/fail') ? 500 : 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await applyRevision(ns, c, `${c}-v1`, 1, 'stefanprodan/podinfo:4.0.3');
      await applyRevision(ns, c, `${c}-v2`, 2, 'stefanprodan/podinfo:5.0.2');
      await applyRollout(ns, c, `${c}-v1`, {
        targetSize: 4,
        rolloutBatches: [{ replicas: 2 }, { replicas: 2 }],
        rolloutWebhooks: [
          { type: 'initialize-rollout', name: 'init', url: `${base}/ok/init` },
          { type: 'pre-batch-rollout', name: 'pre', url: `${base}/ok/pre` },
          { type: 'finalize-rollout', name: 'final', url: `${base}/ok/final` },
        ],
      });
      await waitColumns(ns, c, [4, 4, 4, 'batchReady', 'rolloutSucceed']);
      expect(calls.map((call) => [call.path, call.body.type, call.body.batch ?? null])).toEqual([
        ['/ok/init', 'initialize-rollout', null],
        ['/ok/pre', 'pre-batch-rollout', 0],
        ['/ok/pre', 'pre-batch-rollout', 1],
        ['/ok/final', 'finalize-rollout', null],
      ]);
      expect(calls[0]?.body).toMatchObject({ name: c, namespace: ns });

      await applyRollout(ns, c, `${c}-v2`, {
        targetSize: 4,
        rolloutBatches: [{ replicas: 2 }, { replicas: 2 }],
        rolloutWebhooks: [{ type: 'post-batch-rollout', name: 'gate', url: `${base}/fail/gate` }],
      });
      const failed = await waitRollout(
        ns,
        c,
        (r) => r.status?.rollingState === 'rolloutFailed',
        'rolloutFailed',
      );
      expect(failed.status?.conditions).toEqual([
        expect.objectContaining({
          status: 'False',
          reason: 'WebhookFailed',
          message: `webhook "gate" (post-batch-rollout) at ${base}/fail/gate answered 500, expected 2xx`,
        }),
      ]);
      // A failed rollout keeps owning both Deployments.
      const owned = JSON.parse(
        await kubectlOk(['get', 'deploy', '-n', ns, '-l', `app.oam.dev/component=${c}`, '-o', 'json']),
      ) as { items: WorkloadObject[] };
      expect(owned.items.map((d) => d.metadata.name).sort()).toEqual([`${c}-v1`, `${c}-v2`]);
      for (const deployment of owned.items) {
        expect(deployment.metadata.ownerReferences).toEqual([
          expect.objectContaining({ kind: 'Rollout', name: c, controller: false }),
        ]);
      }
    } finally {
      server.close();
    }
  });

  test('paused holds before any batch; unpausing continues', async () => {
    const c = 'paused';
    await applyRevision(ns, c, `${c}-v1`, 1, 'stefanprodan/podinfo:4.0.3');
    await applyRevision(ns, c, `${c}-v2`, 2, 'stefanprodan/podinfo:5.0.2');
    await applyRollout(ns, c, `${c}-v1`, { targetSize: 4, rolloutBatches: [{ replicas: 4 }] });
    await waitColumns(ns, c, [4, 4, 4, 'batchReady', 'rolloutSucceed']);
    await applyRollout(ns, c, `${c}-v2`, { targetSize: 4, paused: true, rolloutBatches: [{ replicas: 4 }] });
    const held = await waitRollout(
      ns,
      c,
      (r) => r.status?.conditions?.some((cond) => cond.reason === 'Paused') ?? false,
      'Paused',
    );
    expect(held.status?.rollingState).toBe('initializing');
    await waitDeployments(ns, c, { [`${c}-v1`]: 4, [`${c}-v2`]: 0 });

    await applyRollout(ns, c, `${c}-v2`, { targetSize: 4, rolloutBatches: [{ replicas: 4 }] });
    await waitColumns(ns, c, [4, 4, 4, 'batchReady', 'rolloutSucceed']);
    await waitDeployments(ns, c, { [`${c}-v2`]: 4 });
  });

  test('DecreaseFirst shrinks the source before growing the target: never more than targetSize wanted', async () => {
    const c = 'decrease';
    await applyRevision(ns, c, `${c}-v1`, 1, 'stefanprodan/podinfo:4.0.3');
    await applyRevision(ns, c, `${c}-v2`, 2, 'stefanprodan/podinfo:5.0.2');
    await applyRollout(ns, c, `${c}-v1`, { targetSize: 4, rolloutBatches: [{ replicas: 4 }] });
    await waitColumns(ns, c, [4, 4, 4, 'batchReady', 'rolloutSucceed']);
    let mostWanted = 0;
    const done = watchUntil<WorkloadObject>(
      deploymentsPath(ns),
      (objects) => {
        const wanted = [...objects.values()].reduce((sum, d) => sum + (d.spec?.replicas ?? 0), 0);
        mostWanted = Math.max(mostWanted, wanted);
        const v2 = objects.get(`${c}-v2`);
        return objects.size === 1 && v2?.status?.readyReplicas === 4;
      },
      { labelSelector: `app.oam.dev/component=${c}`, what: `${c}-v2 4/4 alone` },
    );
    await applyRollout(ns, c, `${c}-v2`, {
      targetSize: 4,
      rolloutStrategy: 'DecreaseFirst',
      rolloutBatches: [{ replicas: 1 }, { replicas: 1 }, { replicas: 2 }],
    });
    await done;
    await waitColumns(ns, c, [4, 4, 4, 'batchReady', 'rolloutSucceed']);
    expect(mostWanted).toBe(4);
  });

  test('IHPA interplay: a succeeded workload scaled by the IHPA is left alone; the next revision starts from its size', async () => {
    const c = 'ihpa';
    await applyRevision(ns, c, `${c}-v1`, 1, 'stefanprodan/podinfo:4.0.3');
    await applyRevision(ns, c, `${c}-v2`, 2, 'stefanprodan/podinfo:5.0.2');
    await applyRollout(ns, c, `${c}-v1`, { targetSize: 3, rolloutBatches: [{ replicas: 3 }] });
    await waitColumns(ns, c, [3, 3, 3, 'batchReady', 'rolloutSucceed']);
    await waitDeployments(ns, c, { [`${c}-v1`]: 3 });

    // What the IHPA does: scale through the scale subresource and annotate the workload.
    const marker = controller.output().length;
    await kubectlOk([
      'annotate',
      'deploy',
      `${c}-v1`,
      '-n',
      ns,
      'autoscaling.kapacitystack.io/ihpa=web-ihpa',
    ]);
    await kubectlOk(['scale', 'deploy', `${c}-v1`, '-n', ns, '--replicas=6']);
    await waitDeployments(ns, c, { [`${c}-v1`]: 6 });
    // The new pods' readiness woke the rollout; it wrote nothing to the workload.
    const writes = controller
      .output()
      .slice(marker)
      .split('\n')
      .filter((line) => line.includes('"message":"applying"') && line.includes(`"key":"${ns}/${c}"`));
    expect(writes).toEqual([]);
    expect(columnsOf(await waitRollout(ns, c, () => true))).toEqual([
      3,
      3,
      3,
      'batchReady',
      'rolloutSucceed',
    ]);

    // A new revision (the trait still says 3) rolls out at the IHPA's 6.
    await applyRollout(ns, c, `${c}-v2`, {
      targetSize: 3,
      rolloutBatches: [{ replicas: '50%' }, { replicas: '50%' }],
    });
    await waitColumns(ns, c, [6, 6, 6, 'batchReady', 'rolloutSucceed']);
    await waitDeployments(ns, c, { [`${c}-v2`]: 6 });
  });
});
