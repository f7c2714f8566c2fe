// Rendering one component of an Application with its definitions' CUE templates.
//
// context.revision is the component revision name, and that name depends on the rendered
// workload's hash (an equal spec reuses its revision). The loop is broken with a placeholder:
//   1. render the workload, and patch in the traits that do not manage it, with
//      context.revision = `<component>-v0` (never a real revision number); hash that;
//   2. pick the revision (reuse by hash, externalRevision, or `<component>-v<N+1>`);
//   3. only if the placeholder shows up in what step 1 rendered (the shipped templates use
//      context.revision only with addRevisionLabel), render step 1 again with the real name;
//   4. name the workload (the revision name for a Deployment under a manageWorkload trait, else
//      the component name) and render every trait's outputs with context.output = that workload.
// The hash is therefore of the spec alone, whatever revision name it ends up under.

import type { CueEngine } from '../../cuelang-wasm/index.js';
import { parseApiVersion } from '../kit/objects.js';
import { ApplicationError, renderError, scope } from './errors.js';
import { strategicMerge } from './merge.js';
import { chooseRevision, revisionData, revisionHash, type RevisionDecision } from './revisions.js';
import {
  SYSTEM_DEFINITION_NAMESPACE,
  type Application,
  type ApplicationComponent,
  type ComponentDefinition,
  type ControllerRevision,
  type JsonObject,
  type TraitDefinition,
} from './types.js';

/** The part of the engine rendering needs (tests may pass a stand-in). */
export type Renderer = Pick<CueEngine, 'render'>;

export interface RenderEnvironment {
  engine: Renderer;
  /** The definition of that name in that namespace, from the informer caches. */
  componentDefinition(namespace: string, name: string): ComponentDefinition | undefined;
  traitDefinition(namespace: string, name: string): TraitDefinition | undefined;
  /**
   * `<resource>.<group>` of a kind (`deployments.apps`), for appliesToWorkloads; throws an
   * ApplicationError when no API serves the kind.
   */
  workloadType(apiVersion: string, kind: string): Promise<string>;
  /** ControllerRevisions known in the Application's namespace. */
  revisions: readonly ControllerRevision[];
}

export interface RenderedTrait {
  type: string;
  properties: JsonObject;
  definition: TraitDefinition;
  manageWorkload: boolean;
  /** Rendered objects by output name (namespace not yet set). */
  outputs: Record<string, JsonObject>;
}

export interface RenderedComponent {
  name: string;
  type: string;
  properties: JsonObject;
  definition: ComponentDefinition;
  /** The workload with every non-managing trait patched in, named and namespaced. */
  workload: JsonObject;
  /** `deployments.apps`, ... */
  workloadType: string;
  workloadDefinition: { apiVersion: string; kind: string };
  /** The trait that manages the workload (the workload is then not applied). */
  managedBy?: RenderedTrait;
  /** The component's own auxiliary outputs (e.g. the webservice Service) by output name. */
  auxiliary: Record<string, JsonObject>;
  traits: RenderedTrait[];
  revision: RevisionDecision;
  /** What the ControllerRevision stores. */
  revisionData: JsonObject;
  /** The CUE context the final render used (without output/outputs). */
  context: JsonObject;
}

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The definition in the Application's namespace, else in vela-system. */
export function findDefinition<T>(
  lookup: (namespace: string, name: string) => T | undefined,
  namespace: string,
  name: string,
): T | undefined {
  return (
    lookup(namespace, name) ??
    (namespace === SYSTEM_DEFINITION_NAMESPACE ? undefined : lookup(SYSTEM_DEFINITION_NAMESPACE, name))
  );
}

/** Whether a trait whose definition lists `appliesTo` may be attached to this workload. */
export function traitApplies(
  appliesTo: readonly string[] | undefined,
  workload: { workloadType: string; componentType: string },
): boolean {
  if (!appliesTo || appliesTo.length === 0) return true;
  return appliesTo.some((w) => w === '*' || w === workload.workloadType || w === workload.componentType);
}

/** True when `needle` occurs in any string inside `value`. */
export function containsString(value: unknown, needle: string): boolean {
  if (typeof value === 'string') return value.includes(needle);
  if (Array.isArray(value)) return value.some((v) => containsString(v, needle));
  if (isPlainObject(value)) return Object.values(value).some((v) => containsString(v, needle));
  return false;
}

/**
 * The workload's name: the revision's for a Deployment a trait manages (one per revision), else
 * the name the template gives it (k8s-objects keeps the objects' own names; the other shipped
 * templates use context.name), else the component name.
 */
