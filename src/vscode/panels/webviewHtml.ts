// HTML shell for Lanewatch webviews: a strict CSP (no inline or eval'd script, scripts only by nonce from
// the extension's own dist/webview folder), theme-aware, with the codicon font.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { PanelServices } from './webviewPanelBase';

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
    retainContextWhenHidden: false,
  };
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

/**
 * The page of `entry` (dist/webview/<entry>.js) with a fresh nonce; `css` are the panel's own stylesheets from
 * dist/webview/ (CSP style-src), linked after the shared webview.css.
 */
export function webviewHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  entry: string,
  title: string,
  css: readonly string[] = [],
): string {
  const nonce = randomBytes(16).toString('base64');
  const asset = (...p: string[]) =>
    webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', ...p)).toString();
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const sheets = ['webview.css', ...css].map((f) => `<link rel="stylesheet" href="${esc(asset(f))}">`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(webview.cspSource, nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${esc(asset('codicons', 'codicon.css'))}" id="vscode-codicon-stylesheet">
${sheets}
<title>${esc(title)}</title>
</head>
<body>
<main id="app" aria-live="polite"></main>
<script nonce="${nonce}" src="${esc(asset(`${entry}.js`))}"></script>
</body>
</html>`;
}

/** What every panel's page is made of: options, icon and HTML shell (the panel base uses it; tests can stub it). */
export interface PageShell {
  readonly options: vscode.WebviewOptions & vscode.WebviewPanelOptions;
  readonly icon: vscode.Uri;
  html(webview: vscode.Webview, entry: string, title: string, css?: readonly string[]): string;
}

export function pageShell(extensionUri: vscode.Uri): PageShell {
  return {
    options: webviewOptions(extensionUri),
    icon: vscode.Uri.joinPath(extensionUri, 'media', 'lanewatch.svg'),
    html: (webview, entry, title, css) => webviewHtml(webview, extensionUri, entry, title, css),
  };
}

/** What every panel of this extension gets: the page shell, the output channel, problems said as warnings. */
export function panelServices(
  extensionUri: vscode.Uri,
  output: vscode.LogOutputChannel,
): Omit<PanelServices, 'onReport'> {
  return {
    shell: pageShell(extensionUri),
    output,
    notify: (message) => void vscode.window.showWarningMessage(message),
  };
}
