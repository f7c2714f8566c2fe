// Mapping from apiVersion + kind to the REST resource that serves it. Built-in kinds come from a
// static table (no request needed); everything else (CRDs) from API discovery, cached per
// group/version and refreshed once on a miss, so kinds installed after start are found.

import { formatApiVersion, parseApiVersion, type KubeObject } from './objects.js';

export interface ResourceDescriptor {
  /** API group, '' for the core group. */
  group: string;
  version: string;
  /** Plural resource name as used in URLs, e.g. `deployments`. */
  resource: string;
  kind: string;
  namespaced: boolean;
}

function res(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced = true,
): ResourceDescriptor {
  return { group, version, resource, kind, namespaced };
}

/** The built-in kinds the controllers use, keyed by kind. */
export const builtin = {
  Namespace: res('', 'v1', 'namespaces', 'Namespace', false),
  Node: res('', 'v1', 'nodes', 'Node', false),
  Pod: res('', 'v1', 'pods', 'Pod'),
  Service: res('', 'v1', 'services', 'Service'),
  ConfigMap: res('', 'v1', 'configmaps', 'ConfigMap'),
  Secret: res('', 'v1', 'secrets', 'Secret'),
  ServiceAccount: res('', 'v1', 'serviceaccounts', 'ServiceAccount'),
  Event: res('', 'v1', 'events', 'Event'),
  Endpoints: res('', 'v1', 'endpoints', 'Endpoints'),
  PersistentVolumeClaim: res('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim'),
  Deployment: res('apps', 'v1', 'deployments', 'Deployment'),
  ReplicaSet: res('apps', 'v1', 'replicasets', 'ReplicaSet'),
  StatefulSet: res('apps', 'v1', 'statefulsets', 'StatefulSet'),
  DaemonSet: res('apps', 'v1', 'daemonsets', 'DaemonSet'),
  ControllerRevision: res('apps', 'v1', 'controllerrevisions', 'ControllerRevision'),
  Job: res('batch', 'v1', 'jobs', 'Job'),
  CronJob: res('batch', 'v1', 'cronjobs', 'CronJob'),
  HorizontalPodAutoscaler: res('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler'),
  Lease: res('coordination.k8s.io', 'v1', 'leases', 'Lease'),
  EndpointSlice: res('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice'),
  PodDisruptionBudget: res('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget'),
  CustomResourceDefinition: res(
    'apiextensions.k8s.io',
    'v1',
    'customresourcedefinitions',
    'CustomResourceDefinition',
    false,
  ),
  MutatingWebhookConfiguration: res(
    'admissionregistration.k8s.io',
    'v1',
    'mutatingwebhookconfigurations',
    'MutatingWebhookConfiguration',
    false,
  ),
  ValidatingWebhookConfiguration: res(
    'admissionregistration.k8s.io',
    'v1',
    'validatingwebhookconfigurations',
    'ValidatingWebhookConfiguration',
    false,
  ),
  APIService: res('apiregistration.k8s.io', 'v1', 'apiservices', 'APIService', false),
  Role: res('rbac.authorization.k8s.io', 'v1', 'roles', 'Role'),
  RoleBinding: res('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding'),
  ClusterRole: res('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
  ClusterRoleBinding: res(
    'rbac.authorization.k8s.io',
    'v1',
    'clusterrolebindings',
    'ClusterRoleBinding',
    false,
  ),
} as const satisfies Record<string, ResourceDescriptor>;

export function apiVersionOf(resource: ResourceDescriptor): string {
  return formatApiVersion(resource.group, resource.version);
}

/** Path prefix of a group/version: `/api/v1` or `/apis/<group>/<version>`. */
export function groupVersionPath(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

export class NoKindMatchError extends Error {
  constructor(
    readonly apiVersion: string,
    readonly kind: string,
  ) {
    super(`no resource serves kind ${kind} in ${apiVersion}`);
    this.name = 'NoKindMatchError';
  }
}

export interface DiscoveredResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

/** Fetches a discovery document; resolves to undefined when the group/version is not served. */
export interface DiscoveryDocument {
  resources?: DiscoveredResource[];
}

export type DiscoveryFetch = (path: string) => Promise<DiscoveryDocument | undefined>;

export class ResourceMapper {
  private readonly known = new Map<string, ResourceDescriptor>();
  private readonly discovered = new Map<string, Promise<Map<string, ResourceDescriptor>>>();

  constructor(private readonly fetchDiscovery: DiscoveryFetch) {
    for (const r of Object.values(builtin)) this.register(r);
  }

  /** Makes `resource` resolvable without discovery (e.g. a CRD the caller knows). */
  register(resource: ResourceDescriptor): void {
    this.known.set(gvkKey(apiVersionOf(resource), resource.kind), resource);
  }

  async resourceFor(apiVersion: string, kind: string): Promise<ResourceDescriptor> {
    const known = this.known.get(gvkKey(apiVersion, kind));
    if (known) return known;
    let byKind = await this.discover(apiVersion, false);
    let found = byKind.get(kind);
    if (!found) {
      byKind = await this.discover(apiVersion, true);
      found = byKind.get(kind);
    }
    if (!found) throw new NoKindMatchError(apiVersion, kind);
    return found;
  }

  async resourceForObject(obj: KubeObject): Promise<ResourceDescriptor> {
    if (!obj.apiVersion || !obj.kind)
      throw new Error('object needs apiVersion and kind to find its resource');
    return this.resourceFor(obj.apiVersion, obj.kind);
  }

  private discover(apiVersion: string, refresh: boolean): Promise<Map<string, ResourceDescriptor>> {
    const cached = this.discovered.get(apiVersion);
    if (cached && !refresh) return cached;
    const { group, version } = parseApiVersion(apiVersion);
    const pending = this.fetchDiscovery(groupVersionPath(group, version)).then((doc) => {
      const byKind = new Map<string, ResourceDescriptor>();
      for (const r of doc?.resources ?? []) {
        // Subresources (`deployments/scale`) share the kind of a different object; skip them.
        if (r.name.includes('/')) continue;
        byKind.set(r.kind, { group, version, resource: r.name, kind: r.kind, namespaced: r.namespaced });
      }
      return byKind;
    });
    // A failed discovery must not poison the cache.
    pending.catch(() => {
      if (this.discovered.get(apiVersion) === pending) this.discovered.delete(apiVersion);
    });
    this.discovered.set(apiVersion, pending);
    return pending;
  }
}

function gvkKey(apiVersion: string, kind: string): string {
  return `${apiVersion}|${kind}`;
}
