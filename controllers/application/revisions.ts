// Component revisions (pure): what a revision holds, its hash, which revision a rendered
// component maps to (an existing one with the same hash, the externalRevision name, or
// `<component>-v<N+1>`), and which old revisions the history limit lets go.

import { contentHash } from '../kit/apply.js';
import type { KubeObject } from '../kit/objects.js';
import { ApplicationError, scope } from './errors.js';
import {
  LABEL_COMPONENT,
  LABEL_REVISION_COMPONENT,
  LABEL_REVISION_HASH,
  type ControllerRevision,
  type JsonObject,
  type RolloutReferences,
} from './types.js';

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What a ControllerRevision stores of a workload: every top-level field but `status`, and of its
 * metadata only labels and annotations. The name is left out on purpose: the Rollout names the
 * workload it creates from a revision.
 */
export function revisionData(workload: JsonObject): JsonObject {
  const data: JsonObject = {};
  for (const [key, value] of Object.entries(workload)) {
    if (key === 'status' || key === 'metadata') continue;
    data[key] = structuredClone(value);
  }
  const metadata = isPlainObject(workload['metadata']) ? workload['metadata'] : {};
  const kept: JsonObject = {};
  if (isPlainObject(metadata['labels'])) kept['labels'] = structuredClone(metadata['labels']);
  if (isPlainObject(metadata['annotations'])) kept['annotations'] = structuredClone(metadata['annotations']);
  data['metadata'] = kept;
  return data;
}

/** The hash that identifies a revision: of its data, so equal specs share a revision. */
export function revisionHash(data: JsonObject): string {
  return contentHash(data);
}

export function isOwnedBy(obj: KubeObject, uid: string | undefined): boolean {
  return uid !== undefined && (obj.metadata?.ownerReferences ?? []).some((ref) => ref.uid === uid);
}

/** The N of `<component>-v<N>`, else undefined. */
export function revisionNumberFromName(name: string, component: string): number | undefined {
  const prefix = `${component}-v`;
  if (!name.startsWith(prefix)) return undefined;
  const digits = name.slice(prefix.length);
  return /^[1-9]\d*$/.test(digits) ? Number(digits) : undefined;
}

function numberOf(revision: ControllerRevision, component: string): number {
  return Math.max(revision.revision ?? 0, revisionNumberFromName(revision.metadata.name, component) ?? 0);
}

export interface RevisionDecision {
  name: string;
  /** The ControllerRevision's `revision`. */
  number: number;
  hash: string;
  /** The existing revision reused, when there is one. */
  existing?: ControllerRevision;
}

export interface ChooseRevisionInput {
  component: string;
  externalRevision?: string;
  hash: string;
  appUid: string | undefined;
  /** The ControllerRevisions known in the Application's namespace (any component, any owner). */
  revisions: readonly ControllerRevision[];
}

/**
 * The revision a rendered component belongs to.
 * - externalRevision: that name; reused when it exists with the same hash; an error when it exists
 *   with another hash, for another component or owned by another Application.
 * - otherwise the newest revision of this component (owned by this Application) with the same
 *   hash, else `<component>-v<N+1>` where N is the highest revision number of the component.
 * New revisions get number N+1 as well, so `revision` counts up across both naming schemes.
 */
