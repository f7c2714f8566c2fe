// Rendering components with the shipped definitions and our CUE engine: workload naming, the
// revision hash and its reuse, context.revision, trait patches and outputs, and the error
// messages for bad input. Needs cuelang-wasm/dist/cue.wasm (`npm run build:wasm`).
import { createCueEngine, type CueEngine } from '../../../cuelang-wasm/index.js';
import { ApplicationError } from '../../../controllers/application/errors.js';
import {
  containsString,
  findDefinition,
  renderComponent,
  traitApplies,
  workloadName,
  type RenderedComponent,
} from '../../../controllers/application/render.js';
import type {
  ApplicationComponent,
  ControllerRevision,
  JsonObject,
} from '../../../controllers/application/types.js';
import {
  NAMESPACE,
  application,
  environment,
  revision,
  seedApplication,
  shippedDefinitions,
  traitDefinition,
  withTrait,
} from './fixtures.js';

let engine: CueEngine;
beforeAll(async () => {
  engine = await createCueEngine({ isolation: 'inline' });
});
afterAll(async () => {
  await engine.close();
});

const first = <T>(items: readonly T[]): T => {
  if (items[0] === undefined) throw new Error('empty');
  return items[0];
};

async function render(
  component: ApplicationComponent,
  options: Parameters<typeof environment>[1] = {},
  app = application([component]),
): Promise<RenderedComponent> {
  return renderComponent(app, component, environment(engine, options));
}

/** Renders and returns the ApplicationError it must fail with. */
async function failure(component: ApplicationComponent, options: Parameters<typeof environment>[1] = {}) {
  try {
    await render(component, options);
  } catch (error) {
    if (error instanceof ApplicationError) return error;
    throw error;
  }
  throw new Error('rendered without an error');
}

/** What desiredObjects would store for an existing revision, as the cache would show it. */
function stored(rendered: RenderedComponent): ControllerRevision {
  const r = revision(rendered.revision.name, {
    component: rendered.name,
    number: rendered.revision.number,
    hash: rendered.revision.hash,
  });
  return { ...r, data: rendered.revisionData };
}

const containers = (workload: JsonObject) =>
  (workload as { spec: { template: { spec: { containers: Array<{ image: string }> } } } }).spec.template.spec
    .containers;

describe('the seed walkthrough', () => {
  const seedComponent = (index: number) => first(seedApplication(index).spec.components ?? []);

  test('first release: revision express-server-v1, workload named after it, Rollout targets it', async () => {
    const rendered = await renderComponent(seedApplication(0), seedComponent(0), environment(engine));
    expect(rendered.revision).toMatchObject({ name: 'express-server-v1', number: 1 });
    expect(rendered.revision.existing).toBeUndefined();
    expect(rendered.managedBy?.type).toBe('rollout');
    expect(rendered.workload['metadata']).toMatchObject({ name: 'express-server-v1', namespace: NAMESPACE });
    expect(containers(rendered.workload)[0]?.image).toBe('stefanprodan/podinfo:4.0.3');
    expect(rendered.revisionData).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
    expect((rendered.revisionData['metadata'] as JsonObject)['name']).toBeUndefined();
    const rollout = rendered.traits[0]?.outputs['rollout'];
    expect(rollout).toMatchObject({
      kind: 'Rollout',
      metadata: { name: 'express-server' },
      spec: {
        targetRevisionName: 'express-server-v1',
        componentName: 'express-server',
        rolloutPlan: { targetSize: 5, rolloutBatches: [{ replicas: 2 }, { replicas: 3 }] },
      },
    });
    expect(rendered.context).toMatchObject({
      name: 'express-server',
      namespace: NAMESPACE,
      appName: 'rollout-trait-test',
      revision: 'express-server-v1',
    });
  });

  test('upgrade, partition removal, rollback and rescale: v2 once, then reused', async () => {
    const v1 = await renderComponent(seedApplication(0), seedComponent(0), environment(engine));
    const revisions = [stored(v1)];
    const v2 = await renderComponent(
      seedApplication(1),
      seedComponent(1),
      environment(engine, { revisions }),
    );
    expect(v2.revision).toMatchObject({ name: 'express-server-v2', number: 2 });
    expect(v2.revision.hash).not.toBe(v1.revision.hash);
    expect(v2.traits[0]?.outputs['rollout']).toMatchObject({
      spec: { targetRevisionName: 'express-server-v2', rolloutPlan: { batchPartition: 0 } },
    });
    revisions.push(stored(v2));
    for (const index of [2, 3, 4, 5]) {
      const again = await renderComponent(
        seedApplication(index),
        seedComponent(index),
        environment(engine, { revisions }),
      );
      expect(again.revision.name).toBe('express-server-v2');
      expect(again.revision.existing).toBeDefined();
      expect(again.revision.hash).toBe(v2.revision.hash);
    }
    const rollback = await renderComponent(
      seedApplication(3),
      seedComponent(3),
      environment(engine, { revisions }),
    );
    expect(rollback.traits[0]?.outputs['rollout']).toMatchObject({
      spec: { targetRevisionName: 'express-server-v1' },
    });
  });

  test('changing the image under the same externalRevision is a RevisionConflict', async () => {
    const v2 = await renderComponent(seedApplication(1), seedComponent(1), environment(engine));
    const changed = { ...seedComponent(2), properties: { image: 'stefanprodan/podinfo:6.0.0' } };
    const error = await failure(changed, { revisions: [stored(v2)] });
    expect(error.reason).toBe('RevisionConflict');
    expect(error.message).toMatch(
      /^component "express-server": externalRevision "express-server-v2" already exists/,
    );
  });
});

