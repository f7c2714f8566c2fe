// Shared inputs for the Application controller tests: the shipped definitions (as generated
// YAML, exactly what `--install` applies), the seed walkthrough's Applications, and builders.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

import type { RenderEnvironment, Renderer } from '../../../controllers/application/render.js';
import type {
  Application,
  ApplicationComponent,
  ComponentDefinition,
  ControllerRevision,
  TraitDefinition,
} from '../../../controllers/application/types.js';

const repo = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

export const NAMESPACE = 'team-a';
export const APP_UID = '11111111-2222-3333-4444-555555555555';

export interface Definitions {
  components: Map<string, ComponentDefinition>;
  traits: Map<string, TraitDefinition>;
}

/** The generated definitions, keyed `namespace/name` (all in vela-system). */
export function shippedDefinitions(): Definitions {
  const dir = repo('definitions/generated');
  const components = new Map<string, ComponentDefinition>();
  const traits = new Map<string, TraitDefinition>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    const obj = parse(readFileSync(`${dir}/${file}`, 'utf8')) as ComponentDefinition | TraitDefinition;
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    if (obj.kind === 'ComponentDefinition') components.set(key, obj as ComponentDefinition);
    else traits.set(key, obj as TraitDefinition);
  }
  return { components, traits };
}

/** The Applications of the rollout walkthrough, in the order the seed applies them. */
export function seedApplications(): Application[] {
  return parseAllDocuments(readFileSync(repo('test/fixtures/seeds/app-rollout-trait-test.yaml'), 'utf8'))
    .map((d) => d.toJS() as Application | null)
    .filter((d): d is Application => d !== null);
}

export function application(
  components: ApplicationComponent[],
  {
    name = 'rollout-trait-test',
    generation = 1,
    uid = APP_UID,
  }: { name?: string; generation?: number; uid?: string } = {},
): Application {
  return {
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name, namespace: NAMESPACE, uid, generation },
    spec: { components },
  };
}

/** The seed Application `index` as it would exist in NAMESPACE. */
export function seedApplication(index: number, generation = index + 1): Application {
  const doc = seedApplications()[index];
  if (!doc) throw new Error(`no seed document ${index}`);
  return application(doc.spec.components ?? [], { generation });
}

const WORKLOAD_TYPES: Record<string, string> = {
  'apps/v1/Deployment': 'deployments.apps',
  'apps/v1/StatefulSet': 'statefulsets.apps',
  'apps.kruise.io/v1alpha1/CloneSet': 'clonesets.apps.kruise.io',
};

export function environment(
  engine: Renderer,
  {
    definitions = shippedDefinitions(),
    revisions = [],
  }: { definitions?: Definitions; revisions?: ControllerRevision[] } = {},
): RenderEnvironment {
  return {
    engine,
    componentDefinition: (ns, name) => definitions.components.get(`${ns}/${name}`),
    traitDefinition: (ns, name) => definitions.traits.get(`${ns}/${name}`),
    workloadType: (apiVersion, kind) => {
      const type = WORKLOAD_TYPES[`${apiVersion}/${kind}`];
      return type ? Promise.resolve(type) : Promise.reject(new Error(`unknown kind ${kind}`));
    },
    revisions,
  };
}

/** A TraitDefinition with the given CUE template (for behaviour the shipped ones do not show). */
export function traitDefinition(
  name: string,
  template: string,
  spec: Omit<NonNullable<TraitDefinition['spec']>, 'schematic'> = {},
  namespace = 'vela-system',
): TraitDefinition {
  return {
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'TraitDefinition',
    metadata: { name, namespace },
    spec: { ...spec, schematic: { cue: { template } } },
  };
}

export function withTrait(definitions: Definitions, trait: TraitDefinition): Definitions {
  const traits = new Map(definitions.traits);
  traits.set(`${trait.metadata.namespace}/${trait.metadata.name}`, trait);
  return { components: definitions.components, traits };
}

/** A ControllerRevision as the controller writes it. */
export function revision(
  name: string,
  {
    component = 'express-server',
    number,
    hash,
    uid = APP_UID,
  }: { component?: string; number: number; hash: string; uid?: string },
): ControllerRevision {
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace: NAMESPACE,
      labels: {
        'controller.oam.dev/component': component,
        'app.oam.dev/component': component,
        'app.oam.dev/name': 'rollout-trait-test',
        'app.oam.dev/component-revision-hash': hash,
      },
      ownerReferences: [
        {
          apiVersion: 'core.oam.dev/v1beta1',
          kind: 'Application',
          name: 'rollout-trait-test',
          uid,
          controller: true,
        },
      ],
    },
    revision: number,
    data: { kind: 'Deployment' },
  };
}
