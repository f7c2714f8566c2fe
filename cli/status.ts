// `rollscale status`: reads (once) or follows (`--watch`) an Application, its Rollouts, IHPAs and
// workloads through watches, and prints the view of status-view.ts. Following is event-driven:
// every change of a watched object redraws; a terminal gets the view redrawn in place (and a
// once-a-second refresh of countdowns), other outputs get each changed view appended.

import { realClock, type Clock } from '../controllers/kit/clock.js';
import type { KubeClient } from '../controllers/kit/client.js';
import { builtin, type ResourceDescriptor } from '../controllers/kit/discovery.js';
import { ihpaResources, type Ihpa } from '../controllers/ihpa/types.js';
import type { KubeObject } from '../controllers/kit/objects.js';
import { rolloutResource, type Rollout } from '../controllers/rollout/types.js';
import { applicationResource } from './addon.js';
import { isServed, watchSet, type WatchedSet } from './kube.js';
import type { Output } from './output.js';
import {
  LABEL_APP_NAME,
  LABEL_COMPONENT,
  buildStatusView,
  renderStatusView,
  statusSettled,
  type ApplicationObject,
  type StatusTarget,
  type StatusView,
  type WorkloadObject,
} from './status-view.js';

export const cloneSetResource: ResourceDescriptor = {
  group: 'apps.kruise.io',
  version: 'v1alpha1',
  resource: 'clonesets',
  kind: 'CloneSet',
  namespaced: true,
};

/** `name`, `rollout/<name>` or `ihpa/<name>` (also the long kind names kubectl accepts). */
export function parseStatusTarget(text: string): StatusTarget {
  const slash = text.indexOf('/');
  if (slash < 0) return { kind: 'application', name: text };
  const kind = text.slice(0, slash).toLowerCase();
  const name = text.slice(slash + 1);
  if (!name) throw new Error(`${JSON.stringify(text)}: the name after the / is missing`);
  if (['app', 'application', 'applications', 'application.core.oam.dev'].includes(kind))
    return { kind: 'application', name };
  if (['rollout', 'rollouts', 'rollout.standard.oam.dev'].includes(kind)) return { kind: 'rollout', name };
  if (
    ['ihpa', 'ihpas', 'intelligenthorizontalpodautoscaler', 'intelligenthorizontalpodautoscalers'].includes(
      kind,
    )
  ) {
    return { kind: 'ihpa', name };
  }
  throw new Error(
    `${JSON.stringify(text)}: status shows an Application (<name>), a Rollout (rollout/<name>) or an IHPA (ihpa/<name>)`,
  );
}

export interface FollowOptions {
  /** Called with each new view (after the first list, then on every change). */
  onView?: (view: StatusView) => void;
  /** Resolve once this holds for a view; never when absent (then only `signal` ends it). */
  until?: (view: StatusView) => boolean;
  signal?: AbortSignal;
  clock?: Clock;
}

interface Sources {
  application?: WatchedSet<ApplicationObject>;
  rollouts?: WatchedSet<Rollout>;
  ihpas?: WatchedSet<Ihpa>;
  workloads: WatchedSet<WorkloadObject>[];
}

/**
 * Watches what the status of `target` in `namespace` is made of and calls `onView` on each
 * change; resolves with the first view `until` accepts, or the last view when `signal` aborts.
 */
