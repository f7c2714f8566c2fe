// Reading a KubeVela addon directory into memory (KubeVela ≥ 1.4 layout; the 1.5 `template.cue`
// and top-level `parameter.cue` forms too):
//
//   metadata.yaml        name, version, description, dependencies[], system, needNamespace[], ...
//   template.yaml        an Application skeleton (or template.cue: the whole CUE package)
//   parameter.cue        parameters with defaults (or resources/parameter.cue)
//   resources/*.cue      `output:` → one component each; *.yaml → one k8s-objects component
//   definitions/*.yaml   ComponentDefinitions, TraitDefinitions, ...
//
// Only reading and shape checks happen here; rendering is addon-render.ts.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

import type { KubeObject } from '../controllers/kit/objects.js';

export class AddonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddonError';
  }
}

export interface AddonDependency {
  name: string;
  version?: string;
}

export interface AddonMetadata {
  name: string;
  version: string;
  description?: string;
  icon?: string;
  url?: string;
  tags?: string[];
  dependencies?: AddonDependency[];
  system?: { vela?: string; kubernetes?: string };
  needNamespace?: string[];
  invisible?: boolean;
}

export interface AddonFile {
  /** Path relative to the addon directory, e.g. `resources/echo.cue`. */
  path: string;
  content: string;
}

