// Mocha entry for the tests that run inside the real VS Code extension host. The extension host `require`s
// out/test/extension/index.js (see scripts/vscode/run-extension-tests.mjs) and awaits run().
// Every *.suite.js under out/test/extension/ is added, in path order.
// Env: LANEWATCH_TEST_GREP=<regex> runs only the matching tests.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import Mocha from 'mocha';

function suiteFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...suiteFiles(p));
    else if (entry.name.endsWith('.suite.js')) out.push(p);
  }
  return out.sort();
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout: 60000 });
  const grep = process.env.LANEWATCH_TEST_GREP;
  if (grep) mocha.grep(new RegExp(grep));
  const files = suiteFiles(__dirname);
  if (files.length === 0) return Promise.reject(new Error(`no *.suite.js files in ${__dirname}`));
  for (const f of files) mocha.addFile(f);
  return new Promise<void>((resolve, reject) => {
    try {
      mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} tests failed`)) : resolve()));
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });
}
