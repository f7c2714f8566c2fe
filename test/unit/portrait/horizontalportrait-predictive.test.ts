import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';

import {
  PortraitSpecError,
  algorithmCronJobName,
  parseAlgorithmResult,
  portraitNameOfResult,
  renderAlgorithmCronJob,
  resultConfigMapName,
  withEnv,
  type HorizontalPortrait,
} from '../../../controllers/portrait/horizontalportrait/index.js';

const fixture = YAML.parse(
  readFileSync(
    join(process.cwd(), 'test', 'fixtures', 'seeds', 'hp-predictive-sample-predictive.yaml'),
    'utf8',
  ),
) as HorizontalPortrait;

function seedPortrait(): HorizontalPortrait {
  const hp = structuredClone(fixture);
  hp.metadata = { ...hp.metadata, uid: 'uid-1', generation: 1 };
  delete hp.status;
  return hp;
}

const SETTINGS = {
  metricsServerAddress: 'kapacity-grpc-service.kapacity-system:9090',
  defaultImage: 'algo:1',
};
type Containers = Array<{ name: string; image?: string; env?: Array<{ name: string; value?: string }> }>;
const containersOf = (job: ReturnType<typeof renderAlgorithmCronJob>): Containers =>
  (job.spec.jobTemplate?.spec?.template?.spec?.containers ?? []) as Containers;

describe('renderAlgorithmCronJob', () => {
  it("renders the walkthrough's job: name, owner, schedule, env and default image", () => {
    const hp = seedPortrait();
    const job = renderAlgorithmCronJob(hp, SETTINGS);
    expect(job.metadata?.name).toBe('default-predictive-sample-predictive');
    expect(job.metadata?.namespace).toBe('default');
    expect(job.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'autoscaling.kapacitystack.io/v1alpha1',
        kind: 'HorizontalPortrait',
        name: 'predictive-sample-predictive',
        uid: 'uid-1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(job.spec['schedule']).toBe('0/30 * * * *');
    expect(containersOf(job)).toEqual([
      {
        name: 'algorithm',
        image: 'algo:1',
        env: [
          { name: 'METRICS_SERVER_ADDR', value: 'kapacity-grpc-service.kapacity-system:9090' },
          { name: 'HP_NAMESPACE', value: 'default' },
          { name: 'HP_NAME', value: 'predictive-sample-predictive' },
        ],
      },
    ]);
    // The portrait's own spec is not modified.
    expect(JSON.stringify(hp.spec)).toBe(JSON.stringify(fixture.spec));
  });

  it('touches only the algorithm container when there is one, keeping other env and the image', () => {
    const hp = seedPortrait();
    const podSpec = (
      hp.spec.algorithm.externalJob?.job?.cronJob?.template?.spec as {
        jobTemplate: { spec: { template: { spec: { containers: Containers } } } };
      }
    ).jobTemplate.spec.template.spec;
    podSpec.containers = [
      { name: 'proxy', image: 'envoy:1' },
      {
        name: 'algorithm',
        image: 'mine:2',
        env: [
          { name: 'HP_NAME', value: 'stale' },
          { name: 'DEBUG', value: '1' },
        ],
      },
    ];
    const [proxy, algorithm] = containersOf(renderAlgorithmCronJob(hp, SETTINGS));
    expect(proxy).toEqual({ name: 'proxy', image: 'envoy:1' });
    expect(algorithm?.image).toBe('mine:2');
    expect(algorithm?.env).toEqual([
      { name: 'HP_NAME', value: 'predictive-sample-predictive' },
      { name: 'DEBUG', value: '1' },
      { name: 'METRICS_SERVER_ADDR', value: SETTINGS.metricsServerAddress },
      { name: 'HP_NAMESPACE', value: 'default' },
    ]);
  });

  it('injects into every container when none is named algorithm', () => {
    const hp = seedPortrait();
    const podSpec = (
      hp.spec.algorithm.externalJob?.job?.cronJob?.template?.spec as {
        jobTemplate: { spec: { template: { spec: { containers: Containers } } } };
      }
    ).jobTemplate.spec.template.spec;
    podSpec.containers = [
      { name: 'one', image: 'x' },
      { name: 'two', image: 'y' },
    ];
    const containers = containersOf(renderAlgorithmCronJob(hp, SETTINGS));
    expect(containers.map((c) => c.env?.map((e) => e.name))).toEqual([
      ['METRICS_SERVER_ADDR', 'HP_NAMESPACE', 'HP_NAME'],
      ['METRICS_SERVER_ADDR', 'HP_NAMESPACE', 'HP_NAME'],
    ]);
  });

  it('refuses a spec without a job template or containers', () => {
    const noTemplate = seedPortrait();
    delete noTemplate.spec.algorithm.externalJob?.job?.cronJob;
    expect(() => renderAlgorithmCronJob(noTemplate, SETTINGS)).toThrow(PortraitSpecError);
    const noContainers = seedPortrait();
    noContainers.spec.algorithm.externalJob = {
      job: { type: 'CronJob', cronJob: { template: { spec: { schedule: '* * * * *' } } } },
    };
    expect(() => renderAlgorithmCronJob(noContainers, SETTINGS)).toThrow(
      /containers must list the algorithm container/,
    );
  });

  it('shortens names past the CronJob limit with a stable hash', () => {
    const hp = seedPortrait();
    hp.metadata = {
      ...hp.metadata,
      namespace: 'a-rather-long-team-namespace',
      name: 'checkout-service-predictive',
    };
    const name = algorithmCronJobName(hp);
    expect(name).toHaveLength(52);
    expect(name).toMatch(/^a-rather-long-team-namespace-checkout-servi-[0-9a-f]{8}$/);
    expect(algorithmCronJobName(structuredClone(hp))).toBe(name);
    hp.metadata.name = 'checkout-service-predictive2';
    expect(algorithmCronJobName(hp)).not.toBe(name);
  });

  it('maps result ConfigMaps to their portraits', () => {
    expect(resultConfigMapName('predictive-sample-predictive')).toBe('predictive-sample-predictive-result');
    expect(portraitNameOfResult('predictive-sample-predictive-result')).toBe('predictive-sample-predictive');
    expect(portraitNameOfResult('kapacity-config')).toBeUndefined();
    expect(portraitNameOfResult('-result')).toBeUndefined();
  });

  it('withEnv replaces same-named variables in place and appends the rest', () => {
    expect(
      withEnv(
        [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        [
          { name: 'B', value: '3' },
          { name: 'C', value: '4' },
        ],
      ),
    ).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '3' },
      { name: 'C', value: '4' },
    ]);
  });
});

