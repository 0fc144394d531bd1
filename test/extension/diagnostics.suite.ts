// "Export Gateway Diagnostics…" in the real extension host against the real local gateway: the command (as a gateway
// row's menu runs it) runs the installed openclaw CLI named by lanewatch.openclawCommand and leaves a zip whose entries
// are OpenClaw's diagnostics bundle, with the gateway's token in neither the zip nor the command's result.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import JSON5 from 'json5';
import type { DiagnosticsExportResult } from '../../src/actions/diagnosticsExport';

describe('Export Gateway Diagnostics from the editor', function () {
  this.timeout(120_000);

  it('writes the gateway’s diagnostics zip where asked, without its token', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'lw-ext-diag-'));
    const result = await vscode.commands.executeCommand<DiagnosticsExportResult | undefined>(
      'lanewatch.exportGatewayDiagnostics',
      { gateway: 'demo', folder },
    );
    assert.ok(result, 'the command returned its result');
    assert.ok(result.ok, result.ok ? '' : `${result.summary}\n${result.detail ?? ''}`);
    assert.equal(path.dirname(result.file), folder);
    const zip = readFileSync(result.file);
    assert.equal(zip.subarray(0, 4).toString('latin1'), 'PK\x03\x04');
    assert.ok(zip.includes('manifest.json') && zip.includes('summary.md'), 'OpenClaw’s bundle entries');
    const config = process.env.LANEWATCH_TEST_GATEWAY_CONFIG;
    assert.ok(config, 'LANEWATCH_TEST_GATEWAY_CONFIG names the gateway’s config');
    const parsed = JSON5.parse<{ gateway?: { auth?: { token?: string } } }>(readFileSync(config, 'utf8'));
    const token = parsed.gateway?.auth?.token;
    assert.ok(token, 'the gateway has a token');
    assert.ok(!zip.includes(token), 'no token in the zip');
    assert.ok(!JSON.stringify(result).includes(token), 'no token in the result');
  });
});
