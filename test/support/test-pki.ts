// A throw-away PKI for tests: EC P-384 keys, ECDSA-SHA-384 signatures, short validity.
// @peculiar/x509 uses tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-384' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-384' } as const;
const DEFAULT_BACKDATE_MS = 5 * 60 * 1000;
const DEFAULT_VALIDITY_MS = 30 * 24 * 60 * 60 * 1000;

export interface TestCa {
  /** This CA's certificate, PEM with a trailing newline. */
  readonly cert: string;
  /** This CA's private key, PEM PKCS#8 (`BEGIN PRIVATE KEY`) with a trailing newline. */
  readonly key: string;
  /**
   * This CA's certificate followed by its parent's, its grandparent's, … up to and including the
   * self-signed root, concatenated PEM. For a root it equals `cert`. Usable as a trust bundle
   * (`ca`), or appended to a leaf certificate to send the intermediates (the extra root is harmless).
   */
  readonly chain: string;
}

export interface TestCaOptions {
  readonly commonName?: string;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Makes this CA an intermediate signed by `parent`; without it the CA is a self-signed root. */
  readonly parent?: TestCa;
}

export type TestExtendedKeyUsage = 'serverAuth' | 'clientAuth';

export interface TestCertificateOptions {
  readonly commonName: string;
  /** dNSName subject alternative names; none gives no SAN extension. */
  readonly dnsNames?: readonly string[];
  readonly eku: readonly TestExtendedKeyUsage[];
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

export interface TestKeyAndCertificate {
  /** PEM certificate with a trailing newline. */
  readonly cert: string;
  /** PEM PKCS#8 private key with a trailing newline. */
  readonly key: string;
}

/**
 * A certificate authority: basicConstraints CA:TRUE (critical), keyUsage keyCertSign + cRLSign
 * (critical), subjectKeyIdentifier; with `parent`, also authorityKeyIdentifier of the parent.
 * Validity defaults to now − 5 min … now + 30 days.
 */
export async function createTestCa(opts: TestCaOptions = {}): Promise<TestCa> {
  const keys = await generateKeys();
  const { notBefore, notAfter } = validity(opts);
  const name = [{ CN: [opts.commonName ?? (opts.parent ? 'Kong Test Intermediate CA' : 'Kong Test Root CA')] }];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];

  let certificate: x509.X509Certificate;
  if (opts.parent) {
    const issuer = await loadIssuer(opts.parent);
    extensions.push(issuer.authorityKeyIdentifier);
    certificate = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerialNumber(),
      subject: name,
      issuer: issuer.certificate.subjectName,
      notBefore,
      notAfter,
      signingAlgorithm: SIGNING_ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: issuer.signingKey,
      extensions,
    });
  } else {
    certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerialNumber(),
      name,
      notBefore,
      notAfter,
      signingAlgorithm: { ...KEY_ALGORITHM, ...SIGNING_ALGORITHM },
      keys,
      extensions,
    });
  }

  const cert = pem(certificate.toString('pem'));
  return { cert, key: await exportPrivateKey(keys.privateKey), chain: cert + (opts.parent?.chain ?? '') };
}

/**
 * An end-entity certificate signed by `ca`: basicConstraints CA:FALSE (critical), keyUsage
 * digitalSignature (critical), extendedKeyUsage exactly as given, subjectAltName dNSNames,
 * subjectKeyIdentifier, authorityKeyIdentifier of the CA. Validity defaults to now − 5 min … now + 30 days.
 */
export async function issueTestCertificate(ca: TestCa, opts: TestCertificateOptions): Promise<TestKeyAndCertificate> {
  const keys = await generateKeys();
  const issuer = await loadIssuer(ca);
  const { notBefore, notAfter } = validity(opts);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(opts.eku.map((usage) => x509.ExtendedKeyUsage[usage])),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    issuer.authorityKeyIdentifier,
  ];
  if (opts.dnsNames && opts.dnsNames.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(opts.dnsNames.map((value) => ({ type: 'dns', value }))));
  }

  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: [{ CN: [opts.commonName] }],
    issuer: issuer.certificate.subjectName,
    notBefore,
    notAfter,
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: issuer.signingKey,
    extensions,
  });
  return { cert: pem(certificate.toString('pem')), key: await exportPrivateKey(keys.privateKey) };
}

interface LoadedIssuer {
  readonly certificate: x509.X509Certificate;
  readonly signingKey: CryptoKey;
  readonly authorityKeyIdentifier: x509.AuthorityKeyIdentifierExtension;
}

async function loadIssuer(ca: TestCa): Promise<LoadedIssuer> {
  const certificate = new x509.X509Certificate(ca.cert);
  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(ca.key),
    KEY_ALGORITHM,
    false,
    ['sign'],
  );
  const subjectKeyId = certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  if (!subjectKeyId) {
    throw new Error(`test CA ${certificate.subject} has no subjectKeyIdentifier`);
  }
  return {
    certificate,
    signingKey,
    authorityKeyIdentifier: new x509.AuthorityKeyIdentifierExtension(subjectKeyId.keyId),
  };
}

function generateKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

async function exportPrivateKey(privateKey: CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', privateKey);
  return pem(x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'));
}

function validity(opts: { readonly notBefore?: Date; readonly notAfter?: Date }): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return {
    notBefore: opts.notBefore ?? new Date(now - DEFAULT_BACKDATE_MS),
    notAfter: opts.notAfter ?? new Date(now + DEFAULT_VALIDITY_MS),
  };
}

/** 16 random bytes as hex, first byte 0x01–0x7f: a positive DER INTEGER of exactly 16 octets. */
function randomSerialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

function pem(text: string): string {
  const unix = text.replace(/\r\n/g, '\n');
  return unix.endsWith('\n') ? unix : `${unix}\n`;
}
