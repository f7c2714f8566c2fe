// `rollscale addon enable | disable | list`: KubeVela's addon semantics for clusters without the
// vela CLI. Rendering is addon-render.ts, the refusal rule addon-usage.ts; this file reads and
// writes the cluster (through the kit's apply path) and waits on watches.

import { createCueEngine } from '../cuelang-wasm/index.js';
import { ensureApplied } from '../controllers/kit/apply.js';
import { realClock, type Clock } from '../controllers/kit/clock.js';
import { isNotFound, type KubeClient } from '../controllers/kit/client.js';
import { builtin, type ResourceDescriptor } from '../controllers/kit/discovery.js';
import type { KubeObject } from '../controllers/kit/objects.js';
import {
  AddonError,
  localAddons,
  readAddonPackage,
  resolveAddonDir,
  type AddonMetadata,
} from './addon-package.js';
import {
  ADDON_NAMESPACE,
  LABEL_ADDON_NAME,
  LABEL_ADDON_VERSION,
  addonApplicationName,
  addonSecretName,
  parametersFromSecret,
  renderAddon,
  withOwner,
  type CueRenderer,
  type RenderedAddon,
} from './addon-render.js';
import {
  COMPONENT_DEFINITION,
  TRAIT_DEFINITION,
  disableRefusal,
  findDefinitionUses,
  usingApplications,
  type ApplicationLike,
  type DefinitionRef,
} from './addon-usage.js';
import { checkReachable, isServed, watchSet } from './kube.js';
import type { Output } from './output.js';
import { satisfies } from './semver.js';
import { parseSetValues } from './set-values.js';
import type { ApplicationObject } from './status-view.js';

function oam(resource: string, kind: string): ResourceDescriptor {
  return { group: 'core.oam.dev', version: 'v1beta1', resource, kind, namespaced: true };
}

export const applicationResource = oam('applications', 'Application');
export const componentDefinitionResource = oam('componentdefinitions', COMPONENT_DEFINITION);
export const traitDefinitionResource = oam('traitdefinitions', TRAIT_DEFINITION);
const DEFINITION_RESOURCES = [componentDefinitionResource, traitDefinitionResource];

export interface AddonContext {
  client: KubeClient;
  output: Output;
  /** Repository root: `addons/<name>` is looked up under it. */
  root: string;
  clock?: Clock;
}

type AddonApplicationObject = ApplicationObject & {
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    generation?: number;
    labels?: Record<string, string>;
  };
};

// ---------------------------------------------------------------------------------------------
// Progress while waiting

/** One line saying where an Application is on its way to `running` (pure). */
export function applicationProgress(app: ApplicationObject | undefined): string {
  if (!app) return 'not found';
  const status = app.status;
  if (!status?.status) return 'no status yet';
  const stale =
    app.metadata?.generation !== undefined && status.observedGeneration !== app.metadata.generation
      ? ' (previous generation)'
      : '';
  const failing = status.conditions?.find((c) => c.status === 'False' && c.message);
  // A component's own message says more than the condition summing it up; the condition only
  // when no component explains the phase.
  const unhealthy = (status.services ?? [])
    .filter((s) => s.healthy === false)
    .map((s) => {
      const traits = (s.traits ?? [])
        .filter((t) => t.healthy === false)
        .map((t) => `${t.type}${t.message ? ` (${t.message})` : ''}`);
      return `${s.name}${s.message ? `: ${s.message}` : ''}${traits.length ? ` [traits: ${traits.join(', ')}]` : ''}`;
    });
  const detail = unhealthy.length
    ? [`waiting for ${unhealthy.join('; ')}`]
    : failing && status.status !== 'running'
      ? [`${failing.type}: ${failing.message}`]
      : [];
  return `phase ${status.status}${stale}${detail.length ? ` — ${detail.join('; ')}` : ''}`;
}

function isRunning(app: ApplicationObject | undefined): boolean {
  return (
    app?.status?.status === 'running' &&
    (app.metadata?.generation === undefined || app.status.observedGeneration === app.metadata.generation)
  );
}