describe('naming and hashing', () => {
  const web = (
    properties: JsonObject,
    traits: ApplicationComponent['traits'] = [],
  ): ApplicationComponent => ({
    name: 'web',
    type: 'webservice',
    properties,
    traits,
  });

  test('without a managing trait the Deployment is named after the component and patched by scaler', async () => {
    const rendered = await render(
      web({ image: 'nginx', ports: [{ port: 80, expose: true }] }, [
        { type: 'scaler', properties: { replicas: 4 } },
      ]),
    );
    expect(rendered.managedBy).toBeUndefined();
    expect(rendered.workload).toMatchObject({ metadata: { name: 'web' }, spec: { replicas: 4 } });
    expect(rendered.revisionData).toMatchObject({ spec: { replicas: 4 } });
    expect(Object.keys(rendered.auxiliary)).toEqual(['webserviceExpose']);
    expect(rendered.auxiliary['webserviceExpose']).toMatchObject({
      kind: 'Service',
      metadata: { name: 'web' },
    });
  });

  test('a trait patch is part of the revision: other replicas, other hash; same spec, same hash', async () => {
    const three = await render(web({ image: 'nginx' }, [{ type: 'scaler', properties: { replicas: 3 } }]));
    const four = await render(web({ image: 'nginx' }, [{ type: 'scaler', properties: { replicas: 4 } }]));
    const threeAgain = await render(
      web({ image: 'nginx' }, [{ type: 'scaler', properties: { replicas: 3 } }]),
    );
    expect(four.revision.hash).not.toBe(three.revision.hash);
    expect(threeAgain.revision.hash).toBe(three.revision.hash);
  });

  test('a managing trait does not change the hash (its parameters are not in the workload)', async () => {
    const a = await render(web({ image: 'nginx' }, [{ type: 'rollout', properties: { targetSize: 2 } }]));
    const b = await render(web({ image: 'nginx' }, [{ type: 'rollout', properties: { targetSize: 9 } }]));
    const plain = await render(web({ image: 'nginx' }));
    expect(b.revision.hash).toBe(a.revision.hash);
    expect(plain.revision.hash).toBe(a.revision.hash);
  });

  test('context.revision in the workload (addRevisionLabel) is the real name, yet the hash does not depend on it', async () => {
    const component = web({ image: 'nginx', addRevisionLabel: true });
    const v1 = await render(component);
    const podLabels = (w: JsonObject) =>
      (w as { spec: { template: { metadata: { labels: Record<string, string> } } } }).spec.template.metadata
        .labels;
    expect(podLabels(v1.workload)['app.oam.dev/revision']).toBe('web-v1');
    expect(podLabels(v1.revisionData)['app.oam.dev/revision']).toBe('web-v1');
    // The same spec under another revision name hashes the same, so it is reused.
    const external = await render({ ...component, externalRevision: 'web-release-7' });
    expect(external.revision.hash).toBe(v1.revision.hash);
    expect(podLabels(external.workload)['app.oam.dev/revision']).toBe('web-release-7');
    const reused = await render(component, {
      revisions: [revision('web-v5', { component: 'web', number: 5, hash: v1.revision.hash })],
    });
    expect(reused.revision.name).toBe('web-v5');
    expect(podLabels(reused.workload)['app.oam.dev/revision']).toBe('web-v5');
  });

  test('ihpa under rollout: readiness gate patched into the revision, scaleTargetRef follows the revision name', async () => {
    const rendered = await render(
      web({ image: 'nginx' }, [
        { type: 'rollout', properties: { targetSize: 3 } },
        {
          type: 'ihpa',
          properties: {
            maxReplicas: 5,
            portraitProviders: [{ type: 'Static', priority: 1, static: { replicas: 2 } }],
          },
        },
      ]),
    );
    expect(rendered.revisionData).toMatchObject({
      spec: { template: { spec: { readinessGates: [{ conditionType: 'kapacitystack.io/online' }] } } },
    });
    const ihpa = rendered.traits.find((t) => t.type === 'ihpa')?.outputs['ihpa'];
    expect(ihpa).toMatchObject({
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web-v1' } },
    });
  });

  test('a CloneSet keeps the component name under rollout', async () => {
    const rendered = await render({
      name: 'cloneset-server',
      type: 'cloneset',
      externalRevision: 'cloneset-server-v1',
      properties: { image: 'stefanprodan/podinfo:4.0.3' },
      traits: [
        {
          type: 'rollout',
          properties: { targetSize: 5, rolloutBatches: [{ replicas: 2 }, { replicas: 3 }] },
        },
      ],
    });
    expect(rendered.workload).toMatchObject({ kind: 'CloneSet', metadata: { name: 'cloneset-server' } });
    expect(rendered.revision.name).toBe('cloneset-server-v1');
    expect(rendered.traits[0]?.outputs['rollout']).toMatchObject({
      spec: { targetRevisionName: 'cloneset-server-v1' },
    });
  });

  test('a patch with a patchKey merges into the existing container instead of appending', async () => {
    const envTrait = traitDefinition(
      'env',
      `patch: spec: template: spec: {
  // +patchKey=name
  containers: [{
    name: context.name
    // +patchKey=name
    env: [{name: parameter.key, value: parameter.value}]
  }]
}
parameter: {key: string, value: string}`,
    );
    const rendered = await render(
      web({ image: 'nginx', env: [{ name: 'A', value: '1' }] }, [
        { type: 'env', properties: { key: 'B', value: '2' } },
      ]),
      { definitions: withTrait(shippedDefinitions(), envTrait) },
    );
    expect(containers(rendered.workload)).toEqual([
      {
        name: 'web',
        image: 'nginx',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
      },
    ]);
  });

  test('definitions in the Application namespace win over vela-system', async () => {
    const local = traitDefinition('scaler', 'patch: spec: replicas: 42', {}, NAMESPACE);
    const rendered = await render(web({ image: 'nginx' }, [{ type: 'scaler', properties: {} }]), {
      definitions: withTrait(shippedDefinitions(), local),
    });
    expect(rendered.workload).toMatchObject({ spec: { replicas: 42 } });
  });
});

