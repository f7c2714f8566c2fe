// Reads and renders the KubeVela addon in addons/rollscale/ the way `vela addon enable` does
// (KubeVela 1.4 layout, which later releases still accept), with our own CUE engine:
//
//   metadata.yaml          name, version, system, needNamespace, ...
//   template.yaml          the Application skeleton (`addon-<name>` in vela-system)
//   resources/parameter.cue  the parameter schema and defaults
//   resources/*.cue        each evaluated as `parameter: <args>` + parameter.cue + the file; its
//                          `output` is one component of the Application
//   resources/*.yaml       each ONE object, bundled as a `raw` component
//   definitions/*.yaml     ComponentDefinitions / TraitDefinitions (raw components in 1.4)
//
// The copies under addons/rollscale/ of definitions/generated/ and of the CRDs in definitions/crds/
// are made by deploy/generate.ts (their one source stays under definitions/); `addonCopies` says
// which file is a copy of which.

import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';

import type { CueEngine } from '../cuelang-wasm/index.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ADDON_NAME = 'rollscale';
export const ADDON_DIR = join(REPO_ROOT, 'addons', ADDON_NAME);
/** The addon's own namespace (metadata.yaml needNamespace; every namespaced object lives there). */
export const ADDON_NAMESPACE = 'rollscale-system';
/** Where KubeVela keeps definitions and addon Applications. */
export const VELA_SYSTEM = 'vela-system';
/** KubeVela 1.4 reads the parameters only from here. */
export const PARAMETER_FILE = join('resources', 'parameter.cue');
/**
 * CRD groups the addon leaves out: KubeVela itself installs the core.oam.dev CRDs (Application,
 * ComponentDefinition, TraitDefinition); an addon replacing them would replace KubeVela's own.
 */
export const KUBEVELA_CRD_GROUPS: readonly string[] = ['core.oam.dev'];

export type JsonObject = { [key: string]: unknown };

export interface KubeObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
}

export interface AddonMetadata {
  name: string;
  version: string;
  description: string;
  icon: string;
  url: string;
  tags: string[];
  dependencies?: Array<{ name: string }>;
  system?: { vela?: string; kubernetes?: string };
  needNamespace?: string[];
  invisible?: boolean;
}

export interface AddonComponent {
  name: string;
  type: string;
  properties: JsonObject;
  /** The addon file it came from, relative to the addon directory (`needNamespace` for namespaces). */
  source: string;
}

export interface RenderedAddon {
  /** The Application `vela addon enable` applies. */
  application: JsonObject & { spec: { components: AddonComponent[] } };
  /** Every Kubernetes object the components stand for, in component order. */
  objects: KubeObject[];
}

export function readMetadata(dir: string = ADDON_DIR): AddonMetadata {
  return parse(readFileSync(join(dir, 'metadata.yaml'), 'utf8')) as AddonMetadata;
}

/** Files directly inside `dir` ending in `ext`, in name order. */
export function filesIn(dir: string, ext: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(ext))
    .map((e) => e.name)
    .sort();
}

/** The one object of a resource YAML (KubeVela decodes the first document only: more is an error here). */
export function readSingleObject(file: string): KubeObject {
  const docs = parseAllDocuments(readFileSync(file, 'utf8')).filter((d) => d.contents !== null);
  if (docs.length !== 1)
    throw new Error(`${file}: holds ${docs.length} documents; KubeVela reads exactly one`);
  const doc = docs[0]!;
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
  return doc.toJS() as KubeObject;
}

/** The objects a component stands for: a `raw` component is one, `k8s-objects` a list. */
export function componentObjects(component: AddonComponent): KubeObject[] {
  if (component.type === 'raw') return [component.properties as KubeObject];
  if (component.type === 'k8s-objects') return (component.properties['objects'] as KubeObject[]) ?? [];
  throw new Error(`component ${component.name}: type ${component.type} is neither raw nor k8s-objects`);
}

/** KubeVela's name for the component of a resource file: dots become dashes. */
export function componentName(file: string, keepExtension: boolean): string {
  const name = keepExtension ? basename(file) : basename(file, extname(file));
  return name.replace(/\./g, '-');
}

/** The CUE source KubeVela evaluates for one resources/*.cue file (parameter.cue, then the file). */
export function cueSource(dir: string, file: string): string {
  return `${readFileSync(join(dir, PARAMETER_FILE), 'utf8')}\n${readFileSync(join(dir, 'resources', file), 'utf8')}`;
}

