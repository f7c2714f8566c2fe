// samples/: every file the user docs (the seeds) name exists, each sample parses into objects the
// user can apply to any namespace, the samples say what the docs say (the YAML extracted from the
// seeds into test/fixtures/seeds/), and samples/README.md places every one of them.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

import {
  DEFAULT_PROMETHEUS_METRICS_CONFIG,
  parsePrometheusMetricsConfig,
} from '../../../controllers/metrics/prometheus-config.js';

const ROOT = join(new URL(import.meta.url).pathname, '..', '..', '..', '..');
const SAMPLES = join(ROOT, 'samples');
const SEEDS = '/work/shared/seeds';
const FIXTURES = join(ROOT, 'test', 'fixtures', 'seeds');

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

function objects(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .filter((d) => d.contents !== null)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]?.message}`);
      return d.toJS() as Obj;
    });
}

const sampleFiles = walk(SAMPLES).filter((f) => f.endsWith('.yaml'));
const sample = (path: string) => join(SAMPLES, path);
/** Kubernetes manifests (samples/config/ holds configuration file contents instead). */
const manifests = sampleFiles.filter((f) => !relative(SAMPLES, f).startsWith('config/'));

describe('samples', () => {
  test('every YAML file a seed names is a sample', () => {
    const named = new Set<string>();
    const seeds = readdirSync(SEEDS);
    expect(seeds.length).toBeGreaterThan(0);
    for (const seed of seeds) {
      for (const m of readFileSync(join(SEEDS, seed), 'utf8').matchAll(/[\w-]+\.yaml\b/g)) named.add(m[0]);
    }
    expect([...named].sort()).toEqual(
      expect.arrayContaining([
        'cron-portrait-sample.yaml',
        'dynamic-predictive-portrait-sample.yaml',
        'dynamic-reactive-portrait-sample.yaml',
        'gray-strategy-sample.yaml',
        'nginx-ingress.yaml',
        'nginx-statefulset.yaml',
        'periodic-client.yaml',
      ]),
    );
    const present = new Set(sampleFiles.map((f) => basename(f)));
    const missing = [...named].filter((name) => !present.has(name));
    expect(missing).toEqual([]);
  });

  test.each(manifests.map((f) => relative(SAMPLES, f)))(
    '%s parses into named objects without a namespace',
    (file) => {
      const objs = objects(sample(file));
      expect(objs.length).toBeGreaterThan(0);
      for (const o of objs) {
        expect(typeof o.apiVersion).toBe('string');
        expect(typeof o.kind).toBe('string');
        expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
        // Applied with `kubectl apply -n <namespace>`: a namespace in the file would override it.
        expect(o.metadata.namespace).toBeUndefined();
      }
    },
  );

  test.each([
    ['ihpa/cron-portrait-sample.yaml', 'ihpa-cron-portrait-sample.yaml'],
    ['ihpa/dynamic-reactive-portrait-sample.yaml', 'ihpa-dynamic-reactive-portrait-sample.yaml'],
    ['ihpa/dynamic-predictive-portrait-sample.yaml', 'ihpa-dynamic-predictive-portrait-sample.yaml'],
    ['ihpa/gray-strategy-sample.yaml', 'ihpa-gray-strategy-sample.yaml'],
  ])('%s is the IHPA the docs show', (file, fixture) => {
    expect(objects(sample(file))).toEqual(objects(join(FIXTURES, fixture)));
  });

  test.each([
    ['webservice', 'app-rollout-trait-test.yaml', 6],
    ['cloneset', 'app-rollout-trait-test-cloneset.yaml', 2],
  ])('rollout/%s holds each step of seed 003, in order', (dir, fixture, steps) => {
    const files = readdirSync(join(SAMPLES, 'rollout', dir as string)).sort();
    expect(files.length).toBe(steps);
    expect(files.map((f) => /^\d\d-/.test(f))).toEqual(files.map(() => true));
    expect(files.flatMap((f) => objects(join(SAMPLES, 'rollout', dir as string, f)))).toEqual(
      objects(join(FIXTURES, fixture as string)),
    );
  });

  test('the NGINX workload opts its pods into the readiness gate and matches its Service', () => {
    const [service, statefulSet] = objects(sample('workload/nginx-statefulset.yaml')) as [
      Obj & { spec: { selector: Record<string, string>; ports: Array<{ port: number }> } },
      Obj & {
        spec: {
          serviceName: string;
          replicas: number;
          template: { metadata: { labels: Record<string, string> } };
        };
      },
    ];
    expect([service.kind, statefulSet.kind]).toEqual(['Service', 'StatefulSet']);
    expect(statefulSet.metadata.name).toBe('nginx');
    expect(statefulSet.spec.serviceName).toBe(service.metadata.name);
    expect(statefulSet.spec.replicas).toBe(1);
    expect(statefulSet.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(statefulSet.spec.template.metadata.labels['kapacitystack.io/inject-pod-readiness-gate']).toBe(
      'true',
    );
    // Every IHPA sample scales this StatefulSet.
    for (const file of sampleFiles.filter((f) => f.includes('/ihpa/'))) {
      expect(objects(file)[0]?.['spec']).toMatchObject({
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'nginx' },
      });
    }
  });

  test('the predictive walkthrough: the Ingress the IHPA names fronts the NGINX Service; the client needs its address', () => {
    const [ingress] = objects(sample('workload/nginx-ingress.yaml')) as Array<Obj & { spec: unknown }>;
    const predictive = objects(sample('ihpa/dynamic-predictive-portrait-sample.yaml'))[0] as Obj & {
      spec: {
        portraitProviders: Array<{ dynamic: { metrics: Array<{ object?: { describedObject: unknown } }> } }>;
      };
    };
    const described = predictive.spec.portraitProviders[0]?.dynamic.metrics.find((m) => m.object)?.object;
    expect(described?.describedObject).toEqual({
      apiVersion: ingress?.apiVersion,
      kind: ingress?.kind,
      name: ingress?.metadata.name,
    });
    expect(JSON.stringify(ingress?.spec)).toContain('"service":{"name":"nginx","port":{"number":80}}');
    const client = readFileSync(sample('workload/periodic-client.yaml'), 'utf8');
    expect(client).toContain('<nginx-ingress-address>');
    expect(client).toContain('nginx.example.com');
  });

  test('the Prometheus metrics configuration parses, keeps the built-in rules and adds the Ingress NGINX rate', () => {
    const text = readFileSync(sample('config/prometheus-metrics-config.yaml'), 'utf8');
    const config = parsePrometheusMetricsConfig(text);
    expect(config.rules.length).toBe(1);
    const raw = parse(text) as Record<string, unknown>;
    const builtIn = parse(DEFAULT_PROMETHEUS_METRICS_CONFIG) as Record<string, unknown>;
    expect(raw['resourceRules']).toEqual(builtIn['resourceRules']);
    expect(raw['externalRules']).toEqual(builtIn['externalRules']);
    expect(raw['rules']).toEqual([
      expect.objectContaining({
        seriesQuery: '{__name__="nginx_ingress_controller_requests"}',
        name: { as: 'nginx_ingress_controller_requests_rate' },
      }),
    ]);
  });

  test('samples/README.md names every sample and the doc step it belongs to', () => {
    const readme = readFileSync(join(SAMPLES, 'README.md'), 'utf8');
    for (const file of sampleFiles) expect(readme).toContain(relative(SAMPLES, file));
    for (const seed of readdirSync(SEEDS)) expect(readme).toContain(seed.replace(/\.txt$/, ''));
  });
});
