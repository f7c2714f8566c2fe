// Rendering an addon directory into what `addon enable` writes, with the real CUE engine: the
// Application's shape and labels, components from resources/*.cue and *.yaml, the template.cue
// form, the definitions' namespace, the Secret's content, parameter defaults and the errors.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createCueEngine, type CueEngine } from '../../../cuelang-wasm/index.js';
import { AddonError, localAddons, readAddonPackage } from '../../../cli/addon-package.js';
import {
  ADDON_PARAMETER_KEY,
  addonNameOf,
  parametersFromSecret,
  renderAddon,
  withOwner,
  type RenderedAddon,
} from '../../../cli/addon-render.js';
import { repoRoot } from '../../../cli/kube.js';

const root = repoRoot();
const fixture = (name: string) => join(root, 'test', 'fixtures', 'addons', name);
let cue: CueEngine;

beforeAll(async () => {
  cue = await createCueEngine({ isolation: 'inline' });
});
afterAll(async () => {
  await cue.close();
});

async function render(dir: string, args: Record<string, unknown> = {}): Promise<RenderedAddon> {
  return renderAddon(readAddonPackage(dir), args, cue);
}

async function renderError(dir: string, args: Record<string, unknown> = {}): Promise<AddonError> {
  try {
    await render(dir, args);
  } catch (error) {
    if (error instanceof AddonError) return error;
    throw error;
  }
  throw new Error('rendered without an error');
}

/** A throw-away addon directory with the given files. */
function addonDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rollscale-addon-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}
const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tmpAddon(files: Record<string, string>): string {
  const dir = addonDir(files);
  made.push(dir);
  return dir;
}

describe('the template.yaml form (cli-fixture)', () => {
  test('Application addon-<name> in vela-system with the addon labels, the template annotations kept', async () => {
    const { application } = await render(fixture('cli-fixture'), { message: 'hi' });
    expect(application.apiVersion).toBe('core.oam.dev/v1beta1');
    expect(application.kind).toBe('Application');
    expect(application.metadata).toEqual({
      name: 'addon-cli-fixture',
      namespace: 'vela-system',
      labels: {
        'addons.oam.dev/name': 'cli-fixture',
        'addons.oam.dev/version': '1.2.0',
        'addons.oam.dev/registry': 'local',
      },
      annotations: { 'addons.oam.dev/description': 'Test addon of the rollscale CLI' },
    });
  });

  test('each resources/*.cue output is a component named after its file, rendered with the parameters', async () => {
    const { application } = await render(fixture('cli-fixture'), { message: 'hi', replicas: 2 });
    expect(application.spec.components).toEqual([
      {
        name: 'echo',
        type: 'cli-fixture-worker',
        properties: { image: 'busybox:1.36', replicas: 2, cmd: ['sh', '-c', 'echo HI; sleep 3600'] },
      },
    ]);
  });

  test('definitions go to vela-system whatever namespace they name, server fields dropped', async () => {
    const { definitions } = await render(fixture('cli-fixture'));
    expect(definitions.map((d) => [d.kind, d.metadata?.namespace, d.metadata?.name])).toEqual([
      ['TraitDefinition', 'vela-system', 'cli-fixture-label'],
      ['ComponentDefinition', 'vela-system', 'cli-fixture-worker'],
    ]);
  });

  test('the Secret holds the parameters as given (not the defaults) as JSON under addonParameterDataKey', async () => {
    const { secret, parameters } = await render(fixture('cli-fixture'), { message: 'hi', extra: { a: [1] } });
    expect(secret.metadata).toEqual({
      name: 'addon-secret-cli-fixture',
      namespace: 'vela-system',
      labels: { 'addons.oam.dev/name': 'cli-fixture' },
    });
    expect(secret.type).toBe('Opaque');
    expect(Object.keys(secret.data)).toEqual([ADDON_PARAMETER_KEY]);
    expect(JSON.parse(Buffer.from(secret.data[ADDON_PARAMETER_KEY] as string, 'base64').toString())).toEqual({
      message: 'hi',
      extra: { a: [1] },
    });
    expect(parametersFromSecret(secret)).toEqual({ message: 'hi', extra: { a: [1] } });
    // The defaults are filled in for rendering only.
    expect(parameters).toEqual({ image: 'busybox:1.36', replicas: 1, message: 'hi', extra: { a: [1] } });
  });

  test('a parameter of the wrong type is refused, naming the field and the file', async () => {
    const error = await renderError(fixture('cli-fixture'), { replicas: 'two' });
    expect(error.message).toContain('parameter.replicas');
    expect(error.message).toContain(
      'parameter.cue line 5: parameter.replicas: 2 errors in empty disjunction: conflicting values "two" and 1',
    );
  });
});