/** Renders the addon's Application for `args` (the `vela addon enable` arguments). */
export async function renderAddon(
  engine: CueEngine,
  args: JsonObject = {},
  dir: string = ADDON_DIR,
): Promise<RenderedAddon> {
  const metadata = readMetadata(dir);
  const application = parse(readFileSync(join(dir, 'template.yaml'), 'utf8')) as RenderedAddon['application'];
  application.metadata = {
    ...(application.metadata as JsonObject),
    labels: {
      ...((application.metadata as { labels?: JsonObject } | undefined)?.labels ?? {}),
      'addons.oam.dev/name': metadata.name,
    },
  };
  const components: AddonComponent[] = [...(application.spec?.components ?? [])];
  for (const namespace of metadata.needNamespace ?? []) {
    if (namespace === VELA_SYSTEM) continue;
    components.push({
      name: `${namespace}-namespace`,
      type: 'raw',
      properties: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      source: 'needNamespace',
    });
  }
  const resources = join(dir, 'resources');
  for (const file of filesIn(resources, '.yaml')) {
    components.push({
      name: componentName(file, true),
      type: 'raw',
      properties: readSingleObject(join(resources, file)),
      source: join('resources', file),
    });
  }
  for (const file of filesIn(resources, '.cue')) {
    if (file === basename(PARAMETER_FILE)) continue;
    const { output } = await engine.render(cueSource(dir, file), { parameter: args });
    if (!output) throw new Error(`resources/${file}: defines no output`);
    const rendered = structuredClone(output) as { type?: string; properties?: JsonObject };
    components.push({
      name: componentName(file, false),
      type: String(rendered.type),
      properties: rendered.properties ?? {},
      source: join('resources', file),
    });
  }
  for (const file of filesIn(join(dir, 'definitions'), '.yaml')) {
    components.push({
      name: componentName(file, true),
      type: 'raw',
      properties: readSingleObject(join(dir, 'definitions', file)),
      source: join('definitions', file),
    });
  }
  application.spec = { ...application.spec, components };
  return { application, objects: components.flatMap(componentObjects) };
}

// ---------------------------------------------------------------------------------------------
// Copies of definitions/ inside the addon

export interface AddonCopy {
  /** Relative to the repository root. */
  source: string;
  target: string;
}

/** Every file under addons/rollscale/ that is a byte-for-byte copy of a file under definitions/. */
export function addonCopies(root: string = REPO_ROOT): AddonCopy[] {
  const copies: AddonCopy[] = [];
  const generated = join('definitions', 'generated');
  for (const file of filesIn(join(root, generated), '.yaml')) {
    copies.push({ source: join(generated, file), target: join('addons', ADDON_NAME, 'definitions', file) });
  }
  const crds = join('definitions', 'crds');
  for (const file of filesIn(join(root, crds), '.yaml')) {
    const crd = readSingleObject(join(root, crds, file)) as KubeObject & {
      spec: { group: string; names: { plural: string } };
    };
    if (KUBEVELA_CRD_GROUPS.includes(crd.spec.group)) continue;
    // Named after the plural: KubeVela turns the file name into a component name, which must
    // stay a valid label value (63 characters at most).
    copies.push({
      source: join(crds, file),
      target: join('addons', ADDON_NAME, 'resources', `crd-${crd.spec.names.plural}.yaml`),
    });
  }
  return copies;
}

// ---------------------------------------------------------------------------------------------
// The standalone bundle (clusters without KubeVela: rollscale's own Application controller runs)

export const BUNDLE_FILE = join('deploy', 'rollscale.yaml');
export const CRDS_BUNDLE_FILE = join('deploy', 'crds.yaml');
/** Arguments of the standalone bundle: nothing renders Applications there but us. */
export const BUNDLE_ARGS: JsonObject = { applicationController: true };

const GENERATED_HEADER = (what: string) =>
  `# Generated by deploy/generate.ts from ${what}.\n` +
  '# Do not edit: change the sources and run `npx tsx deploy/generate.ts`.\n';

function documents(objects: readonly unknown[]): string {
  return objects.map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join('');
}

/** deploy/crds.yaml: every CRD of definitions/crds, in file order. */
export function renderCrdsBundle(root: string = REPO_ROOT): string {
  const dir = join(root, 'definitions', 'crds');
  const crds = filesIn(dir, '.yaml').map((f) => readSingleObject(join(dir, f)));
  return GENERATED_HEADER('definitions/crds/*.yaml') + documents(crds);
}

/**
 * deploy/rollscale.yaml: the namespaces, what the addon's CUE resources render with BUNDLE_ARGS
 * (RBAC, Deployments, Services), then the definitions from their source, definitions/generated/.
 * The CRDs are in deploy/crds.yaml (all of them: nothing else installs core.oam.dev there).
 */
export async function renderBundle(
  engine: CueEngine,
  dir: string = ADDON_DIR,
  root: string = REPO_ROOT,
): Promise<string> {
  const { application } = await renderAddon(engine, BUNDLE_ARGS, dir);
  const rendered = application.spec.components
    .filter((c) => c.source.endsWith('.cue'))
    .flatMap(componentObjects);
  const generated = join(root, 'definitions', 'generated');
  const definitions = filesIn(generated, '.yaml').map((f) => readSingleObject(join(generated, f)));
  const namespaces = [ADDON_NAMESPACE, VELA_SYSTEM].map((name) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  }));
  return (
    GENERATED_HEADER('addons/rollscale (applicationController=true) and definitions/generated') +
    documents([...namespaces, ...rendered, ...definitions])
  );
}
