// The `rollscale` CLI as a process against the local cluster: `addon enable` of the fixture addon
// creates addon-<name> with its labels, the parameter Secret and the definitions owned by it, and
// waits for it to run (the CLI renders addon Applications itself, as no controller may); `addon
// list` shows it; `addon disable` refuses while an Application uses one of its definitions and
// succeeds with --force; `status` prints component health and the rollout's batches, and
// `status --watch` exits once the rollout has finished.
import { join } from 'node:path';

import { startController, type ControllerProcess } from './controller-process.js';
import { runRollscale as rollscale, startRollscale } from './rollscale-cli.js';
import { createNamespace, deleteNamespace, kubectl, kubectlOk, repoRoot } from './support.js';

interface Owned {
  metadata: {
    uid: string;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string; uid: string; controller?: boolean }>;
  };
}

async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await kubectlOk([...args, '-o', 'json'])) as T;
}

const FIXTURE = join('test', 'fixtures', 'addons', 'cli-fixture');

let ns: string;
let appController: ControllerProcess | undefined;

beforeAll(async () => {
  ns = await createNamespace('cli');
  await kubectlOk(
    ['apply', '--server-side', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'vela-system' } }),
  );
  await kubectlOk([
    'apply',
    '--server-side',
    '--force-conflicts',
    '-f',
    join(repoRoot, 'definitions', 'generated'),
  ]);
  // A leftover of an interrupted run would make the first enable an upgrade.
  await kubectl([
    'delete',
    'app',
    'addon-cli-fixture',
    '-n',
    'vela-system',
    '--ignore-not-found',
    '--wait=true',
  ]);
  appController = await startController({ controllers: ['application', 'rollout'], namespace: ns });
});

afterAll(async () => {
  await kubectl([
    'delete',
    'app',
    'addon-cli-fixture',
    '-n',
    'vela-system',
    '--ignore-not-found',
    '--wait=false',
  ]);
  await appController?.stop();
  await deleteNamespace(ns);
});

describe('rollscale addon', () => {
  test('enable: addon-cli-fixture running, labelled, its Secret and definitions owned by it', async () => {
    const result = await rollscale([
      'addon',
      'enable',
      FIXTURE,
      '--set',
      'message=e2e',
      'replicas=2',
      '--timeout',
      '90s',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('created Application vela-system/addon-cli-fixture');
    expect(result.stdout).toContain('Addon cli-fixture enabled: vela-system/addon-cli-fixture is running');

    const app = await getJson<
      Owned & {
        status: { status: string };
        spec: { components: Array<{ name: string; type: string; properties: { replicas: number } }> };
      }
    >(['get', 'app', 'addon-cli-fixture', '-n', 'vela-system']);
    expect(app.metadata.labels).toMatchObject({
      'addons.oam.dev/name': 'cli-fixture',
      'addons.oam.dev/version': '1.2.0',
    });
    expect(app.status.status).toBe('running');
    expect(app.spec.components).toEqual([
      expect.objectContaining({
        name: 'echo',
        type: 'cli-fixture-worker',
        properties: expect.objectContaining({ replicas: 2 }),
      }),
    ]);
    // The component really runs: its Deployment reached 2 ready replicas.
    const deployment = await getJson<{ status: { readyReplicas?: number } }>([
      'get',
      'deploy',
      'echo',
      '-n',
      'vela-system',
    ]);
    expect(deployment.status.readyReplicas).toBe(2);

    const secret = await getJson<Owned & { data: Record<string, string> }>([
      'get',
      'secret',
      'addon-secret-cli-fixture',
      '-n',
      'vela-system',
    ]);
    expect(JSON.parse(Buffer.from(secret.data['addonParameterDataKey'] ?? '', 'base64').toString())).toEqual({
      message: 'e2e',
      replicas: 2,
    });
    expect(secret.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'Application',
        name: 'addon-cli-fixture',
        uid: app.metadata.uid,
        controller: true,
      }),
    ]);

    for (const [kind, name] of [
      ['componentdefinition', 'cli-fixture-worker'],
      ['traitdefinition', 'cli-fixture-label'],
    ] as const) {
      const definition = await getJson<Owned>(['get', kind, name, '-n', 'vela-system']);
      expect(definition.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'Application', name: 'addon-cli-fixture', uid: app.metadata.uid }),
      ]);
    }
  });

  test('list: the enabled addon with its version and phase; the shipped addons too', async () => {
    const result = await rollscale(['addon', 'list']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^cli-fixture\s+1\.2\.0\s+enabled \(running\)/m);
    expect(result.stdout).toMatch(/^rollscale\s+\S+\s+(disabled|enabled)/m);
  });

  test('disable: refused while an Application uses its definitions, listing it; --force disables', async () => {
    await kubectlOk(
      ['apply', '-n', ns, '-f', '-'],
      JSON.stringify({
        apiVersion: 'core.oam.dev/v1beta1',
        kind: 'Application',
        metadata: { name: 'uses-addon' },
        spec: {
          components: [
            {
              name: 'plain',
              type: 'worker',
              properties: { image: 'busybox' },
              traits: [{ type: 'cli-fixture-label' }],
            },
          ],
        },
      }),
    );
    const refused = await rollscale(['addon', 'disable', 'cli-fixture']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'addon cli-fixture is still in use: 1 Application uses its definitions:',
    );
    expect(refused.stderr).toContain(`  ${ns}/uses-addon: plain uses trait cli-fixture-label`);
    expect(refused.stderr).toContain('pass --force');
    // Nothing was deleted.
    expect((await kubectl(['get', 'app', 'addon-cli-fixture', '-n', 'vela-system'])).code).toBe(0);
    expect((await kubectl(['get', 'traitdefinition', 'cli-fixture-label', '-n', 'vela-system'])).code).toBe(
      0,
    );

    const forced = await rollscale(['addon', 'disable', 'cli-fixture', '--force']);
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(
      `--force: disabling although ${ns}/uses-addon still uses its definitions`,
    );
    expect(forced.stdout).toContain('Addon cli-fixture disabled');
    // disable waits for the Application and what it owns to be gone.
    for (const [kind, name] of [
      ['app', 'addon-cli-fixture'],
      ['secret', 'addon-secret-cli-fixture'],
      ['componentdefinition', 'cli-fixture-worker'],
      ['traitdefinition', 'cli-fixture-label'],
    ]) {
      const res = await kubectl(['get', kind as string, name as string, '-n', 'vela-system']);
      expect(res.stderr).toContain('NotFound');
    }
    await kubectlOk(['delete', 'app', 'uses-addon', '-n', ns]);

    const again = await rollscale(['addon', 'disable', 'cli-fixture']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('addon cli-fixture is not enabled');
  });
});

