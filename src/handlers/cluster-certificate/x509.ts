// @peculiar/x509 uses tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import type { ClusterKeyCurve } from '../../kong/certificate-profile';

x509.cryptoProvider.set(webcrypto);

const DAY_MS = 24 * 60 * 60 * 1000;
/** Backdating of notBefore, so peers with a slightly slow clock accept a fresh certificate. */
export const NOT_BEFORE_SKEW_MS = 5 * 60 * 1000;

const SIGNATURE_HASH: Record<ClusterKeyCurve, string> = { 'P-384': 'SHA-384' };

export interface SelfSignedRequest {
  readonly commonName: string;
  readonly curve: ClusterKeyCurve;
  readonly validityDays: number;
  /** dNSName subject alternative names; none gives a CN-only certificate. */
  readonly dnsNames?: readonly string[];
  /**
   * Extended key usages. Default both serverAuth and clientAuth (shared mode: one pair for both
   * ends); a client-only certificate gets keyUsage digitalSignature alone.
   */
  readonly extendedKeyUsage?: readonly ('serverAuth' | 'clientAuth')[];
  /** Clock, for tests. */
  readonly now?: Date;
}

export interface KeyAndCertificate {
  /** PEM certificate, with a trailing newline. */
  readonly cert: string;
  /** PEM PKCS#8 (`BEGIN PRIVATE KEY`) private key, with a trailing newline. */
  readonly key: string;
}

/** 16 random bytes as hex, first byte 0x01–0x7f: a positive DER INTEGER of exactly 16 octets. */
export function randomSerialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

/**
 * A new EC key pair and a self-signed X.509 v3 end-entity certificate: basicConstraints CA:FALSE
 * (critical), keyUsage digitalSignature + keyAgreement (critical; digitalSignature alone for a
 * client-only certificate), extendedKeyUsage (default serverAuth + clientAuth),
 * subjectKeyIdentifier, ECDSA signature.
 */
export async function createSelfSignedCertificate(request: SelfSignedRequest): Promise<KeyAndCertificate> {
  const algorithm = { name: 'ECDSA', namedCurve: request.curve, hash: SIGNATURE_HASH[request.curve] };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const notBefore = new Date((request.now ?? new Date()).getTime() - NOT_BEFORE_SKEW_MS);
  notBefore.setUTCMilliseconds(0);
  const notAfter = new Date(notBefore.getTime() + request.validityDays * DAY_MS);

  const usages = request.extendedKeyUsage ?? ['serverAuth', 'clientAuth'];
  const keyUsage = usages.includes('serverAuth')
    ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement
    : x509.KeyUsageFlags.digitalSignature;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(keyUsage, true),
    new x509.ExtendedKeyUsageExtension(usages.map((usage) => x509.ExtendedKeyUsage[usage])),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (request.dnsNames && request.dnsNames.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(request.dnsNames.map((value) => ({ type: 'dns', value }))),
    );
  }

  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: [{ CN: [request.commonName] }],
    notBefore,
    notAfter,
    signingAlgorithm: algorithm,
    keys,
    extensions,
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    cert: withNewline(certificate.toString('pem')),
    key: withNewline(x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')),
  };
}

export interface CertificateFacts {
  /** SHA-256 of the DER, lowercase hex without colons. */
  readonly fingerprint: string;
  /** ISO 8601 UTC. */
  readonly notAfter: string;
  /** Lowercase hex. */
  readonly serialNumber: string;
}

/** Public facts about a PEM certificate. Throws on anything that is not one parseable certificate. */
export function describeCertificate(certPem: string): CertificateFacts {
  const certificate = new X509Certificate(certPem);
  return {
    fingerprint: createHash('sha256').update(certificate.raw).digest('hex'),
    notAfter: new x509.X509Certificate(certificate.raw).notAfter.toISOString(),
    serialNumber: certificate.serialNumber.toLowerCase(),
  };
}

/** True when the PEM private key belongs to the PEM certificate. Throws if either does not parse. */
export function keyMatchesCertificate(certPem: string, keyPem: string): boolean {
  return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
}

export interface CertificateRequest {
  readonly commonName: string;
  readonly curve: ClusterKeyCurve;
  /** dNSName subject alternative names (none: no SAN extension). */
  readonly dnsNames?: readonly string[];
  /** The one extended key usage the certificate is for. */
  readonly extendedKeyUsage: 'serverAuth' | 'clientAuth';
}

export interface KeyAndCsr {
  /** PEM PKCS#8 private key, with a trailing newline. Never leaves the handler except into the secret. */
  readonly key: string;
  /** PEM PKCS#10 request, with a trailing newline. */
  readonly csr: string;
}

/**
 * A new EC key pair and a certificate signing request for a pki-mode cluster certificate. The
 * request carries the extensions the certificate must have — keyUsage digitalSignature
 * (critical), the one extendedKeyUsage, the DNS names — for a CSR-passthrough template to copy.
 */
export async function createKeyAndCsr(request: CertificateRequest): Promise<KeyAndCsr> {
  const algorithm = { name: 'ECDSA', namedCurve: request.curve, hash: SIGNATURE_HASH[request.curve] };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const extensions: x509.Extension[] = [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage[request.extendedKeyUsage]]),
  ];
  if (request.dnsNames && request.dnsNames.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(request.dnsNames.map((value) => ({ type: 'dns', value }))),
    );
  }
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [request.commonName] }],
    keys,
    signingAlgorithm: algorithm,
    extensions,
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    key: withNewline(x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')),
    csr: withNewline(csr.toString('pem')),
  };
}

/** The PEM certificates of a bundle, in order (empty for an empty or blank string). */
export function splitPemBundle(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((pem) => `${pem}\n`) ?? [];
}

/**
 * True when `certPem` was signed by one of the certificates of `issuersPem` (a PEM bundle) that
 * names it as issuer. Signature and name check only: callers check validity separately.
 */
export function issuedByOneOf(certPem: string, issuersPem: string): boolean {
  const cert = new X509Certificate(certPem);
  return splitPemBundle(issuersPem).some((pem) => {
    const issuer = new X509Certificate(pem);
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  });
}

/** The certificate's notAfter. */
export function certificateNotAfter(certPem: string): Date {
  return new x509.X509Certificate(new X509Certificate(certPem).raw).notAfter;
}

function withNewline(pem: string): string {
  const text = pem.replace(/\r\n/g, '\n');
  return text.endsWith('\n') ? text : `${text}\n`;
}
