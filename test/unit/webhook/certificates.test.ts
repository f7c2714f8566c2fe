import { X509Certificate } from 'node:crypto';
import https from 'node:https';

import { FakeClock } from '../../../controllers/kit/clock.js';
import { namedBits, oid, sequence, time, unsignedInteger } from '../../../controllers/webhook/der.js';
import {
  GeneratedIdentity,
  INJECT_LABEL,
  WEBHOOK_PATH,
  WebhookServer,
  generateServingCertificates,
  ipBytes,
  renewalTime,
} from '../../../controllers/webhook/index.js';

const NOW = new Date('2025-03-01T12:00:00Z');
const DAY = 24 * 60 * 60 * 1000;

describe('DER encoding', () => {
  it('encodes known values', () => {
    expect(oid('1.2.840.10045.4.3.2').toString('hex')).toBe('06082a8648ce3d040302');
    expect(oid('2.5.29.17').toString('hex')).toBe('0603551d11');
    expect(unsignedInteger(Buffer.from([0x80])).toString('hex')).toBe('02020080');
    expect(unsignedInteger(Buffer.from([0, 0, 5])).toString('hex')).toBe('020105');
    // keyCertSign | cRLSign | digitalSignature: one unused bit.
    expect(namedBits([0, 5, 6]).toString('hex')).toBe('03020186');
    expect(namedBits([0]).toString('hex')).toBe('03020780');
    expect(time(new Date('2025-03-01T12:00:00Z')).toString('ascii').slice(2)).toBe('250301120000Z');
    expect(time(new Date('2051-01-01T00:00:00Z'))[0]).toBe(0x18);
    expect(sequence(Buffer.alloc(200)).subarray(0, 3).toString('hex')).toBe('3081c8');
  });

  it('encodes IPv4 and IPv6 addresses for subjectAltName', () => {
    expect(ipBytes('127.0.0.1').toString('hex')).toBe('7f000001');
    expect(ipBytes('::1').toString('hex')).toBe('00000000000000000000000000000001');
    expect(ipBytes('fd00::10:1').toString('hex')).toBe('fd000000000000000000000000100001');
    expect(() => ipBytes('localhost')).toThrow(/not an IP address/);
  });
});

describe('generateServingCertificates', () => {
  const bundle = generateServingCertificates({
    now: NOW,
    validityMs: 30 * DAY,
    ipAddresses: ['127.0.0.1'],
    dnsNames: ['rollscale-webhook-service.rollscale-system.svc'],
  });
  const ca = new X509Certificate(bundle.caCertPem);
  const leaf = new X509Certificate(bundle.certPem);

  it('makes a CA that signed a serving certificate for the requested names', () => {
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.checkHost('rollscale-webhook-service.rollscale-system.svc')).toBe(
      'rollscale-webhook-service.rollscale-system.svc',
    );
    expect(leaf.checkHost('evil.example')).toBeUndefined();
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  });

  it('takes its validity from the given time, backdated an hour', () => {
    expect(new Date(leaf.validFrom).toISOString()).toBe('2025-03-01T11:00:00.000Z');
    expect(new Date(leaf.validTo).toISOString()).toBe('2025-03-31T12:00:00.000Z');
    expect(bundle.notAfter.toISOString()).toBe('2025-03-31T12:00:00.000Z');
    expect(new Date(ca.validTo).getTime()).toBe(bundle.notAfter.getTime());
  });

  it('needs a name', () => {
    expect(() => generateServingCertificates({ now: NOW })).toThrow(/at least one DNS name or IP address/);
  });

  it('serves a real TLS handshake that trusts only its CA, and answers admission reviews', async () => {
    // The TLS stack checks validity against the wall clock, so these must be valid now.
    const live = generateServingCertificates({ now: new Date(), ipAddresses: ['127.0.0.1'] });
    const server = new WebhookServer({ host: '127.0.0.1', port: 0, identity: live });
    const port = await server.start();
    try {
      const review = {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'u',
          kind: { group: '', version: 'v1', kind: 'Pod' },
          operation: 'CREATE',
          object: { metadata: { labels: { [INJECT_LABEL]: 'true' } }, spec: {} },
        },
      };
      const answer = await post(port, live.caCertPem, WEBHOOK_PATH, JSON.stringify(review));
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({
        response: { uid: 'u', allowed: true, patchType: 'JSONPatch' },
      });
      expect((await post(port, live.caCertPem, WEBHOOK_PATH, '{not json')).status).toBe(400);
      expect((await post(port, live.caCertPem, '/elsewhere', '{}')).status).toBe(404);

      const other = generateServingCertificates({ now: new Date(), ipAddresses: ['127.0.0.1'] });
      await expect(post(port, other.caCertPem, WEBHOOK_PATH, '{}')).rejects.toThrow();

      // After a swap, new connections present the new certificate.
      server.setIdentity(other);
      expect((await post(port, other.caCertPem, '/elsewhere', '{}')).status).toBe(404);
    } finally {
      await server.stop();
    }
  });
});

function post(
  port: number,
  ca: string,
  path: string,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        ca,
        agent: false,
        headers: { 'Content-Type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('renewal', () => {
  it('is due after two thirds of the lifetime', () => {
    expect(
      renewalTime(new Date('2025-01-01T00:00:00Z'), new Date('2025-01-31T00:00:00Z')).toISOString(),
    ).toBe('2025-01-21T00:00:00.000Z');
  });

  it('publishes the new CA before serving the new certificate, and keeps the old CA trusted', () => {
    const clock = new FakeClock(NOW);
    const identity = new GeneratedIdentity(clock, { dnsNames: [], ipAddresses: ['127.0.0.1'] }, 30 * DAY);
    const firstServing = identity.serving();
    const firstBundle = identity.caBundle();
    expect(firstBundle.match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
    expect(identity.renewAt().toISOString()).toBe(
      renewalTime(new Date(NOW.getTime() - 3600_000), new Date(NOW.getTime() + 30 * DAY)).toISOString(),
    );

    clock.advance(20 * DAY);
    identity.startRenewal();
    const withPending = identity.caBundle();
    expect(withPending.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(withPending.endsWith(firstBundle)).toBe(true);
    // Still serving the old certificate until the bundle with the new CA is published.
    expect(identity.serving()).toEqual(firstServing);
    expect(identity.completeRenewal(firstBundle)).toBeUndefined();

    const renewed = identity.completeRenewal(withPending);
    expect(renewed?.certPem).not.toBe(firstServing.certPem);
    const newCa = new X509Certificate(withPending.slice(0, withPending.indexOf(firstBundle)));
    expect(new X509Certificate(renewed?.certPem ?? '').checkIssued(newCa)).toBe(true);
    // Both CAs stay in the bundle, so clients holding either verify.
    expect(identity.caBundle().match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(identity.renewAt().getTime()).toBeGreaterThan(clock.now().getTime());
  });
});