describe('bad input', () => {
  const express = (
    traits: ApplicationComponent['traits'],
    properties: JsonObject = { image: 'nginx' },
  ): ApplicationComponent => ({
    name: 'express-server',
    type: 'webservice',
    properties,
    traits,
  });

  test('unknown component type', async () => {
    const error = await failure({ name: 'express-server', type: 'webservise', properties: {} });
    expect(error.reason).toBe('DefinitionNotFound');
    expect(error.message).toBe(
      `component "express-server": ComponentDefinition "webservise" not found in namespace "${NAMESPACE}" or "vela-system"`,
    );
  });

  test('unknown trait type', async () => {
    const error = await failure(express([{ type: 'rolout' }]));
    expect(error.reason).toBe('DefinitionNotFound');
    expect(error.message).toBe(
      `component "express-server": trait "rolout": TraitDefinition "rolout" not found in namespace "${NAMESPACE}" or "vela-system"`,
    );
  });

  test('a trait property of the wrong type names component, trait, field and reason', async () => {
    const error = await failure(express([{ type: 'rollout', properties: { targetSize: 'five' } }]));
    expect(error.reason).toBe('RenderError');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(
      /^component "express-server": trait "rollout": parameter\.targetSize: conflicting values int and "five"/,
    );
  });

  test('a missing required property says so', async () => {
    const error = await failure(express([], {}));
    expect(error.message).toMatch(/^component "express-server": parameter\.image: required value missing/);
    const trait = await failure(express([{ type: 'rollout', properties: {} }]));
    expect(trait.message).toMatch(
      /^component "express-server": trait "rollout": parameter\.targetSize: required value missing/,
    );
  });

  test('a constraint the definition adds (batchPartition within the batches)', async () => {
    const error = await failure(
      express([
        {
          type: 'rollout',
          properties: { targetSize: 5, rolloutBatches: [{ replicas: 5 }], batchPartition: 2 },
        },
      ]),
    );
    expect(error.message).toMatch(
      /^component "express-server": trait "rollout": parameter\.batchPartition: invalid value 2/,
    );
  });

  test('a trait whose appliesToWorkloads excludes the workload', async () => {
    const kruiseOnly = traitDefinition('kruise-only', 'patch: {}', {
      appliesToWorkloads: ['clonesets.apps.kruise.io'],
    });
    const error = await failure(express([{ type: 'kruise-only' }]), {
      definitions: withTrait(shippedDefinitions(), kruiseOnly),
    });
    expect(error.reason).toBe('InvalidSpec');
    expect(error.message).toBe(
      'component "express-server": trait "kruise-only": does not apply to deployments.apps workloads (appliesToWorkloads: clonesets.apps.kruise.io)',
    );
  });

  test('conflicting, duplicate and doubly managing traits', async () => {
    expect(
      (await failure(express([{ type: 'scaler' }, { type: 'rollout', properties: { targetSize: 1 } }])))
        .message,
    ).toBe(
      'component "express-server": trait "scaler": conflicts with trait "rollout" (conflictsWith in its TraitDefinition)',
    );
    expect((await failure(express([{ type: 'scaler' }, { type: 'scaler' }]))).message).toBe(
      'component "express-server": trait "scaler": attached more than once',
    );
    const otherManager = traitDefinition('other-rollout', 'outputs: {}', { manageWorkload: true });
    const error = await failure(
      express([{ type: 'rollout', properties: { targetSize: 1 } }, { type: 'other-rollout' }]),
      {
        definitions: withTrait(shippedDefinitions(), otherManager),
      },
    );
    expect(error.message).toBe(
      'component "express-server": traits "rollout" and "other-rollout" both manage the workload; attach at most one',
    );
  });

  test('a definition without a CUE template, and a template without output', async () => {
    const noTemplate = { ...traitDefinition('helm-thing', ''), spec: { schematic: { helm: {} } } };
    expect(
      (
        await failure(express([{ type: 'helm-thing' }]), {
          definitions: withTrait(shippedDefinitions(), noTemplate),
        })
      ).reason,
    ).toBe('InvalidDefinition');
    const definitions = shippedDefinitions();
    definitions.components.set('vela-system/empty', {
      metadata: { name: 'empty', namespace: 'vela-system' },
      spec: { schematic: { cue: { template: 'outputs: {}' } } },
    });
    const error = await failure({ name: 'x', type: 'empty' }, { definitions });
    expect(error.message).toBe('component "x": ComponentDefinition "empty" renders no output (the workload)');
  });
});

