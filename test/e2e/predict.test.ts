// Predictive scaling end to end, as the walkthrough (seed 002, section 1.3) runs it, on the local
// cluster with a real Prometheus:
//
// - Prometheus holds 24 h of synthetic history (an hourly traffic cycle through the seed's Ingress
//   NGINX metric, cAdvisor cpu of the nginx pods, kube-state-metrics' ready pods), written as TSDB
//   blocks by `promtool tsdb create-blocks-from openmetrics` before it starts;
// - the controller runs the ihpa, replicaprofile, portrait and grpc-metrics controllers, with the
//   seed's `kapacity-config` rules (including its nginx_ingress_controller_requests_rate rule);
// - the seed's IHPA makes the HorizontalPortrait `predictive-sample-predictive` and its CronJob.
//   KWOK runs no containers, so this test runs the job itself: `tsx cli/predict/main.ts` with the
//   CronJob container's args and env (METRICS_SERVER_ADDR is the controller's gRPC address);
// - the result ConfigMap becomes the portrait's TimeSeries and the IHPA's ReplicaProfile follows
//   it; a run with too little history exits non-zero and leaves the result alone;
// - a gRPC client asks the service every query type, latest and range, and for the error codes.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { freePort, startPrometheus, type PrometheusServer } from '../../hack/prometheus.js';
import { MetricsCallError, MetricsClient } from '../../controllers/metrics/grpc/client.js';
import type { QueryMessage } from '../../controllers/metrics/grpc/proto.js';
import { startController, type ControllerProcess } from './controller-process.js';
import { NGINX_STATEFULSET, record, type ReplicaProfileObject } from './ihpa-support.js';
import {
  createNamespace,
  deleteNamespace,
  kubeconfigPath,
  kubectlOk,
  repoRoot,
  watchUntil,
} from './support.js';

const HP_NAME = 'predictive-sample-predictive';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

// The synthetic workload: requests per second on an hourly cycle; each pod uses a little cpu at
// rest plus a share of the traffic's cost. The seed's target is 1m cpu per pod.
const TARGET = 0.001;
const BASELINE = 0.0001;
const COST_PER_RPS = 0.0004;
const rpsAt = (ms: number): number => {
  const phase = (ms % HOUR) / HOUR;
  return 10 * (1 + 0.6 * Math.sin(2 * Math.PI * phase) + 0.15 * Math.sin(4 * Math.PI * phase));
};
const needAt = (ms: number): number => (COST_PER_RPS * rpsAt(ms)) / (TARGET - BASELINE);

/** Deterministic noise in [-1, 1]. */
function noise(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32) * 2 - 1;
  };
}

/**
 * OpenMetrics text of the history from `fromMs` to `toMs` every 30 s for namespace `ns`: the
 * counters Prometheus would have scraped (requests, cpu seconds) and the ready-pod gauges.
 */
