// Real node:tls handshakes that emulate Kong hybrid mode's cluster mTLS:
//
// - shared (`cluster_mtls=shared`): CP and DPs hold the same certificate. The CP requests a client
//   certificate without verifying it against a CA (nginx `ssl_verify_client optional_no_ca`) and
//   accepts only a DP whose certificate has the same SHA-256 DER digest as its own. The DP sends
//   SNI `kong_clustering`, trusts its own `cluster_cert` and checks the host name `kong_clustering`.
// - pki (`cluster_mtls=pki`): the CP verifies DP certificates against `cluster_ca_cert` with verify
//   depth 4; the DP verifies the CP against `cluster_ca_cert` and checks `cluster_server_name`
//   against the CP certificate's SANs. EKU is enforced by OpenSSL itself: a server checks a client
//   certificate with purpose sslclient (EKU clientAuth), a client checks a server with sslserver.
import { createHash, X509Certificate } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import * as tls from 'node:tls';

export type ClusterMtlsMode = 'shared' | 'pki';

/** SNI and verified host name of the DP → CP connection in shared mode. */
export const KONG_CLUSTER_SERVER_NAME = 'kong_clustering';

/**
 * Kong's verify depth for DP certificates in pki mode, with OpenSSL's meaning
 * (SSL_CTX_set_verify_depth): at most this many intermediate CAs between the DP leaf and the
 * self-signed root, i.e. a chain of at most depth + 2 certificates.
 */
export const KONG_PKI_VERIFY_DEPTH = 4;

/** The line the emulated CP writes to a DP it accepted. */
export const CONTROL_PLANE_ACK = 'kong-cp:accepted';

const DEFAULT_TIMEOUT_MS = 5000;

export interface ControlPlaneOptions {
  readonly mode: ClusterMtlsMode;
  /** `cluster_cert`: PEM certificate, optionally followed by intermediates. */
  readonly cert: string;
  /** `cluster_cert_key`: PEM private key. */
  readonly key: string;
  /** `cluster_ca_cert`: PEM bundle the CP verifies DP certificates against. Required in pki mode. */
  readonly ca?: string;
}

export interface ControlPlaneListener {
  /** The TCP port on 127.0.0.1. */
  readonly port: number;
  /**
   * Why the CP refused connections, oldest first: DP certificate verification failures (with
   * Node's code, e.g. `CERT_HAS_EXPIRED`, `INVALID_PURPOSE`), other handshake failures (`CODE: message`),
   * digest mismatches, missing client certificates, chains deeper than Kong allows. A DP hanging up
   * on its own is not recorded. Digest, missing-certificate and depth refusals are recorded before
   * the socket is destroyed; OpenSSL/Node verification failures when the socket closes, so the list
   * is complete once `close()` has resolved.
   */
  readonly rejections: readonly string[];
  /** How many DPs the CP accepted (and sent the ack line). */
  readonly acceptedCount: number;
  /** Stops listening and destroys every open socket. Safe to call more than once. */
  close(): Promise<void>;
}

export interface DataPlaneOptions {
  readonly mode: ClusterMtlsMode;
  readonly port: number;
  /** The DP's `cluster_cert` (PEM); omit to connect without a client certificate. */
  readonly cert?: string;
  /** The DP's `cluster_cert_key` (PEM). */
  readonly key?: string;
  /**
   * pki: `cluster_ca_cert`, the trust store for the CP certificate. shared: Kong trusts the DP's own
   * `cert`; a `ca` given here replaces that trust store (for diagnostics, e.g. to trust the CP's
   * certificate while presenting a different one).
   */
  readonly ca?: string;
  /** SNI and host name checked against the CP certificate: `kong_clustering` (shared) or `cluster_server_name` (pki). */
  readonly serverName: string;
  /** Gives up (ok: false) after this long; default 5000 ms. */
  readonly timeoutMs?: number;
}

export type HandshakeResult = { ok: true } | { ok: false; reason: string };

/** Starts an emulated Kong CP cluster listener on 127.0.0.1 on a free port. */
export async function startControlPlaneListener(opts: ControlPlaneOptions): Promise<ControlPlaneListener> {
  if (opts.mode === 'pki' && !opts.ca) {
    throw new Error('pki mode needs ca (cluster_ca_cert)');
  }
  const ownDigest = sha256(new X509Certificate(opts.cert).raw);
  const rejections: string[] = [];
  const sockets = new Set<Socket>();
  let acceptedCount = 0;

  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const reject = (socket: tls.TLSSocket, reason: string): void => {
    rejections.push(reason);
    socket.destroy();
  };

  const server = tls.createServer({
    cert: opts.cert,
    key: opts.key,
    minVersion: 'TLSv1.2',
    requestCert: true,
    ...(opts.mode === 'shared' ? { rejectUnauthorized: false } : { rejectUnauthorized: true, ca: opts.ca }),
  });
  server.on('connection', track);
  server.on('tlsClientError', (error, socket) => {
    if (socket.authorizationError) {
      // rejectUnauthorized: Node verified the chain after the handshake and destroyed the socket
      // without a TLS alert; the verification result is only left on the socket.
      rejections.push(`pki mode: data plane certificate rejected: ${String(socket.authorizationError)}`);
    } else if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') {
      // ECONNRESET without a verification error is the DP hanging up (e.g. it refused the CP): not a CP decision.
      rejections.push(`TLS handshake failed: ${describeError(error)}`);
    }
  });
  server.on('secureConnection', (socket) => {
    track(socket);
    // A DP may reset the connection at any time; that must not become an uncaught exception.
    socket.on('error', () => undefined);
    const refusal = opts.mode === 'shared' ? checkSharedPeer(socket, ownDigest) : checkPkiPeer(socket);
    if (refusal) {
      reject(socket, refusal);
      return;
    }
    acceptedCount += 1;
    socket.end(`${CONTROL_PLANE_ACK}\n`);
  });

  await new Promise<void>((resolve, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', rejectListen);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    port,
    rejections,
    get acceptedCount() {
      return acceptedCount;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const socket of sockets) {
          socket.destroy();
        }
        server.close(() => resolve());
      });
      return closing;
    },
  };
}

