// The readiness-gate webhook on the real API server: the controller serves it over TLS on
// loopback with a certificate it generated, publishes the MutatingWebhookConfiguration with its
// CA, and opted-in pods get the gate (others do not). The pod watcher sets the gate's condition
// True, also on a pod no node ever starts. With the controller stopped, pods are still created.
import { createServer } from 'node:net';

import { startController, type ControllerProcess } from './controller-process.js';
import { createNamespace, deleteNamespace, kubectl, kubectlOk, watchUntil } from './support.js';

const GATE = 'kapacitystack.io/online';
const OPT_IN = 'kapacitystack.io/inject-pod-readiness-gate';

interface Pod {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { readinessGates?: Array<{ conditionType: string }> };
  status?: { conditions?: Array<{ type: string; status: string }> };
}
interface WebhookConfiguration {
  metadata: { name: string };
  webhooks?: Array<{
    failurePolicy?: string;
    objectSelector?: unknown;
    namespaceSelector?: unknown;
    clientConfig?: { url?: string; caBundle?: string };
    rules?: Array<{ operations?: string[]; resources?: string[] }>;
  }>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function pod(name: string, optedIn: boolean, extraSpec: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: optedIn ? { [OPT_IN]: 'true', app: 'gate-test' } : { app: 'gate-test' } },
    spec: { containers: [{ name: 'main', image: 'nginx:1.27' }], ...extraSpec },
  });
}

const gates = (p: Pod | undefined): string[] => (p?.spec?.readinessGates ?? []).map((g) => g.conditionType);
const condition = (p: Pod | undefined, type: string) =>
  p?.status?.conditions?.find((c) => c.type === type)?.status;

describe('pod readiness-gate webhook', () => {
  let ns: string;
  let controller: ControllerProcess | undefined;
  let configurationName: string;

  beforeAll(async () => {
    ns = await createNamespace('webhook');
    configurationName = `rollscale-pod-readiness-gate-${ns}`;
  });
  afterAll(async () => {
    await controller?.stop();
    await kubectl(['delete', 'mutatingwebhookconfiguration', configurationName, '--ignore-not-found']);
    await deleteNamespace(ns);
  });

  test('injects the gate into opted-in pods only, and never blocks pods when down', async () => {
    const port = await freePort();
    controller = await startController({
      controllers: ['webhook'],
      namespace: ns,
      extraArgs: ['--webhook-host=127.0.0.1', `--webhook-port=${port}`],
    });

    const configurations = await watchUntil<WebhookConfiguration>(
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
      (m) => Boolean(m.get(configurationName)?.webhooks?.[0]?.clientConfig?.caBundle),
      { what: 'the webhook configuration' },
    );
    const webhook = configurations.get(configurationName)?.webhooks?.[0];
    expect(webhook?.failurePolicy).toBe('Ignore');
    expect(webhook?.clientConfig?.url).toBe(`https://127.0.0.1:${port}/mutate-pod-readiness-gate`);
    expect(webhook?.objectSelector).toEqual({ matchLabels: { [OPT_IN]: 'true' } });
    expect(webhook?.namespaceSelector).toEqual({
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [ns] }],
    });
    expect(webhook?.rules?.[0]).toMatchObject({ operations: ['CREATE'], resources: ['pods'] });

    // The API server picks up a new configuration through its own informer; there is no event
    // to wait on from outside, so probe with server-side dry runs (they run admission) until the
    // gate shows up, within a bound.
    let injected = false;
    for (let attempt = 0; attempt < 50 && !injected; attempt++) {
      const probe = await kubectl(
        ['-n', ns, 'create', '--dry-run=server', '-o', 'json', '-f', '-'],
        pod('probe', true),
      );
      injected = probe.code === 0 && gates(JSON.parse(probe.stdout) as Pod).includes(GATE);
      if (!injected) await new Promise((r) => setTimeout(r, 200));
    }
    expect(injected).toBe(true);

    await kubectlOk(['-n', ns, 'create', '-f', '-'], pod('gated', true));
    await kubectlOk(['-n', ns, 'create', '-f', '-'], pod('plain', false));
    // No node matches: nothing but our pod watcher can set the gate's condition on this one.
    await kubectlOk(
      ['-n', ns, 'create', '-f', '-'],
      pod('unscheduled', true, { nodeSelector: { 'no-such-node': 'true' } }),
    );

    const pods = await watchUntil<Pod>(
      `/api/v1/namespaces/${ns}/pods`,
      (m) =>
        condition(m.get('gated'), 'Ready') === 'True' &&
        condition(m.get('plain'), 'Ready') === 'True' &&
        condition(m.get('unscheduled'), GATE) === 'True',
      { labelSelector: 'app=gate-test', what: 'pods ready and gated' },
    );
    expect(gates(pods.get('gated'))).toEqual([GATE]);
    expect(condition(pods.get('gated'), GATE)).toBe('True');
    expect(gates(pods.get('plain'))).toEqual([]);
    expect(gates(pods.get('unscheduled'))).toEqual([GATE]);
    expect(condition(pods.get('plain'), GATE)).toBeUndefined();

    // The webhook process goes away; failurePolicy Ignore lets every pod through.
    await controller.stop();
    controller = undefined;
    const unrelated = await kubectl(['-n', ns, 'create', '-f', '-'], pod('after-stop-plain', false));
    expect(unrelated.code).toBe(0);
    const optedIn = await kubectl(
      ['-n', ns, 'create', '-o', 'json', '-f', '-'],
      pod('after-stop-gated', true),
    );
    expect(optedIn.code).toBe(0);
    expect(gates(JSON.parse(optedIn.stdout) as Pod)).toEqual([]);
  });
});
