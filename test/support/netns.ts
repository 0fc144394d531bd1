// A second network namespace joined to the test's own by one veth pair, for tests where a gateway must be another
// host: the test process keeps its namespace (one end, `hostAddress`), a long-lived `unshare -n sleep infinity` child
// holds the other (the peer end, `peerAddress`, plus its own loopback), and programs are started in there with
// `nsenter --net=/proc/<pid>/ns/net`. Made without /var/run/netns (no `ip netns`), so it works inside the user +
// network namespace the gateway suites already run in (`unshare -rn`: root there, CAP_NET_ADMIN over both).
// Nothing but the two /30 addresses is ever configured: the veth ends get no IPv6 link-local address either.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';

export interface PeerNamespace {
  /** This process's end of the pair (the "operator machine"). */
  hostAddress: string;
  /** The other end, inside the peer namespace (the "gateway host"). */
  peerAddress: string;
  /** /proc/<pid>/ns/net of the process holding the peer namespace. */
  nsPath: string;
  holderPid: number;
  /** argv prefix that runs a command in the peer namespace: [...nsenterArgv, cmd, ...args]. */
  nsenterArgv: string[];
  /** Kills the holder (the namespace and its veth end go with it) and removes this end. */
  close(): Promise<void>;
}

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });

function must(cmd: string, args: string[]): void {
  const r = run(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || String(r.error ?? r.status)).trim()}`);
}

/**
 * Why a peer namespace cannot be made here, or undefined when it can. Checked by doing it (a throwaway veth in this
 * namespace), since capabilities in a user namespace are not visible from the uid.
 */
export function namespaceUnavailableReason(): string | undefined {
  // Never add interfaces to the machine's own network: only inside a namespace the test run made (scripts/test.mjs
  // falls back to the normal network when unshare is refused). Where pid 1's namespace cannot be read (a user
  // namespace), this process cannot change the machine's network anyway, and the probe below decides.
  try {
    if (fs.readlinkSync('/proc/1/ns/net') === fs.readlinkSync('/proc/self/ns/net'))
      return "this process is on the machine's own network (not inside unshare -n / -rn), where the test adds no interfaces";
  } catch {
    /* not readable: a user namespace */
  }
  for (const tool of ['ip', 'unshare', 'nsenter']) {
    if (run('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  const name = `lwp${process.pid % 100_000}`;
  const probe = run('ip', ['link', 'add', `${name}a`, 'type', 'veth', 'peer', 'name', `${name}b`]);
  if (probe.status !== 0)
    return `cannot create a veth pair in this network namespace (${probe.stderr.trim()}); run inside unshare -rn`;
  run('ip', ['link', 'del', `${name}a`]);
  return undefined;
}

/**
 * A 10.231.N.0/30 with no address on any interface here: test files that run side by side in one namespace (the
 * suite's lanes) each get their own. Starts at a place taken from the pid, so two files starting at once rarely try
 * the same one.
 */
function freeSubnet(): string {
  const used = run('ip', ['-4', '-o', 'addr', 'show']).stdout ?? '';
  for (let i = 0; i < 256; i++) {
    const n = (process.pid + i) % 256;
    if (!used.includes(` 10.231.${n}.`)) return `10.231.${n}`;
  }
  throw new Error('no free 10.231.N.0/30 subnet in this namespace');
}

/**
 * Creates the peer namespace and the veth pair, addressed `subnet`.1/30 here and `subnet`.2/30 there; both ends up,
 * and the peer's loopback up (a gateway bound to a custom address also listens on 127.0.0.1 for its own host).
 */
export async function createPeerNamespace(subnet = freeSubnet()): Promise<PeerNamespace> {
  const hostAddress = `${subnet}.1`;
  const peerAddress = `${subnet}.2`;
  const ownNs = fs.readlinkSync('/proc/self/ns/net');
  const holder = spawn('unshare', ['-n', 'sleep', 'infinity'], { stdio: 'ignore', detached: true });
  holder.unref();
  const holderPid = holder.pid!;
  const nsPath = `/proc/${holderPid}/ns/net`;
  const kill = () => {
    try {
      process.kill(holderPid, 'SIGKILL');
    } catch {
      /* gone */
    }
  };
  // The holder is detached (its own process group): if this process ends without close() (a failed run, a signal the
  // fixtures turn into process.exit), it must not outlive it and keep the namespace.
  process.once('exit', kill);
  // unshare execs sleep after entering the new namespace: wait for the link to name another namespace (an event
  // no process tells us about; read every 20 ms for at most 5 s).
  const deadline = Date.now() + 5000;
  for (;;) {
    let ns = ownNs;
    try {
      ns = fs.readlinkSync(nsPath);
    } catch {
      /* not yet there */
    }
    if (ns !== ownNs) break;
    if (Date.now() > deadline || holder.exitCode !== null) {
      kill();
      throw new Error(`unshare -n did not enter a new network namespace (pid ${holderPid})`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const here = `lw${holderPid % 100_000}h`;
  const there = `lw${holderPid % 100_000}p`;
  const nsenterArgv = ['nsenter', `--net=${nsPath}`];
  try {
    must('ip', ['link', 'add', here, 'type', 'veth', 'peer', 'name', there]);
    // No IPv6 link-local addresses: the two IPv4 addresses are the only ones on the pair.
    must('ip', ['link', 'set', here, 'addrgenmode', 'none']);
    must('ip', ['link', 'set', there, 'addrgenmode', 'none']);
    must('ip', ['link', 'set', there, 'netns', String(holderPid)]);
    must('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', here]);
    must('ip', ['link', 'set', here, 'up']);
    must(nsenterArgv[0], [...nsenterArgv.slice(1), 'ip', 'link', 'set', 'lo', 'up']);
    must(nsenterArgv[0], [...nsenterArgv.slice(1), 'ip', 'addr', 'add', `${peerAddress}/30`, 'dev', there]);
    must(nsenterArgv[0], [...nsenterArgv.slice(1), 'ip', 'link', 'set', there, 'up']);
  } catch (error) {
    kill();
    run('ip', ['link', 'del', here]);
    throw error;
  }
  return {
    hostAddress,
    peerAddress,
    nsPath,
    holderPid,
    nsenterArgv,
    async close() {
      process.removeListener('exit', kill);
      kill();
      // Deleting one end deletes both; the peer's end also goes with its namespace.
      run('ip', ['link', 'del', here]);
      await new Promise<void>((resolve) => {
        if (holder.exitCode !== null || holder.signalCode !== null) resolve();
        else holder.once('exit', () => resolve());
      });
    },
  };
}