export function workloadName(
  component: string,
  revision: string,
  workload: JsonObject,
  managed: boolean,
): string {
  const group = parseApiVersion(String(workload['apiVersion'] ?? '')).group;
  if (managed && group === 'apps' && workload['kind'] === 'Deployment') return revision;
  const metadata = workload['metadata'];
  const rendered = isPlainObject(metadata) ? metadata['name'] : undefined;
  return typeof rendered === 'string' && rendered !== '' ? rendered : component;
}

export function revisionPlaceholder(component: string): string {
  return `${component}-v0`;
}

interface ResolvedTrait {
  type: string;
  properties: JsonObject;
  definition: TraitDefinition;
  template: string;
  manageWorkload: boolean;
}

function cueTemplate(definition: ComponentDefinition | TraitDefinition): string | undefined {
  const template = definition.spec?.schematic?.cue?.template;
  return typeof template === 'string' && template.trim() !== '' ? template : undefined;
}

function resolveTraits(
  app: Application,
  component: ApplicationComponent,
  env: RenderEnvironment,
): ResolvedTrait[] {
  const seen = new Set<string>();
  const resolved: ResolvedTrait[] = [];
  for (const trait of component.traits ?? []) {
    if (seen.has(trait.type)) {
      throw new ApplicationError(
        'InvalidSpec',
        `${scope(component.name, trait.type)}: attached more than once`,
      );
    }
    seen.add(trait.type);
    const definition = findDefinition(
      (ns, name) => env.traitDefinition(ns, name),
      app.metadata.namespace,
      trait.type,
    );
    if (!definition) {
      throw new ApplicationError(
        'DefinitionNotFound',
        `${scope(component.name, trait.type)}: TraitDefinition "${trait.type}" not found in namespace "${app.metadata.namespace}" or "${SYSTEM_DEFINITION_NAMESPACE}"`,
      );
    }
    const template = cueTemplate(definition);
    if (!template) {
      throw new ApplicationError(
        'InvalidDefinition',
        `${scope(component.name, trait.type)}: TraitDefinition "${trait.type}" has no CUE template (only CUE schematics are supported)`,
      );
    }
    resolved.push({
      type: trait.type,
      properties: isPlainObject(trait.properties) ? trait.properties : {},
      definition,
      template,
      manageWorkload: definition.spec?.manageWorkload === true,
    });
  }
  for (const trait of resolved) {
    const conflict = resolved.find(
      (other) => other !== trait && (trait.definition.spec?.conflictsWith ?? []).includes(other.type),
    );
    if (conflict) {
      throw new ApplicationError(
        'InvalidSpec',
        `${scope(component.name, trait.type)}: conflicts with trait "${conflict.type}" (conflictsWith in its TraitDefinition)`,
      );
    }
  }
  const managing = resolved.filter((t) => t.manageWorkload);
  if (managing.length > 1) {
    throw new ApplicationError(
      'InvalidSpec',
      `${scope(component.name)}: traits ${managing.map((t) => `"${t.type}"`).join(' and ')} both manage the workload; attach at most one`,
    );
  }
  return resolved;
}

async function renderOrFail(
  env: RenderEnvironment,
  component: string,
  trait: string | undefined,
  template: string,
  parameter: JsonObject,
  context: JsonObject,
) {
  try {
    return await env.engine.render(template, { parameter, context });
  } catch (error) {
    throw renderError(component, trait, error);
  }
}

interface WorkloadPass {
  workload: JsonObject;
  auxiliary: Record<string, JsonObject>;
}

/** Renders the component and patches in every trait that does not manage the workload. */
async function renderWorkload(
  env: RenderEnvironment,
  component: ApplicationComponent,
  template: string,
  traits: readonly ResolvedTrait[],
  context: JsonObject,
  checkWorkload?: (workload: JsonObject) => Promise<void>,
): Promise<WorkloadPass> {
  const parameter = isPlainObject(component.properties) ? component.properties : {};
  const rendered = await renderOrFail(env, component.name, undefined, template, parameter, context);
  if (!isPlainObject(rendered.output)) {
    throw new ApplicationError(
      'InvalidDefinition',
      `${scope(component.name)}: ComponentDefinition "${component.type}" renders no output (the workload)`,
    );
  }
  let workload = structuredClone(rendered.output) as JsonObject;
  if (typeof workload['apiVersion'] !== 'string' || typeof workload['kind'] !== 'string') {
    throw new ApplicationError(
      'InvalidDefinition',
      `${scope(component.name)}: the output of ComponentDefinition "${component.type}" has no apiVersion or kind`,
    );
  }
  await checkWorkload?.(workload);
  const auxiliary = structuredClone(rendered.outputs) as Record<string, JsonObject>;
  for (const trait of traits) {
    if (trait.manageWorkload) continue;
    const result = await renderOrFail(env, component.name, trait.type, trait.template, trait.properties, {
      ...context,
      output: workload,
      outputs: auxiliary,
    });
    if (result.patch !== undefined) {
      workload = strategicMerge(workload, result.patch, {
        patchKeys: result.patchKeys,
        patchStrategies: result.patchStrategies,
      }) as JsonObject;
    }
  }
  return { workload, auxiliary };
}

