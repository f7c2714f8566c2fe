// What `addon enable` decides before it writes: which existing definitions of the addon's names
// are not the addon's (KubeVela's ownership rule, and the refusal naming each), that --help
// documents --override-definitions, and that the repository root is the same from the sources
// and from a build (dist/), so `--install` finds definitions/.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { withoutFirstRetries } from '../../../cli/addon-bootstrap.js';
import { main } from '../../../cli/main.js';
import { bufferOutput, cliLogger } from '../../../cli/output.js';
import { conflictRefusal, definitionConflicts } from '../../../cli/addon-usage.js';
import { repoRoot as cliRepoRoot } from '../../../cli/kube.js';
import { repoRoot } from '../../../controllers/repo-root.js';

const owner = (name: string, kind = 'Application') => ({ kind, name, controller: true });

describe('definitionConflicts', () => {
  test('the addon’s own definitions are no conflict; unowned, other addons’ and other owners’ are', () => {
    const conflicts = definitionConflicts(
      [
        {
          kind: 'TraitDefinition',
          metadata: { name: 'rollout', ownerReferences: [owner('addon-rollscale')] },
        },
        { kind: 'ComponentDefinition', metadata: { name: 'webservice' } },
        { kind: 'TraitDefinition', metadata: { name: 'scaler', ownerReferences: [owner('addon-kruise')] } },
        {
          kind: 'ComponentDefinition',
          metadata: { name: 'worker', ownerReferences: [owner('team', 'ConfigMap')] },
        },
      ],
      'addon-rollscale',
    );
    expect(conflicts).toEqual([
      { kind: 'ComponentDefinition', name: 'webservice' },
      { kind: 'ComponentDefinition', name: 'worker', owner: 'ConfigMap team' },
      { kind: 'TraitDefinition', name: 'scaler', owner: 'addon kruise' },
    ]);
    // An Application of the same name in another role (not the controller) does not make it ours.
    expect(
      definitionConflicts(
        [
          {
            kind: 'TraitDefinition',
            metadata: {
              name: 'rollout',
              ownerReferences: [
                { kind: 'Application', name: 'addon-rollscale' },
                { kind: 'Application', name: 'addon-other', controller: true },
              ],
            },
          },
        ],
        'addon-rollscale',
      ),
    ).toEqual([{ kind: 'TraitDefinition', name: 'rollout', owner: 'addon other' }]);
  });

  test('the refusal names every conflicting definition and the flag', () => {
    const text = conflictRefusal('rollscale', 'vela-system', [
      { kind: 'ComponentDefinition', name: 'webservice' },
      { kind: 'TraitDefinition', name: 'scaler', owner: 'addon kruise' },
    ]);
    expect(text).toContain('addon rollscale brings definitions that already exist in vela-system');
    expect(text).toContain('  ComponentDefinition webservice (not from any addon)\n');
    expect(text).toContain('  TraitDefinition scaler (belongs to addon kruise)\n');
    expect(text).toContain('--override-definitions');
  });
});

describe('addon enable --help', () => {
  test('documents --override-definitions and the bootstrap without KubeVela', async () => {
    const output = bufferOutput();
    expect(await main(['addon', 'enable', '--help'], output)).toBe(0);
    expect(output.stdout()).toMatch(/--override-definitions\s+replace existing definitions/);
    expect(output.stdout()).toContain('Without KubeVela');
  });
});

describe('repoRoot', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rollscale-root-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('the directory holding the project’s package.json, from sources and from dist/ alike', () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'rollscale' }));
    for (const sub of [
      'controllers',
      'cli',
      join('cli', 'predict'),
      join('dist', 'controllers'),
      join('dist', 'cli', 'predict'),
    ]) {
      mkdirSync(join(dir, sub), { recursive: true });
      expect([sub, repoRoot(join(dir, sub))]).toEqual([sub, dir]);
    }
  });

  test('another package.json on the way up is skipped', () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'rollscale' }));
    mkdirSync(join(dir, 'dist', 'controllers'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'package.json'), JSON.stringify({ name: 'something-else' }));
    expect(repoRoot(join(dir, 'dist', 'controllers'))).toBe(dir);
  });

  test('the CLI uses the same helper, and from this checkout both find it', () => {
    expect(cliRepoRoot).toBe(repoRoot);
    expect(repoRoot()).toBe(join(new URL(import.meta.url).pathname, '..', '..', '..', '..'));
  });
});

describe('the in-process reconcile’s log', () => {
  test('a failure the next retries fix is not printed; one that persists is', async () => {
    const output = bufferOutput();
    const logger = withoutFirstRetries(cliLogger(output, 'warn')).child({ controller: 'addon-application' });
    logger.error('reconcile failed', { retries: 1, error: '409 Conflict' });
    logger.error('reconcile failed', { retries: 12, error: '403 Forbidden' });
    logger.error('something else', { retries: 1 });
    await new Promise<void>((resolve) => logger.on('finish', resolve).end());
    expect(output.stderr()).not.toContain('409 Conflict');
    expect(output.stderr()).toContain(
      'error: reconcile failed controller=addon-application retries=12 error=403 Forbidden',
    );
    expect(output.stderr()).toContain('something else');
  });
});
