// The KubeVela addon in addons/rollscale/, read the way `vela addon enable` reads it: metadata
// fields and types, one object per resource YAML, resources/*.cue evaluated with our CUE engine as
// `parameter: <args>` + parameter.cue + the file, and the rendered Deployments and Services
// checked against the flags the controller process understands.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

import { CueRenderError, createCueEngine, type CueEngine } from '../../../cuelang-wasm/index.js';
import {
  ADDON_DIR,
  ADDON_NAMESPACE,
  BUNDLE_ARGS,
  KUBEVELA_CRD_GROUPS,
  PARAMETER_FILE,
  REPO_ROOT,
  VELA_SYSTEM,
  addonCopies,
  cueSource,
  filesIn,
  readMetadata,
  renderAddon,
  type JsonObject,
  type KubeObject,
  type RenderedAddon,
} from '../../../deploy/addon.js';
import { generatedFiles, staleCopies } from '../../../deploy/generate.js';

interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: Array<{ name: string; containerPort: number }>;
  securityContext?: JsonObject;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
type Deployment = KubeObject & {
  spec: {
    replicas: number;
    strategy?: { type: string };
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        serviceAccountName: string;
        securityContext?: JsonObject;
        containers: Container[];
        volumes?: Array<{ name: string; secret?: { secretName: string } }>;
      };
    };
  };
};
type Service = KubeObject & {
  spec: {
    selector: Record<string, string>;
    ports: Array<{ name: string; port: number; targetPort: string | number }>;
  };
};

/** The kinds the addon may ship, by apiVersion, and whether each is namespaced. */
const KNOWN_KINDS: Record<string, Record<string, boolean>> = {
  v1: { Namespace: false, ServiceAccount: true, Service: true },
  'apps/v1': { Deployment: true },
  'rbac.authorization.k8s.io/v1': {
    ClusterRole: false,
    ClusterRoleBinding: false,
    Role: true,
    RoleBinding: true,
  },
  'apiextensions.k8s.io/v1': { CustomResourceDefinition: false },
  'core.oam.dev/v1beta1': { ComponentDefinition: true, TraitDefinition: true },
};

/** KubeVela's metadata.yaml fields (pkg/addon Meta). */
const METADATA_FIELDS = new Set([
  'name',
  'version',
  'description',
  'icon',
  'url',
  'tags',
  'deployTo',
  'dependencies',
  'needNamespace',
  'invisible',
  'system',
]);

const REGISTERED = [
  ...readFileSync(join(REPO_ROOT, 'controllers', 'registry.ts'), 'utf8').matchAll(/name:\s*'([^']+)'/g),
].map((m) => m[1]);
const MAIN_TS = readFileSync(join(REPO_ROOT, 'controllers', 'main.ts'), 'utf8');
const PACKAGE = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

function flag(container: Container, name: string): string | undefined {
  const prefix = `--${name}=`;
  return container.args?.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

function portNumber(container: Container, port: string | number | undefined): number | undefined {
  return typeof port === 'number' ? port : container.ports?.find((p) => p.name === port)?.containerPort;
}

function hostPort(address: string | undefined): number | undefined {
  const port = address?.split(':').at(-1);
  return port === undefined ? undefined : Number(port);
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? allFiles(path) : [path];
  });
}

let engine: CueEngine;
let defaults: RenderedAddon;

beforeAll(async () => {
  engine = await createCueEngine({ isolation: 'inline', cacheSize: 0 });
  defaults = await renderAddon(engine, {});
});
afterAll(async () => {
  await engine?.close();
});

const ofKind = <T extends KubeObject>(objects: readonly KubeObject[], kind: string, name: string): T => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found as T;
};

const controllerOf = (objects: readonly KubeObject[]) =>
  ofKind<Deployment>(objects, 'Deployment', 'rollscale-controller');
const webhookOf = (objects: readonly KubeObject[]) =>
  ofKind<Deployment>(objects, 'Deployment', 'rollscale-webhook');

