// The component and trait definitions under definitions/: the generated manifests are
// current and match the CRDs, every template renders the YAML users write (the rollout
// seed walkthrough, the Kapacity samples) with our CUE engine, and the status snippets
// report health and messages from live objects as users expect.
//
// Needs cuelang-wasm/dist/cue.wasm (`npm run build:wasm`).
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

import {
  CueRenderError,
  createCueEngine,
  type CueEngine,
  type JsonObject,
  type RenderResult,
} from '../../../cuelang-wasm/index.js';
import {
  GENERATED_DIR,
  SOURCE_DIR,
  definitionManifest,
  generateDefinitions,
  readDefinitionSources,
  staleDefinitions,
  writeDefinitions,
  type DefinitionSource,
} from '../../../definitions/generate.js';

const repo = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

const sources = readDefinitionSources();
function source(kind: 'component' | 'trait', name: string): DefinitionSource {
  const wanted = kind === 'component' ? 'ComponentDefinition' : 'TraitDefinition';
  const found = sources.find((s) => s.kind === wanted && s.name === name);
  if (!found) throw new Error(`no ${kind} ${name} under definitions/cue`);
  return found;
}
const template = (kind: 'component' | 'trait', name: string): string => source(kind, name).template;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonMap = { [key: string]: Json };

function seedDocuments(file: string): JsonMap[] {
  return parseAllDocuments(readFileSync(repo(`test/fixtures/seeds/${file}`), 'utf8'))
    .map((d) => d.toJS() as JsonMap | null)
    .filter((d): d is JsonMap => d !== null);
}

// ---------------------------------------------------------------------------------------
// A light OpenAPI v3 check: types, required, enum, pattern, bounds and unknown fields
// (which the API server would silently prune, so a misspelt field is an error here).

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
  maxItems?: number;
  anyOf?: Schema[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

function crdSchema(file: string): Schema {
  const crd = parse(readFileSync(repo(`definitions/crds/${file}`), 'utf8')) as {
    spec: { versions: Array<{ storage: boolean; schema: { openAPIV3Schema: Schema } }> };
  };
  const version = crd.spec.versions.find((v) => v.storage);
  if (!version) throw new Error(`${file} has no storage version`);
  return version.schema.openAPIV3Schema;
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function validate(value: unknown, schema: Schema, path = ''): string[] {
  const at = path || '<root>';
  const errors: string[] = [];
  const actual = typeOf(value);
  if (schema['x-kubernetes-int-or-string']) {
    if (actual !== 'integer' && actual !== 'string') return [`${at}: want integer or string, got ${actual}`];
  } else if (schema.type) {
    const ok = schema.type === actual || (schema.type === 'number' && actual === 'integer');
    if (!ok) return [`${at}: want ${schema.type}, got ${actual}`];
  }
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if (typeof value === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern).test(value))
      errors.push(`${at}: does not match pattern`);
    if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${at}: too short`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${at}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${at}: above ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${at}: too few items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${at}: too many items`);
    if (schema.items)
      value.forEach((item, i) => errors.push(...validate(item, schema.items as Schema, `${path}[${i}]`)));
  }
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (object[key] === undefined) errors.push(`${path ? `${path}.` : ''}${key}: required`);
    }
    for (const [key, child] of Object.entries(object)) {
      const childPath = path ? `${path}.${key}` : key;
      const known = schema.properties?.[key];
      if (known) errors.push(...validate(child, known, childPath));
      else if (typeof schema.additionalProperties === 'object') {
        errors.push(...validate(child, schema.additionalProperties, childPath));
      } else if (
        schema.properties &&
        !schema['x-kubernetes-preserve-unknown-fields'] &&
        schema.additionalProperties !== true
      ) {
        errors.push(`${childPath}: unknown field`);
      }
    }
  }
  return errors;
}

const componentSchema = crdSchema('core.oam.dev_componentdefinitions.yaml');
const traitSchema = crdSchema('core.oam.dev_traitdefinitions.yaml');
const rolloutSchema = crdSchema('standard.oam.dev_rollouts.yaml');
const ihpaSchema = crdSchema('autoscaling.kapacitystack.io_intelligenthorizontalpodautoscalers.yaml');

// ---------------------------------------------------------------------------------------

