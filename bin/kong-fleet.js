#!/usr/bin/env node
// kong-fleet CLI launcher. In a development checkout (src/ present) it runs the TypeScript sources
// through tsx, so it never uses a stale build; an installed package ships only the compiled lib/.
const fs = require('fs');
const path = require('path');

process.env.JSII_DEPRECATED = process.env.JSII_DEPRECATED || 'quiet';
const sources = path.join(__dirname, '..', 'src', 'cli', 'main.ts');
let cli;
if (fs.existsSync(sources)) {
  require('tsx/cjs');
  cli = require(sources);
} else {
  cli = require('../lib/cli/main.js');
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
