// What enabling an addon writes, computed from the addon directory and the user's parameters
// (pure apart from the injected CUE renderer). KubeVela's rules:
//
// - an Application `addon-<name>` in vela-system, labelled addons.oam.dev/name, /version and
//   /registry (`local` for a directory), built from template.yaml (or template.cue's `output`)
//   plus one component per resources/*.cue (its `output`) and one `k8s-objects` component
//   `<name>-resources` bundling resources/*.yaml;
// - the definitions, with their namespace forced to vela-system (owned by the Application once
//   it exists: see withOwner);
// - Secret `addon-secret-<name>` holding the parameters as JSON under `addonParameterDataKey`.
//
// Parameters are checked against parameter.cue (defaults filled in) before anything is written.

import { CueRenderError, type RenderInput, type RenderResult } from '../cuelang-wasm/index.js';
import { LABEL_ADDON_NAME } from '../controllers/application/types.js';
import type { KubeObject, OwnerReference } from '../controllers/kit/objects.js';
import { AddonError, type AddonFile, type AddonPackage } from './addon-package.js';
import { joinCueFiles, type CueFile, type JoinedCue } from './cue-source.js';

export const ADDON_NAMESPACE = 'vela-system';
export { LABEL_ADDON_NAME };
export const LABEL_ADDON_VERSION = 'addons.oam.dev/version';
export const LABEL_ADDON_REGISTRY = 'addons.oam.dev/registry';
/** Registry label value of an addon enabled from a local directory. */
export const LOCAL_REGISTRY = 'local';
/** Key of the parameters JSON in the addon's Secret. */
export const ADDON_PARAMETER_KEY = 'addonParameterDataKey';
/** Component type of the bundled resources/*.yaml objects. */
export const K8S_OBJECTS_TYPE = 'k8s-objects';

export function addonApplicationName(addon: string): string {
  return `addon-${addon}`;
}

export function addonSecretName(addon: string): string {
  return `addon-secret-${addon}`;
}

/** The addon an Application named `addon-<name>` belongs to. */
export function addonNameOf(applicationName: string): string | undefined {
  return applicationName.startsWith('addon-') ? applicationName.slice('addon-'.length) : undefined;
}

/** The part of the CUE engine rendering needs (tests pass a fake or the real engine). */
export interface CueRenderer {
  render(template: string, input: RenderInput): Promise<RenderResult>;
}

export interface AddonComponent {
  name: string;
  type: string;
  properties?: Record<string, unknown>;
  traits?: Array<{ type: string; properties?: Record<string, unknown> }>;
  [field: string]: unknown;
}

export interface AddonApplication extends KubeObject {
  apiVersion: string;
  kind: 'Application';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: { components: AddonComponent[]; [field: string]: unknown };
}

export interface AddonSecret extends KubeObject {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  type: 'Opaque';
  data: Record<string, string>;
}

