// Builds the ComponentDefinition and TraitDefinition manifests the controller ships from
// their sources under definitions/cue/:
//
//   cue/component/<name>.cue       the CUE template, copied verbatim into spec.schematic.cue.template
//   cue/component/<name>.def.yaml  description, workload, status snippets
//   cue/trait/<name>.cue           likewise for traits
//   cue/trait/<name>.def.yaml      description, appliesToWorkloads, podDisruptive, manageWorkload, ...
//
// and writes one YAML per definition into definitions/generated/. Run with
// `tsx definitions/generate.ts`; `--check` only reports whether the committed files are current.

import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Where the `.cue` templates and `.def.yaml` metadata live. */
export const SOURCE_DIR = join(HERE, 'cue');
/** Where the generated manifests are written. */
export const GENERATED_DIR = join(HERE, 'generated');
/** Definitions are installed here; the controller also looks in the Application's namespace. */
export const DEFINITION_NAMESPACE = 'vela-system';

export const DESCRIPTION_ANNOTATION = 'definition.oam.dev/description';

export type DefinitionKind = 'ComponentDefinition' | 'TraitDefinition';

export interface StatusSnippets {
  /** CUE defining `message: string`. */
  customStatus?: string;
  /** CUE defining `isHealth: bool`. */
  healthPolicy?: string;
}

export interface WorkloadSpec {
  definition: { apiVersion: string; kind: string };
  /** `<resource>.<group>`, e.g. `deployments.apps`. */
  type?: string;
}

/** One definition as read from its sources. */
export interface DefinitionSource {
  kind: DefinitionKind;
  name: string;
  /** The CUE template text, exactly as in the `.cue` file. */
  template: string;
  description: string;
  /** Components only. */
  workload?: WorkloadSpec;
  /** Traits only. */
  appliesToWorkloads?: string[];
  podDisruptive?: boolean;
  manageWorkload?: boolean;
  conflictsWith?: string[];
  status?: StatusSnippets;
  /** Source files, relative to the repository root (for the generated header). */
  templateFile: string;
  metadataFile: string;
}

export interface GeneratedFile {
  /** File name inside the generated folder, e.g. `component-webservice.yaml`. */
  fileName: string;
  text: string;
}

const SOURCE_FOLDERS: ReadonlyArray<{ folder: string; kind: DefinitionKind; prefix: string }> = [
  { folder: 'component', kind: 'ComponentDefinition', prefix: 'component' },
  { folder: 'trait', kind: 'TraitDefinition', prefix: 'trait' },
];

const METADATA_KEYS: Record<DefinitionKind, ReadonlySet<string>> = {
  ComponentDefinition: new Set(['description', 'workload', 'status']),
  TraitDefinition: new Set([
    'description',
    'appliesToWorkloads',
    'podDisruptive',
    'manageWorkload',
    'conflictsWith',
    'status',
  ]),
};

/** Reads every definition under `sourceDir`, components first, each group sorted by name. */
export function readDefinitionSources(sourceDir: string = SOURCE_DIR): DefinitionSource[] {
  const sources: DefinitionSource[] = [];
  for (const { folder, kind } of SOURCE_FOLDERS) {
    const dir = join(sourceDir, folder);
    if (!existsSync(dir)) continue;
    const files = readdirSync(dir).sort();
    const templates = files.filter((f) => f.endsWith('.cue'));
    for (const file of files.filter((f) => f.endsWith('.def.yaml'))) {
      if (!templates.includes(file.replace(/\.def\.yaml$/, '.cue'))) {
        throw new Error(`${join(folder, file)} has no template next to it`);
      }
    }
    for (const file of templates) {
      const name = basename(file, '.cue');
      const templateFile = join(folder, file);
      const metadataFile = join(folder, `${name}.def.yaml`);
      const metadataPath = join(sourceDir, metadataFile);
      if (!existsSync(metadataPath)) throw new Error(`${templateFile} has no ${metadataFile} next to it`);
      const template = readFileSync(join(sourceDir, templateFile), 'utf8');
      const metadata: unknown = parse(readFileSync(metadataPath, 'utf8'));
      sources.push({
        ...checkMetadata(kind, metadataFile, metadata),
        kind,
        name,
        template,
        templateFile: repoPath(join(sourceDir, templateFile)),
        metadataFile: repoPath(join(sourceDir, metadataFile)),
      });
    }
  }
  return sources;
}

