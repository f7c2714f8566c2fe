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
  conflictRefusal,
  definitionConflicts,
  describeConflict,
  disableRefusal,
  findDefinitionUses,
  usingApplications,
  type ApplicationLike,
  type DefinitionRef,
  type LiveDefinition,
} from './addon-usage.js';
import { RESOURCE_TRACKER_FINALIZER } from '../controllers/application/types.js';
import { hasKubeVela, runApplicationReconciler, type ApplicationRunner } from './addon-bootstrap.js';
import { checkReachable, isServed, watchSet } from './kube.js';
import { cliLogger, type Output } from './output.js';
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
  /**
   * Replace definitions of the addon's names that exist and are not the addon's (KubeVela's
   * --override-definitions); without it enabling refuses and names them.
   */
  overrideDefinitions?: boolean;
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

/**
 * The parameter an addon declares for running rollscale's own Application controller. Without
 * KubeVela nothing else renders Applications, so `addon enable` turns it on unless it was given.
 */
export const OWN_APPLICATION_CONTROLLER_PARAMETER = 'applicationController';

/** Renders the addon with `args` (through `options.engine`, or an inline engine closed afterwards). */
async function render(
  pkg: ReturnType<typeof readAddonPackage>,
  args: Record<string, unknown>,
  engine: CueRenderer | undefined,
): Promise<RenderedAddon> {
  const owned = engine ? undefined : await createCueEngine({ isolation: 'inline', cacheSize: 0 });
  try {
    return await renderAddon(pkg, args, engine ?? (owned as CueRenderer));
  } finally {
    await owned?.close();
  }
}

/**
 * The existing definitions of the addon's names that are not the addon's own; refuses (naming
 * each) unless `override`, which only says what will be replaced.
 */
async function checkDefinitionConflicts(
  ctx: AddonContext,
  rendered: RenderedAddon,
  addon: string,
  override: boolean,
): Promise<void> {
  const live: LiveDefinition[] = [];
  for (const definition of rendered.definitions) {
    const resource =
      definition.kind === TRAIT_DEFINITION ? traitDefinitionResource : componentDefinitionResource;
    if (definition.kind !== TRAIT_DEFINITION && definition.kind !== COMPONENT_DEFINITION) continue;
    const existing = await ctx.client.tryGet(resource, definition.metadata?.name as string, ADDON_NAMESPACE);
    if (existing) live.push({ ...existing, kind: definition.kind });
  }
  const conflicts = definitionConflicts(live, rendered.application.metadata.name);
  if (conflicts.length === 0) return;
  if (!override) throw new AddonError(conflictRefusal(addon, ADDON_NAMESPACE, conflicts));
  for (const conflict of conflicts) {
    ctx.output.out(`  --override-definitions: replacing ${describeConflict(conflict)}\n`);
  }
}

function deploymentProgress(deployment: DeploymentLike): { ready: boolean; line: string } {
  const wanted = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  const current =
    status.observedGeneration !== undefined &&
    status.observedGeneration >= (deployment.metadata?.generation ?? 0);
  const ready = status.readyReplicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  return {
    ready: current && ready >= wanted && updated >= wanted,
    line: `Deployment ${deployment.metadata?.namespace}/${deployment.metadata?.name} ${ready}/${wanted} ready`,
  };
}

type DeploymentLike = KubeObject & {
  spec?: { replicas?: number };
  status?: { observedGeneration?: number; readyReplicas?: number; updatedReplicas?: number };
};

/**
 * Waits (on a watch) until every Deployment the addon's Application applied (labelled with its
 * name, wherever it lives) has all its replicas updated and ready: `running` alone says only that
 * the objects are applied, since k8s-objects components report no health of their own.
 */
async function waitForDeployments(ctx: AddonContext, application: string, timeoutMs: number): Promise<void> {
  const clock = ctx.clock ?? realClock;
  const mine = (d: DeploymentLike) =>
    (d.metadata?.labels?.['app.oam.dev/namespace'] ?? d.metadata?.namespace) === ADDON_NAMESPACE;
  let settle: (() => void) | undefined;
  const finished = new Promise<void>((resolve) => (settle = resolve));
  const printed = new Map<string, string>();
  const source: { set?: { list(): DeploymentLike[] } } = {};
  let allReady = false;
  const check = () => {
    if (!source.set) return;
    const progress = source.set
      .list()
      .filter(mine)
      .map((d) => ({ key: `${d.metadata?.namespace}/${d.metadata?.name}`, ...deploymentProgress(d) }));
    for (const p of progress) {
      if (printed.get(p.key) !== p.line) ctx.output.out(`  ${p.line}\n`);
      printed.set(p.key, p.line);
    }
    allReady = progress.every((p) => p.ready);
    if (allReady) settle?.();
  };
  const watched = await watchSet<DeploymentLike>(
    ctx.client,
    builtin.Deployment,
    { labelSelector: `app.oam.dev/name=${application}` },
    check,
  );
  source.set = watched;
  check();
  const timer = clock.setTimeout(() => settle?.(), timeoutMs);
  try {
    await finished;
    if (!allReady) {
      const waiting = [...printed.values()].join(', ');
      throw new AddonError(
        `the addon's Deployments did not become ready within ${Math.round(timeoutMs / 1000)} s: ${waiting}. ` +
          `kubectl describe deployment -n <namespace> <name> tells why`,
      );
    }
  } finally {
    timer.cancel();
    await watched.stop();
  }
}

