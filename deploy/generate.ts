// Keeps the generated deployment files in step with their one source each:
//
//   addons/rollscale/definitions/*.yaml     copies of definitions/generated/*.yaml
//   addons/rollscale/resources/crd-*.yaml   copies of definitions/crds/*.yaml (all but core.oam.dev)
//   deploy/crds.yaml                        every CRD, for clusters without KubeVela
//   deploy/rollscale.yaml                   the addon rendered with applicationController=true
//
// `npx tsx deploy/generate.ts` writes them; `--check` only reports what is out of date (exit 1).

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { createCueEngine } from '../cuelang-wasm/index.js';
import {
  ADDON_DIR,
  BUNDLE_FILE,
  CRDS_BUNDLE_FILE,
  REPO_ROOT,
  addonCopies,
  filesIn,
  renderBundle,
  renderCrdsBundle,
} from './addon.js';

export interface GeneratedFile {
  /** Relative to the repository root. */
  path: string;
  content: string;
}

/** Every generated file with the content it must have. */
export async function generatedFiles(root: string = REPO_ROOT): Promise<GeneratedFile[]> {
  const files: GeneratedFile[] = addonCopies(root).map((copy) => ({
    path: copy.target,
    content: readFileSync(join(root, copy.source), 'utf8'),
  }));
  files.push({ path: CRDS_BUNDLE_FILE, content: renderCrdsBundle(root) });
  const engine = await createCueEngine({ isolation: 'inline', cacheSize: 0 });
  try {
    files.push({
      path: BUNDLE_FILE,
      content: await renderBundle(engine, join(root, 'addons', 'rollscale'), root),
    });
  } finally {
    await engine.close();
  }
  return files;
}

/** Copies left over from sources that no longer exist. */
export function staleCopies(root: string = REPO_ROOT): string[] {
  const wanted = new Set(addonCopies(root).map((c) => c.target));
  const addon = join('addons', 'rollscale');
  const present = [
    ...filesIn(join(root, addon, 'definitions'), '.yaml').map((f) => join(addon, 'definitions', f)),
    ...filesIn(join(root, addon, 'resources'), '.yaml')
      .filter((f) => f.startsWith('crd-'))
      .map((f) => join(addon, 'resources', f)),
  ];
  return present.filter((p) => !wanted.has(p));
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const files = await generatedFiles();
  const stale = staleCopies();
  const outdated = files.filter(
    (f) =>
      !existsSync(join(REPO_ROOT, f.path)) || readFileSync(join(REPO_ROOT, f.path), 'utf8') !== f.content,
  );
  if (check) {
    for (const f of outdated) console.error(`out of date: ${f.path}`);
    for (const s of stale) console.error(`stale: ${s}`);
    if (outdated.length + stale.length > 0) {
      console.error('run `npx tsx deploy/generate.ts`');
      return 1;
    }
    console.log(`deploy: ${files.length} generated files up to date`);
    return 0;
  }
  for (const f of outdated) {
    mkdirSync(dirname(join(REPO_ROOT, f.path)), { recursive: true });
    writeFileSync(join(REPO_ROOT, f.path), f.content);
    console.log(`wrote ${f.path}`);
  }
  for (const s of stale) {
    rmSync(join(REPO_ROOT, s));
    console.log(`removed ${s}`);
  }
  console.log(`deploy: ${files.length} generated files, addon in ${ADDON_DIR}`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