/** Renders one component: workload, revision, auxiliary and trait outputs. Throws ApplicationError. */
export async function renderComponent(
  app: Application,
  component: ApplicationComponent,
  env: RenderEnvironment,
): Promise<RenderedComponent> {
  const namespace = app.metadata.namespace;
  const definition = findDefinition(
    (ns, name) => env.componentDefinition(ns, name),
    namespace,
    component.type,
  );
  if (!definition) {
    throw new ApplicationError(
      'DefinitionNotFound',
      `${scope(component.name)}: ComponentDefinition "${component.type}" not found in namespace "${namespace}" or "${SYSTEM_DEFINITION_NAMESPACE}"`,
    );
  }
  const template = cueTemplate(definition);
  if (!template) {
    throw new ApplicationError(
      'InvalidDefinition',
      `${scope(component.name)}: ComponentDefinition "${component.type}" has no CUE template (only CUE schematics are supported)`,
    );
  }
  const traits = resolveTraits(app, component, env);
  const generation = app.metadata.generation ?? 1;
  const baseContext: JsonObject = {
    name: component.name,
    namespace,
    appName: app.metadata.name,
    appRevision: `${app.metadata.name}-v${generation}`,
    appRevisionNum: generation,
  };

  // Pass 1: the spec under a placeholder revision name, for the hash. appliesToWorkloads is
  // checked on the rendered kind before any trait renders.
  let workloadType = '';
  const checkTraits = async (workload: JsonObject): Promise<void> => {
    workloadType =
      definition.spec?.workload?.type ??
      (await env.workloadType(String(workload['apiVersion']), String(workload['kind'])));
    for (const trait of traits) {
      const appliesTo = trait.definition.spec?.appliesToWorkloads;
      if (!traitApplies(appliesTo, { workloadType, componentType: component.type })) {
        throw new ApplicationError(
          'InvalidSpec',
          `${scope(component.name, trait.type)}: does not apply to ${workloadType} workloads (appliesToWorkloads: ${(appliesTo ?? []).join(', ')})`,
        );
      }
    }
  };
  const placeholder = revisionPlaceholder(component.name);
  let pass = await renderWorkload(
    env,
    component,
    template,
    traits,
    { ...baseContext, revision: placeholder },
    checkTraits,
  );
  const hash = revisionHash(revisionData(pass.workload));
  const revision = chooseRevision({
    component: component.name,
    externalRevision: component.externalRevision || undefined,
    hash,
    appUid: app.metadata.uid,
    revisions: env.revisions,
  });
  const context: JsonObject = { ...baseContext, revision: revision.name };
  if (revision.name !== placeholder && containsString(pass, placeholder)) {
    pass = await renderWorkload(env, component, template, traits, context);
  }

  const managing = traits.find((t) => t.manageWorkload);
  const workload = pass.workload;
  const metadata = isPlainObject(workload['metadata']) ? { ...workload['metadata'] } : {};
  metadata['name'] = workloadName(component.name, revision.name, workload, managing !== undefined);
  // A namespace the template gives explicitly is kept (the planner decides whether it is allowed).
  if (typeof metadata['namespace'] !== 'string' || metadata['namespace'] === '') {
    metadata['namespace'] = namespace;
  }
  workload['metadata'] = metadata;

  const renderedTraits: RenderedTrait[] = [];
  for (const trait of traits) {
    const result = await renderOrFail(env, component.name, trait.type, trait.template, trait.properties, {
      ...context,
      output: workload,
      outputs: pass.auxiliary,
    });
    renderedTraits.push({
      type: trait.type,
      properties: trait.properties,
      definition: trait.definition,
      manageWorkload: trait.manageWorkload,
      outputs: structuredClone(result.outputs) as Record<string, JsonObject>,
    });
  }

  const declared = definition.spec?.workload?.definition;
  return {
    name: component.name,
    type: component.type,
    properties: isPlainObject(component.properties) ? component.properties : {},
    definition,
    workload,
    workloadType,
    workloadDefinition: {
      apiVersion: declared?.apiVersion ?? String(workload['apiVersion']),
      kind: declared?.kind ?? String(workload['kind']),
    },
    managedBy: renderedTraits.find((t) => t.manageWorkload),
    auxiliary: pass.auxiliary,
    traits: renderedTraits,
    revision,
    revisionData: revisionData(pass.workload),
    context,
  };
}
