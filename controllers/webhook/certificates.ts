// Certificates for the webhook server: a self-signed CA and a serving certificate it signs, both
// ECDSA P-256 (small, fast, accepted by the API server's Go TLS client). Built with the DER
// encoder next to this file and Node's crypto: no package offers X.509 creation here, and an
// `openssl` process would be one more binary the controller image must ship and call correctly.
// Times come from the caller (the injected clock), so tests pin validity exactly.

import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

import {
  bitString,
  boolean,
  explicit,
  implicitPrimitive,
  namedBits,
  octetString,
  oid,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
  type Der,
} from './der.js';

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 };

/** Backdating notBefore tolerates clocks that run a little behind ours. */
const BACKDATE_MS = 60 * 60 * 1000;
export const DEFAULT_VALIDITY_MS = 365 * 24 * 60 * 60 * 1000;

export interface ServingCertificates {
  /** The CA certificate: what the webhook configuration's caBundle carries. */
  caCertPem: string;
  /** The serving certificate and its key: what the HTTPS server presents. */
  certPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
}

export interface CertificateRequest {
  now: Date;
  /** Default one year. */
  validityMs?: number;
  /** Hostnames the serving certificate is valid for. */
  dnsNames?: readonly string[];
  /** IP addresses it is valid for (`127.0.0.1` for a webhook reached on loopback). */
  ipAddresses?: readonly string[];
}

function name(commonName: string): Der {
  return sequence(
    set(sequence(oid(OID.organization), utf8String('rollscale'))),
    set(sequence(oid(OID.commonName), utf8String(commonName))),
  );
}

function extension(id: string, critical: boolean, value: Der): Der {
  return critical
    ? sequence(oid(id), boolean(true), octetString(value))
    : sequence(oid(id), octetString(value));
}

function keyIdentifier(publicKey: KeyObject): Buffer {
  return createHash('sha1')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest();
}

/** An IP address as the 4 or 16 bytes of a GeneralName iPAddress. */
export function ipBytes(address: string): Buffer {
  const family = isIP(address);
  if (family === 4) return Buffer.from(address.split('.').map(Number));
  if (family !== 6) throw new Error(`not an IP address: ${address}`);
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = (v4[1] as string).split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? 0 : 8 - headParts.length - tailParts.length;
  const groups = [...headParts, ...Array<string>(zeros).fill('0'), ...tailParts];
  const bytes = Buffer.alloc(16);
  groups.forEach((g, i) => bytes.writeUInt16BE(parseInt(g, 16), i * 2));
  return bytes;
}

function serialNumber(): Der {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return unsignedInteger(bytes);
}

interface CertificateTemplate {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signingKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  extensions: Der[];
}

function signCertificate(template: CertificateTemplate): string {
  const algorithm = sequence(oid(OID.ecdsaWithSha256));
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    serialNumber(),
    algorithm,
    name(template.issuer),
    sequence(time(template.notBefore), time(template.notAfter)),
    name(template.subject),
    template.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...template.extensions)),
  );
  // ECDSA signatures come out DER-encoded (ECDSA-Sig-Value), as X.509 wants them.
  const signature = sign('sha256', tbs, template.signingKey);
  const der = sequence(tbs, algorithm, bitString(signature));
  const base64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${base64.replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

/** A fresh CA and a serving certificate for `request`'s names, valid from now (minus an hour). */
export function generateServingCertificates(request: CertificateRequest): ServingCertificates {
  const dnsNames = request.dnsNames ?? [];
  const ipAddresses = request.ipAddresses ?? [];
  if (dnsNames.length === 0 && ipAddresses.length === 0) {
    throw new Error('a serving certificate needs at least one DNS name or IP address');
  }
  const notBefore = new Date(request.now.getTime() - BACKDATE_MS);
  const notAfter = new Date(request.now.getTime() + (request.validityMs ?? DEFAULT_VALIDITY_MS));
  const ca = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const leaf = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  // A CA name per generation tells old and new apart in a caBundle that holds both.
  const caName = `rollscale-webhook-ca@${Math.floor(request.now.getTime() / 1000)}`;
  const caKeyId = keyIdentifier(ca.publicKey);

  const caCertPem = signCertificate({
    subject: caName,
    issuer: caName,
    publicKey: ca.publicKey,
    signingKey: ca.privateKey,
    notBefore,
    notAfter,
    extensions: [
      extension(
        OID.keyUsage,
        true,
        namedBits([KEY_USAGE.digitalSignature, KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign]),
      ),
      extension(OID.basicConstraints, true, sequence(boolean(true))),
      extension(OID.subjectKeyIdentifier, false, octetString(caKeyId)),
    ],
  });

  const alternativeNames = [
    ...dnsNames.map((dns) => implicitPrimitive(2, Buffer.from(dns, 'ascii'))),
    ...ipAddresses.map((ip) => implicitPrimitive(7, ipBytes(ip))),
  ];
  const certPem = signCertificate({
    subject: dnsNames[0] ?? ipAddresses[0] ?? 'rollscale-webhook',
    issuer: caName,
    publicKey: leaf.publicKey,
    signingKey: ca.privateKey,
    notBefore,
    notAfter,
    extensions: [
      extension(OID.keyUsage, true, namedBits([KEY_USAGE.digitalSignature])),
      extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
      extension(OID.basicConstraints, true, sequence()),
      extension(OID.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, caKeyId))),
      extension(OID.subjectAltName, false, sequence(...alternativeNames)),
    ],
  });

  return {
    caCertPem,
    certPem,
    keyPem: leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    notBefore,
    notAfter,
  };
}

/**
 * When to replace certificates valid over [notBefore, notAfter]: after two thirds of their life,
 * leaving a third (four months of a year) to retry if renewal keeps failing.
 */
export function renewalTime(notBefore: Date, notAfter: Date): Date {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  return new Date(notBefore.getTime() + Math.floor((lifetime * 2) / 3));
}