describe('helpers', () => {
  test('findDefinition prefers the Application namespace', () => {
    const defs = new Map([
      ['vela-system/a', 'system'],
      ['ns/a', 'local'],
      ['vela-system/b', 'system-b'],
    ]);
    const lookup = (ns: string, name: string) => defs.get(`${ns}/${name}`);
    expect(findDefinition(lookup, 'ns', 'a')).toBe('local');
    expect(findDefinition(lookup, 'ns', 'b')).toBe('system-b');
    expect(findDefinition(lookup, 'ns', 'c')).toBeUndefined();
  });

  test('traitApplies', () => {
    const workload = { workloadType: 'deployments.apps', componentType: 'webservice' };
    expect(traitApplies(undefined, workload)).toBe(true);
    expect(traitApplies([], workload)).toBe(true);
    expect(traitApplies(['*'], workload)).toBe(true);
    expect(traitApplies(['deployments.apps'], workload)).toBe(true);
    expect(traitApplies(['webservice'], workload)).toBe(true);
    expect(traitApplies(['clonesets.apps.kruise.io', 'worker'], workload)).toBe(false);
  });

  test('workloadName: only a managed apps/v1 Deployment takes the revision name', () => {
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment' };
    expect(workloadName('web', 'web-v3', deployment, true)).toBe('web-v3');
    expect(workloadName('web', 'web-v3', deployment, false)).toBe('web');
    expect(workloadName('web', 'web-v3', { apiVersion: 'apps/v1', kind: 'StatefulSet' }, true)).toBe('web');
    expect(
      workloadName('web', 'web-v3', { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet' }, true),
    ).toBe('web');
  });

  test('workloadName: an unmanaged workload keeps the name its template gives it', () => {
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'reader' },
    };
    expect(workloadName('objects', 'objects-v1', role, false)).toBe('reader');
    expect(workloadName('objects', 'objects-v1', { ...role, metadata: {} }, false)).toBe('objects');
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } };
    expect(workloadName('web', 'web-v3', deployment, true)).toBe('web-v3');
  });

  test('containsString looks into nested strings', () => {
    expect(containsString({ a: [{ b: 'x-web-v0-y' }] }, 'web-v0')).toBe(true);
    expect(containsString({ a: [1, true, null, 'web-v1'] }, 'web-v0')).toBe(false);
  });
});
