// The OAM kinds the Application controller reads (Application, ComponentDefinition,
// TraitDefinition) as definitions/crds/*.yaml define them, the kinds it writes or watches, and the
// label keys shared with the Rollout controller (see .helpers/CONTRACTS.md).

import type { Condition } from '../kit/conditions.js';
import type { ResourceDescriptor } from '../kit/discovery.js';
import type { KubeObject, ObjectMeta } from '../kit/objects.js';

export type JsonObject = { [key: string]: unknown };

export const APPLICATION_API_VERSION = 'core.oam.dev/v1beta1';
export const APPLICATION_KIND = 'Application';

/** Where definitions live when the Application's own namespace has none of that name. */
export const SYSTEM_DEFINITION_NAMESPACE = 'vela-system';

/** Revisions kept per component before the oldest unreferenced ones are deleted. */
export const DEFAULT_REVISION_LIMIT = 10;

// Labels on everything the controller renders.
export const LABEL_APP_NAME = 'app.oam.dev/name';
export const LABEL_COMPONENT = 'app.oam.dev/component';
export const LABEL_REVISION = 'app.oam.dev/revision';
/**
 * The Application's namespace, on cluster-scoped objects: they carry no owner reference (the
 * garbage collector would take a namespaced owner of a cluster-scoped object for an absent one
 * and delete the object), so this label and app.oam.dev/name say whose they are.
 */
export const LABEL_APP_NAMESPACE = 'app.oam.dev/namespace';
/** On an addon's Application (`addon-<name>` in vela-system): the addon's name. */
export const LABEL_ADDON_NAME = 'addons.oam.dev/name';
/** Held by an Application while cluster-scoped objects of it exist, until they are deleted. */
export const RESOURCE_TRACKER_FINALIZER = 'app.oam.dev/resource-tracker-finalizer';
// Labels on trait outputs and component auxiliary outputs.
export const LABEL_TRAIT_TYPE = 'trait.oam.dev/type';
export const LABEL_TRAIT_RESOURCE = 'trait.oam.dev/resource';
export const LABEL_MANAGE_WORKLOAD = 'trait.oam.dev/manage-workload';
/** `trait.oam.dev/type` of a component's own auxiliary outputs (e.g. the webservice Service). */
export const AUXILIARY_WORKLOAD_TYPE = 'AuxiliaryWorkload';
// Labels on ControllerRevisions.
export const LABEL_REVISION_COMPONENT = 'controller.oam.dev/component';
export const LABEL_REVISION_HASH = 'app.oam.dev/component-revision-hash';

function crd(group: string, version: string, resource: string, kind: string): ResourceDescriptor {
  return { group, version, resource, kind, namespaced: true };
}

export const applicationResource = crd('core.oam.dev', 'v1beta1', 'applications', APPLICATION_KIND);
export const componentDefinitionResource = crd(
  'core.oam.dev',
  'v1beta1',
  'componentdefinitions',
  'ComponentDefinition',
);
export const traitDefinitionResource = crd('core.oam.dev', 'v1beta1', 'traitdefinitions', 'TraitDefinition');
export const rolloutResource = crd('standard.oam.dev', 'v1alpha1', 'rollouts', 'Rollout');
export const cloneSetResource = crd('apps.kruise.io', 'v1alpha1', 'clonesets', 'CloneSet');
export const ihpaResource = crd(
  'autoscaling.kapacitystack.io',
  'v1alpha1',
  'intelligenthorizontalpodautoscalers',
  'IntelligentHorizontalPodAutoscaler',
);

export interface ApplicationTrait {
  type: string;
  properties?: JsonObject;
}

export interface ApplicationComponent {
  name: string;
  type: string;
  externalRevision?: string;
  properties?: JsonObject;
  traits?: ApplicationTrait[];
}

export interface TraitStatus {
  type: string;
  healthy: boolean;
  message?: string;
}

export interface ServiceStatus {
  name: string;
  namespace?: string;
  healthy: boolean;
  message?: string;
  workloadDefinition?: { apiVersion: string; kind: string };
  traits?: TraitStatus[];
}

/** An object this Application applied, recorded in status so that pruning finds it again. */
export interface AppliedResource {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  component: string;
  /** The trait type for trait outputs. */
  trait?: string;
}

export type ApplicationPhase = 'rendering' | 'running' | 'unhealthy' | 'workflowFailed';

export interface ApplicationStatus {
  observedGeneration?: number;
  status?: ApplicationPhase | string;
  services?: ServiceStatus[];
  conditions?: Condition[];
  appliedResources?: AppliedResource[];
}

export interface Application extends KubeObject {
  metadata: ObjectMeta & { name: string; namespace: string };
  spec: { components?: ApplicationComponent[] };
  status?: ApplicationStatus;
}

export interface StatusPolicy {
  healthPolicy?: string;
  customStatus?: string;
}

export interface Schematic {
  cue?: { template?: string };
  [other: string]: unknown;
}

export interface ComponentDefinition extends KubeObject {
  metadata: ObjectMeta & { name: string };
  spec?: {
    workload?: { definition?: { apiVersion?: string; kind?: string }; type?: string };
    status?: StatusPolicy;
    schematic?: Schematic;
  };
}

export interface TraitDefinition extends KubeObject {
  metadata: ObjectMeta & { name: string };
  spec?: {
    appliesToWorkloads?: string[];
    conflictsWith?: string[];
    manageWorkload?: boolean;
    podDisruptive?: boolean;
    status?: StatusPolicy;
    schematic?: Schematic;
  };
}

export interface ControllerRevision extends KubeObject {
  metadata: ObjectMeta & { name: string; namespace?: string };
  revision?: number;
  data?: unknown;
}

/** The Rollout fields the revision garbage collector reads. */
export interface RolloutReferences extends KubeObject {
  spec?: { targetRevisionName?: string; sourceRevisionName?: string; componentName?: string };
  status?: { lastTargetRevision?: string; LastSourceRevision?: string };
}
