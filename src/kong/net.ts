import { isIPv4, isIPv6 } from 'net';

/**
 * True when `value` holds an unresolved CDK token (`${Token[...]}`), e.g. an NLB DNS name or
 * `Aws.REGION`. Such values are only known at deploy time, so syntax checks must skip them;
 * detected by shape because src/kong must not import CDK.
 */
export function isUnresolvedToken(value: string): boolean {
  return value.includes('${Token[');
}

export function isValidPort(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** IPv4 dotted quad or IPv6 literal, bare (`::1`) or bracketed (`[::1]`). */
export function isIpLiteral(value: string): boolean {
  return isIPv4(value) || isIPv6(unbracket(value));
}

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** A DNS host name (RFC 1123): letters, digits and hyphens in dot-separated labels, ≤ 253 chars. */
export function isDnsName(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  const labels = value.split('.');
  if (!labels.every((label) => DNS_LABEL.test(label))) return false;
  // All-numeric names are malformed IPv4 addresses, not host names.
  return !/^[0-9.]+$/.test(value);
}

/** `host:port`, with IPv6 hosts bracketed as URLs and nginx need. */
export function formatHostPort(host: string, port: number): string {
  const h = isIPv6(unbracket(host)) ? `[${unbracket(host)}]` : host;
  return `${h}:${port}`;
}

function unbracket(value: string): string {
  return value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
}