export interface AddonPackage {
  dir: string;
  metadata: AddonMetadata;
  /** template.yaml, parsed. */
  template?: KubeObject & { spec?: Record<string, unknown> };
  /** template.cue: the addon is one CUE package rendered together (KubeVela 1.5 form). */
  templateCue?: AddonFile;
  /** parameter.cue (top level or under resources/). */
  parameterCue?: AddonFile;
  /** resources/*.cue other than parameter.cue, in name order. */
  cueResources: AddonFile[];
  /** Objects of resources/*.yaml, in file order. */
  yamlResources: { path: string; object: KubeObject }[];
  /** Objects of definitions/*.yaml, in file order. */
  definitions: { path: string; object: KubeObject }[];
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function read(dir: string, path: string): AddonFile | undefined {
  const full = join(dir, path);
  if (!existsSync(full)) return undefined;
  return { path, content: readFileSync(full, 'utf8') };
}

function filesIn(dir: string, sub: string, pattern: RegExp): string[] {
  const full = join(dir, sub);
  if (!existsSync(full) || !statSync(full).isDirectory()) return [];
  return readdirSync(full, { withFileTypes: true })
    .filter((entry) => entry.isFile() && pattern.test(entry.name))
    .map((entry) => join(sub, entry.name))
    .sort();
}

function yamlObjects(dir: string, path: string): { path: string; object: KubeObject }[] {
  const objects: { path: string; object: KubeObject }[] = [];
  for (const doc of parseAllDocuments(readFileSync(join(dir, path), 'utf8'))) {
    if (doc.errors.length > 0) throw new AddonError(`${path}: invalid YAML: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const object = value as KubeObject;
    if (typeof value !== 'object' || !object.apiVersion || !object.kind || !object.metadata?.name) {
      throw new AddonError(`${path}: every document needs apiVersion, kind and metadata.name`);
    }
    objects.push({ path, object });
  }
  return objects;
}

export function validateMetadata(value: unknown, where: string): AddonMetadata {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AddonError(`${where}: expected a mapping with at least name and version`);
  }
  const meta = value as Record<string, unknown>;
  const name = meta['name'];
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new AddonError(
      `${where}: name ${JSON.stringify(name)} must be a lowercase DNS label (letters, digits, '-'), e.g. name: rollscale`,
    );
  }
  const version = meta['version'];
  if ((typeof version !== 'string' && typeof version !== 'number') || String(version) === '') {
    throw new AddonError(`${where}: version is missing; add e.g. version: 1.0.0`);
  }
  const deps = meta['dependencies'];
  if (deps !== undefined && deps !== null) {
    if (!Array.isArray(deps) || deps.some((d) => typeof (d as { name?: unknown })?.name !== 'string')) {
      throw new AddonError(`${where}: dependencies must be a list of {name, version?}`);
    }
  }
  const needNamespace = meta['needNamespace'];
  if (needNamespace !== undefined && needNamespace !== null) {
    if (!Array.isArray(needNamespace) || needNamespace.some((n) => typeof n !== 'string' || !NAME.test(n))) {
      throw new AddonError(`${where}: needNamespace must be a list of namespace names`);
    }
  }
  return { ...(meta as unknown as AddonMetadata), name, version: String(version) };
}

/** Reads and checks the addon at `dir`. Throws AddonError naming the file and what to fix. */
export function readAddonPackage(dir: string): AddonPackage {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new AddonError(`${dir} is not a directory`);
  }
  const metadataFile = read(dir, 'metadata.yaml');
  if (!metadataFile) {
    throw new AddonError(
      `${join(dir, 'metadata.yaml')} is missing: an addon directory needs metadata.yaml with name and version`,
    );
  }
  let metadataValue: unknown;
  try {
    metadataValue = parse(metadataFile.content);
  } catch (error) {
    throw new AddonError(`metadata.yaml: invalid YAML: ${(error as Error).message}`);
  }
  const metadata = validateMetadata(metadataValue, 'metadata.yaml');

  const templateYaml = read(dir, 'template.yaml');
  const templateCue = read(dir, 'template.cue');
  if (templateYaml && templateCue) {
    throw new AddonError(`${dir} has both template.yaml and template.cue: keep one`);
  }
  let template: AddonPackage['template'];
  if (templateYaml) {
    let value: unknown;
    try {
      value = parse(templateYaml.content);
    } catch (error) {
      throw new AddonError(`template.yaml: invalid YAML: ${(error as Error).message}`);
    }
    if (value !== null && value !== undefined) {
      const object = value as KubeObject & { spec?: Record<string, unknown> };
      if (object.kind !== undefined && object.kind !== 'Application') {
        throw new AddonError(
          `template.yaml: kind is ${object.kind}; the template is an Application skeleton`,
        );
      }
      template = object;
    }
  }

  const topParameter = read(dir, 'parameter.cue');
  const nestedParameter = read(dir, join('resources', 'parameter.cue'));
  if (topParameter && nestedParameter) {
    throw new AddonError(`${dir} has both parameter.cue and resources/parameter.cue: keep one`);
  }
  const cueResources = filesIn(dir, 'resources', /\.cue$/)
    .filter((path) => basename(path) !== 'parameter.cue')
    .map((path) => read(dir, path) as AddonFile);
  const yamlResources = filesIn(dir, 'resources', /\.ya?ml$/).flatMap((path) => yamlObjects(dir, path));

  const cueDefinitions = filesIn(dir, 'definitions', /\.cue$/);
  if (cueDefinitions.length > 0) {
    throw new AddonError(
      `${cueDefinitions.join(', ')}: definitions in CUE form are not supported by this CLI; ` +
        `write them as YAML (vela def render <file> prints the YAML form)`,
    );
  }
  const definitions = filesIn(dir, 'definitions', /\.ya?ml$/).flatMap((path) => yamlObjects(dir, path));
  for (const { path, object } of definitions) {
    if (object.apiVersion !== 'core.oam.dev/v1beta1' || !object.kind?.endsWith('Definition')) {
      throw new AddonError(
        `${path}: ${object.kind} ${object.metadata?.name} is not a core.oam.dev/v1beta1 *Definition; ` +
          `other objects belong in resources/`,
      );
    }
  }

  return {
    dir,
    metadata,
    template,
    templateCue,
    parameterCue: topParameter ?? nestedParameter,
    cueResources,
    yamlResources,
    definitions,
  };
}

/**
 * The directory `spec` names: a path to an addon directory, or the name of an addon under
 * `<root>/addons/`. Throws AddonError listing what was tried.
 */
export function resolveAddonDir(spec: string, root: string, cwd: string = process.cwd()): string {
  const asPath = isAbsolute(spec) ? spec : resolve(cwd, spec);
  if (existsSync(join(asPath, 'metadata.yaml'))) return asPath;
  const byName = join(root, 'addons', spec);
  if (NAME.test(spec) && existsSync(join(byName, 'metadata.yaml'))) return byName;
  const shown = (p: string) => {
    const rel = relative(cwd, p);
    return rel === '' ? '.' : rel.startsWith('..') ? p : rel;
  };
  const tried = [asPath, ...(NAME.test(spec) ? [byName] : [])].map(shown);
  throw new AddonError(
    `no addon at ${tried.join(' or ')} (an addon directory holds metadata.yaml); ` +
      `pass the addon's directory, or the name of one under ${shown(join(root, 'addons'))}/`,
  );
}

/** Names of the addons under `<root>/addons/` (directories holding metadata.yaml). */
export function localAddons(root: string): { name: string; dir: string }[] {
  const dir = join(root, 'addons');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'metadata.yaml')))
    .map((entry) => ({ name: entry.name, dir: join(dir, entry.name) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
