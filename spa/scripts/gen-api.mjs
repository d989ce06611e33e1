#!/usr/bin/env node
// Regenerate src/lib/api/schema.d.ts (the typed API client's types) from an OpenAPI document.
//
//   npm run gen:api                                         # from the server code (../.venv)
//   npm run gen:api -- http://127.0.0.1:8080/api/openapi.json   # from a running server
//   npm run gen:api -- openapi.json [--out other.d.ts]          # from a file
//
// The repository's ./scripts/gen-api-client runs the first form.  tests/test_spa_client.py runs
// this same script into a temporary file and fails when the committed schema.d.ts differs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const spa = resolve(here, '..');
const repo = resolve(spa, '..');

const args = process.argv.slice(2);
let out = join(spa, 'src/lib/api/schema.d.ts');
let source;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--out') out = resolve(args[++i]);
  else source = args[i];
}

let tmp;
if (!source) {
  // Build the description from the server's own route table (no server needed).
  const python = process.env.PYTHON ?? join(repo, '.venv/bin/python');
  const json = execFileSync(python, ['-m', 'clickclack.spa', 'openapi'], { cwd: repo });
  tmp = mkdtempSync(join(tmpdir(), 'cc-openapi-'));
  source = join(tmp, 'openapi.json');
  writeFileSync(source, json);
}
try {
  execFileSync(join(spa, 'node_modules/.bin/openapi-typescript'), [source, '--default-non-nullable', 'false', '--output', out], {
    cwd: spa,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
} finally {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}
console.log(`gen:api: wrote ${out}`);