describe('parseAlgorithmResult', () => {
  it("turns the algorithm's output into the walkthrough's portrait data, points sorted", () => {
    const reading = parseAlgorithmResult({
      type: 'TimeSeries',
      expireTime: '2023-10-25T19:30:00+08:00',
      timeSeries: '{"1698232800": 2, "1698231600": 4, "1698232200": 3}',
    });
    expect(reading).toEqual({ ok: true, data: fixture.status?.portraitData });
  });

  it('accepts a result without expireTime', () => {
    expect(parseAlgorithmResult({ type: 'TimeSeries', timeSeries: '{"100": 1}' })).toEqual({
      ok: true,
      data: { type: 'TimeSeries', timeSeries: { timeSeries: [{ timestamp: 100, replicas: 1 }] } },
    });
  });

  it.each([
    [undefined, 'key "type" is missing'],
    [{ timeSeries: '{"1": 1}' }, 'key "type" is missing'],
    [
      { type: 'Static', timeSeries: '{"1": 1}' },
      'key "type": unsupported result type "Static" (only TimeSeries is supported)',
    ],
    [
      { type: 'TimeSeries', expireTime: 'tomorrow', timeSeries: '{"1": 1}' },
      'key "expireTime": "tomorrow" is not an RFC 3339 time',
    ],
    [
      { type: 'TimeSeries', expireTime: '2023-10-25', timeSeries: '{"1": 1}' },
      'key "expireTime": "2023-10-25" is not an RFC 3339 time',
    ],
    [{ type: 'TimeSeries' }, 'key "timeSeries" is missing'],
    [{ type: 'TimeSeries', timeSeries: '{"1": 1' }, /^key "timeSeries" is not valid JSON: /],
    [
      { type: 'TimeSeries', timeSeries: '[[1, 2]]' },
      'key "timeSeries" must be a JSON object {"<unix seconds>": replicas}',
    ],
    [{ type: 'TimeSeries', timeSeries: '{}' }, 'key "timeSeries" has no points'],
    [
      { type: 'TimeSeries', timeSeries: '{"soon": 1}' },
      'key "timeSeries": timestamp "soon" is not a whole number of unix seconds',
    ],
    [
      { type: 'TimeSeries', timeSeries: '{"1.5": 1}' },
      'key "timeSeries": timestamp "1.5" is not a whole number of unix seconds',
    ],
    [
      { type: 'TimeSeries', timeSeries: '{"1": 2.5}' },
      'key "timeSeries": replicas at 1 must be a non-negative integer, got 2.5',
    ],
    [
      { type: 'TimeSeries', timeSeries: '{"1": -1}' },
      'key "timeSeries": replicas at 1 must be a non-negative integer, got -1',
    ],
    [
      { type: 'TimeSeries', timeSeries: '{"1": "4"}' },
      'key "timeSeries": replicas at 1 must be a non-negative integer, got "4"',
    ],
  ])('rejects %j: %s', (data, message) => {
    const reading = parseAlgorithmResult(data as Record<string, string> | undefined);
    expect(reading.ok).toBe(false);
    if (!reading.ok) {
      if (typeof message === 'string') expect(reading.error).toBe(message);
      else expect(reading.error).toMatch(message);
    }
  });
});
