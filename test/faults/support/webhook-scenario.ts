// The readiness-gate webhook server killed (SIGKILL: its MutatingWebhookConfiguration stays behind,
// pointing at a port nobody listens on): pods keep being created and scheduled, both pods the
// webhook has no business with and pods that opted in (failurePolicy Ignore), with no
// FailedCreate anywhere.
import { createServer } from 'node:net';
import { startController } from '../../e2e/controller-process.js';
import type { Kube, KubeObjectLike } from './kube.js';
import { isReady } from './invariants.js';

const OPT_IN = 'kapacitystack.io/inject-pod-readiness-gate';

export interface WebhookDownReport {
  /** The configuration was still registered after the kill (so the API server still calls it). */
  configurationLeft: boolean;
  /** From creating the workloads to every pod Ready (ms); undefined if they never were. */
  readyInMs?: number;
  pods: number;
  failedCreates: string[];
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

interface Pod extends KubeObjectLike {
  spec?: { readinessGates?: Array<{ conditionType: string }> };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

export async function runWebhookDown(kube: Kube, ns: string): Promise<WebhookDownReport> {
  const configuration = `rollscale-pod-readiness-gate-${ns}`;
  const port = await freePort();
  const controller = await startController({
    controllers: ['webhook'],
    namespace: ns,
    extraArgs: ['--webhook-host=127.0.0.1', `--webhook-port=${port}`],
    kubeconfig: kube.kubeconfig,
  });
  try {
    await kube.watchUntil<KubeObjectLike & { webhooks?: Array<{ clientConfig?: { caBundle?: string } }> }>(
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
      (m) => Boolean(m.get(configuration)?.webhooks?.[0]?.clientConfig?.caBundle),
      { what: 'the webhook configuration' },
    );
    // The API server loads configurations through its own informer: probe with server-side dry
    // runs (they run admission) until the webhook answers, so the kill below takes a live one down.
    const probe = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probe', labels: { [OPT_IN]: 'true' } },
      spec: { containers: [{ name: 'main', image: 'nginx:1.27' }] },
    });
    for (let attempt = 0; attempt < 50; attempt++) {
      const res = await kube.kubectl(
        ['-n', ns, 'create', '--dry-run=server', '-o', 'json', '-f', '-'],
        probe,
      );
      if (res.code === 0 && (JSON.parse(res.stdout) as Pod).spec?.readinessGates?.length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await controller.stop({ kill: true });
    const left = await kube.kubectl(['get', 'mutatingwebhookconfiguration', configuration, '-o', 'name']);

    const started = Date.now();
    await kube.kubectlOk(
      ['-n', ns, 'apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'unrelated' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'unrelated' } },
          template: {
            metadata: { labels: { app: 'unrelated' } },
            spec: { containers: [{ name: 'main', image: 'nginx:1.27' }] },
          },
        },
      }),
    );
    await kube.kubectlOk(
      ['-n', ns, 'apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'opted-in', labels: { [OPT_IN]: 'true', app: 'opted-in' } },
        spec: { containers: [{ name: 'main', image: 'nginx:1.27' }] },
      }),
    );
    let readyInMs: number | undefined;
    let pods = 0;
    try {
      const seen = await kube.watchUntil<Pod>(
        `/api/v1/namespaces/${ns}/pods`,
        (m) => m.size === 4 && [...m.values()].every(isReady),
        { what: 'four pods Ready with the webhook down', timeoutMs: 60000 },
      );
      readyInMs = Date.now() - started;
      pods = seen.size;
    } catch {
      // reported below through readyInMs
    }
    const events = JSON.parse(await kube.kubectlOk(['-n', ns, 'get', 'events', '-o', 'json'])) as {
      items: Array<{ reason?: string; message?: string }>;
    };
    return {
      configurationLeft: left.code === 0,
      readyInMs,
      pods,
      failedCreates: events.items.filter((e) => e.reason === 'FailedCreate').map((e) => e.message ?? ''),
    };
  } finally {
    await controller.stop();
    await kube.kubectl(['delete', 'mutatingwebhookconfiguration', configuration, '--ignore-not-found']);
  }
}