export async function followStatus(
  client: KubeClient,
  namespace: string,
  target: StatusTarget,
  options: FollowOptions = {},
): Promise<StatusView> {
  const clock = options.clock ?? realClock;
  const sources: Sources = { workloads: [] };
  let latest: StatusView | undefined;
  let resolveDone: ((view: StatusView) => void) | undefined;
  const done = new Promise<StatusView>((resolve) => (resolveDone = resolve));
  let scheduled = false;
  let ready = false;

  const snapshotView = (): StatusView =>
    buildStatusView({
      namespace,
      target,
      application: sources.application?.list()[0],
      rollouts: sources.rollouts?.list() ?? [],
      ihpas: sources.ihpas?.list() ?? [],
      workloads: sources.workloads.flatMap((w) => w.list()),
      now: clock.now().getTime(),
    });
  const update = () => {
    scheduled = false;
    if (!ready) return;
    latest = snapshotView();
    options.onView?.(latest);
    if (options.until?.(latest)) resolveDone?.(latest);
  };
  // Several watches report one change together (a Rollout and its Deployment): draw once.
  const changed = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(update);
  };

  const selector =
    target.kind === 'application'
      ? `${LABEL_APP_NAME}=${target.name}`
      : target.kind === 'rollout'
        ? LABEL_COMPONENT
        : undefined;
  const byName = { namespace, fieldSelector: `metadata.name=${target.name}` };
  const scoped = { namespace, ...(selector ? { labelSelector: selector } : {}) };
  const all: WatchedSet<KubeObject>[] = [];
  try {
    if (target.kind === 'application' && (await isServed(client, applicationResource))) {
      sources.application = await watchSet<ApplicationObject>(client, applicationResource, byName, changed);
      all.push(sources.application);
    }
    if (await isServed(client, rolloutResource)) {
      sources.rollouts = await watchSet<Rollout>(
        client,
        rolloutResource,
        target.kind === 'rollout' ? byName : scoped,
        changed,
      );
      all.push(sources.rollouts);
    }
    const ihpaResource = ihpaResources.IntelligentHorizontalPodAutoscaler;
    if (await isServed(client, ihpaResource)) {
      sources.ihpas = await watchSet<Ihpa>(
        client,
        ihpaResource,
        target.kind === 'ihpa' ? byName : scoped,
        changed,
      );
      all.push(sources.ihpas);
    }
    for (const resource of [builtin.Deployment, builtin.StatefulSet, cloneSetResource]) {
      if (resource === cloneSetResource && !(await isServed(client, resource))) continue;
      const set = await watchSet<WorkloadObject>(client, resource, scoped, changed);
      sources.workloads.push(set);
      all.push(set);
    }
    ready = true;
    update();
    const aborted = new Promise<void>((resolve) => {
      if (options.signal?.aborted) resolve();
      options.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    if (!options.until && !options.signal) return latest as StatusView;
    await Promise.race([done, aborted]);
    return latest ?? snapshotView();
  } finally {
    await Promise.all(all.map((set) => set.stop()));
  }
}

export interface StatusOptions {
  target: StatusTarget;
  namespace: string;
  watch: boolean;
  /** Ends a watch early (Ctrl-C). */
  signal?: AbortSignal;
  clock?: Clock;
}

/**
 * Draws views as they come: in place on a terminal (erasing the previous frame), appended with a
 * time stamp otherwise (only when the text changed).
 */
export function viewPrinter(
  output: Output,
  clock: Clock = realClock,
): {
  draw(view: StatusView): void;
  redraw(): void;
  last(): StatusView | undefined;
} {
  let lines = 0;
  let lastText = '';
  let lastView: StatusView | undefined;
  const draw = (view: StatusView) => {
    lastView = view;
    const now = clock.now().getTime();
    const text = renderStatusView(view, { now, color: output.interactive });
    if (output.interactive) {
      // Cursor up over the previous frame, then clear to the end of the screen.
      const erase = lines > 0 ? `\u001b[${lines}A\r\u001b[J` : '';
      output.out(erase + text);
      lines = text.split('\n').length - 1;
    } else if (text !== lastText) {
      output.out(`${lastText ? '\n' : ''}[${new Date(now).toISOString().slice(11, 19)}]\n${text}`);
    }
    lastText = text;
  };
  return { draw, redraw: () => lastView && draw(lastView), last: () => lastView };
}

/** Prints the status once, or follows it until it settles (or `signal` aborts). Returns the exit code. */
export async function showStatus(
  client: KubeClient,
  output: Output,
  options: StatusOptions,
): Promise<number> {
  const clock = options.clock ?? realClock;
  if (!options.watch) {
    const view = await followStatus(client, options.namespace, options.target, { clock });
    output.out(renderStatusView(view, { now: clock.now().getTime(), color: output.interactive }));
    return view.components.length > 0 ? 0 : 1;
  }
  const printer = viewPrinter(output, clock);
  // Countdowns (the next gray step) move even when nothing changes; terminals only.
  const ticker = output.interactive ? setInterval(() => printer.redraw(), 1000) : undefined;
  try {
    const view = await followStatus(client, options.namespace, options.target, {
      clock,
      onView: printer.draw,
      until: statusSettled,
      signal: options.signal,
    });
    if (options.signal?.aborted) return 130;
    output.out(statusSettled(view) ? 'settled\n' : '');
    return 0;
  } finally {
    if (ticker) clearInterval(ticker);
  }
}