/**
 * Waits (on a watch) until the Application satisfies `done`, printing each new progress line.
 * Rejects after `timeoutMs` with the last progress.
 */
export async function waitForApplication(
  ctx: AddonContext,
  namespace: string,
  name: string,
  done: (app: ApplicationObject | undefined) => boolean,
  timeoutMs: number,
  describe: (app: ApplicationObject | undefined) => string = applicationProgress,
): Promise<ApplicationObject | undefined> {
  const clock = ctx.clock ?? realClock;
  let last = '';
  let settle: ((app: ApplicationObject | undefined) => void) | undefined;
  const finished = new Promise<ApplicationObject | undefined>((resolve) => (settle = resolve));
  let current: ApplicationObject | undefined;
  // Filled once the watch is synced; changes reported before then are read by the first check.
  const source: { set?: { list(): ApplicationObject[] } } = {};
  const check = () => {
    if (!source.set) return;
    current = source.set.list()[0];
    const line = describe(current);
    if (line !== last) {
      ctx.output.out(`  ${name}: ${line}\n`);
      last = line;
    }
    if (done(current)) settle?.(current);
  };
  const watched = await watchSet<ApplicationObject>(
    ctx.client,
    applicationResource,
    { namespace, fieldSelector: `metadata.name=${name}` },
    check,
  );
  source.set = watched;
  check();
  let timedOut = false;
  const timer = clock.setTimeout(() => {
    timedOut = true;
    settle?.(current);
  }, timeoutMs);
  try {
    const app = await finished;
    if (timedOut) {
      throw new AddonError(
        `${namespace}/${name} did not get there within ${Math.round(timeoutMs / 1000)} s: ${describe(app)}. ` +
          (app && !app.status?.status
            ? 'Is the application controller running (rollscale controller)?'
            : `Look closer with: rollscale status ${name} -n ${namespace}`),
      );
    }
    return app;
  } finally {
    timer.cancel();
    await watched.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// enable

export interface EnableOptions {
  /** A directory, or the name of an addon under `<root>/addons/`. */
  addon: string;
  /** `key=value` parameters. */
  set: readonly string[];
  wait: boolean;
  timeoutMs: number;
  cwd?: string;
  /** Defaults to an inline CUE engine, closed afterwards. */
  engine?: CueRenderer;
}

/** What must hold before anything is written: CRDs served, versions, dependencies, types. */
async function checkRequirements(
  ctx: AddonContext,
  rendered: RenderedAddon,
  pkgMeta: AddonMetadata,
): Promise<void> {
  const { client, output } = ctx;
  if (!(await isServed(client, applicationResource))) {
    throw new AddonError(
      'the cluster does not serve core.oam.dev/v1beta1 Applications: install the CRDs and definitions first (rollscale install)',
    );
  }
  const wantKubernetes = pkgMeta.system?.kubernetes;
  if (wantKubernetes) {
    const version = await client.getPath<{ gitVersion?: string }>('/version');
    const have = version.gitVersion ?? '';
    let ok: boolean;
    try {
      ok = satisfies(have, wantKubernetes);
    } catch (error) {
      throw new AddonError(`metadata.yaml system.kubernetes: ${(error as Error).message}`);
    }
    if (!ok) {
      throw new AddonError(
        `addon ${pkgMeta.name} needs Kubernetes ${wantKubernetes}; the cluster runs ${have}`,
      );
    }
  }
  if (pkgMeta.system?.vela) {
    output.out(
      `  note: system.vela ${pkgMeta.system.vela} is not checked (this cluster runs rollscale, not vela-core)\n`,
    );
  }
  for (const dependency of pkgMeta.dependencies ?? []) {
    const app = await client.tryGet(
      applicationResource,
      addonApplicationName(dependency.name),
      ADDON_NAMESPACE,
    );
    if (!app) {
      throw new AddonError(
        `addon ${pkgMeta.name} depends on addon ${dependency.name}, which is not enabled: ` +
          `rollscale addon enable ${dependency.name} first`,
      );
    }
  }
  // Every type the Application uses must resolve, from the addon itself or from vela-system.
  const provided = (kind: string) =>
    new Set(rendered.definitions.filter((d) => d.kind === kind).map((d) => d.metadata?.name));
  const missing = new Map<string, string[]>();
  const checkType = async (resource: ResourceDescriptor, name: string, component: string) => {
    if (provided(resource.kind).has(name)) return;
    const key = `${resource.kind} ${name}`;
    if (!missing.has(key) && (await client.tryGet(resource, name, ADDON_NAMESPACE))) return;
    missing.set(key, [...(missing.get(key) ?? []), component]);
  };
  for (const component of rendered.application.spec.components) {
    await checkType(componentDefinitionResource, component.type, component.name);
    for (const trait of component.traits ?? []) {
      await checkType(traitDefinitionResource, trait.type, component.name);
    }
  }
  if (missing.size > 0) {
    const list = [...missing].map(
      ([definition, users]) => `${definition} (used by ${[...new Set(users)].join(', ')})`,
    );
    throw new AddonError(
      `addon ${pkgMeta.name} needs ${list.join(' and ')}, found neither in the addon's definitions/ nor in ` +
        `${ADDON_NAMESPACE}: install the definitions (rollscale install), enable the addon that provides them, ` +
        `or add them to the addon's definitions/`,
    );
  }
}

/**
 * Applies `object` and says what happened: created, updated or unchanged. `quiet`: an
 * intermediate write, reported by the next one (`said` then names what the first one did).
 */
async function apply(
  ctx: AddonContext,
  object: KubeObject,
  options: { quiet?: boolean; said?: string } = {},
): Promise<{ object: KubeObject; said: string }> {
  const resource = await ctx.client.mapper.resourceForObject(object);
  const live = await ctx.client.tryGet(resource, object.metadata?.name as string, object.metadata?.namespace);
  const { applied, object: result } = await ensureApplied(ctx.client, object, live);
  const namespace = object.metadata?.namespace ? `${object.metadata.namespace}/` : '';
  const said = options.said ?? (applied ? (live ? 'updated' : 'created') : 'unchanged');
  if (!options.quiet) ctx.output.out(`  ${said} ${object.kind} ${namespace}${object.metadata?.name}\n`);
  return { object: result, said };
}

export interface EnableResult {
  rendered: RenderedAddon;
  application: KubeObject;
}

export async function enableAddon(ctx: AddonContext, options: EnableOptions): Promise<EnableResult> {
  const dir = resolveAddonDir(options.addon, ctx.root, options.cwd);
  const pkg = readAddonPackage(dir);
  const args = parseSetValues(options.set);
  const owned = options.engine ? undefined : await createCueEngine({ isolation: 'inline', cacheSize: 0 });
  let rendered: RenderedAddon;
  try {
    rendered = await renderAddon(pkg, args, options.engine ?? (owned as CueRenderer));
  } finally {
    await owned?.close();
  }
  const { metadata } = pkg;
  ctx.output.out(`Enabling addon ${metadata.name} ${metadata.version} from ${dir}\n`);
  await checkReachable(ctx.client);
  await checkRequirements(ctx, rendered, metadata);

  for (const namespace of [ADDON_NAMESPACE, ...rendered.namespaces]) {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } };
    const live = await ctx.client.tryGet(builtin.Namespace, namespace);
    if (!live) await apply(ctx, ns);
  }
  // The definitions go first so the Application never renders against missing types. They are
  // owned by the Application; on a first enable it has no uid yet, so they are applied once
  // without the owner and again with it.
  const name = rendered.application.metadata.name;
  const existing = await ctx.client.tryGet(applicationResource, name, ADDON_NAMESPACE);
  const ownerOf = (uid: string) => ({
    apiVersion: rendered.application.apiVersion,
    kind: 'Application',
    name,
    uid,
  });
  const existingUid = existing?.metadata?.uid;
  const firstWrites: string[] = [];
  for (const definition of rendered.definitions) {
    if (existingUid) await apply(ctx, withOwner(definition, ownerOf(existingUid)));
    else firstWrites.push((await apply(ctx, definition, { quiet: true })).said);
  }
  const { object: application } = await apply(ctx, rendered.application);
  const uid = application.metadata?.uid;
  if (!uid) throw new Error(`the API server returned Application ${name} without a uid`);
  const owner = ownerOf(uid);
  if (!existingUid) {
    for (const [index, definition] of rendered.definitions.entries()) {
      await apply(ctx, withOwner(definition, owner), { said: firstWrites[index] });
    }
  }

  // Definitions an earlier version of the addon brought and this one no longer has.
  const wanted = new Set(rendered.definitions.map((d) => `${d.kind}/${d.metadata?.name}`));
  for (const resource of DEFINITION_RESOURCES) {
    const { items } = await ctx.client.list(resource, { namespace: ADDON_NAMESPACE });
    for (const item of items) {
      const owned = (item.metadata?.ownerReferences ?? []).some((ref) => ref.uid === uid);
      if (owned && !wanted.has(`${resource.kind}/${item.metadata?.name}`)) {
        await ctx.client.delete(resource, item.metadata?.name as string, { namespace: ADDON_NAMESPACE });
        ctx.output.out(
          `  deleted ${resource.kind} ${ADDON_NAMESPACE}/${item.metadata?.name} (no longer in the addon)\n`,
        );
      }
    }
  }
  for (const object of rendered.auxiliary) {
    const namespaced = (await ctx.client.mapper.resourceForObject(object)).namespaced;
    const placed =
      namespaced && !object.metadata?.namespace
        ? { ...object, metadata: { ...object.metadata, namespace: ADDON_NAMESPACE } }
        : object;
    await apply(ctx, withOwner(placed, owner));
  }
  await apply(ctx, withOwner(rendered.secret, owner));

  if (options.wait) {
    ctx.output.out(
      `Waiting for ${ADDON_NAMESPACE}/${owner.name} to be running (up to ${Math.round(options.timeoutMs / 1000)} s)\n`,
    );
    await waitForApplication(ctx, ADDON_NAMESPACE, owner.name, isRunning, options.timeoutMs);
    ctx.output.out(`Addon ${metadata.name} enabled: ${ADDON_NAMESPACE}/${owner.name} is running\n`);
  } else {
    ctx.output.out(
      `Addon ${metadata.name} applied (not waiting; rollscale status ${owner.name} -n ${ADDON_NAMESPACE} follows it)\n`,
    );
  }
  return { rendered, application };
}

