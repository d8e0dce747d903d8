#!/usr/bin/env node
// Bundles every Lambda handler src/handlers/<name>/index.ts into dist/handlers/<name>/index.js
// (one self-contained CommonJS file, AWS SDK included, so versions are pinned and synth never
// needs the network). A handler is rebuilt only when an input is newer than its bundle: any file
// under src/handlers or src/kong, this script, or package-lock.json (dependency versions).
// Usage: node scripts/bundle-handlers.mjs [--force]
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const handlersDir = join(root, 'src', 'handlers');
const outRoot = join(root, 'dist', 'handlers');
const force = process.argv.includes('--force');

/** Newest modification time (ms) of the files under `path` (a file or a directory); 0 if absent. */
function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file changes its directory's mtime
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function formatSize(bytes) {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

const names = existsSync(handlersDir)
  ? readdirSync(handlersDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(handlersDir, entry.name, 'index.ts')))
      .map((entry) => entry.name)
      .sort()
  : [];

// Bundles of handlers whose source is gone must not be deployed by mistake.
if (existsSync(outRoot)) {
  for (const entry of readdirSync(outRoot, { withFileTypes: true })) {
    if (entry.isDirectory() && !names.includes(entry.name)) {
      rmSync(join(outRoot, entry.name), { recursive: true, force: true });
      console.log(`${entry.name}: removed stale bundle`);
    }
  }
}

const inputsMtime = Math.max(
  newestMtime(handlersDir),
  newestMtime(join(root, 'src', 'kong')),
  newestMtime(fileURLToPath(import.meta.url)),
  newestMtime(join(root, 'package-lock.json')),
);

const results = await Promise.all(
  names.map(async (name) => {
    const outFile = join(outRoot, name, 'index.js');
    if (!force && existsSync(outFile) && statSync(outFile).mtimeMs > inputsMtime) {
      return { name, outFile, size: statSync(outFile).size, fresh: false };
    }
    const result = await build({
      entryPoints: [join(handlersDir, name, 'index.ts')],
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      // ES module builds first: they tree-shake (the AWS SDK bundle halves), as CDK's NodejsFunction does.
      mainFields: ['module', 'main'],
      minify: true,
      keepNames: true, // readable error names and stack traces in CloudWatch
      sourcemap: false,
      legalComments: 'none',
      logLevel: 'warning',
      write: false,
      outfile: outFile,
    });
    const [file] = result.outputFiles;
    // Write-then-rename: an interrupted run never leaves a truncated bundle that looks fresh.
    mkdirSync(dirname(outFile), { recursive: true });
    const tmp = `${outFile}.${process.pid}.tmp`;
    writeFileSync(tmp, file.contents);
    renameSync(tmp, outFile);
    return { name, outFile, size: file.contents.byteLength, fresh: true };
  }),
);

for (const { name, outFile, size, fresh } of results) {
  console.log(`${name}: ${relative(root, outFile)} ${formatSize(size)}${fresh ? '' : ' (up to date)'}`);
}