describe('rollscale status', () => {
  test('--watch follows the first release to the end; status then prints health and both batches ready', async () => {
    // Following from before the Application exists: the watch must wait through the whole release.
    const watch = startRollscale(['status', 'rollout-trait-test', '-n', ns, '--watch']);
    await watch.printed('Application rollout-trait-test not found');
    await kubectlOk(
      ['apply', '-n', ns, '-f', '-'],
      JSON.stringify({
        apiVersion: 'core.oam.dev/v1beta1',
        kind: 'Application',
        metadata: { name: 'rollout-trait-test' },
        spec: {
          components: [
            {
              name: 'express-server',
              type: 'webservice',
              externalRevision: 'express-server-v1',
              properties: { image: 'stefanprodan/podinfo:4.0.3' },
              traits: [
                {
                  type: 'rollout',
                  properties: { targetSize: 5, rolloutBatches: [{ replicas: 2 }, { replicas: 3 }] },
                },
              ],
            },
          ],
        },
      }),
    );
    const watched = await watch.result;
    expect(watched.stderr).toBe('');
    expect(watched.code).toBe(0);
    expect(watched.stdout.trimEnd().endsWith('settled')).toBe(true);
    // Each view it drew on the way has a time stamp (stdout is not a terminal); among them the
    // first batch ready while the second was still to come.
    expect(watched.stdout.match(/^\[\d\d:\d\d:\d\d\]$/gm)?.length).toBeGreaterThan(2);
    expect(watched.stdout).toMatch(
      /batch 1\/2 {2}█+ {2}2\/2 {2}ready\n\s+batch 2\/2 {2}\S+ {2}[0-2]\/3 {2}(pending|rolling)/,
    );

    const once = await rollscale(['status', 'rollout-trait-test', '-n', ns]);
    expect(once.code).toBe(0);
    const lines = once.stdout.split('\n');
    expect(lines[0]).toBe(`Application rollout-trait-test  (namespace ${ns})  phase: running`);
    expect(lines).toContain('  ✔ express-server  webservice  healthy');
    expect(once.stdout).toMatch(
      /Rollout express-server {2}express-server-v1 {2}rolloutSucceed \/ batchReady {2}target 5 · upgraded 5 · ready 5/,
    );
    expect(once.stdout).toMatch(/batch 1\/2 {2}█+ {2}2\/2 {2}ready/);
    expect(once.stdout).toMatch(/batch 2\/2 {2}█+ {2}3\/3 {2}ready/);
    expect(once.stdout).toContain('Deployment express-server-v1  5/5 ready');
  });

  test('an Application that does not exist: exit 1 and how to list them', async () => {
    const result = await rollscale(['status', 'nope', '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`Application nope not found in namespace ${ns}`);
  });
});