export function chooseRevision(input: ChooseRevisionInput): RevisionDecision {
  const { component, hash } = input;
  const ofComponent = input.revisions.filter(
    (r) => r.metadata.labels?.[LABEL_REVISION_COMPONENT] === component,
  );
  const highest = ofComponent.reduce((max, r) => Math.max(max, numberOf(r, component)), 0);
  const taken = new Set(input.revisions.map((r) => r.metadata.name));

  if (input.externalRevision) {
    const name = input.externalRevision;
    const existing = input.revisions.find((r) => r.metadata.name === name);
    if (!existing) return { name, number: highest + 1, hash };
    const labels = existing.metadata.labels ?? {};
    if (!isOwnedBy(existing, input.appUid)) {
      throw new ApplicationError(
        'RevisionConflict',
        `${scope(component)}: externalRevision "${name}" names a ControllerRevision of another owner`,
      );
    }
    if (labels[LABEL_REVISION_COMPONENT] !== component) {
      throw new ApplicationError(
        'RevisionConflict',
        `${scope(component)}: externalRevision "${name}" names a revision of component "${labels[LABEL_REVISION_COMPONENT] ?? ''}"`,
      );
    }
    if (labels[LABEL_REVISION_HASH] !== hash) {
      throw new ApplicationError(
        'RevisionConflict',
        `${scope(component)}: externalRevision "${name}" already exists with a different spec ` +
          `(hash ${labels[LABEL_REVISION_HASH] ?? 'none'}, this spec ${hash}); ` +
          `name a new revision or restore the spec of "${name}"`,
      );
    }
    return { name, number: existing.revision ?? numberOf(existing, component), hash, existing };
  }

  const reusable = ofComponent
    .filter((r) => r.metadata.labels?.[LABEL_REVISION_HASH] === hash && isOwnedBy(r, input.appUid))
    .sort((a, b) => numberOf(b, component) - numberOf(a, component))[0];
  if (reusable) {
    return {
      name: reusable.metadata.name,
      number: reusable.revision ?? numberOf(reusable, component),
      hash,
      existing: reusable,
    };
  }
  let next = highest + 1;
  while (taken.has(`${component}-v${next}`)) next++;
  return { name: `${component}-v${next}`, number: next, hash };
}

/** Revision names a Rollout or a workload still points at; those are never collected. */
export function referencedRevisions(
  rollouts: readonly RolloutReferences[],
  workloads: readonly KubeObject[],
): Set<string> {
  const names = new Set<string>();
  const add = (name: string | undefined): void => {
    if (name) names.add(name);
  };
  for (const r of rollouts) {
    add(r.spec?.targetRevisionName);
    add(r.spec?.sourceRevisionName);
    add(r.status?.lastTargetRevision);
    add(r.status?.LastSourceRevision);
  }
  for (const w of workloads) add(w.metadata?.labels?.['app.oam.dev/revision']);
  return names;
}

export interface CollectRevisionsInput {
  /** Components the Application has now. */
  components: readonly string[];
  /** ControllerRevisions owned by the Application (any component). */
  owned: readonly ControllerRevision[];
  limit: number;
  /** Names that must stay (the current revisions, and what Rollouts and workloads reference). */
  keep: ReadonlySet<string>;
}

/**
 * Revisions to delete: every revision of a component the Application no longer has, and per
 * remaining component the oldest revisions beyond `limit` that nothing references (skipping a
 * referenced one and taking the next oldest instead).
 */
export function revisionsToCollect(input: CollectRevisionsInput): string[] {
  const current = new Set(input.components);
  const byComponent = new Map<string, ControllerRevision[]>();
  const collect: string[] = [];
  for (const r of input.owned) {
    const component = r.metadata.labels?.[LABEL_REVISION_COMPONENT] ?? r.metadata.labels?.[LABEL_COMPONENT];
    if (component === undefined) continue;
    if (!current.has(component)) {
      collect.push(r.metadata.name);
      continue;
    }
    const list = byComponent.get(component) ?? [];
    list.push(r);
    byComponent.set(component, list);
  }
  const limit = Math.max(1, input.limit);
  for (const [component, list] of byComponent) {
    let excess = list.length - limit;
    if (excess <= 0) continue;
    const oldestFirst = [...list].sort(
      (a, b) =>
        numberOf(a, component) - numberOf(b, component) || a.metadata.name.localeCompare(b.metadata.name),
    );
    for (const r of oldestFirst) {
      if (excess <= 0) break;
      if (input.keep.has(r.metadata.name)) continue;
      collect.push(r.metadata.name);
      excess--;
    }
  }
  return collect.sort();
}