describe('the template.cue form (cli-fixture-cue)', () => {
  test('the package renders as one: output is the Application, outputs go along, yaml resources bundle', async () => {
    const rendered = await render(fixture('cli-fixture-cue'), { greeting: 'hey', tag: '1.27' });
    const { application } = rendered;
    expect(application.metadata.name).toBe('addon-cli-fixture-cue');
    expect(application.metadata.labels['addons.oam.dev/version']).toBe('2.0');
    expect(application.spec['policies']).toEqual([
      { type: 'topology', name: 'local', properties: { clusters: ['local'] } },
    ]);
    expect(application.spec.components.map((c) => [c.name, c.type])).toEqual([
      ['server', 'webservice'],
      ['cli-fixture-cue-resources', 'k8s-objects'],
    ]);
    expect(application.spec.components[0]).toMatchObject({
      properties: { image: 'nginx:1.27', env: [{ name: 'REPLICAS', value: '2' }] },
      traits: [{ type: 'scaler', properties: { replicas: 2 } }],
    });
    expect(application.spec.components[1]?.properties).toEqual({
      objects: [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'cli-fixture-cue-extra', namespace: 'cli-fixture-cue-system' },
          data: { mode: 'test' },
        },
        {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: 'cli-fixture-cue', namespace: 'cli-fixture-cue-system' },
        },
      ],
    });
    expect(rendered.auxiliary).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cli-fixture-cue-settings' },
        data: { greeting: 'hey' },
      },
    ]);
    expect(rendered.namespaces).toEqual(['cli-fixture-cue-system']);
    expect(rendered.definitions.map((d) => d.metadata?.name)).toEqual(['cli-fixture-cue-echo']);
  });

  test('a required parameter without a value says which --set is missing', async () => {
    const error = await renderError(fixture('cli-fixture-cue'));
    expect(error.message).toContain(
      'parameter greeting has no value and no default: pass --set greeting=<value>',
    );
    expect(error.message).toContain('resources/parameter.cue line 6');
  });
});

describe('the addons the repository ships (addons/*)', () => {
  const shipped = localAddons(root);

  test('there is at least addons/rollscale', () => {
    expect(shipped.map((a) => a.name)).toContain('rollscale');
  });

  test.each(shipped.map((a) => [a.name, a.dir]))(
    "%s renders with its defaults into KubeVela's shape",
    async (_name, dir) => {
      const pkg = readAddonPackage(dir);
      const rendered = await renderAddon(pkg, {}, cue);
      const { application } = rendered;
      expect(application.metadata.name).toBe(`addon-${pkg.metadata.name}`);
      expect(application.metadata.namespace).toBe('vela-system');
      expect(application.metadata.labels).toMatchObject({
        'addons.oam.dev/name': pkg.metadata.name,
        'addons.oam.dev/version': pkg.metadata.version,
      });
      const names = application.spec.components.map((c) => c.name);
      expect(new Set(names).size).toBe(names.length);
      for (const component of application.spec.components) expect(component.type).toMatch(/^[a-z0-9-]+$/);
      if (pkg.yamlResources.length > 0) {
        const bundle = application.spec.components.find((c) => c.name === `${pkg.metadata.name}-resources`);
        expect(bundle?.type).toBe('k8s-objects');
        expect((bundle?.properties?.['objects'] as unknown[]).length).toBe(pkg.yamlResources.length);
      }
      expect(rendered.definitions).toHaveLength(pkg.definitions.length);
      for (const definition of rendered.definitions)
        expect(definition.metadata?.namespace).toBe('vela-system');
      expect(rendered.namespaces).toEqual(
        (pkg.metadata.needNamespace ?? []).filter((n) => n !== 'vela-system'),
      );
      expect(rendered.secret.metadata.name).toBe(`addon-secret-${pkg.metadata.name}`);
      expect(parametersFromSecret(rendered.secret)).toEqual({});
    },
  );
});