function repoPath(path: string): string {
  return relative(dirname(HERE), path).split('\\').join('/');
}

type Metadata = Omit<DefinitionSource, 'kind' | 'name' | 'template' | 'templateFile' | 'metadataFile'>;

/** Rejects unknown keys and wrong types, so a typo in a `.def.yaml` fails the generator, not a cluster. */
function checkMetadata(kind: DefinitionKind, file: string, raw: unknown): Metadata {
  const fail = (msg: string): never => {
    throw new Error(`${file}: ${msg}`);
  };
  if (!isRecord(raw)) return fail('expected a mapping');
  for (const key of Object.keys(raw)) {
    if (!METADATA_KEYS[kind].has(key)) fail(`unknown key ${key} for a ${kind}`);
  }
  const description = raw['description'];
  if (typeof description !== 'string' || description.trim() === '')
    fail('description must be a non-empty string');
  const out: Metadata = { description: description as string };

  const strings = (key: string): string[] | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== '')) {
      return fail(`${key} must be a list of strings`);
    }
    return v as string[];
  };
  const flag = (key: string): boolean | undefined => {
    const v = raw[key];
    if (v !== undefined && typeof v !== 'boolean') fail(`${key} must be true or false`);
    return v as boolean | undefined;
  };

  if (kind === 'ComponentDefinition') {
    const workload = raw['workload'];
    if (!isRecord(workload) || !isRecord(workload['definition'])) {
      return fail('workload.definition {apiVersion, kind} is required for a component');
    }
    const def = workload['definition'];
    if (typeof def['apiVersion'] !== 'string' || typeof def['kind'] !== 'string') {
      fail('workload.definition needs apiVersion and kind');
    }
    if (workload['type'] !== undefined && typeof workload['type'] !== 'string')
      fail('workload.type must be a string');
    out.workload = {
      definition: { apiVersion: def['apiVersion'] as string, kind: def['kind'] as string },
      ...(workload['type'] !== undefined ? { type: workload['type'] as string } : {}),
    };
  } else {
    const appliesTo = strings('appliesToWorkloads');
    const conflicts = strings('conflictsWith');
    const podDisruptive = flag('podDisruptive');
    const manageWorkload = flag('manageWorkload');
    if (appliesTo) out.appliesToWorkloads = appliesTo;
    if (podDisruptive !== undefined) out.podDisruptive = podDisruptive;
    if (manageWorkload !== undefined) out.manageWorkload = manageWorkload;
    if (conflicts) out.conflictsWith = conflicts;
  }

  const status = raw['status'];
  if (status !== undefined) {
    if (!isRecord(status)) return fail('status must be a mapping');
    const snippets: StatusSnippets = {};
    for (const [key, value] of Object.entries(status)) {
      if (key !== 'customStatus' && key !== 'healthPolicy') fail(`unknown key status.${key}`);
      if (typeof value !== 'string' || value.trim() === '') fail(`status.${key} must be CUE text`);
      snippets[key as keyof StatusSnippets] = value as string;
    }
    out.status = snippets;
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The manifest of one definition, fields in the order `kubectl get -o yaml` users are used to. */
export function definitionManifest(source: DefinitionSource): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  if (source.kind === 'ComponentDefinition') {
    spec['workload'] = source.workload;
  } else {
    if (source.appliesToWorkloads) spec['appliesToWorkloads'] = source.appliesToWorkloads;
    if (source.conflictsWith) spec['conflictsWith'] = source.conflictsWith;
    if (source.podDisruptive !== undefined) spec['podDisruptive'] = source.podDisruptive;
    if (source.manageWorkload !== undefined) spec['manageWorkload'] = source.manageWorkload;
  }
  if (source.status) {
    spec['status'] = {
      ...(source.status.customStatus !== undefined ? { customStatus: source.status.customStatus } : {}),
      ...(source.status.healthPolicy !== undefined ? { healthPolicy: source.status.healthPolicy } : {}),
    };
  }
  spec['schematic'] = { cue: { template: source.template } };
  return {
    apiVersion: 'core.oam.dev/v1beta1',
    kind: source.kind,
    metadata: {
      name: source.name,
      namespace: DEFINITION_NAMESPACE,
      annotations: { [DESCRIPTION_ANNOTATION]: source.description },
      labels: { 'app.kubernetes.io/part-of': 'rollscale' },
    },
    spec,
  };
}