describe('addon layout', () => {
  test('metadata.yaml has the fields KubeVela reads, with their types', () => {
    const raw = parse(readFileSync(join(ADDON_DIR, 'metadata.yaml'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(raw).filter((k) => !METADATA_FIELDS.has(k))).toEqual([]);
    const meta = readMetadata();
    expect(meta.name).toBe('rollscale');
    expect(meta.version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    expect(meta.version).toBe(PACKAGE.version);
    expect(typeof meta.description).toBe('string');
    expect(meta.description.length).toBeGreaterThan(20);
    expect(meta.icon).toMatch(/^https:\/\/\S+$/);
    expect(meta.url).toMatch(/^https:\/\/\S+$/);
    expect(meta.tags.length).toBeGreaterThan(0);
    for (const tag of meta.tags) expect(typeof tag).toBe('string');
    expect(meta.dependencies).toEqual([]);
    expect(meta.system?.vela).toMatch(/^>=\s*v\d+\.\d+\.\d+$/);
    expect(meta.system?.kubernetes).toMatch(/^>=\s*v?\d+\.\d+(\.\d+)?$/);
    expect(meta.needNamespace).toEqual([ADDON_NAMESPACE]);
    expect(typeof meta.invisible).toBe('boolean');
  });

  test('every file sits where KubeVela looks, and the required ones exist', () => {
    const patterns = [
      /^readme\.md$/,
      /^metadata\.yaml$/,
      /^template\.yaml$/,
      /^resources\/[^/]+\.(cue|yaml)$/,
      /^definitions\/[^/]+\.yaml$/,
    ];
    const files = allFiles(ADDON_DIR).map((f) => relative(ADDON_DIR, f));
    for (const file of files) expect([file, patterns.some((p) => p.test(file))]).toEqual([file, true]);
    for (const required of ['readme.md', 'metadata.yaml', 'template.yaml', PARAMETER_FILE]) {
      expect(files).toContain(required);
    }
  });

  test('template.yaml is an Application skeleton named addon-<name> in vela-system', () => {
    const template = parse(readFileSync(join(ADDON_DIR, 'template.yaml'), 'utf8')) as JsonObject;
    expect(template).toMatchObject({
      apiVersion: 'core.oam.dev/v1beta1',
      kind: 'Application',
      metadata: { name: 'addon-rollscale', namespace: VELA_SYSTEM },
      spec: { components: [] },
    });
  });

  test('every YAML parses, and each resource and definition file holds exactly one object', () => {
    for (const file of allFiles(ADDON_DIR).filter((f) => f.endsWith('.yaml'))) {
      const docs = parseAllDocuments(readFileSync(file, 'utf8')).filter((d) => d.contents !== null);
      for (const doc of docs) expect([file, doc.errors.map((e) => e.message)]).toEqual([file, []]);
      if (/\/(resources|definitions)\//.test(file)) {
        expect([file, docs.length]).toEqual([file, 1]);
        const obj = docs[0]?.toJS() as KubeObject;
        expect([file, typeof obj.apiVersion, typeof obj.kind, typeof obj.metadata?.name]).toEqual([
          file,
          'string',
          'string',
          'string',
        ]);
      }
    }
  });

  test('the Application has unique component names KubeVela can use as label values', () => {
    const components = defaults.application.spec.components;
    const names = components.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    for (const c of components) expect(['raw', 'k8s-objects']).toContain(c.type);
    expect(defaults.application.metadata).toMatchObject({ labels: { 'addons.oam.dev/name': 'rollscale' } });
  });

  test('every rendered object is of a known kind, namespaced exactly where its kind is', () => {
    for (const obj of defaults.objects) {
      const namespaced = KNOWN_KINDS[obj.apiVersion]?.[obj.kind];
      expect([obj.apiVersion, obj.kind, namespaced === undefined]).toEqual([obj.apiVersion, obj.kind, false]);
      const expected = !namespaced
        ? undefined
        : obj.kind.endsWith('Definition')
          ? VELA_SYSTEM
          : ADDON_NAMESPACE;
      expect([obj.kind, obj.metadata.name, obj.metadata.namespace]).toEqual([
        obj.kind,
        obj.metadata.name,
        expected,
      ]);
    }
    const names = defaults.objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('addon CUE, evaluated as KubeVela does', () => {
  test('parameter.cue alone gives concrete defaults', async () => {
    const source = `${readFileSync(join(ADDON_DIR, PARAMETER_FILE), 'utf8')}\noutput: parameter\n`;
    const { output } = await engine.render(source, { parameter: {} });
    expect(output).toMatchObject({
      image: `ghcr.io/rollscale/rollscale:${PACKAGE.version}`,
      replicas: 2,
      applicationController: false,
      prometheusAddress: '',
      webhook: true,
      webhookCertSecret: '',
      customMetrics: [],
      externalMetrics: [],
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    });
  });

  test.each([
    [{ replicas: 'two' }, 'replicas'],
    [{ replicas: 0 }, 'replicas'],
    [{ logLevel: 'chatty' }, 'logLevel'],
    [{ customMetrics: 'pods/x' }, 'customMetrics'],
  ])('a wrong argument %j is refused', async (args, field) => {
    for (const file of filesIn(join(ADDON_DIR, 'resources'), '.cue').filter((f) => f !== 'parameter.cue')) {
      const error = await engine.render(cueSource(ADDON_DIR, file), { parameter: args }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CueRenderError);
      expect(String((error as Error).message)).toContain(field);
    }
  });

  test('each resources/*.cue defines a k8s-objects component without imports or a package clause', () => {
    for (const file of filesIn(join(ADDON_DIR, 'resources'), '.cue')) {
      const text = readFileSync(join(ADDON_DIR, 'resources', file), 'utf8');
      // KubeVela 1.4 evaluates the file as a script inside parameter.cue's value.
      expect([file, /^\s*(package|import)\b/m.test(text)]).toEqual([file, false]);
    }
    const cue = defaults.application.spec.components.filter((c) => c.source.endsWith('.cue'));
    expect(cue.map((c) => [c.name, c.type])).toEqual([
      ['controller', 'k8s-objects'],
      ['rbac', 'k8s-objects'],
    ]);
  });
});

describe('the controller and webhook Deployments', () => {
  test('two leader-elected controller replicas; one webhook replica replaced with Recreate', () => {
    const controller = controllerOf(defaults.objects);
    expect(controller.spec.replicas).toBe(2);
    const container = controller.spec.template.spec.containers[0] as Container;
    expect(flag(container, 'leader-elect')).toBe('true');
    expect(flag(container, 'leader-election-namespace')).toBe(ADDON_NAMESPACE);
    expect(flag(container, 'controllers')?.split(',')).toEqual([
      'rollout',
      'ihpa',
      'replicaprofile',
      'portrait',
      'grpc-metrics',
    ]);
    const webhook = webhookOf(defaults.objects);
    expect(webhook.spec.replicas).toBe(1);
    expect(webhook.spec.strategy).toEqual({ type: 'Recreate' });
    const webhookContainer = webhook.spec.template.spec.containers[0] as Container;
    expect(flag(webhookContainer, 'controllers')).toBe('webhook');
    expect(flag(webhookContainer, 'leader-elect')).toBe('false');
  });

  test('every flag the Deployments pass is a flag of controllers/main.ts, every controller a registered one', async () => {
    const rendered = await renderAddon(engine, {
      applicationController: true,
      prometheusAddress: 'http://prom:9090',
      webhookCertSecret: 'certs',
    });
    for (const d of [controllerOf(rendered.objects), webhookOf(rendered.objects)]) {
      for (const container of d.spec.template.spec.containers) {
        for (const arg of container.args ?? []) {
          const name = /^--([a-z-]+)=/.exec(arg)?.[1];
          expect([
            arg,
            name !== undefined && new RegExp(`'${name}':\\s*\\{|\\b${name}:\\s*\\{`).test(MAIN_TS),
          ]).toEqual([arg, true]);
        }
        for (const c of flag(container, 'controllers')?.split(',') ?? []) expect(REGISTERED).toContain(c);
      }
    }
  });

  test('containers run as a numeric non-root user on a read-only root, with resources and probes', () => {
    for (const d of [controllerOf(defaults.objects), webhookOf(defaults.objects)]) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.securityContext?.['runAsUser']).toEqual(expect.any(Number));
        expect(c.securityContext?.['runAsUser']).not.toBe(0);
        expect(Object.keys(c.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
        expect(Object.keys(c.resources?.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
        expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
        expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
        // The probes reach the port the process serves them on, on every interface.
        const probes = flag(c, 'metrics-addr');
        expect(probes?.startsWith('0.0.0.0:')).toBe(true);
        expect(portNumber(c, c.livenessProbe?.httpGet?.port)).toBe(hostPort(probes));
        expect(portNumber(c, c.readinessProbe?.httpGet?.port)).toBe(hostPort(probes));
        // The one writable place is an emptyDir on /tmp.
        expect(c.volumeMounts?.filter((m) => !m.readOnly).map((m) => m.mountPath)).toEqual(['/tmp']);
      }
    }
  });

  test('parameters reach the Deployments', async () => {
    const rendered = await renderAddon(engine, {
      replicas: 3,
      image: 'registry.example/rollscale:test',
      applicationController: true,
      prometheusAddress: 'http://prom.monitoring:9090',
      algorithmJobImage: 'registry.example/algorithm:1',
      webhookCertSecret: 'webhook-certs',
      logLevel: 'debug',
    });
    const controller = controllerOf(rendered.objects);
    const container = controller.spec.template.spec.containers[0] as Container;
    expect(controller.spec.replicas).toBe(3);
    expect(container.image).toBe('registry.example/rollscale:test');
    expect(flag(container, 'controllers')?.split(',')[0]).toBe('application');
    expect(flag(container, 'prometheus-address')).toBe('http://prom.monitoring:9090');
    expect(flag(container, 'algorithm-job-image')).toBe('registry.example/algorithm:1');
    expect(container).toMatchObject({ env: expect.arrayContaining([{ name: 'LOG_LEVEL', value: 'debug' }]) });
    const webhook = webhookOf(rendered.objects).spec.template.spec;
    const webhookContainer = webhook.containers[0] as Container;
    const certDir = flag(webhookContainer, 'webhook-cert-dir');
    expect(webhookContainer.volumeMounts).toContainEqual({
      name: 'webhook-certs',
      mountPath: certDir,
      readOnly: true,
    });
    expect(webhook.volumes).toContainEqual({
      name: 'webhook-certs',
      secret: { secretName: 'webhook-certs' },
    });

    const noWebhook = await renderAddon(engine, { webhook: false });
    expect(noWebhook.objects.filter((o) => o.metadata.name.includes('webhook')).map((o) => o.kind)).toEqual(
      [],
    );
    expect(
      flag(
        controllerOf(defaults.objects).spec.template.spec.containers[0] as Container,
        'prometheus-address',
      ),
    ).toBeUndefined();
  });

  test('Services: the webhook on 443, metrics, and kapacity-grpc-service on 9090, each reaching its port', () => {
    const controller = controllerOf(defaults.objects);
    const controllerContainer = controller.spec.template.spec.containers[0] as Container;
    const webhook = webhookOf(defaults.objects);
    const webhookContainer = webhook.spec.template.spec.containers[0] as Container;
    const target = (service: Service, deployment: Deployment, container: Container, port: number) => {
      expect(service.metadata.namespace).toBe(ADDON_NAMESPACE);
      expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
      expect(deployment.spec.selector.matchLabels).toEqual(service.spec.selector);
      const servicePort = service.spec.ports.find((p) => p.port === port);
      expect(servicePort).toBeDefined();
      return portNumber(container, servicePort?.targetPort);
    };

    const webhookService = ofKind<Service>(defaults.objects, 'Service', 'rollscale-webhook-service');
    expect(target(webhookService, webhook, webhookContainer, 443)).toBe(
      Number(flag(webhookContainer, 'webhook-port')),
    );
    expect(flag(webhookContainer, 'webhook-service')).toBe(`${ADDON_NAMESPACE}/rollscale-webhook-service`);

    const metrics = ofKind<Service>(defaults.objects, 'Service', 'rollscale-controller-metrics');
    expect(
      target(
        metrics,
        controller,
        controllerContainer,
        hostPort(flag(controllerContainer, 'metrics-addr')) ?? 0,
      ),
    ).toBe(hostPort(flag(controllerContainer, 'metrics-addr')));

    const grpc = ofKind<Service>(defaults.objects, 'Service', 'kapacity-grpc-service');
    expect(target(grpc, controller, controllerContainer, 9090)).toBe(
      hostPort(flag(controllerContainer, 'grpc-metrics-addr')),
    );
    expect(flag(controllerContainer, 'grpc-metrics-addr')?.startsWith('0.0.0.0:')).toBe(true);
    expect(flag(controllerContainer, 'metrics-server-addr')).toBe(
      `kapacity-grpc-service.${ADDON_NAMESPACE}:9090`,
    );
  });

  test('the service accounts the Deployments run as are shipped', () => {
    for (const d of [controllerOf(defaults.objects), webhookOf(defaults.objects)]) {
      const account = d.spec.template.spec.serviceAccountName;
      expect(ofKind(defaults.objects, 'ServiceAccount', account).metadata.namespace).toBe(ADDON_NAMESPACE);
    }
  });
});

describe('generated copies stay in step with their sources', () => {
  test('definitions and CRDs in the addon are byte-for-byte copies of definitions/', () => {
    const copies = addonCopies();
    expect(copies.filter((c) => c.target.includes('/definitions/')).length).toBe(
      filesIn(join(REPO_ROOT, 'definitions', 'generated'), '.yaml').length,
    );
    for (const { source, target } of copies) {
      expect([
        target,
        readFileSync(join(REPO_ROOT, target), 'utf8') === readFileSync(join(REPO_ROOT, source), 'utf8'),
      ]).toEqual([target, true]);
    }
    expect(staleCopies()).toEqual([]);
  });

  test('the addon ships every CRD except the ones KubeVela installs itself', () => {
    const shipped = defaults.objects.filter((o) => o.kind === 'CustomResourceDefinition') as Array<
      KubeObject & { spec: { group: string } }
    >;
    const sources = filesIn(join(REPO_ROOT, 'definitions', 'crds'), '.yaml');
    const kubevela = sources.filter((f) => KUBEVELA_CRD_GROUPS.some((g) => f.startsWith(`${g}_`)));
    expect(kubevela.length).toBeGreaterThan(0);
    expect(shipped.length).toBe(sources.length - kubevela.length);
    for (const crd of shipped) expect(KUBEVELA_CRD_GROUPS).not.toContain(crd.spec.group);
  });

  test('deploy/crds.yaml and deploy/rollscale.yaml are what deploy/generate.ts renders', async () => {
    for (const file of await generatedFiles()) {
      expect([file.path, readFileSync(join(REPO_ROOT, file.path), 'utf8') === file.content]).toEqual([
        file.path,
        true,
      ]);
    }
    const bundle = parseAllDocuments(readFileSync(join(REPO_ROOT, 'deploy', 'rollscale.yaml'), 'utf8')).map(
      (d) => d.toJS() as KubeObject,
    );
    const controller = controllerOf(bundle);
    expect(
      flag(controller.spec.template.spec.containers[0] as Container, 'controllers')?.split(','),
    ).toContain('application');
    expect(BUNDLE_ARGS).toEqual({ applicationController: true });
    expect(
      bundle
        .filter((o) => o.kind === 'TraitDefinition')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['ihpa', 'rollout', 'scaler']);
  });
});