describe('renderer rules and errors', () => {
  const metadata = 'name: tiny\nversion: 0.0.1\n';

  test('without a template: an empty Application skeleton; output.name overrides the file name', async () => {
    const dir = tmpAddon({
      'metadata.yaml': metadata,
      'resources/b.cue': 'output: {name: "named", type: "worker", properties: image: "x"}\n',
      'resources/a.cue': 'output: {type: "worker", properties: image: "y"}\n',
    });
    const { application, secret } = await render(dir);
    expect(application.spec).toEqual({
      components: [
        { name: 'a', type: 'worker', properties: { image: 'y' } },
        { name: 'named', type: 'worker', properties: { image: 'x' } },
      ],
    });
    expect(parametersFromSecret(secret)).toEqual({});
  });

  test('a CUE error points at the file and line the user wrote', async () => {
    const dir = tmpAddon({
      'metadata.yaml': metadata,
      'parameter.cue': 'parameter: {\n\tn: *1 | int\n}\n',
      'resources/broken.cue':
        'package main\n\nimport "strings"\n\noutput: {\n\ttype: "worker"\n\tproperties: x: strings.Repeat("a", parameter.n) + 1\n}\n',
    });
    const error = await renderError(dir);
    expect(error.message).toMatch(/^resources\/broken\.cue: resources\/broken\.cue line 7: /);
  });

  test('an output without a type, and two components of one name, are refused', async () => {
    const noType = tmpAddon({ 'metadata.yaml': metadata, 'resources/x.cue': 'output: properties: {}\n' });
    expect((await renderError(noType)).message).toContain('resources/x.cue: `output` needs type');
    const twice = tmpAddon({
      'metadata.yaml': metadata,
      'template.yaml':
        'apiVersion: core.oam.dev/v1beta1\nkind: Application\nspec:\n  components:\n    - {name: x, type: worker}\n',
      'resources/x.cue': 'output: type: "worker"\n',
    });
    expect((await renderError(twice)).message).toContain('two components are named x');
  });

  test("addon labels override the template's own labels of the same keys", async () => {
    const dir = tmpAddon({
      'metadata.yaml': metadata,
      'template.yaml':
        'apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: ignored\n  labels: {team: a, addons.oam.dev/version: "9"}\nspec:\n  components: []\n',
    });
    const { application } = await render(dir);
    expect(application.metadata.name).toBe('addon-tiny');
    expect(application.metadata.labels).toEqual({
      team: 'a',
      'addons.oam.dev/name': 'tiny',
      'addons.oam.dev/version': '0.0.1',
      'addons.oam.dev/registry': 'local',
    });
  });
});

describe('withOwner and names', () => {
  test('withOwner sets one controller reference and leaves the rest alone', () => {
    const owned = withOwner(
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'vela-system' } },
      { apiVersion: 'core.oam.dev/v1beta1', kind: 'Application', name: 'addon-x', uid: 'u-1' },
    );
    expect(owned.metadata).toEqual({
      name: 's',
      namespace: 'vela-system',
      ownerReferences: [
        {
          apiVersion: 'core.oam.dev/v1beta1',
          kind: 'Application',
          name: 'addon-x',
          uid: 'u-1',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
  });

  test('addonNameOf reads the addon from its Application name', () => {
    expect(addonNameOf('addon-rollscale')).toBe('rollscale');
    expect(addonNameOf('rollscale')).toBeUndefined();
  });
});
