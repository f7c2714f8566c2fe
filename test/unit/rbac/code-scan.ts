// Reads controllers/**/*.ts as text to find which API resources each registered controller
// touches, so the RBAC table in rbac.test.ts cannot drift from the code:
//
// - the files of a controller: its registration module (as controllers/registry.ts imports it)
//   and every module reachable from it through value imports, leaving out controllers/kit/ (the
//   shared runtime, whose few API calls — Events, the leader lease — the test lists itself);
// - resource descriptors: the kit's `builtin` table, `ihpaResources`, and every named descriptor
//   constant (`const x: ResourceDescriptor = { resource: '...' }` or `crd(group, version, resource, kind)`);
// - references: `builtin.X`, `ihpaResources.X` and named constants used in a controller's files;
// - verb hints: the call shapes whose verb is unambiguous (informer → list/watch, client.delete,
//   client.patch, tryGet, status and scale subresource writes, owner references that block
//   deletion, Event recorders).

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const REPO_ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..', '..', '..');
const CONTROLLERS = join(REPO_ROOT, 'controllers');

/**
 * Source text without comments (so a descriptor named in a comment is no reference). A small
 * scanner: string and template literals are kept as they are, so `'https://…'` or a `//` inside
 * a string is not taken for a comment, nor `/*` inside a line comment for a block comment.
 */
export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      out += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function read(file: string): string {
  return readFileSync(file, 'utf8');
}

/** Registered controller name → absolute path of the module its register function comes from. */
export function registrations(): Map<string, string> {
  const registry = read(join(CONTROLLERS, 'registry.ts'));
  const importOf = new Map<string, string>();
  for (const m of registry.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(\.[^']+)\.js'/g)) {
    for (const name of (m[1] ?? '').split(',').map((s) => s.trim())) {
      if (name) importOf.set(name, join(CONTROLLERS, `${m[2]}.ts`));
    }
  }
  const result = new Map<string, string>();
  for (const m of registry.matchAll(/\{\s*name:\s*'([^']+)',\s*register:\s*(\w+)\s*\}/g)) {
    const file = importOf.get(m[2] ?? '');
    if (!file) throw new Error(`registry.ts: no import for ${m[2]}`);
    result.set(m[1] ?? '', file);
  }
  return result;
}

/** Modules reachable from `entry` through value imports, without controllers/kit/ and tests. */
export function reachableFiles(entry: string): string[] {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = read(file);
    for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s*'(\.[^']+)\.js'/gms)) {
      if (m[1]) continue;
      const target = resolve(dirname(file), `${m[2]}.ts`);
      const inKit = relative(CONTROLLERS, target).startsWith('kit/');
      if (!inKit && target.startsWith(CONTROLLERS) && existsSync(target)) pending.push(target);
    }
  }
  return [...seen].sort();
}

export interface Descriptor {
  group: string;
  resource: string;
}

/** resource plural → API group, from the kit's builtin table and the CRDs the code names. */
export interface DescriptorTable {
  builtin: Map<string, Descriptor>;
  ihpaResources: Map<string, Descriptor>;
  /** Named constants: identifier → descriptor. */
  named: Map<string, Descriptor>;
}

/** Groups of CRD plurals, from definitions/crds and the one kind an external project defines. */
function crdGroups(): Record<string, string> {
  const groups: Record<string, string> = {};
  const dir = join(REPO_ROOT, 'definitions', 'crds');
  for (const name of readdirSync(dir)) {
    const text = read(join(dir, name));
    const group = /^\s*group:\s*(\S+)/m.exec(text)?.[1];
    const plural = /^\s*plural:\s*(\S+)/m.exec(text)?.[1];
    if (group && plural) groups[plural] = group;
  }
  // OpenKruise's CloneSet: its CRD comes with kruise, not from this repository.
  groups['clonesets'] = 'apps.kruise.io';
  return groups;
}

/** Every non-test TypeScript file under `dir`. */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/** Every descriptor declared in controllers/. */
export function descriptorTable(): DescriptorTable {
  const groups = crdGroups();
  const builtin = new Map<string, Descriptor>();
  const discovery = read(join(CONTROLLERS, 'kit', 'discovery.ts'));
  for (const m of discovery.matchAll(/(\w+):\s*res\(\s*'([^']*)',\s*'[^']*',\s*'([^']+)'/g)) {
    builtin.set(m[1] ?? '', { group: m[2] ?? '', resource: m[3] ?? '' });
  }
  const ihpaResources = new Map<string, Descriptor>();
  const named = new Map<string, Descriptor>();
  for (const file of walk(CONTROLLERS)) {
    const text = stripComments(read(file));
    const block = /export const ihpaResources = \{([\s\S]*?)\n\}/.exec(text)?.[1];
    if (block) {
      for (const m of block.matchAll(/(\w+):\s*\{[^}]*?resource:\s*'([^']+)'/g)) {
        ihpaResources.set(m[1] ?? '', { group: groups[m[2] ?? ''] ?? '?', resource: m[2] ?? '' });
      }
    }
    for (const m of text.matchAll(/const (\w+):\s*ResourceDescriptor\s*=\s*\{[^}]*?resource:\s*'([^']+)'/g)) {
      named.set(m[1] ?? '', { group: groups[m[2] ?? ''] ?? '?', resource: m[2] ?? '' });
    }
    for (const m of text.matchAll(/const (\w+)\s*=\s*crd\(\s*'([^']*)',\s*'[^']*',\s*'([^']+)'/g)) {
      named.set(m[1] ?? '', { group: m[2] ?? '', resource: m[3] ?? '' });
    }
  }
  return { builtin, ihpaResources, named };
}

