// Long fault test: the readiness-gate webhook server SIGKILLed with its configuration still
// registered. Pods it has no business with, and even opted-in ones, are still created and
// scheduled (failurePolicy Ignore, objectSelector), with no FailedCreate.
import { randomSuffix, sharedKube } from './support/kube.js';
import { runWebhookDown } from './support/webhook-scenario.js';

const kube = sharedKube();

describe('webhook server down', () => {
  let ns: string;
  beforeAll(async () => {
    ns = `fault-webhook-${randomSuffix()}`;
    await kube.kubectlOk(['create', 'namespace', ns]);
  });
  afterAll(async () => {
    await kube.kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  test('unrelated and opted-in pods still schedule and turn Ready', async () => {
    const report = await runWebhookDown(kube, ns);
    console.log(`webhook down: ${report.pods} pods Ready in ${report.readyInMs} ms`);
    expect(report).toMatchObject({ configurationLeft: true, pods: 4, failedCreates: [] });
    expect(report.readyInMs).toBeLessThan(30_000);
  }, 180_000);
});
