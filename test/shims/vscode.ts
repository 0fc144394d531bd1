// A minimal stand-in for the `vscode` module, so bench/fleet.mjs and the unit tests (test/unit/*.tree.test.ts) can run the real src/vscode/fleetTree.ts in plain
// Node (esbuild resolves `vscode` to this file when it bundles bench/fleet-host.ts). It has only what fleetTree.ts
// uses, with the same shapes and semantics as VS Code's own classes; none of it does any work VS Code would not do.

export interface Disposable {
  dispose(): void;
}
export const Disposable = class {
  constructor(private readonly callOnDispose: () => void) {}
  static from(...items: Array<{ dispose(): unknown }>): Disposable {
    return {
      dispose: () => {
        for (const i of items) i.dispose();
      },
    };
  }
  dispose(): void {
    this.callOnDispose();
  }
};

export type Event<T> = (listener: (e: T) => unknown, thisArgs?: unknown, disposables?: Disposable[]) => Disposable;

/** Like vscode.EventEmitter: listeners run synchronously in fire(), in subscription order; a throwing listener does not stop the others. */
export class EventEmitter<T> {
  private listeners: Array<(e: T) => unknown> = [];
  private disposed = false;
  readonly event: Event<T> = (listener, thisArgs, disposables) => {
    const bound = thisArgs ? listener.bind(thisArgs) : listener;
    if (!this.disposed) this.listeners.push(bound);
    const d = {
      dispose: () => {
        this.listeners = this.listeners.filter((l) => l !== bound);
      },
    };
    disposables?.push(d);
    return d;
  };
  fire(data: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(data);
      } catch (err) {
        console.error('[vscode-shim] listener failed:', err);
      }
    }
  }
  dispose(): void {
    this.disposed = true;
    this.listeners = [];
  }
}

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class ThemeIcon {
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}

export class MarkdownString {
  isTrusted?: boolean;
  supportThemeIcons?: boolean;
  supportHtml?: boolean;
  constructor(
    public value = '',
    supportThemeIcons = false,
  ) {
    this.supportThemeIcons = supportThemeIcons;
  }
  appendText(text: string): this {
    this.value += text.replace(/[\\`*_{}[\]()#+\-.!]/g, '\\$&');
    return this;
  }
  appendMarkdown(value: string): this {
    this.value += value;
    return this;
  }
}

export interface Command {
  command: string;
  title: string;
  arguments?: unknown[];
  tooltip?: string;
}
export interface AccessibilityInformation {
  label: string;
  role?: string;
}

export class TreeItem {
  id?: string;
  description?: string | boolean;
  tooltip?: string | MarkdownString;
  iconPath?: ThemeIcon | string;
  command?: Command;
  contextValue?: string;
  accessibilityInformation?: AccessibilityInformation;
  resourceUri?: unknown;
  collapsibleState?: TreeItemCollapsibleState;
  label?: string;
  constructor(label: string, collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None) {
    this.label = label;
    this.collapsibleState = collapsibleState;
  }
}

/** Only a type in fleetTree.ts (`implements vscode.TreeDataProvider`). */
export interface TreeDataProvider<T> {
  onDidChangeTreeData?: Event<T | T[] | undefined | null | void>;
  getTreeItem(element: T): TreeItem | PromiseLike<TreeItem>;
  getChildren(element?: T): T[] | undefined | null | PromiseLike<T[] | undefined | null>;
}
