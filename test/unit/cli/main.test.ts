// The CLI entry without a cluster: exit codes and messages of usage errors, help, version; the
// status target syntax; how views are printed on terminals and elsewhere.

import { FakeClock } from '../../../controllers/kit/clock.js';
import { main } from '../../../cli/main.js';
import { bufferOutput } from '../../../cli/output.js';
import { parseStatusTarget, viewPrinter } from '../../../cli/status.js';
import type { StatusView } from '../../../cli/status-view.js';

describe('main', () => {
  test('--help prints the overview on stdout and exits 0', async () => {
    const output = bufferOutput();
    expect(await main(['--help'], output)).toBe(0);
    expect(output.stdout()).toContain('usage: rollscale <command>');
    expect(output.stderr()).toBe('');
  });

  test('every command answers --help with its own usage, without touching a cluster', async () => {
    for (const argv of [
      ['addon', 'enable'],
      ['addon', 'disable'],
      ['addon', 'list'],
      ['status'],
      ['install'],
    ]) {
      const output = bufferOutput();
      expect(await main([...argv, '--help'], output)).toBe(0);
      expect(output.stdout()).toContain(`usage: rollscale ${argv.join(' ')}`);
    }
  });

  test('a usage error goes to stderr with exit code 2', async () => {
    const output = bufferOutput();
    expect(await main(['status', 'app', '--follow'], output)).toBe(2);
    expect(output.stderr()).toBe(
      'rollscale: unknown option --follow for `rollscale status`; see `rollscale status --help`\n',
    );
    expect(output.stdout()).toBe('');
  });

  test('a malformed status target is a usage error naming the accepted forms', async () => {
    const output = bufferOutput();
    expect(await main(['status', 'deploy/x'], output)).toBe(2);
    expect(output.stderr()).toContain(
      'status shows an Application (<name>), a Rollout (rollout/<name>) or an IHPA (ihpa/<name>)',
    );
  });

  test('a malformed duration is a usage error', async () => {
    const output = bufferOutput();
    expect(await main(['addon', 'disable', 'x', '--timeout', 'soon'], output)).toBe(2);
    expect(output.stderr()).toContain('--timeout expects a duration such as 90s, 5m or 1m30s');
  });

  test('--version prints the package version', async () => {
    const output = bufferOutput();
    expect(await main(['--version'], output)).toBe(0);
    expect(output.stdout()).toMatch(/^rollscale \d+\.\d+\.\d+\n$/);
  });
});

describe('parseStatusTarget', () => {
  test.each([
    ['rollout-trait-test', { kind: 'application', name: 'rollout-trait-test' }],
    ['app/x', { kind: 'application', name: 'x' }],
    ['rollout/express-server', { kind: 'rollout', name: 'express-server' }],
    ['Rollouts/express-server', { kind: 'rollout', name: 'express-server' }],
    ['ihpa/gray-strategy-sample', { kind: 'ihpa', name: 'gray-strategy-sample' }],
    ['intelligenthorizontalpodautoscaler/g', { kind: 'ihpa', name: 'g' }],
  ])('%s', (text, target) => {
    expect(parseStatusTarget(text)).toEqual(target);
  });

  test('an empty name after the slash is refused', () => {
    expect(() => parseStatusTarget('rollout/')).toThrow('the name after the / is missing');
  });
});

describe('viewPrinter', () => {
  const view = (phase: string): StatusView => ({
    title: 'Application a',
    namespace: 'ns',
    phase,
    current: true,
    components: [],
  });

  test('elsewhere than a terminal: each changed view appended with a time stamp, repeats skipped', () => {
    const output = bufferOutput(false);
    const clock = new FakeClock(Date.UTC(2024, 0, 1, 12, 0, 5));
    const printer = viewPrinter(output, clock);
    printer.draw(view('rendering'));
    printer.draw(view('rendering'));
    clock.advance(2000);
    printer.draw(view('running'));
    expect(output.stdout()).toBe(
      '[12:00:05]\nApplication a  (namespace ns)  phase: rendering\n' +
        '\n[12:00:07]\nApplication a  (namespace ns)  phase: running\n',
    );
  });

  test('on a terminal: each frame erases the previous one (cursor up over its lines)', () => {
    const output = bufferOutput(true);
    const printer = viewPrinter(output, new FakeClock());
    printer.draw(view('rendering'));
    printer.draw(view('running'));
    const frames = output.stdout().split('\u001b[1A\r\u001b[J');
    expect(frames).toHaveLength(2);
    expect(frames[0]).toContain('rendering');
    expect(frames[1]).toContain('running');
    expect(printer.last()?.phase).toBe('running');
  });
});
