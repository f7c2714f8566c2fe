// The IHPA gray scale-down the fault tests run under SIGKILL: a StatefulSet whose pods carry the
// `kapacitystack.io/online` readiness gate, an IHPA with a Static provider and a Cutoff gray
// strategy on scale-down (short intervals), and the invariants of a gray scale-down checked on
// every pod event: no pod is created while scaling down, and the online Ready pods never fall
// below the new portrait value.
import type { Kube, KubeObjectLike } from './kube.js';
import { isReady } from './invariants.js';

export const GRAY_STATE_LABEL = 'kapacitystack.io/pod-state';

export function grayStatefulSet(name: string): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, labels: { app: name } },
    spec: {
      serviceName: name,
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          readinessGates: [{ conditionType: 'kapacitystack.io/online' }],
          containers: [{ name: 'nginx', image: 'nginx:1.27' }],
        },
      },
    },
  });
}

export function grayIhpa(name: string, target: string, replicas: number, intervalSeconds = 2): string {
  return JSON.stringify({
    apiVersion: 'autoscaling.kapacitystack.io/v1alpha1',
    kind: 'IntelligentHorizontalPodAutoscaler',
    metadata: { name },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: target },
      minReplicas: 1,
      maxReplicas: 10,
      portraitProviders: [{ type: 'Static', priority: 1, static: { replicas } }],
      behavior: {
        scaleDown: {
          grayStrategy: {
            grayState: 'Cutoff',
            changeIntervalSeconds: intervalSeconds,
            changePercent: 50,
            observationSeconds: intervalSeconds,
          },
        },
      },
    },
  });
}

interface Pod extends KubeObjectLike {
  status?: { conditions?: Array<{ type: string; status: string }> };
}

const online = (pod: Pod) => isReady(pod) && pod.metadata?.labels?.[GRAY_STATE_LABEL] !== 'Cutoff';

export class GrayMonitor {
  readonly violations: string[] = [];
  samples = 0;
  private readonly pods = new Map<string, Pod>();
  private readonly handle: { stop(): void };
  private bounds?: { floor: number; ceiling: number };
  private step = '';

  constructor(kube: Kube, namespace: string, app: string) {
    this.handle = kube.watch<Pod>(
      `/api/v1/namespaces/${namespace}/pods`,
      {
        onReset: (items) => {
          this.pods.clear();
          for (const p of items) this.pods.set(p.metadata?.name ?? '', p);
          this.check();
        },
        onEvent: (type, pod) => {
          if (type === 'DELETED') this.pods.delete(pod.metadata?.name ?? '');
          else this.pods.set(pod.metadata?.name ?? '', pod);
          this.check();
        },
      },
      { labelSelector: `app=${app}` },
    );
  }

  setBounds(step: string, bounds: { floor: number; ceiling: number } | undefined): void {
    this.step = step;
    this.bounds = bounds;
  }

  /** Live pods, online pods, and the names of the cut-off ones. */
  counts(): { live: number; online: number; cutoff: string[] } {
    const live = [...this.pods.values()].filter((p) => !p.metadata?.deletionTimestamp);
    return {
      live: live.length,
      online: live.filter(online).length,
      cutoff: live
        .filter((p) => p.metadata?.labels?.[GRAY_STATE_LABEL] === 'Cutoff')
        .map((p) => p.metadata?.name ?? ''),
    };
  }

  stop(): void {
    this.handle.stop();
  }

  private check(): void {
    this.samples++;
    if (!this.bounds) return;
    const { live, online: up } = this.counts();
    const breach = (what: string) => {
      const entry = `${this.step}: ${what}`;
      if (this.violations[this.violations.length - 1] !== entry) this.violations.push(entry);
    };
    if (live > this.bounds.ceiling) breach(`${live} live pods > ${this.bounds.ceiling}`);
    if (up < this.bounds.floor) breach(`${up} online Ready pods < ${this.bounds.floor}`);
  }
}