export interface RenderedAddon {
  application: AddonApplication;
  /** Definitions to apply into vela-system, owned by the Application. */
  definitions: KubeObject[];
  /** template.cue's `outputs`: further objects applied with the Application, owned by it. */
  auxiliary: KubeObject[];
  secret: AddonSecret;
  /** Namespaces the addon needs (metadata.needNamespace), created before anything else. */
  namespaces: string[];
  /** The parameters with parameter.cue's defaults filled in. */
  parameters: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Where a CUE error is, in the files the user wrote. */
function cueErrorText(error: unknown, joined: JoinedCue, fallback: string): string {
  if (!(error instanceof CueRenderError)) throw error;
  const positioned = [error, ...error.errors].find((e) => e.file === 'template' && e.line !== undefined);
  const place = positioned?.line !== undefined ? joined.locate(positioned.line) : undefined;
  const where = place ? `${place.path} line ${place.line}` : fallback;
  const field = error.path ? `${error.path}: ` : '';
  // "2 errors in empty disjunction:" announces the errors that follow: show them.
  const details = error.cueMessage.endsWith(':')
    ? ` ${[...new Set(error.errors.slice(1).map((e) => e.message))].join('; ')}`
    : '';
  return `${where}: ${field}${error.cueMessage}${details}`;
}

async function renderCue(
  cue: CueRenderer,
  files: readonly CueFile[],
  input: RenderInput,
  what: string,
): Promise<RenderResult> {
  const joined = joinCueFiles(files);
  try {
    return await cue.render(joined.source, input);
  } catch (error) {
    if (
      error instanceof CueRenderError &&
      error.kind === 'incomplete' &&
      error.path?.startsWith('parameter.')
    ) {
      const name = error.path.slice('parameter.'.length);
      throw new AddonError(
        `${what}: parameter ${name} has no value and no default: pass --set ${name}=<value> ` +
          `(${cueErrorText(error, joined, what)})`,
      );
    }
    throw new AddonError(`${what}: ${cueErrorText(error, joined, files[0]?.path ?? what)}`);
  }
}

/** The parameters checked against parameter.cue, defaults filled in; `args` as given without one. */
export async function resolveParameters(
  pkg: AddonPackage,
  args: Record<string, unknown>,
  cue: CueRenderer,
): Promise<Record<string, unknown>> {
  if (!pkg.parameterCue) return structuredClone(args);
  const result = await renderCue(
    cue,
    [pkg.parameterCue, { path: '(parameters)', content: 'output: parameter\n' }],
    { parameter: args, context: { metadata: { ...pkg.metadata } } },
    `addon ${pkg.metadata.name} parameters`,
  );
  return structuredClone((result.output ?? {}) as Record<string, unknown>);
}

function componentFrom(value: unknown, where: string, defaultName: string): AddonComponent {
  if (!isRecord(value))
    throw new AddonError(`${where}: \`output\` must be a component {type, properties, ...}`);
  const type = value['type'];
  if (typeof type !== 'string' || type === '') {
    throw new AddonError(`${where}: \`output\` needs type: the component type, e.g. type: "webservice"`);
  }
  const name = typeof value['name'] === 'string' && value['name'] !== '' ? value['name'] : defaultName;
  return { ...structuredClone(value), name, type };
}

function baseName(path: string): string {
  const file = path.split('/').at(-1) ?? path;
  return file.replace(/\.[^.]+$/, '');
}

function stripServerFields(object: KubeObject): KubeObject {
  const copy = structuredClone(object) as KubeObject & { status?: unknown };
  delete copy.status;
  if (copy.metadata) {
    delete copy.metadata.uid;
    delete copy.metadata.resourceVersion;
    delete copy.metadata.creationTimestamp;
    delete copy.metadata.generation;
    delete copy.metadata.managedFields;
    delete copy.metadata.ownerReferences;
  }
  return copy;
}

/** Renders everything `addon enable` writes. Throws AddonError naming the file and field at fault. */
export async function renderAddon(
  pkg: AddonPackage,
  args: Record<string, unknown>,
  cue: CueRenderer,
): Promise<RenderedAddon> {
  const { metadata } = pkg;
  const parameters = await resolveParameters(pkg, args, cue);
  const context = { metadata: { ...metadata } };
  const withParameters = (file: AddonFile): CueFile[] =>
    pkg.parameterCue ? [file, pkg.parameterCue] : [file];

  let skeleton: KubeObject & { spec?: Record<string, unknown> };
  const auxiliary: KubeObject[] = [];
  const components: AddonComponent[] = [];
  if (pkg.templateCue) {
    // KubeVela 1.5 form: one package; `output` is the Application, `outputs` go along with it.
    const files = [pkg.templateCue, ...(pkg.parameterCue ? [pkg.parameterCue] : []), ...pkg.cueResources];
    const result = await renderCue(cue, files, { parameter: args, context }, 'template.cue');
    if (!isRecord(result.output) || result.output['kind'] !== 'Application') {
      throw new AddonError('template.cue: `output` must be the addon\'s Application (kind: "Application")');
    }
    skeleton = structuredClone(result.output) as KubeObject & { spec?: Record<string, unknown> };
    for (const [key, object] of Object.entries(result.outputs)) {
      const obj = object as KubeObject;
      if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) {
        throw new AddonError(`template.cue: outputs.${key} needs apiVersion, kind and metadata.name`);
      }
      auxiliary.push(stripServerFields(obj));
    }
  } else {
    skeleton = pkg.template
      ? structuredClone(pkg.template)
      : { apiVersion: 'core.oam.dev/v1beta1', kind: 'Application', spec: { components: [] } };
    for (const file of pkg.cueResources) {
      const result = await renderCue(cue, withParameters(file), { parameter: args, context }, file.path);
      components.push(componentFrom(result.output, file.path, baseName(file.path)));
    }
  }

