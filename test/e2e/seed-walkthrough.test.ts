// The user's rollout walkthrough (seed 003) end to end, exactly as a user runs it: Application
// YAML applied with kubectl, the Application and Rollout controllers running, and what
// `kubectl get app | controllerRevision | rollout | deploy | cloneset` prints at every step.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { startController, type ControllerProcess } from './controller-process.js';
import {
  cloneSetsPath,
  deploymentsPath,
  getDeployments,
  getRollout,
  waitColumns,
  waitRollout,
  waitWorkloads,
} from './rollout-fixtures.js';
import { createNamespace, deleteNamespace, kubectl, kubectlOk, repoRoot, watchUntil } from './support.js';

const seedDocs = (file: string) =>
  YAML.parseAllDocuments(readFileSync(join(repoRoot, 'test', 'fixtures', 'seeds', file), 'utf8'))
    .map((d) => d.toJSON())
    .filter(Boolean) as object[];

const rows = (out: string) =>
  out
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/));

interface App {
  metadata: { name: string };
  status?: { status?: string; services?: { healthy?: boolean }[] };
}

describe('seed 003: rollout trait walkthrough through Application YAML', () => {
  let ns: string;
  let controller: ControllerProcess;
  const apply = (doc: object) => kubectlOk(['apply', '-n', ns, '-f', '-'], JSON.stringify(doc));

  beforeAll(async () => {
    await kubectlOk([
      'apply',
      '--server-side',
      '--force-conflicts',
      '-f',
      join(repoRoot, 'definitions', 'generated'),
    ]);
    ns = await createNamespace('seed');
    controller = await startController({ controllers: ['application', 'rollout'], namespace: ns });
  });
  afterAll(async () => {
    await controller?.stop();
    await deleteNamespace(ns);
  });

  const waitApp = (name: string, phase: string, healthy: boolean) =>
    watchUntil<App>(
      `/apis/core.oam.dev/v1beta1/namespaces/${ns}/applications`,
      (m) => {
        const app = m.get(name);
        return (
          app?.status?.status === phase && app.status.services?.every((s) => s.healthy === healthy) === true
        );
      },
      { what: `application ${name} ${phase}` },
    );

  test('webservice: first release, held upgrade, continue, rollback, scale up and down', async () => {
    const [first, held, continued, rollback, scaleUp, scaleDown] = seedDocs('app-rollout-trait-test.yaml');

    await apply(first as object);
    await waitColumns(ns, 'express-server', [5, 5, 5, 'batchReady', 'rolloutSucceed']);
    await waitWorkloads(deploymentsPath(ns), 'express-server', { 'express-server-v1': 5 });
    await waitApp('rollout-trait-test', 'running', true);
    expect(
      rows(await kubectlOk(['get', 'app', 'rollout-trait-test', '-n', ns])).map((r) => r.slice(0, 5)),
    ).toEqual([
      ['NAME', 'COMPONENT', 'TYPE', 'PHASE', 'HEALTHY'],
      ['rollout-trait-test', 'express-server', 'webservice', 'running', 'true'],
    ]);
    const revisions = () =>
      kubectlOk(['get', 'controllerRevision', '-n', ns, '-l', 'controller.oam.dev/component=express-server']);
    expect(rows(await revisions()).map((r) => r.slice(0, 3))).toEqual([
      ['NAME', 'CONTROLLER', 'REVISION'],
      ['express-server-v1', 'application.core.oam.dev/rollout-trait-test', '1'],
    ]);
    expect(await getRollout(ns, 'express-server')).toEqual([
      'express-server',
      '5',
      '5',
      '5',
      'batchReady',
      'rolloutSucceed',
    ]);
    expect(await getDeployments(ns, 'express-server')).toEqual([['express-server-v1', '5/5']]);

    await apply(held as object);
    await waitColumns(ns, 'express-server', [5, 2, 2, 'batchReady', 'rollingInBatches']);
    await waitWorkloads(deploymentsPath(ns), 'express-server', {
      'express-server-v1': 3,
      'express-server-v2': 2,
    });
    expect(rows(await revisions()).map((r) => r.slice(0, 3))).toEqual([
      ['NAME', 'CONTROLLER', 'REVISION'],
      ['express-server-v1', 'application.core.oam.dev/rollout-trait-test', '1'],
      ['express-server-v2', 'application.core.oam.dev/rollout-trait-test', '2'],
    ]);
    expect(await getRollout(ns, 'express-server')).toEqual([
      'express-server',
      '5',
      '2',
      '2',
      'batchReady',
      'rollingInBatches',
    ]);
    expect(await getDeployments(ns, 'express-server')).toEqual([
      ['express-server-v1', '3/3'],
      ['express-server-v2', '2/2'],
    ]);

    await apply(continued as object);
    await waitWorkloads(deploymentsPath(ns), 'express-server', { 'express-server-v2': 5 });
    await waitColumns(ns, 'express-server', [5, 5, 5, 'batchReady', 'rolloutSucceed']);
    expect(await getDeployments(ns, 'express-server')).toEqual([['express-server-v2', '5/5']]);

    await apply(rollback as object);
    await waitWorkloads(deploymentsPath(ns), 'express-server', { 'express-server-v1': 5 });
    await waitColumns(ns, 'express-server', [5, 5, 5, 'batchReady', 'rolloutSucceed']);
    expect(await getDeployments(ns, 'express-server')).toEqual([['express-server-v1', '5/5']]);
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

    await apply(scaleUp as object);
    await waitWorkloads(deploymentsPath(ns), 'express-server', { 'express-server-v1': 7 });
    await waitColumns(ns, 'express-server', [7, 7, 7, 'batchReady', 'rolloutSucceed']);
    expect(await getDeployments(ns, 'express-server')).toEqual([['express-server-v1', '7/7']]);

    await apply(scaleDown as object);
    await waitWorkloads(deploymentsPath(ns), 'express-server', { 'express-server-v1': 3 });
    await waitColumns(ns, 'express-server', [3, 3, 3, 'batchReady', 'rolloutSucceed']);
    expect(await getRollout(ns, 'express-server')).toEqual([
      'express-server',
      '3',
      '3',
      '3',
      'batchReady',
      'rolloutSucceed',
    ]);
    expect(await getDeployments(ns, 'express-server')).toEqual([['express-server-v1', '3/3']]);
    await waitApp('rollout-trait-test', 'running', true);
  });

  test('cloneset: first release and in-place upgrade', async () => {
    const [first, upgrade] = seedDocs('app-rollout-trait-test-cloneset.yaml');
    // The seed's columns, picked by name: OpenKruise 1.8 prints one more (UPDATED_AVAILABLE).
    const clonesets = async () => {
      const [header = [], ...body] = rows(
        await kubectlOk(['get', 'cloneset', '-n', ns, '-l', 'app.oam.dev/component=cloneset-server']),
      );
      const columns = ['NAME', 'DESIRED', 'UPDATED', 'UPDATED_READY', 'READY', 'TOTAL'];
      return [columns, ...body.map((row) => columns.map((c) => row[header.indexOf(c)]))];
    };

    await apply(first as object);
    await waitColumns(ns, 'cloneset-server', [5, 5, 5, 'batchReady', 'rolloutSucceed']);
    await waitWorkloads(cloneSetsPath(ns), 'cloneset-server', { 'cloneset-server': 5 });
    await waitApp('rollout-trait-test-cloneset', 'running', true);
    expect(await clonesets()).toEqual([
      ['NAME', 'DESIRED', 'UPDATED', 'UPDATED_READY', 'READY', 'TOTAL'],
      ['cloneset-server', '5', '5', '5', '5', '5'],
    ]);
    const podUids = async () =>
      (
        await kubectlOk([
          'get',
          'pods',
          '-n',
          ns,
          '-l',
          'app.oam.dev/component=cloneset-server',
          '-o',
          'jsonpath={.items[*].metadata.uid}',
        ])
      )
        .split(' ')
        .sort();
    const before = await podUids();

    await apply(upgrade as object);
    await waitRollout(
      ns,
      'cloneset-server',
      (r) =>
        r.status?.lastTargetRevision === 'cloneset-server-v2' && r.status.rollingState === 'rolloutSucceed',
      'the in-place upgrade to cloneset-server-v2',
      90000,
    );
    expect(await getRollout(ns, 'cloneset-server')).toEqual([
      'cloneset-server',
      '5',
      '5',
      '5',
      'batchReady',
      'rolloutSucceed',
    ]);
    const image = await kubectlOk([
      'get',
      'cloneset',
      'cloneset-server',
      '-n',
      ns,
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    ]);
    expect(image).toBe('stefanprodan/podinfo:5.0.2');
    expect(
      rows(
        await kubectlOk([
          'get',
          'controllerRevision',
          '-n',
          ns,
          '-l',
          'controller.oam.dev/component=cloneset-server',
        ]),
      ).map((r) => r.slice(0, 3)),
    ).toEqual([
      ['NAME', 'CONTROLLER', 'REVISION'],
      ['cloneset-server-v1', 'application.core.oam.dev/rollout-trait-test-cloneset', '1'],
      ['cloneset-server-v2', 'application.core.oam.dev/rollout-trait-test-cloneset', '2'],
    ]);
    await watchUntil<{ metadata: { name: string }; status?: { updatedReadyReplicas?: number } }>(
      cloneSetsPath(ns),
      (m) => m.get('cloneset-server')?.status?.updatedReadyReplicas === 5,
    );
    expect(await clonesets()).toEqual([
      ['NAME', 'DESIRED', 'UPDATED', 'UPDATED_READY', 'READY', 'TOTAL'],
      ['cloneset-server', '5', '5', '5', '5', '5'],
    ]);
    // In place: the same pods, restarted on the new image.
    expect(await podUids()).toEqual(before);
  });

  test('deleting the Application removes every workload', async () => {
    await kubectlOk(['delete', 'app', 'rollout-trait-test', 'rollout-trait-test-cloneset', '-n', ns]);
    for (const resource of ['deploy', 'cloneset', 'rollout']) {
      const out = await kubectl(['wait', '--for=delete', resource, '-n', ns, '--all', '--timeout=60s']);
      expect({ resource, code: out.code }).toEqual({ resource, code: 0 });
    }
    expect((await kubectlOk(['get', 'deploy,cloneset,rollout', '-n', ns, '-o', 'name'])).trim()).toBe('');
  });
});