/** `group:resource` for RBAC tables (`:pods` for the core group). */
export function key(d: Descriptor): string {
  return `${d.group}:${d.resource}`;
}

/** Descriptor identifiers (as written in code) → descriptor, for the files given. */
export function references(files: readonly string[], table: DescriptorTable): Map<string, Descriptor> {
  const found = new Map<string, Descriptor>();
  for (const file of files) {
    const text = stripComments(read(file));
    for (const m of text.matchAll(/\bbuiltin\.(\w+)/g)) {
      const d = table.builtin.get(m[1] ?? '');
      if (!d) throw new Error(`${file}: builtin.${m[1]} is not in the builtin table`);
      found.set(`builtin.${m[1]}`, d);
    }
    for (const m of text.matchAll(/\bihpaResources\.(\w+)/g)) {
      const d = table.ihpaResources.get(m[1] ?? '');
      if (!d) throw new Error(`${file}: ihpaResources.${m[1]} is unknown`);
      found.set(`ihpaResources.${m[1]}`, d);
    }
    for (const [name, d] of table.named) {
      // Uses, not the declaration itself.
      const uses = [...text.matchAll(new RegExp(`\\b${name}\\b`, 'g'))].length;
      const declarations = [...text.matchAll(new RegExp(`const ${name}\\b`, 'g'))].length;
      if (uses > declarations) found.set(name, d);
    }
  }
  return found;
}

export interface VerbHint {
  /** `group:resource[/subresource]`, or a placeholder the test resolves (`<target>/scale`). */
  resource: string;
  verb: string;
  file: string;
}

/** The verbs the code's call shapes imply. `identifiers` resolves descriptor expressions. */
export function verbHints(files: readonly string[], identifiers: Map<string, Descriptor>): VerbHint[] {
  const hints: VerbHint[] = [];
  const resolveArg = (arg: string): Descriptor | undefined => identifiers.get(arg.trim());
  for (const file of files) {
    const rel = relative(REPO_ROOT, file);
    const text = stripComments(read(file));
    for (const m of text.matchAll(/\.informer(?:<[^>]*>)?\(\s*([\w.]+)/g)) {
      const d = resolveArg(m[1] ?? '');
      const resource = d ? key(d) : `<${m[1]}>`;
      for (const verb of ['list', 'watch']) hints.push({ resource, verb, file: rel });
    }
    for (const m of text.matchAll(
      /client\.(delete|patch|tryGet|get|create|update|list)(?:<[^>]*>)?\(\s*([\w.]+)/g,
    )) {
      const verb = m[1] === 'tryGet' ? 'get' : (m[1] as string);
      const d = resolveArg(m[2] ?? '');
      // A patch of a pod's status subresource is a different grant: told apart below.
      if (d && !(verb === 'patch' && /subresource:\s*'status'/.test(statementAt(text, m.index ?? 0)))) {
        hints.push({ resource: key(d), verb, file: rel });
      } else if (d) {
        hints.push({ resource: `${key(d)}/status`, verb, file: rel });
      } else {
        hints.push({ resource: `<${m[2]}>`, verb, file: rel });
      }
    }
    if (/\bensureStatusApplied\b|\bapplyStatus\b/.test(text))
      hints.push({ resource: '<own>/status', verb: 'patch', file: rel });
    if (/\bgetScale\(/.test(text)) hints.push({ resource: '<target>/scale', verb: 'get', file: rel });
    if (/\bpatchScale\(/.test(text)) hints.push({ resource: '<target>/scale', verb: 'patch', file: rel });
    if (/blockOwnerDeletion:\s*true/.test(text))
      hints.push({ resource: '<own>/finalizers', verb: 'update', file: rel });
    if (/\beventRecorder\(/.test(text)) {
      for (const verb of ['create', 'patch']) hints.push({ resource: ':events', verb, file: rel });
    }
    for (const m of text.matchAll(
      /'\/apis\/(metrics\.k8s\.io|custom\.metrics\.k8s\.io|external\.metrics\.k8s\.io)\//g,
    )) {
      hints.push({ resource: `${m[1]}:<metrics>`, verb: 'get', file: rel });
    }
  }
  return hints;
}

/** The text from `index` to the end of its statement (the call's closing `);`). */
function statementAt(text: string, index: number): string {
  const end = text.indexOf(');', index);
  return text.slice(index, end < 0 ? undefined : end);
}