  const templateComponents = skeleton.spec?.['components'] ?? [];
  if (!Array.isArray(templateComponents)) {
    throw new AddonError(
      `${pkg.templateCue ? 'template.cue' : 'template.yaml'}: spec.components must be a list`,
    );
  }
  const all: AddonComponent[] = [
    ...templateComponents.map((c, i) => componentFrom(c, `template spec.components[${i}]`, `component-${i}`)),
    ...components,
  ];
  if (pkg.yamlResources.length > 0) {
    all.push({
      name: `${metadata.name}-resources`,
      type: K8S_OBJECTS_TYPE,
      properties: { objects: pkg.yamlResources.map((r) => stripServerFields(r.object)) },
    });
  }
  const seen = new Map<string, string>();
  for (const component of all) {
    if (seen.has(component.name)) {
      throw new AddonError(
        `two components are named ${component.name}: rename one (component names come from \`output.name\` or the file name)`,
      );
    }
    seen.set(component.name, component.type);
  }

  const labels: Record<string, string> = {
    ...(skeleton.metadata?.labels ?? {}),
    [LABEL_ADDON_NAME]: metadata.name,
    [LABEL_ADDON_VERSION]: metadata.version,
    [LABEL_ADDON_REGISTRY]: LOCAL_REGISTRY,
  };
  const application: AddonApplication = {
    apiVersion: skeleton.apiVersion ?? 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: {
      name: addonApplicationName(metadata.name),
      namespace: ADDON_NAMESPACE,
      labels,
      ...(skeleton.metadata?.annotations ? { annotations: { ...skeleton.metadata.annotations } } : {}),
    },
    spec: { ...(skeleton.spec ?? {}), components: all },
  };

  const definitions = pkg.definitions.map(({ object }) => {
    const definition = stripServerFields(object);
    definition.metadata = { ...definition.metadata, namespace: ADDON_NAMESPACE };
    return definition;
  });
  const names = new Set<string>();
  for (const definition of definitions) {
    const key = `${definition.kind}/${definition.metadata?.name}`;
    if (names.has(key)) throw new AddonError(`definitions/ defines ${key} twice`);
    names.add(key);
  }

  const secret: AddonSecret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: addonSecretName(metadata.name),
      namespace: ADDON_NAMESPACE,
      labels: { [LABEL_ADDON_NAME]: metadata.name },
    },
    type: 'Opaque',
    data: { [ADDON_PARAMETER_KEY]: Buffer.from(JSON.stringify(args)).toString('base64') },
  };

  const namespaces = (metadata.needNamespace ?? []).filter((ns) => ns !== ADDON_NAMESPACE);
  return { application, definitions, auxiliary, secret, namespaces, parameters };
}

/** `object` with a controller owner reference to `owner` (garbage-collected with it). */
export function withOwner<T extends KubeObject>(
  object: T,
  owner: { apiVersion: string; kind: string; name: string; uid: string },
): T {
  const reference: OwnerReference = {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.name,
    uid: owner.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
  return { ...object, metadata: { ...object.metadata, ownerReferences: [reference] } };
}

/** The parameters stored in an addon's Secret ({} when absent or unreadable). */
export function parametersFromSecret(
  secret: { data?: Record<string, string> } | undefined,
): Record<string, unknown> {
  const encoded = secret?.data?.[ADDON_PARAMETER_KEY];
  if (!encoded) return {};
  try {
    const value: unknown = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
    return isRecord(value) ? value : {};
  } catch {
    return {};
  }
}
