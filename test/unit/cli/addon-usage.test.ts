// `addon disable` refuses while Applications use the addon's definitions: which uses count, and
// the message listing them. Also the progress line `addon enable` prints while waiting and the
// `addon list` table.

import { applicationProgress, formatAddonList } from '../../../cli/addon.js';
import {
  disableRefusal,
  findDefinitionUses,
  usingApplications,
  type DefinitionRef,
} from '../../../cli/addon-usage.js';

const definitions: DefinitionRef[] = [
  { kind: 'ComponentDefinition', name: 'fixture-worker', namespace: 'vela-system' },
  { kind: 'TraitDefinition', name: 'fixture-label', namespace: 'vela-system' },
];

function app(
  namespace: string,
  name: string,
  components: Array<{ name: string; type: string; traits?: string[] }>,
) {
  return {
    metadata: { namespace, name },
    spec: {
      components: components.map((c) => ({
        name: c.name,
        type: c.type,
        traits: (c.traits ?? []).map((type) => ({ type })),
      })),
    },
  };
}

describe('findDefinitionUses', () => {
  test('component types and trait types both count; other types do not', () => {
    const uses = findDefinitionUses(
      [
        app('team-a', 'shop', [
          { name: 'web', type: 'fixture-worker' },
          { name: 'api', type: 'webservice', traits: ['scaler', 'fixture-label'] },
        ]),
        app('team-b', 'blog', [{ name: 'web', type: 'webservice', traits: ['rollout'] }]),
      ],
      definitions,
    );
    expect(uses).toEqual([
      {
        application: 'team-a/shop',
        component: 'api',
        definition: { kind: 'TraitDefinition', name: 'fixture-label' },
      },
      {
        application: 'team-a/shop',
        component: 'web',
        definition: { kind: 'ComponentDefinition', name: 'fixture-worker' },
      },
    ]);
  });

  test("a trait's name used as a component type (or the other way round) is not a use", () => {
    const uses = findDefinitionUses(
      [app('x', 'y', [{ name: 'c', type: 'fixture-label', traits: ['fixture-worker'] }])],
      definitions,
    );
    expect(uses).toEqual([]);
  });

  test("the addon's own Application is not counted", () => {
    const uses = findDefinitionUses(
      [app('vela-system', 'addon-fixture', [{ name: 'echo', type: 'fixture-worker' }])],
      definitions,
      {
        exclude: { namespace: 'vela-system', name: 'addon-fixture' },
      },
    );
    expect(uses).toEqual([]);
  });

  test('an Application whose namespace defines the same name uses its own definition', () => {
    const apps = [
      app('team-a', 'shop', [{ name: 'web', type: 'fixture-worker' }]),
      app('team-b', 'blog', [{ name: 'web', type: 'fixture-worker' }]),
    ];
    const uses = findDefinitionUses(apps, definitions, {
      shadowing: [{ kind: 'ComponentDefinition', name: 'fixture-worker', namespace: 'team-a' }],
    });
    expect(usingApplications(uses)).toEqual(['team-b/blog']);
  });
});

describe('disableRefusal', () => {
  const uses = findDefinitionUses(
    [
      app('team-b', 'blog', [{ name: 'web', type: 'fixture-worker', traits: ['fixture-label'] }]),
      app('team-a', 'shop', [{ name: 'api', type: 'webservice', traits: ['fixture-label'] }]),
    ],
    definitions,
  );

  test('lists each Application by namespace/name with what uses what, and says what to do', () => {
    expect(disableRefusal('fixture', uses, false)).toBe(
      'addon fixture is still in use: 2 Applications use its definitions:\n' +
        '  team-a/shop: api uses trait fixture-label\n' +
        '  team-b/blog: web uses component type fixture-worker, web uses trait fixture-label\n' +
        'Delete them (or change them to other types), or pass --force to disable anyway (their components then fail to render).',
    );
  });

  test('one Application reads in the singular', () => {
    const one = uses.filter((u) => u.application === 'team-a/shop');
    expect(disableRefusal('fixture', one, false)).toMatch(
      /^addon fixture is still in use: 1 Application uses its definitions:\n/,
    );
  });

  test('no uses, or --force: no refusal', () => {
    expect(disableRefusal('fixture', [], false)).toBeUndefined();
    expect(disableRefusal('fixture', uses, true)).toBeUndefined();
  });
});

describe('applicationProgress', () => {
  test('before any status, then each phase with the components it waits for', () => {
    expect(applicationProgress(undefined)).toBe('not found');
    expect(applicationProgress({ metadata: { generation: 1 } })).toBe('no status yet');
    expect(
      applicationProgress({
        metadata: { generation: 2 },
        status: {
          observedGeneration: 2,
          status: 'unhealthy',
          services: [
            {
              name: 'echo',
              healthy: false,
              message: 'Ready:0/1',
              traits: [{ type: 'rollout', healthy: false, message: 'rollingInBatches' }],
            },
            { name: 'ok', healthy: true },
          ],
          conditions: [{ type: 'Healthy', status: 'False', message: 'component "echo" unhealthy' }],
        },
      }),
    ).toBe('phase unhealthy — waiting for echo: Ready:0/1 [traits: rollout (rollingInBatches)]');
  });

  test('a failing condition shows when no component explains the phase; an old generation is marked', () => {
    expect(
      applicationProgress({
        metadata: { generation: 3 },
        status: {
          observedGeneration: 2,
          status: 'workflowFailed',
          conditions: [{ type: 'Rendered', status: 'False', message: 'ComponentDefinition "x" not found' }],
        },
      }),
    ).toBe('phase workflowFailed (previous generation) — Rendered: ComponentDefinition "x" not found');
    expect(
      applicationProgress({
        metadata: { generation: 1 },
        status: { observedGeneration: 1, status: 'running' },
      }),
    ).toBe('phase running');
  });
});

describe('formatAddonList', () => {
  test('aligned columns, description last', () => {
    expect(
      formatAddonList([
        { name: 'cli-fixture', version: '1.2.0', status: 'enabled (running)', description: '' },
        { name: 'rollscale', version: '0.1.0', status: 'disabled', description: 'Batch rollouts' },
      ]),
    ).toBe(
      'NAME          VERSION   STATUS              DESCRIPTION\n' +
        'cli-fixture   1.2.0     enabled (running)\n' +
        'rollscale     0.1.0     disabled            Batch rollouts\n',
    );
  });

  test('nothing to list says so', () => {
    expect(formatAddonList([])).toContain('No addons');
  });
});