describe('generated manifests', () => {
  const generated = generateDefinitions();

  it('ships the four components and three traits', () => {
    expect(generated.map((f) => f.fileName)).toEqual([
      'component-cloneset.yaml',
      'component-k8s-objects.yaml',
      'component-webservice.yaml',
      'component-worker.yaml',
      'trait-ihpa.yaml',
      'trait-rollout.yaml',
      'trait-scaler.yaml',
    ]);
  });

  it('are committed byte for byte as the generator writes them (run npm run gen:definitions)', () => {
    for (const { fileName, text } of generated) {
      expect([fileName, readFileSync(join(GENERATED_DIR, fileName), 'utf8')]).toEqual([fileName, text]);
    }
    const committed = readdirSync(GENERATED_DIR).filter((f) => f.endsWith('.yaml'));
    expect(committed.sort()).toEqual(generated.map((f) => f.fileName).sort());
    expect(staleDefinitions()).toEqual([]);
  });

  it('carry each CUE template and status snippet verbatim', () => {
    for (const { fileName, text } of generated) {
      const manifest = parse(text) as { metadata: { name: string }; spec: JsonMap };
      const kind = fileName.startsWith('component-') ? 'component' : 'trait';
      const name = manifest.metadata.name;
      expect(fileName).toBe(`${kind}-${name}.yaml`);
      const cue = readFileSync(join(SOURCE_DIR, kind, `${name}.cue`), 'utf8');
      expect((manifest.spec['schematic'] as { cue: { template: string } }).cue.template).toBe(cue);
      const meta = parse(readFileSync(join(SOURCE_DIR, kind, `${name}.def.yaml`), 'utf8')) as JsonMap;
      expect(manifest.spec['status']).toEqual(meta['status']);
    }
  });

  it('are valid ComponentDefinitions and TraitDefinitions in vela-system with a description', () => {
    for (const { fileName, text } of generated) {
      const manifest = parse(text) as JsonMap;
      const isComponent = fileName.startsWith('component-');
      expect(manifest['apiVersion']).toBe('core.oam.dev/v1beta1');
      expect(manifest['kind']).toBe(isComponent ? 'ComponentDefinition' : 'TraitDefinition');
      const metadata = manifest['metadata'] as { namespace: string; annotations: Record<string, string> };
      expect(metadata.namespace).toBe('vela-system');
      expect(metadata.annotations['definition.oam.dev/description']).toMatch(/\w{5,}/);
      expect([fileName, validate(manifest, isComponent ? componentSchema : traitSchema)]).toEqual([
        fileName,
        [],
      ]);
    }
  });

  it('declare the workloads and trait attributes the Application controller relies on', () => {
    const spec = (kind: 'component' | 'trait', name: string) =>
      definitionManifest(source(kind, name))['spec'] as JsonMap;
    expect(spec('component', 'webservice')['workload']).toEqual({
      definition: { apiVersion: 'apps/v1', kind: 'Deployment' },
      type: 'deployments.apps',
    });
    expect(spec('component', 'worker')['workload']).toEqual({
      definition: { apiVersion: 'apps/v1', kind: 'Deployment' },
      type: 'deployments.apps',
    });
    expect(spec('component', 'cloneset')['workload']).toEqual({
      definition: { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet' },
      type: 'clonesets.apps.kruise.io',
    });
    expect(spec('trait', 'rollout')).toMatchObject({
      manageWorkload: true,
      podDisruptive: false,
      appliesToWorkloads: ['deployments.apps', 'clonesets.apps.kruise.io', 'statefulsets.apps'],
    });
    const ihpa = spec('trait', 'ihpa');
    expect(ihpa['appliesToWorkloads']).toEqual([
      'deployments.apps',
      'statefulsets.apps',
      'clonesets.apps.kruise.io',
    ]);
    expect(ihpa['manageWorkload']).toBeUndefined();
    const scaler = spec('trait', 'scaler');
    expect(scaler['appliesToWorkloads']).toEqual([
      'deployments.apps',
      'statefulsets.apps',
      'clonesets.apps.kruise.io',
    ]);
    expect(scaler['manageWorkload']).toBeUndefined();
    expect(scaler['status']).toBeUndefined();
  });

  it('the schema check catches a missing required field, a wrong type and an unknown field', () => {
    const manifest = definitionManifest(source('trait', 'rollout')) as JsonMap;
    const broken = structuredClone(manifest);
    const spec = broken['spec'] as JsonMap;
    spec['podDisruptive'] = 'no';
    spec['appliesTo'] = ['deployments.apps'];
    (spec['schematic'] as { cue: JsonMap }).cue = {};
    expect(validate(broken, traitSchema)).toEqual([
      'spec.podDisruptive: want boolean, got string',
      'spec.schematic.cue.template: required',
      'spec.appliesTo: unknown field',
    ]);
    const component = structuredClone(definitionManifest(source('component', 'worker'))) as JsonMap;
    delete (component['spec'] as JsonMap)['workload'];
    expect(validate(component, componentSchema)).toEqual(['spec.workload: required']);
  });
});

describe('generator', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rollscale-defs-'));
    mkdirSync(join(dir, 'cue', 'trait'), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (file: string, text: string) => writeFileSync(join(dir, 'cue', file), text);

  it('rejects a metadata key it does not know, naming the file and the key', () => {
    write('trait/x.cue', 'patch: spec: replicas: 1\n');
    write('trait/x.def.yaml', 'description: x trait\nappliesToWorkload: [deployments.apps]\n');
    expect(() => readDefinitionSources(join(dir, 'cue'))).toThrow(
      /trait\/x\.def\.yaml: unknown key appliesToWorkload for a TraitDefinition/,
    );
  });

  it('rejects a template without metadata and metadata without a template', () => {
    write('trait/x.cue', 'patch: spec: replicas: 1\n');
    expect(() => readDefinitionSources(join(dir, 'cue'))).toThrow(/trait\/x\.cue has no trait\/x\.def\.yaml/);
    rmSync(join(dir, 'cue', 'trait', 'x.cue'));
    write('trait/y.def.yaml', 'description: y\n');
    expect(() => readDefinitionSources(join(dir, 'cue'))).toThrow(/trait\/y\.def\.yaml has no template/);
  });

  it('writes one file per definition, leaves current ones alone and removes stale ones', () => {
    write('trait/x.cue', 'patch: spec: replicas: parameter.n\nparameter: n: *1 | int\n');
    write('trait/x.def.yaml', 'description: x trait\npodDisruptive: false\n');
    const out = join(dir, 'generated');
    mkdirSync(out);
    writeFileSync(join(out, 'trait-gone.yaml'), 'old\n');
    expect(staleDefinitions(out, join(dir, 'cue'))).toEqual(['trait-gone.yaml', 'trait-x.yaml']);

    expect(writeDefinitions(out, join(dir, 'cue'))).toEqual({
      written: ['trait-x.yaml'],
      unchanged: [],
      removed: ['trait-gone.yaml'],
    });
    expect(readdirSync(out)).toEqual(['trait-x.yaml']);
    const manifest = parse(readFileSync(join(out, 'trait-x.yaml'), 'utf8')) as JsonMap;
    expect(manifest).toMatchObject({
      kind: 'TraitDefinition',
      metadata: { name: 'x', namespace: 'vela-system' },
      spec: {
        podDisruptive: false,
        schematic: { cue: { template: 'patch: spec: replicas: parameter.n\nparameter: n: *1 | int\n' } },
      },
    });
    expect(writeDefinitions(out, join(dir, 'cue'))).toEqual({
      written: [],
      unchanged: ['trait-x.yaml'],
      removed: [],
    });
    expect(staleDefinitions(out, join(dir, 'cue'))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------

const SLOW = 60_000;

const seedContext = {
  name: 'express-server',
  namespace: 'default',
  appName: 'rollout-trait-test',
  appRevision: 'rollout-trait-test-v1',
  revision: 'express-server-v1',
};

async function renderError(promise: Promise<unknown>): Promise<CueRenderError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof CueRenderError) return err;
    throw err;
  }
  throw new Error('expected the render to fail');
}

describe('templates rendered by the CUE engine', () => {
  let cue: CueEngine;
  beforeAll(async () => {
    cue = await createCueEngine({ isolation: 'inline' });
  }, SLOW);
  afterAll(async () => {
    await cue?.close();
  });

  const render = (
    kind: 'component' | 'trait',
    name: string,
    parameter: unknown,
    context: JsonObject = seedContext,
  ) => cue.render(template(kind, name), { parameter, context });

  describe('webservice', () => {
    it('renders the seed component into a Deployment without replicas and without a Service', async () => {
      const result = await render('component', 'webservice', { image: 'stefanprodan/podinfo:4.0.3' });
      const labels = { 'app.oam.dev/name': 'rollout-trait-test', 'app.oam.dev/component': 'express-server' };
      expect(result.output).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        // context.name: the Application controller renames the workload to the revision
        // (express-server-v1) because the rollout trait manages it.
        metadata: { name: 'express-server', labels },
        spec: {
          selector: { matchLabels: { 'app.oam.dev/component': 'express-server' } },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'express-server', image: 'stefanprodan/podinfo:4.0.3' }] },
          },
        },
      });
      expect(result.outputs).toEqual({});
      expect(result.patch).toBeUndefined();
    });

    it('renders every seed Application component', async () => {
      for (const app of seedDocuments('app-rollout-trait-test.yaml')) {
        const component = (app['spec'] as { components: JsonMap[] }).components[0] as JsonMap;
        const result = await render('component', 'webservice', component['properties'], {
          ...seedContext,
          revision: component['externalRevision'] as string,
        });
        const containers = (result.output?.['spec'] as { template: { spec: { containers: JsonMap[] } } })
          .template.spec.containers;
        expect(containers[0]?.['image']).toBe((component['properties'] as JsonMap)['image']);
      }
    });

    it('publishes exposed ports through outputs.webserviceExpose and opens every port on the container', async () => {
      const result = await render('component', 'webservice', {
        image: 'nginx',
        ports: [
          { port: 80, expose: true },
          { port: 9090, name: 'metrics' },
          { port: 53, protocol: 'UDP', expose: true },
        ],
      });
      expect(result.outputs).toEqual({
        webserviceExpose: {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'express-server' },
          spec: {
            selector: { 'app.oam.dev/component': 'express-server' },
            ports: [
              { port: 80, targetPort: 80, protocol: 'TCP', name: 'port-80' },
              { port: 53, targetPort: 53, protocol: 'UDP', name: 'port-53' },
            ],
            type: 'ClusterIP',
          },
        },
      });
      expect(containerOf(result)['ports']).toEqual([
        { containerPort: 80, protocol: 'TCP', name: 'port-80' },
        { containerPort: 9090, protocol: 'TCP', name: 'metrics' },
        { containerPort: 53, protocol: 'UDP', name: 'port-53' },
      ]);

      const unexposed = await render('component', 'webservice', { image: 'nginx', ports: [{ port: 80 }] });
      expect(unexposed.outputs).toEqual({});
    });

    it('keeps the older single port as a container port only', async () => {
      const result = await render('component', 'webservice', { image: 'nginx', port: 8080 });
      expect(containerOf(result)['ports']).toEqual([{ containerPort: 8080 }]);
      expect(result.outputs).toEqual({});
    });

    it('passes command, args, env, resources, probes, labels and annotations through', async () => {
      const probe = { httpGet: { path: '/healthz', port: 9898 }, periodSeconds: 5 };
      const result = await render('component', 'webservice', {
        image: 'nginx',
        imagePullPolicy: 'IfNotPresent',
        imagePullSecrets: ['registry'],
        cmd: ['/bin/app'],
        args: ['--port', '9898'],
        env: [
          { name: 'A', value: '1' },
          { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
        ],
        cpu: '500m',
        memory: '256Mi',
        readinessProbe: probe,
        livenessProbe: probe,
        labels: { team: 'web' },
        annotations: { note: 'x' },
        addRevisionLabel: true,
      });
      expect(containerOf(result)).toEqual({
        name: 'express-server',
        image: 'nginx',
        imagePullPolicy: 'IfNotPresent',
        command: ['/bin/app'],
        args: ['--port', '9898'],
        env: [
          { name: 'A', value: '1' },
          { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
        ],
        resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '500m', memory: '256Mi' } },
        readinessProbe: probe,
        livenessProbe: probe,
      });
      const output = result.output as {
        metadata: JsonMap;
        spec: { template: { metadata: JsonMap; spec: JsonMap } };
      };
      expect(output.metadata['labels']).toEqual({
        team: 'web',
        'app.oam.dev/name': 'rollout-trait-test',
        'app.oam.dev/component': 'express-server',
      });
      expect(output.metadata['annotations']).toEqual({ note: 'x' });
      expect(output.spec.template.metadata).toEqual({
        labels: {
          team: 'web',
          'app.oam.dev/revision': 'express-server-v1',
          'app.oam.dev/name': 'rollout-trait-test',
          'app.oam.dev/component': 'express-server',
        },
        annotations: { note: 'x' },
      });
      expect(output.spec.template.spec['imagePullSecrets']).toEqual([{ name: 'registry' }]);
      expect(output.spec).not.toHaveProperty('replicas');
    });

    it('refuses a missing image, a label that would break the selector and an out-of-range port', async () => {
      const noImage = await renderError(render('component', 'webservice', {}));
      expect(noImage.path).toBe('parameter.image');
      const selector = await renderError(
        render('component', 'webservice', { image: 'nginx', labels: { 'app.oam.dev/component': 'other' } }),
      );
      expect(selector.message).toMatch(/app\.oam\.dev\/component.*conflicting values/);
      const port = await renderError(
        render('component', 'webservice', { image: 'nginx', ports: [{ port: 70000 }] }),
      );
      expect(port.path).toBe('parameter.ports.0.port');
    });
  });

  describe('worker', () => {
    it('renders a Deployment and never a Service', async () => {
      const result = await render('component', 'worker', {
        image: 'busybox',
        cmd: ['sleep', '3600'],
        ports: [{ port: 80, expose: true }],
      });
      expect(result.output).toMatchObject({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        spec: { selector: { matchLabels: { 'app.oam.dev/component': 'express-server' } } },
      });
      expect(containerOf(result)).toEqual({
        name: 'express-server',
        image: 'busybox',
        command: ['sleep', '3600'],
      });
      expect(result.outputs).toEqual({});
    });
  });

  describe('k8s-objects', () => {
    const clusterRole = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'reader' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    };
    const configMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings' },
      data: { a: '1' },
    };
    const account = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'runner' } };

    it('renders the first object as the workload and the rest as objects-<index>, unchanged', async () => {
      const result = await render('component', 'k8s-objects', { objects: [clusterRole, configMap, account] });
      expect(result.output).toEqual(clusterRole);
      expect(result.outputs).toEqual({ 'objects-1': configMap, 'objects-2': account });
    });

    it('renders a single object with no auxiliary outputs', async () => {
      const result = await render('component', 'k8s-objects', { objects: [configMap] });
      expect(result.output).toEqual(configMap);
      expect(result.outputs).toEqual({});
    });

    it('rejects objects that are not maps, and an empty list', async () => {
      await expect(render('component', 'k8s-objects', { objects: ['ConfigMap'] })).rejects.toThrow(
        CueRenderError,
      );
      await expect(render('component', 'k8s-objects', { objects: [] })).rejects.toThrow(CueRenderError);
    });
  });

  describe('cloneset', () => {
    const clonesetContext = {
      ...seedContext,
      name: 'cloneset-server',
      appName: 'rollout-trait-test-cloneset',
      revision: 'cloneset-server-v1',
    };

    it('renders the seed component into a CloneSet updated in place', async () => {
      const [first] = seedDocuments('app-rollout-trait-test-cloneset.yaml');
      const component = (first?.['spec'] as { components: JsonMap[] }).components[0] as JsonMap;
      expect(component['type']).toBe('cloneset');
      const result = await render('component', 'cloneset', component['properties'], clonesetContext);
      const labels = {
        'app.oam.dev/name': 'rollout-trait-test-cloneset',
        'app.oam.dev/component': 'cloneset-server',
      };
      expect(result.output).toEqual({
        apiVersion: 'apps.kruise.io/v1alpha1',
        kind: 'CloneSet',
        metadata: { name: 'cloneset-server', labels },
        spec: {
          selector: { matchLabels: { 'app.oam.dev/component': 'cloneset-server' } },
          updateStrategy: { type: 'InPlaceIfPossible' },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'cloneset-server', image: 'stefanprodan/podinfo:4.0.3' }] },
          },
        },
      });
    });

    it('takes each update strategy type and refuses others', async () => {
      for (const type of ['ReCreate', 'InPlaceIfPossible', 'InPlaceOnly']) {
        const result = await render(
          'component',
          'cloneset',
          { image: 'nginx', updateStrategyType: type },
          clonesetContext,
        );
        expect((result.output?.['spec'] as JsonMap)['updateStrategy']).toEqual({ type });
      }
      const err = await renderError(
        render(
          'component',
          'cloneset',
          { image: 'nginx', updateStrategyType: 'RollingUpdate' },
          clonesetContext,
        ),
      );
      expect(err.path).toBe('parameter.updateStrategyType');
    });
  });

  describe('rollout', () => {
    const rollout = (targetRevisionName: string, rolloutPlan: JsonMap) => ({
      apiVersion: 'standard.oam.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'express-server', namespace: 'default' },
      spec: { targetRevisionName, componentName: 'express-server', rolloutPlan },
    });
    const plan = (targetSize: number, batches: number[], extra: JsonMap = {}): JsonMap => ({
      rolloutStrategy: 'IncreaseFirst',
      targetSize,
      rolloutBatches: batches.map((replicas) => ({ replicas })),
      ...extra,
    });

    it('renders the Rollout of every step of the seed walkthrough', async () => {
      const expected = [
        rollout('express-server-v1', plan(5, [2, 3])), // first release
        rollout('express-server-v2', plan(5, [2, 3], { batchPartition: 0 })), // upgrade held after batch 0
        rollout('express-server-v2', plan(5, [2, 3])), // partition removed
        rollout('express-server-v1', plan(5, [2, 3])), // rollback
        rollout('express-server-v1', plan(7, [1, 1])), // scale up
        rollout('express-server-v1', plan(3, [1, 3])), // scale down
      ];
      const apps = seedDocuments('app-rollout-trait-test.yaml');
      expect(apps).toHaveLength(expected.length);
      for (const [i, app] of apps.entries()) {
        const component = (app['spec'] as { components: JsonMap[] }).components[0] as JsonMap;
        const trait = (component['traits'] as JsonMap[])[0] as JsonMap;
        expect(trait['type']).toBe('rollout');
        const result = await render('trait', 'rollout', trait['properties'], {
          ...seedContext,
          revision: component['externalRevision'] as string,
        });
        expect([i, result.outputs['rollout']]).toEqual([i, expected[i]]);
        expect(result.output).toBeUndefined();
        expect(result.patch).toBeUndefined();
        expect(validate(result.outputs['rollout'], rolloutSchema)).toEqual([]);
      }
    });

    it('leaves rolloutBatches and batchPartition out when not given', async () => {
      const result = await render('trait', 'rollout', { targetSize: 7 });
      expect(result.outputs['rollout']?.['spec']).toEqual({
        targetRevisionName: 'express-server-v1',
        componentName: 'express-server',
        rolloutPlan: { rolloutStrategy: 'IncreaseFirst', targetSize: 7 },
      });
    });

    it('accepts percentages and maxUnavailable in batches', async () => {
      const rolloutBatches = [
        { replicas: 1 },
        { replicas: '20%' },
        { replicas: '50%', maxUnavailable: 1 },
        { replicas: 2 },
      ];
      const result = await render('trait', 'rollout', { targetSize: 10, rolloutBatches });
      const spec = result.outputs['rollout']?.['spec'] as { rolloutPlan: JsonMap };
      expect(spec.rolloutPlan['rolloutBatches']).toEqual(rolloutBatches);
      expect(validate(result.outputs['rollout'], rolloutSchema)).toEqual([]);
    });

    it('names targetSize when it is not an integer', async () => {
      const err = await renderError(render('trait', 'rollout', { targetSize: 'five' }));
      expect(err.kind).toBe('eval');
      expect(err.path).toBe('parameter.targetSize');
      expect(err.message).toContain('targetSize');
      expect(err.line).toBe(lineOf(template('trait', 'rollout'), 'targetSize: int'));
    });

    it('refuses a negative size, a bad percentage and a partition past the last batch', async () => {
      expect((await renderError(render('trait', 'rollout', { targetSize: -1 }))).path).toBe(
        'parameter.targetSize',
      );
      const percent = await renderError(
        render('trait', 'rollout', { targetSize: 5, rolloutBatches: [{ replicas: '150%' }] }),
      );
      expect(percent.path).toMatch(/rolloutBatches\.0\.replicas$/);
      const partition = await renderError(
        render('trait', 'rollout', {
          targetSize: 5,
          rolloutBatches: [{ replicas: 2 }, { replicas: 3 }],
          batchPartition: 2,
        }),
      );
      expect(partition.path).toBe('parameter.batchPartition');
      expect(partition.cueMessage).toMatch(/out of bound <2/);
    });
  });

  describe('ihpa', () => {
    const workload = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'express-server-v2' },
      spec: { template: { spec: { containers: [{ name: 'express-server', image: 'nginx' }] } } },
    };
    const withWorkload = { ...seedContext, output: workload };
    const staticProvider = [{ type: 'Static', priority: 1, static: { replicas: 3 } }];

    it('renders an IHPA aimed at the rendered workload and patches in the readiness gate', async () => {
      const result = await render(
        'trait',
        'ihpa',
        { maxReplicas: 10, portraitProviders: staticProvider },
        withWorkload,
      );
      expect(result.outputs).toEqual({
        ihpa: {
          apiVersion: 'autoscaling.kapacitystack.io/v1alpha1',
          kind: 'IntelligentHorizontalPodAutoscaler',
          metadata: { name: 'express-server', namespace: 'default' },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'express-server-v2' },
            minReplicas: 1,
            maxReplicas: 10,
            portraitProviders: staticProvider,
          },
        },
      });
      expect(result.patch).toEqual({
        spec: {
          template: {
            metadata: { labels: { 'kapacitystack.io/inject-pod-readiness-gate': 'true' } },
            spec: { readinessGates: [{ conditionType: 'kapacitystack.io/online' }] },
          },
        },
      });
      expect(result.patchKeys).toEqual({ 'spec.template.spec.readinessGates': 'conditionType' });
      expect(validate(result.outputs['ihpa'], ihpaSchema)).toEqual([]);
    });

    it('renders each Kapacity sample spec unchanged, with the workload as scale target', async () => {
      const samples = readdirSync(repo('test/fixtures/seeds')).filter((f) => f.startsWith('ihpa-'));
      expect(samples.length).toBeGreaterThanOrEqual(4);
      const cloneset = { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', metadata: { name: 'web' } };
      for (const file of samples) {
        const [sample] = seedDocuments(file);
        const spec = structuredClone(sample?.['spec']) as JsonMap;
        delete spec['scaleTargetRef'];
        const result = await render('trait', 'ihpa', spec, { ...seedContext, output: cloneset });
        const rendered = result.outputs['ihpa'] as JsonMap;
        expect([file, rendered['spec']]).toEqual([
          file,
          {
            ...spec,
            scaleTargetRef: { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', name: 'web' },
          },
        ]);
        expect([file, validate(rendered, ihpaSchema)]).toEqual([file, []]);
      }
    });

    it('passes paused and scaleMode through', async () => {
      const result = await render(
        'trait',
        'ihpa',
        {
          minReplicas: 2,
          maxReplicas: 4,
          paused: true,
          scaleMode: 'Preview',
          portraitProviders: staticProvider,
        },
        withWorkload,
      );
      expect(result.outputs['ihpa']?.['spec']).toMatchObject({
        minReplicas: 2,
        paused: true,
        scaleMode: 'Preview',
      });
    });

    it('refuses maxReplicas below minReplicas, no providers, and a Static provider without replicas', async () => {
      const inverted = await renderError(
        render(
          'trait',
          'ihpa',
          { minReplicas: 5, maxReplicas: 3, portraitProviders: staticProvider },
          withWorkload,
        ),
      );
      expect(inverted.path).toBe('parameter.maxReplicas');
      const none = await renderError(
        render('trait', 'ihpa', { maxReplicas: 3, portraitProviders: [] }, withWorkload),
      );
      expect(none.path).toBe('parameter.portraitProviders');
      const empty = await renderError(
        render(
          'trait',
          'ihpa',
          { maxReplicas: 3, portraitProviders: [{ type: 'Static', priority: 1 }] },
          withWorkload,
        ),
      );
      expect(empty.path).toBe('parameter.portraitProviders.0.static.replicas');
    });
  });

  describe('scaler', () => {
    it('patches spec.replicas, 1 by default', async () => {
      expect((await render('trait', 'scaler', {})).patch).toEqual({ spec: { replicas: 1 } });
      const result = await render('trait', 'scaler', { replicas: 4 });
      expect(result.patch).toEqual({ spec: { replicas: 4 } });
      expect(result.outputs).toEqual({});
      expect(result.patchKeys).toEqual({});
    });

    it('refuses a negative or fractional count', async () => {
      expect((await renderError(render('trait', 'scaler', { replicas: -1 }))).path).toBe(
        'parameter.replicas',
      );
      expect((await renderError(render('trait', 'scaler', { replicas: 1.5 }))).path).toBe(
        'parameter.replicas',
      );
    });
  });
});

