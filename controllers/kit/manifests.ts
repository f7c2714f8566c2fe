// Installing YAML manifests (CRDs, definitions) through the apply path: read every document,
// apply each with `ensureApplied` (no request when already up to date), and wait for CRDs to be
// served before anything that depends on them is applied.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

import { ensureApplied } from './apply.js';
import { sleep, type Clock } from './clock.js';
import type { KubeClient } from './client.js';
import { builtin } from './discovery.js';
import type { Logger } from './log.js';
import type { KubeObject } from './objects.js';

/** The objects in the `*.yaml`/`*.yml` files directly inside `dir`, files in name order. */
export function loadManifests(dir: string): KubeObject[] {
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => e.name)
    .sort();
  const objects: KubeObject[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) continue;
      const obj = value as KubeObject;
      if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) {
        throw new Error(`${file}: a document lacks apiVersion, kind or metadata.name`);
      }
      objects.push(obj);
    }
  }
  return objects;
}

export interface ApplyManifestsOptions {
  clock: Clock;
  logger: Logger;
  /** How long to wait for each CRD to become Established. Default 60 s. */
  establishTimeoutMs?: number;
}

/**
 * Applies `objects` in order. Namespaced objects without a namespace go to `default`; namespaces
 * they name are created when missing. After applying CRDs, waits until they are Established.
 */
export async function applyManifests(
  client: KubeClient,
  objects: readonly KubeObject[],
  options: ApplyManifestsOptions,
): Promise<void> {
  const ensuredNamespaces = new Set<string>();
  const crds: string[] = [];
  for (const manifest of objects) {
    const resource = await client.mapper.resourceForObject(manifest);
    let obj = manifest;
    if (resource.namespaced) {
      const namespace = manifest.metadata?.namespace ?? 'default';
      obj = { ...manifest, metadata: { ...manifest.metadata, namespace } };
      if (!ensuredNamespaces.has(namespace)) {
        const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } };
        await ensureApplied(client, ns, await client.tryGet(builtin.Namespace, namespace));
        ensuredNamespaces.add(namespace);
      }
    }
    const name = obj.metadata?.name as string;
    const live = await client.tryGet(resource, name, obj.metadata?.namespace);
    const { applied } = await ensureApplied(client, obj, live);
    options.logger.info(applied ? 'applied' : 'up to date', {
      kind: obj.kind,
      name,
      namespace: obj.metadata?.namespace,
    });
    if (resource.kind === 'CustomResourceDefinition' && resource.group === 'apiextensions.k8s.io')
      crds.push(name);
  }
  for (const name of crds) await waitForEstablished(client, name, options);
}

interface CrdStatus {
  status?: { conditions?: Array<{ type: string; status: string }> };
}

async function waitForEstablished(client: KubeClient, name: string, options: ApplyManifestsOptions) {
  const deadline = options.clock.now().getTime() + (options.establishTimeoutMs ?? 60_000);
  for (;;) {
    const crd = await client.get<KubeObject & CrdStatus>(builtin.CustomResourceDefinition, name);
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (options.clock.now().getTime() >= deadline) throw new Error(`CRD ${name} did not become Established`);
    await sleep(options.clock, 250);
  }
}
