// The audit trail of every action Lanewatch takes on a gateway: time, gateway, session, call, outcome. The
// extension writes it to the "Lanewatch" output channel, the CLI to stderr or JSON lines. Never a token: only
// these fields are recorded, and callers pass descriptions, not parameters that could carry credentials.
export interface AuditEntry {
  time: string;
  gateway: string;
  session?: string;
  call: string;
  outcome: string;
  detail?: string;
}

export class AuditTrail {
  readonly entries: AuditEntry[] = [];
  constructor(
    private readonly sink: (entry: AuditEntry, line: string) => void,
    private readonly max = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  record(e: Omit<AuditEntry, 'time'>): AuditEntry {
    const entry = { time: new Date(this.now()).toISOString(), ...e };
    this.entries.push(entry);
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    this.sink(entry, formatAuditLine(entry));
    return entry;
  }
}

export function formatAuditLine(e: Omit<AuditEntry, 'time'> & { time?: string }): string {
  return `audit gateway=${e.gateway}${e.session ? ` session=${e.session}` : ''} call=${e.call} outcome=${e.outcome}${e.detail ? ` — ${e.detail}` : ''}`;
}