export async function enableAddon(ctx: AddonContext, options: EnableOptions): Promise<EnableResult> {
  const dir = resolveAddonDir(options.addon, ctx.root, options.cwd);
  const pkg = readAddonPackage(dir);
  const args = parseSetValues(options.set);
  let rendered = await render(pkg, args, options.engine);
  const { metadata } = pkg;
  ctx.output.out(`Enabling addon ${metadata.name} ${metadata.version} from ${dir}\n`);
  await checkReachable(ctx.client);
  await checkRequirements(ctx, rendered, metadata);

  // Without KubeVela this process renders the addon's Application until it runs, and the
  // addon's own controller must render Applications from then on (addon-bootstrap.ts).
  const kubeVela = await hasKubeVela(ctx.client);
  if (
    !kubeVela &&
    typeof rendered.parameters[OWN_APPLICATION_CONTROLLER_PARAMETER] === 'boolean' &&
    !(OWN_APPLICATION_CONTROLLER_PARAMETER in args)
  ) {
    ctx.output.out(
      `  no KubeVela in this cluster: ${OWN_APPLICATION_CONTROLLER_PARAMETER}=true (the addon's controller renders ` +
        `Applications; --set ${OWN_APPLICATION_CONTROLLER_PARAMETER}=false keeps it off)\n`,
    );
    rendered = await render(pkg, { ...args, [OWN_APPLICATION_CONTROLLER_PARAMETER]: true }, options.engine);
  }
  await checkDefinitionConflicts(ctx, rendered, metadata.name, options.overrideDefinitions === true);

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

  const clock = ctx.clock ?? realClock;
  const started = clock.now().getTime();
  let runner: ApplicationRunner | undefined;
  if (!kubeVela) {
    ctx.output.out(
      `No KubeVela in this cluster: reconciling ${ADDON_NAMESPACE}/${name} here until it runs; ` +
        `the addon's controller carries on from there\n`,
    );
    runner = await runApplicationReconciler(ctx.client, {
      namespace: ADDON_NAMESPACE,
      name,
      clock,
      logger: cliLogger(ctx.output, 'warn'),
    });
  }
  try {
    if (options.wait || runner) {
      ctx.output.out(
        `Waiting for ${ADDON_NAMESPACE}/${name} to be running (up to ${Math.round(options.timeoutMs / 1000)} s)\n`,
      );
      // --no-wait still needs this process to apply the objects once when it is the renderer.
      const done = options.wait
        ? isRunning
        : (app: ApplicationObject | undefined) =>
            app?.status?.observedGeneration !== undefined &&
            app.status.observedGeneration === app.metadata?.generation &&
            app.status.status !== 'rendering';
      await waitForApplication(ctx, ADDON_NAMESPACE, name, done, options.timeoutMs);
      if (options.wait) {
        const left = Math.max(1000, options.timeoutMs - (clock.now().getTime() - started));
        await waitForDeployments(ctx, name, left);
      }
    }
  } finally {
    await runner?.stop();
  }
  if (options.wait) {
    ctx.output.out(`Addon ${metadata.name} enabled: ${ADDON_NAMESPACE}/${name} is running\n`);
  } else {
    ctx.output.out(
      `Addon ${metadata.name} applied (not waiting; rollscale status ${name} -n ${ADDON_NAMESPACE} follows it)\n`,
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
  // Without KubeVela this process finishes the deletion: the Application's finalizer deletes what
  // it created outside vela-system, the addon's own controller among it (addon-bootstrap.ts).
  const kubeVela = await hasKubeVela(client);
  await client.delete(applicationResource, appName, {
    namespace: ADDON_NAMESPACE,
    propagationPolicy: options.wait ? 'Foreground' : 'Background',
  });
  try {
    await client.delete(builtin.Secret, addonSecretName(options.name), { namespace: ADDON_NAMESPACE });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const runner = kubeVela
    ? undefined
    : await runApplicationReconciler(client, {
        namespace: ADDON_NAMESPACE,
        name: appName,
        clock: ctx.clock,
        logger: cliLogger(output, 'warn'),
      });
  try {
    if (options.wait || runner) {
      await waitForApplication(
        ctx,
        ADDON_NAMESPACE,
        appName,
        // --no-wait: only until the finalizer is released (the garbage collector does the rest).
        options.wait
          ? (a) => a === undefined
          : (a) =>
              !(a?.metadata as { finalizers?: string[] } | undefined)?.finalizers?.includes(
                RESOURCE_TRACKER_FINALIZER,
              ),
        options.timeoutMs,
        (a) => (a ? 'deleting (waiting for what it owns to go)' : 'deleted'),
      );
    }
  } finally {
    await runner?.stop();
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
