import { KongFleetError } from './errors';

/** A Kong Gateway version: `3.10.0` (OSS, 3 parts) or `3.10.0.6` (Enterprise, 4 parts). */
export interface KongVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Fourth part of an Enterprise version (`3.10.0.6` → 6). */
  readonly build?: number;
  /** The version exactly as given. */
  readonly text: string;
}

/** Kong Gateway Enterprise LTS line. */
export const DEFAULT_KONG_VERSION = '3.10.0.6';

/** Docker image of Kong Gateway (Enterprise; runs unlicensed in free mode). */
export const KONG_GATEWAY_IMAGE = 'kong/kong-gateway';

/** The only major version this product supports (the hybrid-mode features used are 3.x). */
export const SUPPORTED_KONG_MAJOR = 3;

const VERSION_FORMAT = 'a Kong Gateway version such as 3.10.0.6 (Enterprise) or 3.10.0';
const PART = '(0|[1-9][0-9]*)';
const VERSION_PATTERN = new RegExp(`^${PART}\\.${PART}\\.${PART}(?:\\.${PART})?$`);

/** Parses any well-formed 3- or 4-part version, whatever its major. */
function parseVersionSyntax(text: string, where: string): KongVersion {
  const match = typeof text === 'string' ? VERSION_PATTERN.exec(text) : null;
  if (!match) {
    throw new KongFleetError(where, 'not a Kong Gateway version', { got: text, expected: VERSION_FORMAT });
  }
  const [, major, minor, patch, build] = match;
  return {
    major: Number(major),
    minor: Number(minor),
    patch: Number(patch),
    ...(build !== undefined ? { build: Number(build) } : {}),
    text,
  };
}

/**
 * Parses a Kong Gateway version (`3.10.0.6` or `3.10.0`). Image tags with suffixes, `latest`,
 * `v`-prefixes and 2-part versions are rejected: the version must pin one image exactly.
 */
export function parseKongVersion(text: string, where = 'version'): KongVersion {
  const version = parseVersionSyntax(text, where);
  if (version.major !== SUPPORTED_KONG_MAJOR) {
    throw new KongFleetError(where, `Kong Gateway ${version.major}.x is not supported`, {
      got: text,
      expected: `a ${SUPPORTED_KONG_MAJOR}.x version (hybrid-mode features used here are ${SUPPORTED_KONG_MAJOR}.x)`,
    });
  }
  return version;
}

/**
 * Kong's rule (clustering/compat): same major, DP minor ≤ CP minor; patch and build are ignored.
 * Otherwise the CP closes the connection with `kong_version_incompatible`.
 * Throws when either version is malformed.
 */
export function isDataPlaneCompatible(dp: string, cp: string): boolean {
  const d = parseVersionSyntax(dp, 'dataPlane.version');
  const c = parseVersionSyntax(cp, 'controlPlane.version');
  return d.major === c.major && d.minor <= c.minor;
}

/** Throws a KongFleetError when a DP on version `dp` cannot connect to a CP on version `cp`. */
export function checkDataPlaneCompatible(dp: string, cp: string, where: string): void {
  const d = parseVersionSyntax(dp, where);
  const c = parseVersionSyntax(cp, where);
  if (d.major !== c.major) {
    throw new KongFleetError(where, `data plane major version differs from the control plane's (${cp})`, {
      got: dp,
      expected: `a ${c.major}.x version with minor ≤ ${c.minor}`,
    });
  }
  if (d.minor > c.minor) {
    throw new KongFleetError(
      where,
      `data plane is newer than the control plane (${cp}); upgrade the control plane first`,
      { got: dp, expected: `a ${c.major}.x version with minor ≤ ${c.minor}` },
    );
  }
}