/**
 * Connects an emulated Kong DP and waits for the CP's ack line. Resolves `{ ok: true }` only when
 * the ack arrives; any TLS or socket error, a close without ack, or the timeout resolves
 * `{ ok: false, reason }`. Never rejects.
 */
export function connectDataPlane(opts: DataPlaneOptions): Promise<HandshakeResult> {
  return new Promise<HandshakeResult>((resolve) => {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let settled = false;
    let handshakeDone = false;
    let received = '';
    let socket: tls.TLSSocket | undefined;
    const timer = setTimeout(
      () => finish({ ok: false, reason: `no acknowledgement from the control plane within ${timeoutMs} ms` }),
      timeoutMs,
    );

    const finish = (result: HandshakeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve(result);
    };

    try {
      socket = tls.connect({
        host: '127.0.0.1',
        port: opts.port,
        servername: opts.serverName,
        cert: opts.cert,
        key: opts.key,
        ca: opts.mode === 'shared' ? (opts.ca ?? opts.cert) : opts.ca,
        minVersion: 'TLSv1.2',
        rejectUnauthorized: true,
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity(opts.serverName, cert),
      });
    } catch (error) {
      // Unusable material (e.g. a key that does not match the certificate) throws synchronously.
      finish({ ok: false, reason: `data plane TLS setup failed: ${describeError(error)}` });
      return;
    }

    socket.setEncoding('utf8');
    socket.once('secureConnect', () => {
      handshakeDone = true;
    });
    socket.on('data', (chunk: string) => {
      received += chunk;
      const newline = received.indexOf('\n');
      if (newline < 0) return;
      const line = received.slice(0, newline);
      finish(
        line === CONTROL_PLANE_ACK
          ? { ok: true }
          : { ok: false, reason: `unexpected reply from the control plane: ${JSON.stringify(line.slice(0, 80))}` },
      );
    });
    socket.on('error', (error) => finish({ ok: false, reason: describeError(error) }));
    socket.on('close', () =>
      finish({
        ok: false,
        reason: handshakeDone
          ? 'the control plane closed the connection after the TLS handshake without accepting the data plane'
          : 'the connection closed before the TLS handshake completed',
      }),
    );
  });
}

/**
 * Starts a listener, connects one DP, closes the listener. On failure the reason also lists what
 * the CP recorded. Throws only if the listener cannot start (e.g. unusable CP material).
 */
export async function handshake(
  server: ControlPlaneOptions,
  client: Omit<DataPlaneOptions, 'port'>,
): Promise<HandshakeResult> {
  const listener = await startControlPlaneListener(server);
  let result: HandshakeResult;
  try {
    result = await connectDataPlane({ ...client, port: listener.port });
  } finally {
    // After close() every socket has closed, so every rejection has been recorded.
    await listener.close();
  }
  if (result.ok || listener.rejections.length === 0) return result;
  return { ok: false, reason: `${result.reason} (control plane: ${listener.rejections.join('; ')})` };
}

/** shared mode: Kong compares the SHA-256 digest of the DP certificate with its own. */
function checkSharedPeer(socket: tls.TLSSocket, ownDigest: string): string | undefined {
  const peer = socket.getPeerCertificate();
  if (!peer || !peer.raw) {
    return 'shared mode: data plane presented no client certificate';
  }
  if (sha256(peer.raw) !== ownDigest) {
    return 'shared mode: data plane certificate digest does not match the control plane certificate digest';
  }
  return undefined;
}

/** pki mode: OpenSSL verified the chain (rejectUnauthorized); Kong also caps the chain depth. */
function checkPkiPeer(socket: tls.TLSSocket): string | undefined {
  if (!socket.authorized) {
    return `pki mode: data plane certificate not verified: ${String(socket.authorizationError)}`;
  }
  const length = peerChainLength(socket.getPeerCertificate(true));
  if (length > KONG_PKI_VERIFY_DEPTH + 2) {
    return (
      `pki mode: data plane certificate chain too deep: ${length - 2} intermediates ` +
      `(${length} certificates), verify depth ${KONG_PKI_VERIFY_DEPTH} allows at most ${KONG_PKI_VERIFY_DEPTH}`
    );
  }
  return undefined;
}

/** Certificates from the leaf up to and including the self-issued root Node resolved. */
function peerChainLength(leaf: tls.DetailedPeerCertificate): number {
  const seen = new Set<string>();
  let cert: tls.DetailedPeerCertificate | undefined = leaf;
  while (cert?.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    const issuer: tls.DetailedPeerCertificate | undefined = cert.issuerCertificate;
    if (!issuer || issuer === cert || issuer.fingerprint256 === cert.fingerprint256) break;
    cert = issuer;
  }
  return seen.size;
}

function sha256(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/** `CODE: message` for Node/OpenSSL errors; never includes key material. */
function describeError(error: unknown): string {
  // Duck-typed: under jest, errors raised by Node internals come from another realm and fail `instanceof Error`.
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const { code, message } = error as { code?: unknown; message: unknown };
    const text = String(message).trim();
    return typeof code === 'string' && code !== '' ? `${code}: ${text}` : text;
  }
  return String(error);
}
