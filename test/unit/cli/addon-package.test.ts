// Reading an addon directory: what is picked up from where, and the errors that name the file
// and what to put there. Also where `addon enable <dir|name>` looks.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AddonError, localAddons, readAddonPackage, resolveAddonDir } from '../../../cli/addon-package.js';
import { repoRoot } from '../../../cli/kube.js';

const root = repoRoot();
const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tmpAddon(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rollscale-addon-'));
  made.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}
const meta = 'name: tiny\nversion: 1.0.0\n';

function readError(files: Record<string, string>): string {
  try {
    readAddonPackage(tmpAddon(files));
  } catch (error) {
    if (error instanceof AddonError) return error.message;
    throw error;
  }
  throw new Error('read without an error');
}

describe('readAddonPackage', () => {
  test('the fixture: metadata, template, top-level parameter.cue, cue resources, yaml definitions', () => {
    const pkg = readAddonPackage(join(root, 'test/fixtures/addons/cli-fixture'));
    expect(pkg.metadata).toMatchObject({
      name: 'cli-fixture',
      version: '1.2.0',
      system: { kubernetes: '>=1.20' },
    });
    expect(pkg.template?.kind).toBe('Application');
    expect(pkg.parameterCue?.path).toBe('parameter.cue');
    expect(pkg.cueResources.map((f) => f.path)).toEqual(['resources/echo.cue']);
    expect(pkg.yamlResources).toEqual([]);
    expect(pkg.definitions.map((d) => `${d.path}:${d.object.metadata?.name}`)).toEqual([
      'definitions/cli-fixture-label.yaml:cli-fixture-label',
      'definitions/cli-fixture-worker.yaml:cli-fixture-worker',
    ]);
  });

  test('resources/parameter.cue is the parameter file, not a resource; .yml counts as YAML', () => {
    const pkg = readAddonPackage(join(root, 'test/fixtures/addons/cli-fixture-cue'));
    expect(pkg.parameterCue?.path).toBe('resources/parameter.cue');
    expect(pkg.cueResources.map((f) => f.path)).toEqual(['resources/server.cue']);
    expect(pkg.templateCue?.path).toBe('template.cue');
    expect(pkg.yamlResources.map((r) => r.object.kind)).toEqual(['ConfigMap', 'ServiceAccount']);
    expect(pkg.definitions.map((d) => d.path)).toEqual(['definitions/echo-trait.yml']);
  });

  test('a numeric version is read as a string', () => {
    const pkg = readAddonPackage(tmpAddon({ 'metadata.yaml': 'name: tiny\nversion: 2.5\n' }));
    expect(pkg.metadata.version).toBe('2.5');
  });

  test.each<[string, Record<string, string>, string]>([
    [
      'no metadata.yaml',
      { 'readme.md': '' },
      'metadata.yaml is missing: an addon directory needs metadata.yaml with name and version',
    ],
    [
      'a name that is not a DNS label',
      { 'metadata.yaml': 'name: My_Addon\nversion: 1\n' },
      'metadata.yaml: name "My_Addon" must be a lowercase DNS label',
    ],
    [
      'no version',
      { 'metadata.yaml': 'name: tiny\n' },
      'metadata.yaml: version is missing; add e.g. version: 1.0.0',
    ],
    [
      'bad dependencies',
      { 'metadata.yaml': `${meta}dependencies: [fluxcd]\n` },
      'metadata.yaml: dependencies must be a list of {name, version?}',
    ],
    [
      'both templates',
      { 'metadata.yaml': meta, 'template.yaml': '', 'template.cue': '' },
      'has both template.yaml and template.cue: keep one',
    ],
    [
      'both parameter files',
      { 'metadata.yaml': meta, 'parameter.cue': '', 'resources/parameter.cue': '' },
      'has both parameter.cue and resources/parameter.cue',
    ],
    [
      'a template of another kind',
      { 'metadata.yaml': meta, 'template.yaml': 'kind: Deployment\n' },
      'template.yaml: kind is Deployment; the template is an Application skeleton',
    ],
    [
      'a resource without a name',
      { 'metadata.yaml': meta, 'resources/x.yaml': 'apiVersion: v1\nkind: ConfigMap\n' },
      'resources/x.yaml: every document needs apiVersion, kind and metadata.name',
    ],
    [
      'a non-definition under definitions/',
      {
        'metadata.yaml': meta,
        'definitions/x.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n',
      },
      'definitions/x.yaml: ConfigMap c is not a core.oam.dev/v1beta1 *Definition; other objects belong in resources/',
    ],
    [
      'a CUE definition',
      { 'metadata.yaml': meta, 'definitions/x.cue': 'x: {}' },
      'definitions/x.cue: definitions in CUE form are not supported by this CLI',
    ],
    [
      'invalid YAML',
      { 'metadata.yaml': meta, 'resources/x.yaml': 'a: [1\n' },
      'resources/x.yaml: invalid YAML',
    ],
  ])('%s', (_what, files, message) => {
    expect(readError(files)).toContain(message);
  });
});

describe('resolveAddonDir', () => {
  test('a path to a directory with metadata.yaml, relative to cwd', () => {
    expect(resolveAddonDir('test/fixtures/addons/cli-fixture', root, root)).toBe(
      join(root, 'test/fixtures/addons/cli-fixture'),
    );
  });

  test('a bare name looks under <root>/addons/', () => {
    const fakeRoot = tmpAddon({ 'addons/tiny/metadata.yaml': meta, 'addons/notes/readme.md': '' });
    expect(resolveAddonDir('tiny', fakeRoot, tmpdir())).toBe(join(fakeRoot, 'addons', 'tiny'));
    expect(localAddons(fakeRoot)).toEqual([{ name: 'tiny', dir: join(fakeRoot, 'addons', 'tiny') }]);
  });

  test('nothing there: the message lists what was tried', () => {
    const cwd = tmpAddon({});
    let message = '';
    try {
      resolveAddonDir('nope', root, cwd);
    } catch (error) {
      message = (error as Error).message;
    }
    // Paths outside the working directory are shown whole.
    expect(message).toContain(`no addon at nope or ${join(root, 'addons', 'nope')}`);
    expect(message).toContain("pass the addon's directory, or the name of one under");
  });
});
