// Where the repository (or the installed package) is: the nearest directory above a module that
// holds the project's package.json. The same answer from the sources (tsx, jest), from a build
// (dist/controllers/, dist/cli/) and from the image (/app, whose package.json is the project's).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's package name: another package.json on the way up (a workspace's) is skipped. */
const PACKAGE_NAME = 'rollscale';

/**
 * The repository root: the nearest directory at or above `start` (default: this module's
 * directory) whose package.json is the project's. Falls back to the parent of `start` when there
 * is none (a copy of the code without its package.json).
 */
export function repoRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(start);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME)
          return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return resolve(start, '..');
    dir = parent;
  }
}
