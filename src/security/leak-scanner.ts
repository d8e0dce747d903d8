/**
 * The leak scanner: finds secret values in what kong-fleet synthesizes or generates (templates,
 * assets, boot scripts, Helm values, decK files). Everything kong-fleet writes must pass it: secrets
 * reach planes only at run time, as Secrets Manager references, dynamic references
 * (`{{resolve:secretsmanager:…}}`) or Kong vault references (`{vault://…}`). No CDK import.
 */
import * as fs from 'fs';
import * as path from 'path';

/** One kind of secret and how it looks in a file. */
export interface LeakPattern {
  readonly kind: string;
  readonly pattern: RegExp;
}

/** A value that stands for a secret without being one. */
const REFERENCE = String.raw`(?:\{\{resolve:|\{vault://|\$\{|<)`;

/**
 * What counts as a leak. Passwords are literal values of password-named fields; references to
 * where the secret lives (dynamic references, vault references, `${…}` placeholders, `<…>`
 * placeholders) are not.
 */
export const LEAK_PATTERNS: readonly LeakPattern[] = [
  // The header followed by key material (a raw newline or an escaped `\n` in JSON), not just the
  // header text that PEM-writing code carries.
  { kind: 'PEM private key', pattern: /-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----(?:\s|\\r|\\n)*[A-Za-z0-9+/=]{16}/ },
  { kind: 'AWS access key id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  {
    kind: 'AWS secret access key',
    pattern: /aws_secret_access_key["']?\s*[:=]\s*["']?[A-Za-z0-9/+]{40}\b/i,
  },
  {
    kind: 'Kong license payload',
    pattern: /"(?:license_key|payload)"\s*:\s*"[^"]{16,}"|"signature"\s*:\s*"[0-9a-f]{64,}"/,
  },
  {
    kind: 'literal password in JSON',
    pattern: new RegExp(
      String.raw`"(?:[A-Za-z_]*[Pp]assword|pg_password|AuthToken|client_secret)"\s*:\s*"(?!${REFERENCE})[^"\s]{4,}"`,
    ),
  },
  {
    kind: 'literal password in an environment entry',
    pattern: new RegExp(
      String.raw`"Name"\s*:\s*"KONG_(?:PG_PASSWORD|PG_RO_PASSWORD|LICENSE_DATA|CLUSTER_CERT_KEY)"\s*,\s*"Value"\s*:\s*"(?!${REFERENCE})[^"]+"`,
    ),
  },
  {
    kind: 'literal password in kong.conf, YAML or a shell assignment',
    pattern: new RegExp(
      String.raw`(?:^|[\s"'])(?:KONG_PG_PASSWORD|KONG_LICENSE_DATA|pg_password|pg_ro_password|client_secret|password)\s*[:=]\s*["']?(?!${REFERENCE}|\$|"|'|\s|$)[^\s"',}]{4,}`,
      'm',
    ),
  },
];

/** One finding: where and what, never the value. */
export interface LeakFinding {
  readonly file: string;
  readonly line: number;
  readonly kind: string;
}

/** Files larger than this are binaries (layer archives, tools), not text kong-fleet writes. */
const MAX_TEXT_BYTES = 8 * 1024 * 1024;

/** Findings in one text, by line (1-based). */
export function scanText(text: string, file: string, patterns: readonly LeakPattern[] = LEAK_PATTERNS): LeakFinding[] {
  const findings: LeakFinding[] = [];
  const lines = text.split('\n');
  lines.forEach((content, index) => {
    for (const { kind, pattern } of patterns) {
      if (pattern.test(content)) findings.push({ file, line: index + 1, kind });
    }
  });
  // A PEM block split across lines: header on one line, base64 on the next.
  const pem = /-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----\r?\n[A-Za-z0-9+/=]{16}/g;
  for (const match of text.matchAll(pem)) {
    const line = text.slice(0, match.index).split('\n').length;
    if (!findings.some((f) => f.line === line && f.kind === 'PEM private key')) {
      findings.push({ file, line, kind: 'PEM private key' });
    }
  }
  return findings;
}

/** Every file under `root` (a file or a directory), depth first, sorted. */
export function filesUnder(root: string): string[] {
  const stat = fs.statSync(root);
  if (!stat.isDirectory()) return [root];
  return fs
    .readdirSync(root, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => filesUnder(path.join(root, entry.name)));
}

/**
 * Scans every text file under `roots` (directories or files). Minified bundles are scanned too:
 * a handler bundle must not carry a key either. Binary files and files above 8 MiB are skipped.
 */
export function scanForLeaks(
  roots: readonly string[],
  patterns: readonly LeakPattern[] = LEAK_PATTERNS,
): LeakFinding[] {
  const findings: LeakFinding[] = [];
  for (const root of roots) {
    for (const file of filesUnder(root)) {
      const size = fs.statSync(file).size;
      if (size > MAX_TEXT_BYTES) continue;
      const buffer = fs.readFileSync(file);
      if (buffer.subarray(0, 8000).includes(0)) continue; // binary
      findings.push(...scanText(buffer.toString('utf8'), file, patterns));
    }
  }
  return findings;
}

/** `file:line: kind` — never the secret itself. */
export function formatLeak(finding: LeakFinding, base = process.cwd()): string {
  return `${path.relative(base, finding.file) || finding.file}:${finding.line}: ${finding.kind}`;
}