// ---------------------------------------------------------------------------------------------
// disable

export interface DisableOptions {
  name: string;
  force: boolean;
  wait: boolean;
  timeoutMs: number;
}

/** The definitions in vela-system owned by the addon's Application (uid). */
async function ownedDefinitions(
  client: KubeClient,
  uid: string,
): Promise<{ owned: DefinitionRef[]; elsewhere: DefinitionRef[] }> {
  const owned: DefinitionRef[] = [];
  const elsewhere: DefinitionRef[] = [];
  for (const resource of DEFINITION_RESOURCES) {
    const { items } = await client.list(resource);
    for (const item of items) {
      const ref = {
        kind: resource.kind,
        name: item.metadata?.name ?? '',
        namespace: item.metadata?.namespace,
      };
      if (item.metadata?.namespace !== ADDON_NAMESPACE) elsewhere.push(ref);
      else if ((item.metadata?.ownerReferences ?? []).some((r) => r.uid === uid)) owned.push(ref);
    }
  }
  return { owned, elsewhere };
}

export async function disableAddon(ctx: AddonContext, options: DisableOptions): Promise<void> {
  const { client, output } = ctx;
  const appName = addonApplicationName(options.name);
  if (!(await isServed(client, applicationResource))) {
    throw new AddonError(
      'the cluster does not serve core.oam.dev/v1beta1 Applications: no addon can be enabled here',
    );
  }
  const app = await client.tryGet<AddonApplicationObject>(applicationResource, appName, ADDON_NAMESPACE);
  if (!app || app.metadata.labels?.[LABEL_ADDON_NAME] !== options.name) {
    throw new AddonError(
      `addon ${options.name} is not enabled: there is no Application ${ADDON_NAMESPACE}/${appName} labelled ` +
        `${LABEL_ADDON_NAME}=${options.name} (rollscale addon list shows the enabled addons)`,
    );
  }
  const uid = app.metadata.uid ?? '';
  const { owned, elsewhere } = await ownedDefinitions(client, uid);
  const { items: apps } = await client.list<KubeObject & ApplicationLike>(applicationResource);
  const uses = findDefinitionUses(apps, owned, {
    exclude: { namespace: ADDON_NAMESPACE, name: appName },
    shadowing: elsewhere,
  });
  const refusal = disableRefusal(options.name, uses, options.force);
  if (refusal) throw new AddonError(refusal);
  if (uses.length > 0) {
    const apps = usingApplications(uses);
    output.out(
      `  --force: disabling although ${apps.join(', ')} still ${apps.length === 1 ? 'uses' : 'use'} its definitions\n`,
    );
  }

  output.out(
    `Disabling addon ${options.name}: deleting Application ${ADDON_NAMESPACE}/${appName}` +
      (owned.length ? ` and with it ${owned.map((d) => `${d.kind} ${d.name}`).join(', ')}` : '') +
      '\n',
  );
  await client.delete(applicationResource, appName, {
    namespace: ADDON_NAMESPACE,
    propagationPolicy: options.wait ? 'Foreground' : 'Background',
  });
  try {
    await client.delete(builtin.Secret, addonSecretName(options.name), { namespace: ADDON_NAMESPACE });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (options.wait) {
    await waitForApplication(
      ctx,
      ADDON_NAMESPACE,
      appName,
      (a) => a === undefined,
      options.timeoutMs,
      (a) => (a ? 'deleting (waiting for what it owns to go)' : 'deleted'),
    );
  }
  output.out(`Addon ${options.name} disabled\n`);
}

// ---------------------------------------------------------------------------------------------
// list

export interface AddonListRow {
  name: string;
  version: string;
  /** `enabled` (with the Application's phase) or `disabled` (a local addon not enabled). */
  status: string;
  description: string;
  parameters?: Record<string, unknown>;
}

export async function listAddons(ctx: AddonContext): Promise<AddonListRow[]> {
  const rows = new Map<string, AddonListRow>();
  for (const local of localAddons(ctx.root)) {
    try {
      const pkg = readAddonPackage(local.dir);
      rows.set(pkg.metadata.name, {
        name: pkg.metadata.name,
        version: pkg.metadata.version,
        status: 'disabled',
        description: pkg.metadata.description ?? '',
      });
    } catch (error) {
      rows.set(local.name, {
        name: local.name,
        version: '?',
        status: 'disabled (unreadable)',
        description: (error as Error).message,
      });
    }
  }
  if (await isServed(ctx.client, applicationResource)) {
    const { items } = await ctx.client.list<AddonApplicationObject>(applicationResource, {
      namespace: ADDON_NAMESPACE,
      labelSelector: LABEL_ADDON_NAME,
    });
    for (const app of items) {
      const name = app.metadata.labels?.[LABEL_ADDON_NAME] ?? app.metadata.name;
      const secret = await ctx.client.tryGet<KubeObject & { data?: Record<string, string> }>(
        builtin.Secret,
        addonSecretName(name),
        ADDON_NAMESPACE,
      );
      rows.set(name, {
        name,
        version: app.metadata.labels?.[LABEL_ADDON_VERSION] ?? '?',
        status: `enabled (${app.status?.status ?? 'no status yet'})`,
        description: rows.get(name)?.description ?? '',
        parameters: parametersFromSecret(secret),
      });
    }
  }
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The list as a table (pure). */
export function formatAddonList(rows: readonly AddonListRow[]): string {
  if (rows.length === 0) return 'No addons: none is enabled and there is no addons/ directory here.\n';
  const table = [
    ['NAME', 'VERSION', 'STATUS', 'DESCRIPTION'],
    ...rows.map((r) => [r.name, r.version, r.status, r.description]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...table.map((row) => (row[i] as string).length)));
  return (
    table
      .map((row) =>
        row
          .map((cell, i) => (i < 3 ? cell.padEnd(widths[i] as number) : cell))
          .join('   ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
