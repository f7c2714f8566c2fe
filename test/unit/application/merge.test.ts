// Trait patches merged into the workload: objects merge, lists with a patchKey merge item by
// key, other lists and scalars are replaced, null removes, patchStrategy overrides.
import { strategicMerge } from '../../../controllers/application/merge.js';

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  spec: {
    replicas: 1,
    template: {
      spec: {
        containers: [
          { name: 'web', image: 'nginx', env: [{ name: 'A', value: '1' }] },
          { name: 'sidecar', image: 'envoy' },
        ],
      },
    },
  },
});

describe('strategicMerge', () => {
  test('replaces scalars and merges objects, keeping what the patch does not mention', () => {
    const merged = strategicMerge(deployment(), { spec: { replicas: 3, paused: true } }) as ReturnType<
      typeof deployment
    > & { spec: { paused: boolean } };
    expect(merged.spec.replicas).toBe(3);
    expect(merged.spec.paused).toBe(true);
    expect(merged.spec.template.spec.containers).toHaveLength(2);
    expect(merged.kind).toBe('Deployment');
  });

  test('merges list items by their patchKey instead of replacing the list', () => {
    const merged = strategicMerge(
      deployment(),
      {
        spec: {
          template: {
            spec: {
              containers: [
                { name: 'web', image: 'nginx:2' },
                { name: 'log', image: 'fluent' },
              ],
            },
          },
        },
      },
      { patchKeys: { 'spec.template.spec.containers': 'name' } },
    ) as ReturnType<typeof deployment>;
    expect(merged.spec.template.spec.containers).toEqual([
      { name: 'web', image: 'nginx:2', env: [{ name: 'A', value: '1' }] },
      { name: 'sidecar', image: 'envoy' },
      { name: 'log', image: 'fluent' },
    ]);
  });

  test('merges nested keyed lists using the item path with []', () => {
    const merged = strategicMerge(
      deployment(),
      {
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: 'web',
                  env: [
                    { name: 'B', value: '2' },
                    { name: 'A', value: 'x' },
                  ],
                },
              ],
            },
          },
        },
      },
      {
        patchKeys: {
          'spec.template.spec.containers': 'name',
          'spec.template.spec.containers[].env': 'name',
        },
      },
    ) as ReturnType<typeof deployment>;
    expect(merged.spec.template.spec.containers[0]?.env).toEqual([
      { name: 'A', value: 'x' },
      { name: 'B', value: '2' },
    ]);
  });

  test('replaces a list that has no patchKey', () => {
    const merged = strategicMerge(deployment(), {
      spec: { template: { spec: { containers: [{ name: 'only', image: 'x' }] } } },
    }) as ReturnType<typeof deployment>;
    expect(merged.spec.template.spec.containers).toEqual([{ name: 'only', image: 'x' }]);
  });

  test('adding an item already present by key does not duplicate it', () => {
    const target = {
      spec: { template: { spec: { readinessGates: [{ conditionType: 'kapacitystack.io/online' }] } } },
    };
    const patch = {
      spec: { template: { spec: { readinessGates: [{ conditionType: 'kapacitystack.io/online' }] } } },
    };
    const merged = strategicMerge(target, patch, {
      patchKeys: { 'spec.template.spec.readinessGates': 'conditionType' },
    }) as typeof target;
    expect(merged.spec.template.spec.readinessGates).toHaveLength(1);
  });

  test('creates a keyed list the target does not have yet', () => {
    const merged = strategicMerge(
      { spec: {} },
      { spec: { gates: [{ conditionType: 'x' }] } },
      { patchKeys: { 'spec.gates': 'conditionType' } },
    );
    expect(merged).toEqual({ spec: { gates: [{ conditionType: 'x' }] } });
  });

  test('null removes a key', () => {
    const merged = strategicMerge({ spec: { replicas: 2, paused: true } }, { spec: { paused: null } });
    expect(merged).toEqual({ spec: { replicas: 2 } });
  });

  test('patchStrategy replace replaces an object whole; retainKeys drops keys the patch omits', () => {
    const target = {
      spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } }, replicas: 1 },
    };
    expect(
      strategicMerge(
        target,
        { spec: { strategy: { type: 'Recreate' } } },
        { patchStrategies: { 'spec.strategy': 'replace' } },
      ),
    ).toEqual({ spec: { strategy: { type: 'Recreate' }, replicas: 1 } });
    expect(
      strategicMerge(
        target,
        { spec: { strategy: { type: 'Recreate' } } },
        { patchStrategies: { 'spec.strategy': 'retainKeys' } },
      ),
    ).toEqual({ spec: { strategy: { type: 'Recreate' }, replicas: 1 } });
    // Without a strategy the nested object merges.
    expect(strategicMerge(target, { spec: { strategy: { type: 'Recreate' } } })).toEqual({
      spec: { strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } }, replicas: 1 },
    });
  });

  test('does not modify its inputs', () => {
    const target = deployment();
    const patch = { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } };
    const before = JSON.stringify([target, patch]);
    strategicMerge(target, patch, { patchKeys: { 'spec.template.spec.containers': 'name' } });
    expect(JSON.stringify([target, patch])).toBe(before);
  });
});