export function generatedFileName(source: Pick<DefinitionSource, 'kind' | 'name'>): string {
  const prefix = SOURCE_FOLDERS.find((f) => f.kind === source.kind)?.prefix ?? 'definition';
  return `${prefix}-${source.name}.yaml`;
}

/** The text of every generated file, in a stable order. */
export function generateDefinitions(sourceDir: string = SOURCE_DIR): GeneratedFile[] {
  return readDefinitionSources(sourceDir).map((source) => ({
    fileName: generatedFileName(source),
    text:
      `# Generated by definitions/generate.ts from ${source.templateFile} and ${source.metadataFile}.\n` +
      `# Do not edit: change the sources and run \`npm run gen:definitions\`.\n` +
      // lineWidth 0: never fold long descriptions; multi-line strings (the CUE) become
      // literal blocks, which keep every tab and newline of the source.
      stringify(definitionManifest(source), { lineWidth: 0 }),
  }));
}

export interface WriteResult {
  written: string[];
  unchanged: string[];
  /** Generated YAML files whose definition no longer exists. */
  removed: string[];
}

/** Writes the generated files into `outDir` and removes stale ones. */
export function writeDefinitions(
  outDir: string = GENERATED_DIR,
  sourceDir: string = SOURCE_DIR,
): WriteResult {
  const files = generateDefinitions(sourceDir);
  const result: WriteResult = { written: [], unchanged: [], removed: [] };
  mkdirSync(outDir, { recursive: true });
  for (const { fileName, text } of files) {
    const path = join(outDir, fileName);
    if (existsSync(path) && readFileSync(path, 'utf8') === text) {
      result.unchanged.push(fileName);
    } else {
      writeFileSync(path, text);
      result.written.push(fileName);
    }
  }
  const expected = new Set(files.map((f) => f.fileName));
  for (const name of readdirSync(outDir)) {
    if (name.endsWith('.yaml') && !expected.has(name)) {
      rmSync(join(outDir, name));
      result.removed.push(name);
    }
  }
  return result;
}

/** Names of the files in `outDir` that differ from what the sources generate (missing, stale or extra). */
export function staleDefinitions(outDir: string = GENERATED_DIR, sourceDir: string = SOURCE_DIR): string[] {
  const files = generateDefinitions(sourceDir);
  const stale = files
    .filter(({ fileName, text }) => {
      const path = join(outDir, fileName);
      return !existsSync(path) || readFileSync(path, 'utf8') !== text;
    })
    .map((f) => f.fileName);
  const expected = new Set(files.map((f) => f.fileName));
  const extra = existsSync(outDir)
    ? readdirSync(outDir).filter((name) => name.endsWith('.yaml') && !expected.has(name))
    : [];
  return [...stale, ...extra].sort();
}

function main(args: string[]): number {
  if (args.includes('--check')) {
    const stale = staleDefinitions();
    if (stale.length > 0) {
      console.error(`definitions/generated is out of date: ${stale.join(', ')}; run npm run gen:definitions`);
      return 1;
    }
    console.log('definitions/generated is up to date');
    return 0;
  }
  const { written, unchanged, removed } = writeDefinitions();
  for (const f of written) console.log(`wrote ${join('definitions/generated', f)}`);
  for (const f of removed) console.log(`removed ${join('definitions/generated', f)}`);
  console.log(`${written.length} written, ${unchanged.length} unchanged, ${removed.length} removed`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
