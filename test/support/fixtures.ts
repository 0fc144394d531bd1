// Loads the real-fixture scripts (plain ESM under scripts/fixtures) at run time, so the compiled tests in
// out/test/** and `npm start` share one implementation of "bring up a real gateway".
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');

export async function importFixture<T = any>(
  name: 'openclaw-gateway' | 'seed-demo' | 'fake-model-server' | 'tools' | 'webview-harness',
): Promise<T> {
  return import(pathToFileURL(path.join(repoRoot, 'scripts', 'fixtures', `${name}.mjs`)).href) as Promise<T>;
}