function history(ns: string, fromMs: number, toMs: number): string {
  const stepMs = 30_000;
  const pods = 10;
  const jitter = noise(7);
  const times: number[] = [];
  for (let t = fromMs; t <= toMs; t += stepMs) times.push(t);
  const rps = times.map((t) => rpsAt(t) * (1 + 0.05 * jitter()));
  // Replicas as a reactive autoscaler left them: the need of two minutes earlier, 10 % up.
  const ready = times.map((t) => Math.min(pods, Math.max(1, Math.ceil(needAt(t - 2 * MINUTE) * 1.1))));
  const lines: string[] = [];
  const sample = (series: string, value: number, t: number) =>
    lines.push(`${series} ${Number(value.toFixed(6))} ${(t / 1000).toFixed(3)}`);

  lines.push('# TYPE nginx_ingress_controller_requests unknown');
  let requests = 0;
  times.forEach((t, i) => {
    requests += (rps[i] as number) * (stepMs / 1000);
    sample(
      `nginx_ingress_controller_requests{namespace="${ns}",ingress="nginx-server",status="200"}`,
      requests,
      t,
    );
  });
  lines.push('# TYPE container_cpu_usage_seconds_total unknown');
  for (let pod = 0; pod < pods; pod++) {
    let seconds = 0;
    times.forEach((t, i) => {
      const replicas = ready[i] as number;
      if (pod < replicas) {
        const perPod = BASELINE + (COST_PER_RPS * (rps[i] as number)) / replicas;
        seconds += perPod * (1 + 0.02 * jitter()) * (stepMs / 1000);
      }
      sample(
        `container_cpu_usage_seconds_total{namespace="${ns}",pod="nginx-${pod}",container="nginx"}`,
        seconds,
        t,
      );
    });
  }
  lines.push('# TYPE kube_pod_status_ready unknown');
  for (let pod = 0; pod < pods; pod++) {
    for (const condition of ['true', 'false']) {
      times.forEach((t, i) => {
        const isReady = pod < (ready[i] as number);
        sample(
          `kube_pod_status_ready{namespace="${ns}",pod="nginx-${pod}",condition="${condition}"}`,
          isReady === (condition === 'true') ? 1 : 0,
          t,
        );
      });
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

/** The seed's kapacity-config: Kapacity's default rules plus the Ingress NGINX rule of section 1.3. */
const KAPACITY_CONFIG = `
resourceRules:
  cpu:
    containerQuery: |-
      sum by (<<.GroupBy>>) (
        irate(container_cpu_usage_seconds_total{container!="",container!="POD",<<.LabelMatchers>>}[3m])
      )
    readyPodsOnlyContainerQuery: |-
      sum by (<<.GroupBy>>) (
          (kube_pod_status_ready{condition="true"} == 1)
        * on (namespace, pod) group_left ()
          sum by (namespace, pod) (
            irate(container_cpu_usage_seconds_total{container!="",container!="POD",<<.LabelMatchers>>}[3m])
          )
      )
    resources:
      overrides:
        namespace:
          resource: namespace
        pod:
          resource: pod
    containerLabel: container
  window: 3m
rules:
- seriesQuery: '{__name__="nginx_ingress_controller_requests"}'
  metricsQuery: round(sum(irate(<<.Series>>{<<.LabelMatchers>>}[3m])) by (<<.GroupBy>>), 0.001)
  name:
    as: nginx_ingress_controller_requests_rate
  resources:
    template: <<.Resource>>
externalRules:
- seriesQuery: '{__name__="kube_pod_status_ready"}'
  metricsQuery: sum(<<.Series>>{condition="true",<<.LabelMatchers>>})
  name:
    as: ready_pods_count
  resources:
    overrides:
      namespace:
        resource: namespace
workloadPodNamePatterns:
- group: apps
  kind: StatefulSet
  pattern: ^%s-[0-9]+$
`;

interface HorizontalPortrait {
  metadata: { name: string };
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
  metadata: { name: string };
  spec?: {
    jobTemplate?: {
      spec?: {
        template?: {
          spec?: {
            containers?: Array<{
              name: string;
              args?: string[];
              env?: Array<{ name: string; value?: string }>;
            }>;
          };
        };
      };
    };
  };
}
interface ConfigMap {
  metadata: {
    name: string;
    resourceVersion?: string;
    ownerReferences?: Array<{ kind: string; name: string }>;
  };
  data?: Record<string, string>;
}

/** Runs the forecasting job as a process; resolves with its exit code and output. */
function runJob(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      join(repoRoot, 'node_modules', '.bin', 'tsx'),
      [join(repoRoot, 'cli', 'predict', 'main.ts'), ...args],
      {
        env: { ...process.env, KUBECONFIG: kubeconfigPath, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

const generated = (hp: HorizontalPortrait | undefined) =>
  hp?.status?.conditions?.find((c) => c.type === 'PortraitGenerated');

describe('predictive scaling: metrics gRPC service + forecasting job', () => {
  let ns: string;
  let prometheus: PrometheusServer | undefined;
  let controller: ControllerProcess | undefined;
  let grpcAddress: string;
  let client: MetricsClient;
  let historyEnd: number;

  beforeAll(async () => {
    // Short: `<namespace>-predictive-sample-predictive` must fit a CronJob name.
    ns = await createNamespace('pred');
    const now = Date.now();
    historyEnd = now + 15 * MINUTE;
    prometheus = await startPrometheus({
      targets: [],
      prepareStorage: (storageDir) => {
        const input = join(storageDir, '..', 'history.om');
        writeFileSync(input, history(ns, now - 25 * HOUR, historyEnd));
        execFileSync(
          process.env['PROMTOOL_BIN'] ?? 'promtool',
          ['tsdb', 'create-blocks-from', 'openmetrics', input, storageDir],
          {
            stdio: 'pipe',
          },
        );
      },
    });
    await kubectlOk(
      ['-n', ns, 'apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'kapacity-config' },
        data: { 'prometheus-metrics-config.yaml': KAPACITY_CONFIG },
      }),
    );
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], NGINX_STATEFULSET);
    const port = await freePort();
    grpcAddress = `127.0.0.1:${port}`;
    controller = await startController({
      controllers: ['ihpa', 'replicaprofile', 'portrait', 'grpc-metrics'],
      namespace: ns,
      extraArgs: [
        `--prometheus-address=${prometheus.url}`,
        `--grpc-metrics-addr=${grpcAddress}`,
        `--metrics-server-addr=${grpcAddress}`,
      ],
    });
    client = new MetricsClient(grpcAddress);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await controller?.stop();
    await prometheus?.stop();
    if (ns) await deleteNamespace(ns);
  });

  test('the seed IHPA: job run from its CronJob writes the result, the portrait and ReplicaProfile follow', async () => {
    const profiles = await record<ReplicaProfileObject>(
      `/apis/autoscaling.kapacitystack.io/v1alpha1/namespaces/${ns}/replicaprofiles`,
    );
    try {
      const ihpa = readFileSync(
        join(repoRoot, 'test', 'fixtures', 'seeds', 'ihpa-dynamic-predictive-portrait-sample.yaml'),
        'utf8',
      );
      await kubectlOk(['-n', ns, 'apply', '-f', '-'], ihpa);

      const cronJobName = `${ns}-${HP_NAME}`;
      const jobs = await watchUntil<CronJob>(
        `/apis/batch/v1/namespaces/${ns}/cronjobs`,
        (m) => m.has(cronJobName),
        {
          what: 'the algorithm CronJob',
        },
      );
      const container = jobs.get(cronJobName)?.spec?.jobTemplate?.spec?.template?.spec?.containers?.[0];
      const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? '']));
      expect(env).toEqual({ METRICS_SERVER_ADDR: grpcAddress, HP_NAMESPACE: ns, HP_NAME });
      const args = container?.args ?? [];
      expect(args).toContain('--re-history-len=24H');

      // What the CronJob's pod would run (KWOK executes no containers).
      const started = Date.now();
      const run = await runJob(args, env);
      const elapsed = Date.now() - started;
      expect({ code: run.code, output: run.code === 0 ? '' : run.output }).toEqual({ code: 0, output: '' });
      expect(run.output).toContain('--tsf-model-path ignored');
      expect(run.output).toContain('ready_pods_count');
      const prediction = run.output.split('\n').find((line) => line.includes('"message":"prediction"'));
      console.log(`forecasting job: ${elapsed} ms\n${prediction}`);

      const configMap = JSON.parse(
        await kubectlOk(['-n', ns, 'get', 'configmap', `${HP_NAME}-result`, '-o', 'json']),
      ) as ConfigMap;
      expect(configMap.data?.['type']).toBe('TimeSeries');
      expect(configMap.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'HorizontalPortrait', name: HP_NAME }),
      ]);
      const series = JSON.parse(configMap.data?.['timeSeries'] ?? '{}') as Record<string, number>;
      const points = Object.entries(series)
        .map(([t, r]) => ({ timestamp: Number(t), replicas: r }))
        .sort((a, b) => a.timestamp - b.timestamp);
      // One point per 10-minute window (--scaling-freq=10min) over the one-hour horizon.
      expect(points.length).toBeGreaterThanOrEqual(6);
      for (const p of points) expect(p.timestamp % 600).toBe(0);
      const last = points[points.length - 1]!;
      expect(configMap.data?.['expireTime']).toBe(
        new Date((last.timestamp + 600) * 1000).toISOString().replace('.000Z', 'Z'),
      );
      // Against the noise-free need of each window (its peak minute): within two replicas, and the
      // hourly cycle shows (the busiest window needs more than the quietest).
      for (const p of points) {
        let peak = 0;
        for (let m = 0; m < 10; m++) peak = Math.max(peak, needAt(p.timestamp * 1000 + m * MINUTE));
        expect(Math.abs(p.replicas - Math.ceil(peak))).toBeLessThanOrEqual(2);
      }
      expect(Math.max(...points.map((p) => p.replicas))).toBeGreaterThan(
        Math.min(...points.map((p) => p.replicas)) + 1,
      );

      const portraits = await watchUntil<HorizontalPortrait>(
        `/apis/autoscaling.kapacitystack.io/v1alpha1/namespaces/${ns}/horizontalportraits`,
        (m) => generated(m.get(HP_NAME))?.reason === 'SucceededGeneratePortrait',
        { what: 'the generated predictive portrait' },
      );
      const status = portraits.get(HP_NAME)?.status;
      expect(generated(portraits.get(HP_NAME))).toMatchObject({
        status: 'True',
        message: 'portrait has been successfully generated',
      });
      expect(status?.portraitData?.type).toBe('TimeSeries');
      expect(status?.portraitData?.timeSeries?.timeSeries).toEqual(points);

      // The IHPA scales to the value holding now. The series may start at the next scaling window
      // (up to --scaling-freq ahead): then the IHPA's timer fires at its first point, so the wait
      // covers the time until then.
      const valueAt = (ms: number) => [...points].reverse().find((p) => p.timestamp * 1000 <= ms)?.replicas;
      const firstPointMs = (points[0]?.timestamp ?? 0) * 1000;
      await profiles.until(
        (events) =>
          events.some(
            (e) =>
              e.object.spec?.onlineReplicas !== undefined && e.object.spec.onlineReplicas === valueAt(e.at),
          ),
        Math.max(0, firstPointMs - Date.now()) + 30_000,
        'the ReplicaProfile at the predicted replicas',
      );

      // Too little history for the test set: non-zero exit, reason logged, result untouched.
      const refused = await runJob(
        ['--re-history-len=2H', '--re-test-dataset-size-in-seconds=3600', '--scaling-freq=10min'],
        env,
      );
      expect(refused.code).toBe(1);
      expect(refused.output).toContain('too little history');
      const after = JSON.parse(
        await kubectlOk(['-n', ns, 'get', 'configmap', `${HP_NAME}-result`, '-o', 'json']),
      ) as ConfigMap;
      expect(after.metadata.resourceVersion).toBe(configMap.metadata.resourceVersion);
    } finally {
      profiles.stop();
    }
  }, 900_000); // may wait up to one --scaling-freq (10 min) for the series' first point

  test('gRPC: every query type, latest and range, and the error codes', async () => {
    const endMs = Math.floor(Date.now() / MINUTE) * MINUTE;
    const startMs = endMs - HOUR;
    const statefulSet = { group_kind: { group: 'apps', kind: 'StatefulSet' }, namespace: ns, name: 'nginx' };
    const queries: Record<string, QueryMessage> = {
      POD_RESOURCE: {
        type: 'POD_RESOURCE',
        pod_resource: { namespace: ns, name: 'nginx-0', resource_name: 'cpu' },
      },
      CONTAINER_RESOURCE: {
        type: 'CONTAINER_RESOURCE',
        container_resource: {
          namespace: ns,
          selector: 'app=nginx',
          resource_name: 'cpu',
          container_name: 'nginx',
        },
      },
      WORKLOAD_RESOURCE: {
        type: 'WORKLOAD_RESOURCE',
        workload_resource: { ...statefulSet, resource_name: 'cpu', ready_pods_only: true },
      },
      WORKLOAD_CONTAINER_RESOURCE: {
        type: 'WORKLOAD_CONTAINER_RESOURCE',
        workload_container_resource: { ...statefulSet, resource_name: 'cpu', container_name: 'nginx' },
      },
      OBJECT: {
        type: 'OBJECT',
        object: {
          group_kind: { group: 'networking.k8s.io', kind: 'Ingress' },
          namespace: ns,
          name: 'nginx-server',
          metric: { name: 'nginx_ingress_controller_requests_rate' },
        },
      },
      EXTERNAL: { type: 'EXTERNAL', external: { namespace: ns, metric: { name: 'ready_pods_count' } } },
      WORKLOAD_EXTERNAL: {
        type: 'WORKLOAD_EXTERNAL',
        workload_external: {
          ...statefulSet,
          metric: { name: 'ready_pods_count', selector: 'condition=true' },
        },
      },
    };
    for (const [type, query] of Object.entries(queries)) {
      const series = await client.query(query, startMs, endMs, MINUTE);
      expect({ type, series: series.length > 0 }).toEqual({ type, series: true });
      for (const s of series) {
        expect(s.points.length).toBeGreaterThan(50);
        for (const p of s.points) {
          expect(p.timestamp % MINUTE).toBe(0);
          expect(p.timestamp).toBeGreaterThanOrEqual(startMs);
          expect(p.timestamp).toBeLessThanOrEqual(endMs);
        }
      }
      const samples = await client.queryLatest(query);
      expect({ type, samples: samples.length > 0 }).toEqual({ type, samples: true });
      if (type.includes('RESOURCE')) expect(samples[0]?.window).toEqual({ seconds: 180, nanos: 0 });
    }

    // Values match Prometheus for the same PromQL the rules render.
    const [object] = await client.queryLatest(queries['OBJECT']!);
    const [direct] = await prometheus!.query(
      `round(sum(irate(nginx_ingress_controller_requests{namespace="${ns}",ingress="nginx-server"}[3m])) by (ingress), 0.001)`,
    );
    expect(object?.labels).toEqual({ ingress: 'nginx-server' });
    expect(object?.point.value).toBeCloseTo(Number(direct?.value[1]), 6);
    const [readyPods] = await client.queryLatest(queries['WORKLOAD_EXTERNAL']!);
    const [readyDirect] = await prometheus!.query(
      `sum(kube_pod_status_ready{condition="true",namespace="${ns}",pod=~"^nginx-[0-9]+$"})`,
    );
    expect(readyPods?.point.value).toBe(Number(readyDirect?.value[1]));
    const perPod = await client.queryLatest(queries['CONTAINER_RESOURCE']!);
    expect(perPod.map((s) => s.labels['pod'])).toContain('nginx-0');

    const failure = async (promise: Promise<unknown>) => {
      try {
        await promise;
      } catch (error) {
        if (error instanceof MetricsCallError) return { code: error.codeName, message: error.details };
        throw error;
      }
      throw new Error('the call succeeded');
    };
    const unknown = await failure(
      client.query(
        { type: 'EXTERNAL', external: { namespace: ns, metric: { name: 'no_such_metric' } } },
        startMs,
        endMs,
        MINUTE,
      ),
    );
    expect(unknown.code).toBe('NOT_FOUND');
    expect(unknown.message).toContain('unknown metric no_such_metric');
    const badSelector = await failure(
      client.queryLatest({
        type: 'POD_RESOURCE',
        pod_resource: { namespace: ns, selector: 'app in (nginx', resource_name: 'cpu' },
      }),
    );
    expect(badSelector.code).toBe('INVALID_ARGUMENT');
    const tooLong = await failure(client.query(queries['OBJECT']!, endMs - 30 * 24 * HOUR, endMs, MINUTE));
    expect(tooLong.code).toBe('OUT_OF_RANGE');
    expect(tooLong.message).toContain('43201 points');
    // Still serving.
    expect((await client.queryLatest(queries['EXTERNAL']!)).length).toBe(1);
    expect(controller?.child.exitCode).toBeNull();
  }, 120_000);
});
