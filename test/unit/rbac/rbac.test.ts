// The addon's RBAC: no wildcards anywhere, and a static cross-check against the code in both
// directions: every access the code's calls imply is granted to the controller that makes it,
// and every grant is used by that controller's code.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

import { createCueEngine, type CueEngine } from '../../../cuelang-wasm/index.js';
import { CONFIGURATION_NAME } from '../../../controllers/webhook/configuration.js';
import { BUNDLE_FILE, renderAddon, type JsonObject, type KubeObject } from '../../../deploy/addon.js';
import {
  REPO_ROOT,
  descriptorTable,
  key,
  reachableFiles,
  references,
  registrations,
  stripComments,
  verbHints,
  type VerbHint,
} from './code-scan.js';

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}
type Role = KubeObject & { rules?: Rule[] };
type Binding = KubeObject & {
  roleRef: { kind: string; name: string };
  subjects: Array<{ kind: string; name: string; namespace: string }>;
};

const VERBS = new Set(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']);
const CONTROLLER_LABEL = 'rbac.rollscale.dev/controller';

/** Everything enabled, with metrics API names, so every rule set renders. */
const ALL_ARGS: JsonObject = {
  applicationController: true,
  webhook: true,
  customMetrics: ['pods/http_requests', 'ingresses.networking.k8s.io/requests_rate'],
  externalMetrics: ['queue_length'],
};

const WORKLOADS = ['apps:deployments', 'apps:statefulsets', 'apps.kruise.io:clonesets'];
/** What the shipped definitions render and the Application controller caches and prunes. */
const APPLICATION_KINDS = [
  'apps:deployments',
  ':services',
  'apps:controllerrevisions',
  'standard.oam.dev:rollouts',
  'apps.kruise.io:clonesets',
  'autoscaling.kapacitystack.io:intelligenthorizontalpodautoscalers',
];

/** The kind each controller reconciles: its status writes and the owner of what it creates. */
const PRIMARY: Record<string, string> = {
  application: 'core.oam.dev:applications',
  rollout: 'standard.oam.dev:rollouts',
  ihpa: 'autoscaling.kapacitystack.io:intelligenthorizontalpodautoscalers',
  replicaprofile: 'autoscaling.kapacitystack.io:replicaprofiles',
  portrait: 'autoscaling.kapacitystack.io:horizontalportraits',
};

/**
 * Descriptors the code passes as variables (`adapter.resource`, a resolved scale target, a
 * rendered object's kind), by controller and by the expression the scan saw.
 */
const INDIRECT: Record<string, Record<string, string[]>> = {
  // The workload adapters (Deployment, StatefulSet, CloneSet).
  rollout: { '<adapter.resource>': WORKLOADS, '<resource>': WORKLOADS },
  // The scale target, read for its labels: the kinds the ihpa trait applies to.
  ihpa: { '<resource>': WORKLOADS },
  replicaprofile: { '<resource>': WORKLOADS, '<target>': WORKLOADS },
  portrait: { '<target>': WORKLOADS },
  application: { '<resource>': APPLICATION_KINDS, '<target>': APPLICATION_KINDS },
  // Pod queries by label selector list pods (PODS_DESCRIPTOR); other kinds are not granted.
  'grpc-metrics': { '<resource>': [':pods'] },
};

/**
 * Grants no call shape shows, because they go through server-side apply (ensureApplied /
 * createWorkload), which patches and, for an object that does not exist yet, creates.
 */
const APPLIED: Record<string, string[]> = {
  application: APPLICATION_KINDS,
  // The Rollout's workload annotations are applied (patch only: it exists), workloads created.
  rollout: ['standard.oam.dev:rollouts', ...WORKLOADS],
  ihpa: ['autoscaling.kapacitystack.io:replicaprofiles', 'autoscaling.kapacitystack.io:horizontalportraits'],
  portrait: ['batch:cronjobs'],
  webhook: ['admissionregistration.k8s.io:mutatingwebhookconfigurations'],
};
/** Applied kinds that exist before the controller applies them: patch, never create. */
const APPLIED_EXISTING = new Set(['rollout|standard.oam.dev:rollouts']);

/** Descriptors a controller names without calling the API on them (e.g. to compare a kind). */
const REFERENCE_ONLY: Record<string, Record<string, string>> = {
  replicaprofile: {
    'ihpaResources.IntelligentHorizontalPodAutoscaler': 'its .kind identifies the owning IHPA',
  },
};

function splitKey(resourceKey: string): { group: string; resource: string } {
  const colon = resourceKey.indexOf(':');
  return { group: resourceKey.slice(0, colon), resource: resourceKey.slice(colon + 1) };
}

/** RBAC's decision for one request, for rules without wildcards (which the first test enforces). */
function allows(rules: readonly Rule[], resourceKey: string, verb: string, name?: string): boolean {
  const { group, resource } = splitKey(resourceKey);
  return rules.some(
    (r) =>
      (r.apiGroups ?? []).includes(group) &&
      (r.resources ?? []).includes(resource) &&
      r.verbs.includes(verb) &&
      ((r.resourceNames ?? []).length === 0 || (name !== undefined && r.resourceNames?.includes(name))),
  );
}

/** Every `group:resource|verb` a rule set grants (name-limited grants included). */
function grants(rules: readonly Rule[]): Set<string> {
  const out = new Set<string>();
  for (const r of rules) {
    for (const group of r.apiGroups ?? []) {
      for (const resource of r.resources ?? []) {
        for (const verb of r.verbs) out.add(`${group}:${resource}|${verb}`);
      }
    }
  }
  return out;
}

function args(container: { args?: string[] }, flag: string): string | undefined {
  const prefix = `--${flag}=`;
  return container.args?.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

let engine: CueEngine;
let all: KubeObject[];
let defaults: KubeObject[];

beforeAll(async () => {
  engine = await createCueEngine({ isolation: 'inline', cacheSize: 0 });
  all = (await renderAddon(engine, ALL_ARGS)).objects;
  defaults = (await renderAddon(engine, {})).objects;
});
afterAll(async () => {
  await engine?.close();
});

const rolesIn = (objects: readonly KubeObject[]) =>
  objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role') as Role[];
const roleOf = (objects: readonly KubeObject[], controller: string): Role | undefined =>
  rolesIn(objects).find(
    (r) =>
      r.kind === 'ClusterRole' &&
      (r.metadata['labels'] as Record<string, string> | undefined)?.[CONTROLLER_LABEL] === controller,
  );

/** The scanned accesses of the code reachable from a controller's registration, placeholders expanded. */
function accessesOf(controller: string, entry: string, metrics: JsonObject): VerbHint[] {
  const files = reachableFiles(entry);
  const refs = references(files, descriptorTable());
  const expanded: VerbHint[] = [];
  for (const hint of verbHints(files, refs)) {
    const own = hint.resource.match(/^<own>(\/.+)$/);
    const placeholder = hint.resource.match(/^(<[^>]+>)(\/.+)?$/);
    const metric = hint.resource.match(/^(.+):<metrics>$/);
    if (own) {
      const primary = PRIMARY[controller];
      if (!primary) throw new Error(`${hint.file}: ${hint.resource} in a controller without a primary kind`);
      expanded.push({ ...hint, resource: primary + own[1] });
    } else if (metric) {
      const group = metric[1] as string;
      if (group === 'metrics.k8s.io')
        expanded.push({ ...hint, resource: 'metrics.k8s.io:pods', verb: 'list' });
      if (group === 'custom.metrics.k8s.io') {
        for (const r of (metrics['customMetrics'] as string[]) ?? [])
          expanded.push({ ...hint, resource: `${group}:${r}` });
      }
      if (group === 'external.metrics.k8s.io') {
        for (const r of (metrics['externalMetrics'] as string[]) ?? [])
          expanded.push({ ...hint, resource: `${group}:${r}`, verb: 'list' });
      }
    } else if (placeholder) {
      const kinds = INDIRECT[controller]?.[placeholder[1] as string];
      if (!kinds) {
        throw new Error(
          `${hint.file}: ${hint.verb} on ${hint.resource} (a descriptor passed as a variable): name its kinds in INDIRECT.${controller}`,
        );
      }
      for (const k of kinds) expanded.push({ ...hint, resource: k + (placeholder[2] ?? '') });
    } else {
      expanded.push(hint);
    }
  }
  return expanded;
}

describe('addon RBAC', () => {
  test('no wildcard in verbs, resources, apiGroups or resourceNames, and only ordinary verbs', () => {
    const bundle = parseAllDocuments(readFileSync(join(REPO_ROOT, BUNDLE_FILE), 'utf8')).map(
      (d) => d.toJS() as KubeObject,
    );
    const roles = [...rolesIn(all), ...rolesIn(defaults), ...rolesIn(bundle)];
    expect(roles.length).toBeGreaterThan(10);
    for (const role of roles) {
      expect(role['aggregationRule']).toBeUndefined();
      for (const rule of role.rules ?? []) {
        const where = `${role.kind} ${role.metadata.name}`;
        for (const field of ['verbs', 'resources', 'apiGroups', 'resourceNames'] as const) {
          for (const value of rule[field] ?? []) expect(`${where} ${field}: ${value}`).not.toMatch(/\*/);
        }
        expect(rule.nonResourceURLs).toBeUndefined();
        expect(rule.resources?.length).toBeGreaterThan(0);
        for (const verb of rule.verbs) expect([where, verb, VERBS.has(verb)]).toEqual([where, verb, true]);
      }
    }
  });

  test('every registered controller has its ClusterRole, bound to the account of the Deployment running it', () => {
    const deployments = all.filter((o) => o.kind === 'Deployment') as Array<
      KubeObject & {
        spec: { template: { spec: { serviceAccountName: string; containers: Array<{ args?: string[] }> } } };
      }
    >;
    const bindings = all.filter((o) => o.kind === 'ClusterRoleBinding') as Binding[];
    const running = new Map<string, string>();
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      for (const name of args(pod.containers[0] ?? {}, 'controllers')?.split(',') ?? []) {
        expect(running.has(name)).toBe(false);
        running.set(name, pod.serviceAccountName);
      }
    }
    const registered = [...registrations().keys()];
    expect(registered.sort()).toEqual([...running.keys()].sort());
    for (const [controller, account] of running) {
      const role = roleOf(all, controller);
      expect([controller, role?.metadata.name]).toEqual([controller, `rollscale-${controller}`]);
      const bound = bindings.filter(
        (b) => b.roleRef.kind === 'ClusterRole' && b.roleRef.name === role?.metadata.name,
      );
      expect(bound.flatMap((b) => b.subjects.map((s) => `${s.kind}/${s.namespace}/${s.name}`))).toEqual([
        `ServiceAccount/rollscale-system/${account}`,
      ]);
    }
    // Event recording is its own role, bound to the controller account.
    const events = bindings.find((b) => b.roleRef.name === roleOf(all, 'events')?.metadata.name);
    expect(events?.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'rollscale-controller', namespace: 'rollscale-system' },
    ]);
  });

  test('the defaults leave out the application controller role and keep the webhook', () => {
    expect(roleOf(defaults, 'application')).toBeUndefined();
    expect(roleOf(defaults, 'webhook')).toBeDefined();
    expect(
      allows(roleOf(defaults, 'portrait')?.rules ?? [], 'custom.metrics.k8s.io:pods/http_requests', 'get'),
    ).toBe(false);
  });

  test.each([...registrations()])('%s: every access its code makes is granted', (controller, entry) => {
    const role = roleOf(all, controller);
    expect(role).toBeDefined();
    const rules = [...(role?.rules ?? []), ...(roleOf(all, 'events')?.rules ?? [])];
    const missing = accessesOf(controller, entry, ALL_ARGS)
      .filter(
        (a) =>
          !allows(
            rules,
            a.resource,
            a.verb,
            a.resource.endsWith(':mutatingwebhookconfigurations') ? CONFIGURATION_NAME : undefined,
          ),
      )
      .map((a) => `${a.verb} ${a.resource} (${a.file})`);
    expect(missing).toEqual([]);
  });

  test.each([...registrations()])('%s: every grant is used by its code', (controller, entry) => {
    const files = reachableFiles(entry);
    const code = files.map((f) => stripComments(readFileSync(f, 'utf8'))).join('\n');
    const used = new Set(accessesOf(controller, entry, ALL_ARGS).map((a) => `${a.resource}|${a.verb}`));
    for (const kind of APPLIED[controller] ?? []) {
      // Applied objects: patched, and created unless they exist before the controller applies them.
      expect([controller, /\b(ensureApplied|createWorkload)\(/.test(code)]).toEqual([controller, true]);
      used.add(`${kind}|patch`);
      if (!APPLIED_EXISTING.has(`${controller}|${kind}`)) used.add(`${kind}|create`);
    }
    const unused = [...grants(roleOf(all, controller)?.rules ?? [])].filter((g) => !used.has(g));
    expect(unused).toEqual([]);
  });

  test.each([...registrations()])(
    '%s: every descriptor its code names is granted or only compared',
    (controller, entry) => {
      const files = reachableFiles(entry);
      const refs = references(files, descriptorTable());
      const granted = new Set([...grants(roleOf(all, controller)?.rules ?? [])].map((g) => g.split('|')[0]));
      const code = files.map((f) => stripComments(readFileSync(f, 'utf8'))).join('\n');
      for (const [identifier, descriptor] of refs) {
        const why = REFERENCE_ONLY[controller]?.[identifier];
        if (why) {
          // Honest only while every use reads a name off the descriptor.
          const escaped = identifier.replace('.', '\\.');
          const uses = [...code.matchAll(new RegExp(`${escaped}(\\.\\w+)?`, 'g'))].map((m) => m[1]);
          expect(uses.length).toBeGreaterThan(0);
          for (const use of uses) expect([identifier, use]).toEqual([identifier, '.kind']);
          continue;
        }
        expect([identifier, granted.has(key(descriptor))]).toEqual([identifier, true]);
      }
    },
  );

  test('Events: exactly what the kit recorder sends (create, then patch of a repeat)', () => {
    const kit = join(REPO_ROOT, 'controllers', 'kit');
    const hints = verbHints(
      [join(kit, 'events.ts')],
      references([join(kit, 'events.ts')], descriptorTable()),
    );
    const sent = new Set(hints.map((h) => `${h.resource}|${h.verb}`));
    expect(sent).toEqual(new Set([':events|create', ':events|patch']));
    expect(grants(roleOf(all, 'events')?.rules ?? [])).toEqual(sent);
  });

  test('leader election: the lease the Deployment names, in its namespace, with the verbs the elector uses', () => {
    const kit = join(REPO_ROOT, 'controllers', 'kit', 'leader.ts');
    const hints = verbHints([kit], references([kit], descriptorTable()));
    const verbs = [
      ...new Set(hints.filter((h) => h.resource === 'coordination.k8s.io:leases').map((h) => h.verb)),
    ];
    expect(verbs.sort()).toEqual(['create', 'get', 'update']);

    const deployment = all.find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'rollscale-controller',
    ) as
      (KubeObject & { spec: { template: { spec: { containers: Array<{ args?: string[] }> } } } }) | undefined;
    const container = deployment?.spec.template.spec.containers[0] ?? {};
    expect(args(container, 'leader-elect')).toBe('true');
    const leaseName = args(container, 'leader-election-id') as string;
    const leaseNamespace = args(container, 'leader-election-namespace');
    const role = all.find((o) => o.kind === 'Role') as Role;
    expect(role.metadata.namespace).toBe(leaseNamespace);
    const rules = role.rules ?? [];
    for (const verb of verbs)
      expect([verb, allows(rules, 'coordination.k8s.io:leases', verb, leaseName)]).toEqual([verb, true]);
    // Only `create` is unlimited (RBAC cannot limit it by name); reading and renewing another lease is not granted.
    expect(allows(rules, 'coordination.k8s.io:leases', 'get', 'someone-else')).toBe(false);
    expect(allows(rules, 'coordination.k8s.io:leases', 'update', 'someone-else')).toBe(false);
    const binding = all.find((o) => o.kind === 'RoleBinding') as Binding;
    expect(binding.metadata.namespace).toBe(leaseNamespace);
    expect(binding.roleRef).toMatchObject({ kind: 'Role', name: role.metadata.name });
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'rollscale-controller', namespace: leaseNamespace },
    ]);
  });

  test('the webhook may patch only its own MutatingWebhookConfiguration', () => {
    const rules = roleOf(all, 'webhook')?.rules ?? [];
    const mwc = 'admissionregistration.k8s.io:mutatingwebhookconfigurations';
    expect(allows(rules, mwc, 'patch', CONFIGURATION_NAME)).toBe(true);
    expect(allows(rules, mwc, 'patch', 'another-webhook')).toBe(false);
  });

  test('metrics API grants follow the parameters, one rule per API', () => {
    const rules = roleOf(all, 'portrait')?.rules ?? [];
    expect(allows(rules, 'custom.metrics.k8s.io:pods/http_requests', 'get')).toBe(true);
    expect(allows(rules, 'custom.metrics.k8s.io:ingresses.networking.k8s.io/requests_rate', 'get')).toBe(
      true,
    );
    expect(allows(rules, 'custom.metrics.k8s.io:pods/other_metric', 'get')).toBe(false);
    expect(allows(rules, 'external.metrics.k8s.io:queue_length', 'list')).toBe(true);
    const defaultRules = roleOf(defaults, 'portrait')?.rules ?? [];
    expect(defaultRules.some((r) => r.apiGroups?.some((g) => g.endsWith('.metrics.k8s.io')))).toBe(false);
    expect(allows(defaultRules, 'metrics.k8s.io:pods', 'list')).toBe(true);
  });
});
