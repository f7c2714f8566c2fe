// Predictive portraits with an external algorithm job: the walkthrough's HorizontalPortrait gets
// its CronJob (with the env the algorithm needs), a result ConfigMap written the way the
// algorithm writes it becomes the portrait's TimeSeries data, and a malformed result is reported
// without losing the previous data.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';

import { startController, type ControllerProcess } from './controller-process.js';
import { createNamespace, deleteNamespace, kubectlOk, repoRoot, watchUntil } from './support.js';

interface HorizontalPortrait {
  metadata: { name: string; namespace?: string; uid?: string };
  spec?: unknown;
  status?: {
    portraitData?: {
      type?: string;
      expireTime?: string;
      timeSeries?: { timeSeries?: Array<{ timestamp: number; replicas: number }> };
    };
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}
interface CronJob {
  metadata: { name: string; ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }> };
  spec?: {
    schedule?: string;
    jobTemplate?: {
      spec?: {
        template?: {
          spec?: {
            containers?: Array<{
              name: string;
              image?: string;
              env?: Array<{ name: string; value?: string }>;
              args?: string[];
            }>;
          };
        };
      };
    };
  };
}
interface CoreEvent {
  metadata: { name: string };
  involvedObject?: { name?: string; kind?: string };
  reason?: string;
  message?: string;
}

const HP_NAME = 'predictive-sample-predictive';
const generated = (hp: HorizontalPortrait | undefined) =>
  hp?.status?.conditions?.find((c) => c.type === 'PortraitGenerated');

function resultConfigMap(data: Record<string, string>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${HP_NAME}-result` },
    data,
  });
}

describe('predictive HorizontalPortrait (ExternalJob)', () => {
  let ns: string;
  let controller: ControllerProcess | undefined;
  const portraits = () => `/apis/autoscaling.kapacitystack.io/v1alpha1/namespaces/${ns}/horizontalportraits`;

  beforeAll(async () => {
    // Short: `<namespace>-<hp name>` must fit a CronJob name (52 characters).
    ns = await createNamespace('pp');
  });
  afterAll(async () => {
    await controller?.stop();
    await deleteNamespace(ns);
  });

  test('CronJob with env, result ConfigMap → TimeSeries portrait, malformed result reported', async () => {
    // The walkthrough's HorizontalPortrait (the status it shows is what we expect to produce).
    const fixture = YAML.parse(
      readFileSync(
        join(repoRoot, 'test', 'fixtures', 'seeds', 'hp-predictive-sample-predictive.yaml'),
        'utf8',
      ),
    ) as HorizontalPortrait;
    const expectedStatus = fixture.status;
    const hp = { ...fixture, metadata: { name: HP_NAME, namespace: ns } };
    delete hp.status;
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(hp));

    controller = await startController({
      controllers: ['portrait'],
      namespace: ns,
      extraArgs: ['--metrics-server-addr=metrics.example:9090'],
    });

    const cronJobName = `${ns}-${HP_NAME}`;
    const jobs = await watchUntil<CronJob>(
      `/apis/batch/v1/namespaces/${ns}/cronjobs`,
      (m) => m.has(cronJobName),
      {
        what: 'the algorithm CronJob',
      },
    );
    const cronJob = jobs.get(cronJobName) as CronJob;
    expect(cronJob.spec?.schedule).toBe('0/30 * * * *');
    expect(cronJob.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'HorizontalPortrait', name: HP_NAME, controller: true }),
    ]);
    const container = cronJob.spec?.jobTemplate?.spec?.template?.spec?.containers?.[0];
    expect(container?.name).toBe('algorithm');
    expect(container?.image).toBeTruthy();
    expect(container?.env).toEqual([
      { name: 'METRICS_SERVER_ADDR', value: 'metrics.example:9090' },
      { name: 'HP_NAMESPACE', value: ns },
      { name: 'HP_NAME', value: HP_NAME },
    ]);

    await watchUntil<HorizontalPortrait>(
      portraits(),
      (m) => generated(m.get(HP_NAME))?.reason === 'WaitingForAlgorithmResult',
      {
        what: 'the portrait waiting for its result',
      },
    );

    // The algorithm's output for the walkthrough's status.
    await kubectlOk(
      ['-n', ns, 'apply', '-f', '-'],
      resultConfigMap({
        type: 'TimeSeries',
        expireTime: '2023-10-25T11:30:00Z',
        timeSeries: JSON.stringify({ '1698232800': 2, '1698231600': 4, '1698232200': 3 }),
      }),
    );
    const done = await watchUntil<HorizontalPortrait>(
      portraits(),
      (m) => generated(m.get(HP_NAME))?.reason === 'SucceededGeneratePortrait',
      { what: 'the generated predictive portrait' },
    );
    const status = done.get(HP_NAME)?.status;
    expect(status?.portraitData).toEqual(expectedStatus?.portraitData);
    expect(generated(done.get(HP_NAME))).toMatchObject({
      status: 'True',
      reason: 'SucceededGeneratePortrait',
      message: 'portrait has been successfully generated',
    });

    // A broken result: the condition names the key, the previous data stays.
    await kubectlOk(
      ['-n', ns, 'apply', '-f', '-'],
      resultConfigMap({
        type: 'TimeSeries',
        expireTime: '2023-10-25T11:30:00Z',
        timeSeries: '{"1698231600": "four"}',
      }),
    );
    const broken = await watchUntil<HorizontalPortrait>(
      portraits(),
      (m) => generated(m.get(HP_NAME))?.reason === 'FailedGeneratePortrait',
      { what: 'the portrait reporting the malformed result' },
    );
    expect(generated(broken.get(HP_NAME))?.message).toBe(
      `failed to generate portrait: invalid result in ConfigMap ${HP_NAME}-result: key "timeSeries": replicas at 1698231600 must be a non-negative integer, got "four"`,
    );
    expect(broken.get(HP_NAME)?.status?.portraitData).toEqual(expectedStatus?.portraitData);
    const events = await watchUntil<CoreEvent>(
      `/api/v1/namespaces/${ns}/events`,
      (m) =>
        [...m.values()].some(
          (e) => e.involvedObject?.name === HP_NAME && e.reason === 'FailedGeneratePortrait',
        ),
      { what: 'the Warning event' },
    );
    expect([...events.values()].some((e) => e.message?.includes('key "timeSeries"'))).toBe(true);
  });
});
