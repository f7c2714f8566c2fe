// services[] from live objects through the definitions' CUE status snippets.
import { createCueEngine, type CueEngine } from '../../../cuelang-wasm/index.js';
import { componentHealth, type LiveLookup } from '../../../controllers/application/health.js';
import { refKey, type ObjectRef } from '../../../controllers/application/planner.js';
import { renderComponent, type RenderedComponent } from '../../../controllers/application/render.js';
import type { ApplicationComponent } from '../../../controllers/application/types.js';
import type { KubeObject } from '../../../controllers/kit/objects.js';
import {
  NAMESPACE,
  application,
  environment,
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

function lookup(objects: KubeObject[]): LiveLookup {
  const byKey = new Map(
    objects.map((o) => [
      refKey({
        apiVersion: o.apiVersion ?? '',
        kind: o.kind ?? '',
        namespace: o.metadata?.namespace ?? NAMESPACE,
        name: o.metadata?.name ?? '',
      }),
      o,
    ]),
  );
  return (ref: ObjectRef) => byKey.get(refKey(ref));
}

const deployment = (
  name: string,
  replicas: number,
  ready: number,
  generation = 2,
  observed = 2,
): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NAMESPACE, generation },
    spec: { replicas },
    status: { observedGeneration: observed, replicas, updatedReplicas: replicas, readyReplicas: ready },
  }) as KubeObject;

const rollout = (status: Record<string, unknown> | undefined): KubeObject =>
  ({
    apiVersion: 'standard.oam.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'express-server', namespace: NAMESPACE },
    ...(status ? { status } : {}),
  }) as KubeObject;

async function render(
  component: ApplicationComponent,
  definitions = shippedDefinitions(),
): Promise<RenderedComponent> {
  return renderComponent(application([component]), component, environment(engine, { definitions }));
}

describe('componentHealth', () => {
  test('a component under rollout is as healthy as the Rollout says; the message is the trait’s', async () => {
    const app = seedApplication(0);
    const component = app.spec.components?.[0] as ApplicationComponent;
    const rendered = await renderComponent(app, component, environment(engine));
    const waiting = await componentHealth(engine, rendered, NAMESPACE, lookup([rollout(undefined)]));
    expect(waiting).toEqual({
      name: 'express-server',
      namespace: NAMESPACE,
      healthy: false,
      workloadDefinition: { apiVersion: 'apps/v1', kind: 'Deployment' },
      traits: [{ type: 'rollout', healthy: false }],
    });
    const done = await componentHealth(
      engine,
      rendered,
      NAMESPACE,
      lookup([rollout({ batchRollingState: 'batchReady', rollingState: 'rolloutSucceed' })]),
    );
    expect(done.healthy).toBe(true);
    expect(done.message).toBeUndefined();
    expect(done.traits).toEqual([{ type: 'rollout', healthy: true, message: 'rolloutSucceed' }]);
  });

  test('a webservice Deployment: Ready:n/m from customStatus, health from healthPolicy', async () => {
    const rendered = await render({
      name: 'web',
      type: 'webservice',
      properties: { image: 'nginx' },
      traits: [{ type: 'scaler', properties: { replicas: 3 } }],
    });
    const ready = await componentHealth(engine, rendered, NAMESPACE, lookup([deployment('web', 3, 3)]));
    expect(ready).toMatchObject({
      healthy: true,
      message: 'Ready:3/3',
      traits: [{ type: 'scaler', healthy: true }],
    });
    const starting = await componentHealth(engine, rendered, NAMESPACE, lookup([deployment('web', 3, 1)]));
    expect(starting).toMatchObject({ healthy: false, message: 'Ready:1/3' });
    const stale = await componentHealth(engine, rendered, NAMESPACE, lookup([deployment('web', 3, 3, 3, 2)]));
    expect(stale.healthy).toBe(false);
  });

  test('a workload that does not exist is unhealthy and says so', async () => {
    const rendered = await render({ name: 'web', type: 'worker', properties: { image: 'nginx' } });
    expect(await componentHealth(engine, rendered, NAMESPACE, lookup([]))).toMatchObject({
      healthy: false,
      message: 'Deployment web does not exist yet',
    });
  });

  test('an unhealthy trait makes the component unhealthy; a broken status snippet is reported', async () => {
    const picky = traitDefinition(
      'picky',
      'outputs: cm: {apiVersion: "v1", kind: "ConfigMap", metadata: name: "picky"}',
      {
        status: {
          healthPolicy: 'isHealth: context.outputs.cm.data.ok == "yes"',
          customStatus: 'message: "checked"',
        },
      },
    );
    const broken = traitDefinition('broken', 'outputs: {}', { status: { healthPolicy: 'isHealth: 1 +' } });
    const definitions = withTrait(withTrait(shippedDefinitions(), picky), broken);
    const rendered = await render(
      {
        name: 'web',
        type: 'worker',
        properties: { image: 'nginx' },
        traits: [{ type: 'picky' }, { type: 'broken' }],
      },
      definitions,
    );
    const configMap = (ok: string) =>
      ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'picky', namespace: NAMESPACE },
        data: { ok },
      }) as KubeObject;
    const health = await componentHealth(
      engine,
      rendered,
      NAMESPACE,
      lookup([deployment('web', 1, 1), configMap('no')]),
    );
    expect(health.healthy).toBe(false);
    expect(health.message).toBe('Ready:1/1');
    expect(health.traits?.[0]).toEqual({ type: 'picky', healthy: false, message: 'checked' });
    expect(health.traits?.[1]?.healthy).toBe(false);
    expect(health.traits?.[1]?.message).toMatch(/^health check failed: /);
    const better = await componentHealth(
      engine,
      rendered,
      NAMESPACE,
      lookup([deployment('web', 1, 1), configMap('yes')]),
    );
    expect(better.traits?.[0]).toEqual({ type: 'picky', healthy: true, message: 'checked' });
  });
});
