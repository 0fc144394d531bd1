#!/usr/bin/env node
// `npm run package`: a production build packed into lanewatch.vsix (only what .vscodeignore lets through),
// then the development build is restored so tests keep their source maps. vsce rewrites the README's relative links
// (docs/images/*.png, docs/*.md, which are not in the .vsix) to the repository named in package.json, so the
// Marketplace page and VS Code's extension page show the screenshots.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const step = (args, what) => {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`package: ${what} failed`);
    process.exit(1);
  }
};
step(['esbuild.mjs', '--production'], 'production build');
step(
  [path.join(root, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '-o', 'lanewatch.vsix'],
  'vsce package',
);
step(['esbuild.mjs'], 'development build');
console.log(`package: lanewatch.vsix ${(statSync(path.join(root, 'lanewatch.vsix')).size / 1024).toFixed(0)} KB`);
