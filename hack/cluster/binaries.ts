// Builds the local cluster's binaries from Go modules and caches them outside the checkout.
//
// Three Go modules live under hack/: `kube` (one multi-call binary: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, kubectl), `kwok` and `kruise`. They are separate
// modules because KWOK and OpenKruise pin other Kubernetes library versions than the control
// plane. A binary is cached under `<cache>/bin/<name>-<version>-<hash>`, where the hash covers the
// module's go.mod, go.sum and Go sources, so a changed pin rebuilds and an unchanged one never does.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const hackDir = new URL('..', import.meta.url).pathname;
export const repoRoot = join(hackDir, '..');

export interface Versions {
  kubernetes: string;
  etcd: string;
  kwok: string;
  kruise: string;
}

export const versions: Versions = JSON.parse(readFileSync(join(hackDir, 'versions.json'), 'utf8'));

export function cacheDir(): string {
  const base =
    process.env.ROLLSCALE_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'rollscale');
  mkdirSync(base, { recursive: true });
  return base;
}

interface BinarySpec {
  name: 'kube' | 'kwok' | 'kruise';
  moduleDir: string;
  target: string;
  version: string;
  ldflags: string;
}

function specs(): BinarySpec[] {
  const kv = versions.kubernetes;
  const [major, minor] = kv.replace(/^v/, '').split('.');
  const versionFlags = [
    `-X k8s.io/component-base/version.gitVersion=${kv}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
    `-X k8s.io/client-go/pkg/version.gitVersion=${kv}`,
    '-X k8s.io/component-base/version.gitTreeState=clean',
  ].join(' ');
  return [
    {
      name: 'kube',
      moduleDir: join(hackDir, 'kube'),
      target: '.',
      version: kv,
      ldflags: `-s -w ${versionFlags}`,
    },
    {
      name: 'kwok',
      moduleDir: join(hackDir, 'kwok'),
      target: 'sigs.k8s.io/kwok/cmd/kwok',
      version: versions.kwok,
      ldflags: '-s -w',
    },
    {
      name: 'kruise',
      moduleDir: join(hackDir, 'kruise'),
      target: 'github.com/openkruise/kruise',
      version: versions.kruise,
      ldflags: '-s -w',
    },
  ];
}

function moduleHash(dir: string): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(dir).sort()) {
    if (file === 'go.mod' || file === 'go.sum' || file.endsWith('.go')) {
      hash.update(file).update(readFileSync(join(dir, file)));
    }
  }
  return hash.digest('hex').slice(0, 12);
}

export function binaryPath(name: BinarySpec['name']): string {
  const spec = specs().find((s) => s.name === name);
  if (!spec) throw new Error(`unknown binary ${name}`);
  return join(cacheDir(), 'bin', `${spec.name}-${spec.version}-${moduleHash(spec.moduleDir)}`);
}

function run(cmd: string, args: string[], cwd: string, onLine?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let partial = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      err += text;
      if (!onLine) return;
      partial += text;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else
        reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited with ${code}:\n${err.slice(-4000)}`));
    });
  });
}

async function build(spec: BinarySpec, log: (msg: string) => void): Promise<void> {
  const out = binaryPath(spec.name);
  const started = Date.now();
  log(`building ${spec.name} ${spec.version} from Go modules (a cold build takes several minutes)`);
  log(`  downloading modules for ${spec.name}…`);
  await run('go', ['mod', 'download'], spec.moduleDir);
  const deps = await run(
    'go',
    ['list', '-deps', '-f', '{{if not .Standard}}{{.ImportPath}}{{end}}', spec.target],
    spec.moduleDir,
  );
  const total = deps.split('\n').filter(Boolean).length;
  let compiled = 0;
  let lastReport = 0;
  mkdirSync(join(cacheDir(), 'bin'), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  await run(
    'go',
    ['build', '-v', '-trimpath', '-ldflags', spec.ldflags, '-o', tmp, spec.target],
    spec.moduleDir,
    (line) => {
      if (!line || line.startsWith('go: ')) return;
      compiled += 1;
      const now = Date.now();
      if (now - lastReport > 15000) {
        lastReport = now;
        // `go build -v` names each package as it compiles it; cached packages are not named,
        // so this is an upper bound on the remaining work.
        log(
          `  ${spec.name}: compiled ${compiled} of at most ${total} packages (${Math.round((now - started) / 1000)} s)`,
        );
      }
    },
  );
  renameSync(tmp, out);
  const size = statSync(out).size;
  log(
    `built ${spec.name} in ${Math.round((Date.now() - started) / 1000)} s (${(size / 1048576).toFixed(1)} MiB) → ${out}`,
  );
}

/** Builds whichever binaries are missing from the cache and returns their paths. */
export async function ensureBinaries(
  log: (msg: string) => void,
): Promise<Record<BinarySpec['name'], string>> {
  const result = {} as Record<BinarySpec['name'], string>;
  for (const spec of specs()) {
    const path = binaryPath(spec.name);
    if (!existsSync(path)) await build(spec, log);
    result[spec.name] = path;
  }
  return result;
}

/** The kruise module's CRDs and webhook manifests, from the module cache at the pinned version. */
export async function kruiseModuleDir(): Promise<string> {
  const out = await run(
    'go',
    ['list', '-m', '-f', '{{.Dir}}', 'github.com/openkruise/kruise'],
    join(hackDir, 'kruise'),
  );
  return out.trim();
}
