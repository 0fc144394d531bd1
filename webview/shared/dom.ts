// DOM helpers shared by the webview bundles. Text is always set with textContent: nothing here parses HTML.
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A codicon; decorative (hidden from screen readers) unless it has a title. */
export function codicon(name: string, title?: string): HTMLSpanElement {
  const s = el('span', `codicon codicon-${name}`);
  if (title) s.title = title;
  else s.setAttribute('aria-hidden', 'true');
  return s;
}

export function button(text: string, icon: string, title: string): HTMLElementTagNameMap['vscode-button'] {
  const b = document.createElement('vscode-button');
  b.textContent = text;
  b.icon = icon;
  b.title = title;
  return b;
}

export function select(label: string, options: Array<[string, string]>): HTMLElementTagNameMap['vscode-single-select'] {
  const s = document.createElement('vscode-single-select');
  s.setAttribute('aria-label', label);
  s.title = label;
  for (const [value, text] of options) {
    const o = document.createElement('vscode-option');
    o.value = value;
    o.textContent = text;
    s.append(o);
  }
  return s;
}

export function textfield(label: string, placeholder: string): HTMLElementTagNameMap['vscode-textfield'] {
  const t = document.createElement('vscode-textfield');
  t.setAttribute('aria-label', label);
  t.placeholder = placeholder;
  return t;
}

/** The toolbar row above a panel's list. */
export function toolbar(...children: HTMLElement[]): HTMLDivElement {
  const t = el('div', 'toolbar');
  t.setAttribute('role', 'toolbar');
  t.append(...children);
  return t;
}

/**
 * The frame of a fixed-row virtual list: a focusable scrolling viewport, a spacer as tall as every row, and the
 * few row elements actually drawn; plus the live region for banners or notices above it.
 */
export function virtualListShell(
  statusClass: string,
  role: 'list' | 'log',
  label: string,
): { status: HTMLDivElement; viewport: HTMLDivElement; spacer: HTMLDivElement; rowsEl: HTMLDivElement } {
  const status = el('div', statusClass);
  status.setAttribute('role', 'status');
  const viewport = el('div', 'viewport');
  viewport.tabIndex = 0;
  viewport.setAttribute('role', role);
  viewport.setAttribute('aria-label', label);
  const spacer = el('div', 'spacer');
  const rowsEl = el('div', 'rows');
  viewport.append(spacer, rowsEl);
  return { status, viewport, spacer, rowsEl };
}