describe('status snippets evaluated against live objects', () => {
  let cue: CueEngine;
  beforeAll(async () => {
    cue = await createCueEngine({ isolation: 'inline' });
  }, SLOW);
  afterAll(async () => {
    await cue?.close();
  });

  const status = (kind: 'component' | 'trait', name: string, context: JsonObject) => {
    const snippets = source(kind, name).status;
    if (!snippets) throw new Error(`${name} has no status snippets`);
    return cue.evalStatus(snippets, { context: { ...seedContext, ...context } });
  };

  describe('rollout', () => {
    const live = (status?: JsonMap) => ({
      outputs: { rollout: { spec: {}, ...(status ? { status } : {}) } },
    });

    it('is healthy with the rolling state as message while a batch is ready, even when held by a partition', async () => {
      expect(
        await status(
          'trait',
          'rollout',
          live({ batchRollingState: 'batchReady', rollingState: 'rollingInBatches' }),
        ),
      ).toEqual({ isHealth: true, message: 'rollingInBatches' });
      expect(
        await status(
          'trait',
          'rollout',
          live({ batchRollingState: 'batchReady', rollingState: 'rolloutSucceed' }),
        ),
      ).toEqual({ isHealth: true, message: 'rolloutSucceed' });
    });

    it('is unhealthy while a batch rolls, and before the controller reports anything', async () => {
      expect(
        await status(
          'trait',
          'rollout',
          live({ batchRollingState: 'batchInRolling', rollingState: 'rollingInBatches' }),
        ),
      ).toEqual({ isHealth: false, message: 'rollingInBatches' });
      expect(await status('trait', 'rollout', live())).toEqual({ isHealth: false, message: '' });
    });
  });

  describe.each(['webservice', 'worker'])('%s (Deployment)', (name) => {
    const deployment = (status?: JsonMap, replicas: number | null = 3, generation = 2) => ({
      output: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'express-server', generation },
        spec: replicas === null ? {} : { replicas },
        ...(status ? { status } : {}),
      },
    });
    const full = {
      observedGeneration: 2,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    };

    it('is healthy at 3/3 and not at 2/3', async () => {
      expect(await status('component', name, deployment(full))).toEqual({
        isHealth: true,
        message: 'Ready:3/3',
      });
      expect(await status('component', name, deployment({ ...full, readyReplicas: 2 }))).toEqual({
        isHealth: false,
        message: 'Ready:2/3',
      });
    });

    it('is not healthy while old pods remain, before the controller saw the spec, or without status', async () => {
      expect((await status('component', name, deployment({ ...full, updatedReplicas: 2 }))).isHealth).toBe(
        false,
      );
      expect((await status('component', name, deployment({ ...full, replicas: 4 }))).isHealth).toBe(false);
      expect((await status('component', name, deployment({ ...full, observedGeneration: 1 }))).isHealth).toBe(
        false,
      );
      expect(await status('component', name, deployment())).toEqual({
        isHealth: false,
        message: 'Ready:0/3',
      });
    });

    it('takes replicas as 1 when the spec leaves them out, and 0/0 as healthy', async () => {
      const one = { observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: 1 };
      expect(await status('component', name, deployment(one, null))).toEqual({
        isHealth: true,
        message: 'Ready:1/1',
      });
      expect(await status('component', name, deployment({ observedGeneration: 2 }, 0))).toEqual({
        isHealth: true,
        message: 'Ready:0/0',
      });
    });
  });

  describe('cloneset', () => {
    const cloneset = (status: JsonMap) => ({
      output: {
        apiVersion: 'apps.kruise.io/v1alpha1',
        kind: 'CloneSet',
        metadata: { name: 'cloneset-server', generation: 3 },
        spec: { replicas: 5 },
        status,
      },
    });
    const full = {
      observedGeneration: 3,
      replicas: 5,
      readyReplicas: 5,
      updatedReplicas: 5,
      updatedReadyReplicas: 5,
    };

    it('is healthy once every replica is updated and ready', async () => {
      expect(await status('component', 'cloneset', cloneset(full))).toEqual({
        isHealth: true,
        message: 'Ready:5/5',
      });
    });

    it('is not healthy while updated pods are not ready yet or a partition holds old ones', async () => {
      expect(await status('component', 'cloneset', cloneset({ ...full, updatedReadyReplicas: 4 }))).toEqual({
        isHealth: false,
        message: 'Ready:5/5',
      });
      const held = { ...full, updatedReplicas: 2, updatedReadyReplicas: 2 };
      expect((await status('component', 'cloneset', cloneset(held))).isHealth).toBe(false);
    });
  });

  describe('ihpa', () => {
    const live = (status?: JsonMap) => ({ outputs: { ihpa: { spec: {}, ...(status ? { status } : {}) } } });
    const condition = (statusValue: string, reason: string, message: string) => ({
      type: 'ScalingActive',
      status: statusValue,
      reason,
      message,
      lastTransitionTime: '2024-01-01T00:00:00Z',
    });

    it('is healthy with a waiting message before any condition is reported', async () => {
      expect(await status('trait', 'ihpa', live())).toEqual({
        isHealth: true,
        message: 'no portrait value yet',
      });
      expect(await status('trait', 'ihpa', live({ conditions: [] }))).toEqual({
        isHealth: true,
        message: 'no portrait value yet',
      });
    });

    it('reports the winning portrait once scaling is active', async () => {
      const active = {
        currentPortraitValue: { provider: 'Cron', replicas: 3 },
        conditions: [
          { ...condition('True', 'DesiredWithinRange', 'within range'), type: 'ScalingLimited' },
          condition(
            'True',
            'SucceededAutoscaling',
            'the IHPA controller was able to update the target scale',
          ),
        ],
      };
      expect(await status('trait', 'ihpa', live(active))).toEqual({
        isHealth: true,
        message: 'Portrait:Cron Replicas:3',
      });
    });

    it('is unhealthy and says why when scaling is inactive, but healthy when paused on purpose', async () => {
      const failing = {
        conditions: [condition('False', 'NoValidPortraitValue', 'no valid portrait value for now')],
      };
      expect(await status('trait', 'ihpa', live(failing))).toEqual({
        isHealth: false,
        message: 'NoValidPortraitValue: no valid portrait value for now',
      });
      const paused = { conditions: [condition('False', 'ScalingPaused', 'scaling is paused')] };
      expect(await status('trait', 'ihpa', live(paused))).toEqual({
        isHealth: true,
        message: 'ScalingPaused: scaling is paused',
      });
    });
  });
});

function containerOf(result: RenderResult): JsonMap {
  const spec = result.output?.['spec'] as { template: { spec: { containers: JsonMap[] } } };
  const container = spec.template.spec.containers[0];
  if (!container) throw new Error('no container rendered');
  return container;
}

/** 1-based line of the first occurrence of `needle`. */
function lineOf(text: string, needle: string): number {
  const offset = text.indexOf(needle);
  if (offset < 0) throw new Error(`${needle} not found`);
  return text.slice(0, offset).split('\n').length;
}
