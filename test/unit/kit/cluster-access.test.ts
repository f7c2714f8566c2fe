import type https from 'node:https';

import {
  inClusterContext,
  KubeconfigAccess,
  resolveContext,
  type ResolvedContext,
} from '../../../controllers/kit/cluster-access.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

const first = `
apiVersion: v1
kind: Config
current-context: dev
clusters:
  - name: dev
    cluster:
      server: https://dev.example:6443
      certificate-authority: certs/ca.crt
      tls-server-name: api.dev
contexts:
  - name: dev
    context: { cluster: dev, user: alice }
  - name: prod
    context: { cluster: prod, user: bob }
users:
  - name: alice
    user:
      client-certificate: /abs/alice.crt
      client-key-data: ${b64('KEY')}
`;

const second = `
current-context: prod
clusters:
  - name: dev
    cluster: { server: https://shadowed.example }
  - name: prod
    cluster:
      server: https://prod.example
      insecure-skip-tls-verify: true
users:
  - name: bob
    user: { token: t0ken }
  - name: carol
    user:
      exec: { command: get-token, apiVersion: client.authentication.k8s.io/v1 }
`;

describe('resolveContext', () => {
  it("merges files kubectl's way: the first current-context and the first entry of a name win", () => {
    const ctx = resolveContext([
      { path: '/home/me/.kube/config', text: first },
      { path: '/etc/kube/extra', text: second },
    ]);
    expect(ctx.cluster).toEqual({
      server: 'https://dev.example:6443',
      caData: undefined,
      caFile: '/home/me/.kube/certs/ca.crt',
      skipTLSVerify: false,
      tlsServerName: 'api.dev',
      proxyUrl: undefined,
    });
    expect(ctx.user).toMatchObject({ certFile: '/abs/alice.crt', keyData: b64('KEY'), plugin: false });
    expect(ctx.files).toEqual(['/home/me/.kube/config', '/etc/kube/extra']);
  });

  it('finds a context defined in a later file, and tells exec users apart', () => {
    const ctx = resolveContext([
      { path: '/k/a', text: second },
      { path: '/k/b', text: first },
    ]);
    expect(ctx.cluster.server).toBe('https://prod.example');
    expect(ctx.cluster.skipTLSVerify).toBe(true);
    expect(ctx.user.token).toBe('t0ken');
    expect(ctx.user.plugin).toBe(false);
    const exec = resolveContext([
      { path: '/k/c', text: 'contexts:\n  - name: prod\n    context: { cluster: prod, user: carol }\n' },
      { path: '/k/a', text: second },
    ]);
    expect(exec.user.plugin).toBe(true);
  });

  it('reports what is missing', () => {
    expect(() => resolveContext([{ path: '/k', text: 'clusters: []' }])).toThrow(/no current-context/);
    expect(() => resolveContext([{ path: '/k', text: 'current-context: x' }])).toThrow(
      /no context named "x"/,
    );
    expect(() =>
      resolveContext([
        { path: '/k', text: 'current-context: x\ncontexts:\n  - name: x\n    context: { cluster: c }\n' },
      ]),
    ).toThrow(/names no known cluster/);
  });
});

describe('KubeconfigAccess.applyToHTTPSOptions', () => {
  const files: Record<string, string> = {
    '/home/me/.kube/certs/ca.crt': 'CA',
    '/abs/alice.crt': 'CERT',
    '/sa/token': 'tok-1\n',
  };
  const reads: string[] = [];
  const readFile = (path: string) => {
    reads.push(path);
    const text = files[path];
    if (text === undefined) throw new Error(`ENOENT ${path}`);
    return Buffer.from(text);
  };

  it('sets TLS material, server name and client certificate from files and inline data', async () => {
    const access = new KubeconfigAccess(
      resolveContext([{ path: '/home/me/.kube/config', text: first }]),
      readFile,
    );
    const options: https.RequestOptions = {};
    await access.applyToHTTPSOptions(options);
    expect(String(options.ca)).toBe('CA');
    expect(String(options.cert)).toBe('CERT');
    expect(String(options.key)).toBe('KEY');
    expect(options.servername).toBe('api.dev');
    expect(options.rejectUnauthorized).toBeUndefined();
    expect(options.headers).toEqual({});
    expect(access.getCurrentCluster()).toEqual({ server: 'https://dev.example:6443' });
  });

  it('sends a bearer token, or basic auth when there is none', async () => {
    const token = new KubeconfigAccess(
      resolveContext([
        { path: '/k', text: second },
        { path: '/j', text: first },
      ]),
      readFile,
    );
    const withToken: https.RequestOptions = { headers: { Accept: 'application/json' } };
    await token.applyToHTTPSOptions(withToken);
    expect(withToken.headers).toEqual({ Accept: 'application/json', Authorization: 'Bearer t0ken' });
    expect(withToken.rejectUnauthorized).toBe(false);

    const basic: ResolvedContext = {
      cluster: { server: 'https://x', skipTLSVerify: false },
      user: { username: 'admin', password: 'pw', plugin: false },
      files: [],
    };
    const withBasic: https.RequestOptions = {};
    await new KubeconfigAccess(basic, readFile).applyToHTTPSOptions(withBasic);
    expect(withBasic.auth).toBe('admin:pw');
    expect(withBasic.headers).toEqual({});
  });

  it('re-reads a token file once it is a minute old (service-account tokens rotate)', async () => {
    let now = 0;
    const ctx = inClusterContext(
      { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
      '/sa',
    );
    expect(ctx.cluster).toEqual({
      server: 'https://[fd00::1]:443',
      caFile: '/sa/ca.crt',
      skipTLSVerify: false,
    });
    files['/sa/ca.crt'] = 'SA-CA';
    const access = new KubeconfigAccess(ctx, readFile, () => now);
    const auth = async () => {
      const options: https.RequestOptions = {};
      await access.applyToHTTPSOptions(options);
      return (options.headers as Record<string, string>)['Authorization'];
    };
    expect(await auth()).toBe('Bearer tok-1');
    files['/sa/token'] = 'tok-2';
    now = 60_000;
    expect(await auth()).toBe('Bearer tok-1');
    now = 60_001;
    expect(await auth()).toBe('Bearer tok-2');
  });

  it('hands exec plugins and proxies to client-node', () => {
    const exec: ResolvedContext = {
      cluster: { server: 'https://x', skipTLSVerify: false },
      user: { plugin: true },
      files: ['/k'],
    };
    expect(new KubeconfigAccess(exec).needsClientNode).toBe(true);
    const proxied: ResolvedContext = {
      cluster: { server: 'https://x', skipTLSVerify: false, proxyUrl: 'http://proxy:3128' },
      user: { token: 't', plugin: false },
      files: ['/k'],
    };
    const access = new KubeconfigAccess(proxied);
    expect(access.needsClientNode).toBe(true);
    expect(access.getCurrentCluster()).toEqual({ server: 'https://x', proxyUrl: 'http://proxy:3128' });
    expect(() => inClusterContext({})).toThrow(/not in a cluster/);
  });
});
