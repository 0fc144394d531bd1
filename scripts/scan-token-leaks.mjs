#!/usr/bin/env node
// The closing check of `npm test`: no gateway token of this test run is in what the run leaves behind or ships.
//
//   node scripts/scan-token-leaks.mjs [--ledger FILE] [--require-vsix]
//
// Every fixture gateway started in the run (scripts/fixtures/openclaw-gateway.mjs startGateway) appends its token to
// the ledger, a 0600 file outside the repo named by LANEWATCH_TOKEN_LEDGER (scripts/test.mjs creates it; --ledger
// overrides). This scans, byte for byte, every file of the packaged lanewatch.vsix (each entry unzipped here), dist/,
// out/ and test-results/ (screenshots, logs, stage output), and any zip found there, for each token as UTF-8 and as
// UTF-16LE. A token is never printed: a hit names the file, the byte offset and which gateway's token it is.
// Prints `ok - …` or `not ok - …`, then `N passed, M failed` alone on the last line; exit 0 only when clean.
import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import zlib from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SCANNED_DIRS = ['dist', 'out', 'test-results'];
export const VSIX = 'lanewatch.vsix';

/**
 * The entries of a zip archive (a .vsix is one), decompressed: stored and deflated entries, checked against their
 * sizes and CRC-32. No ZIP64, no encryption (refused with an error rather than skipped).
 * @param {Buffer} buf @returns {Generator<{ name: string, data: Buffer }>}
 */
export function* zipEntries(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end-of-central-directory record)');
  const count = buf.readUInt16LE(eocd + 10),
    cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new Error('ZIP64 archives are not supported');
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`central directory entry ${n} is damaged`);
    const flags = buf.readUInt16LE(p + 8),
      method = buf.readUInt16LE(p + 10),
      crc = buf.readUInt32LE(p + 16);
    const compressed = buf.readUInt32LE(p + 20),
      size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28),
      extraLen = buf.readUInt16LE(p + 30),
      commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith('/')) continue;
    if (flags & 1) throw new Error(`${name}: encrypted entry`);
    if (buf.readUInt32LE(local) !== 0x04034b50) throw new Error(`${name}: local header is damaged`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + compressed);
    let data;
    if (method === 0) data = raw;
    else if (method === 8) data = zlib.inflateRawSync(raw);
    else throw new Error(`${name}: compression method ${method} is not supported`);
    if (data.length !== size) throw new Error(`${name}: ${data.length} bytes unzipped, the directory says ${size}`);
    if (typeof zlib.crc32 === 'function' && zlib.crc32(data) >>> 0 !== crc) throw new Error(`${name}: CRC-32 mismatch`);
    yield { name, data };
  }
}

/** Regular files under `dir` (symbolic links are not followed). @param {string} dir @returns {string[]} */
function filesUnder(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

/** @param {string} file */
export function readLedger(file) {
  const seen = new Map();
  for (const [n, line] of readFileSync(file, 'utf8').split('\n').entries()) {
    if (!line.trim()) continue;
    let parsed;
    // Not JSON.parse's own message: it quotes the line, token included.
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`ledger line ${n + 1} is not JSON`);
    }
    const { token, gateway, version } = parsed ?? {};
    if (typeof token === 'string' && token.length >= 8 && !seen.has(token))
      seen.set(token, { token, gateway: String(gateway ?? '?'), version: String(version ?? '?') });
  }
  return [...seen.values()];
}

/**
 * @param {{ tokens: Array<{ token: string }>, base?: string, dirs?: string[], vsix?: string }} o
 * @returns {{ files: number, onDisk: number, inZips: number, bytes: number, zips: string[], hits: Array<{ file: string, offset: number, token: number, encoding: string }> }}
 */
export function scanForTokens({ tokens, base = root, dirs = SCANNED_DIRS, vsix = VSIX }) {
  const needles = tokens.flatMap((t, i) => [
    { token: i, encoding: 'utf-8', bytes: Buffer.from(t.token, 'utf8') },
    { token: i, encoding: 'utf-16le', bytes: Buffer.from(t.token, 'utf16le') },
  ]);
  const result = {
    files: 0,
    onDisk: 0,
    inZips: 0,
    bytes: 0,
    zips: /** @type {string[]} */ ([]),
    hits: /** @type {any[]} */ ([]),
  };
  const look = (/** @type {string} */ name, /** @type {Buffer} */ data) => {
    result.files++;
    result.bytes += data.length;
    for (const n of needles) {
      const at = data.indexOf(n.bytes);
      if (at >= 0) result.hits.push({ file: name, offset: at, token: n.token, encoding: n.encoding });
    }
  };
  const paths = dirs.flatMap((d) => (existsSync(path.join(base, d)) ? filesUnder(path.join(base, d)) : []));
  if (vsix && existsSync(path.join(base, vsix)) && lstatSync(path.join(base, vsix)).isFile())
    paths.unshift(path.join(base, vsix));
  for (const file of paths) {
    const data = readFileSync(file);
    const rel = path.relative(base, file);
    look(rel, data);
    result.onDisk++;
    // Zip archives (the .vsix, anything zipped that a stage left) are searched entry by entry, decompressed.
    if (data.length >= 22 && data.readUInt32LE(0) === 0x04034b50) {
      result.zips.push(rel);
      for (const e of zipEntries(data)) {
        look(`${rel}!${e.name}`, e.data);
        result.inZips++;
      }
    }
  }
  return result;
}

async function main() {
  const { values } = parseArgs({ options: { ledger: { type: 'string' }, 'require-vsix': { type: 'boolean' } } });
  const ledger = values.ledger ?? process.env.LANEWATCH_TOKEN_LEDGER;
  const name = `no gateway token of this run in ${VSIX}, ${SCANNED_DIRS.map((d) => `${d}/`).join(', ')}`;
  const fail = (/** @type {string} */ why, /** @type {string[]} */ lines = []) => {
    console.log(`not ok - ${name}`);
    for (const l of [why, ...lines]) console.log(`  # ${l}`);
    console.log('0 passed, 1 failed');
    return 1;
  };
  if (!ledger || !existsSync(ledger)) return fail('no token ledger (LANEWATCH_TOKEN_LEDGER): nothing to look for');
  const tokens = readLedger(ledger);
  if (!tokens.length)
    return fail(`the ledger lists no token: no fixture gateway recorded its token, so the scan would prove nothing`);
  if (values['require-vsix'] && !existsSync(path.join(root, VSIX))) return fail(`${VSIX} is missing`);
  const t0 = Date.now();
  let r;
  try {
    r = scanForTokens({ tokens });
  } catch (e) {
    return fail(`scan failed: ${/** @type {Error} */ (e).message}`);
  }
  const gateways = new Set(tokens.map((t) => `${t.gateway}@${t.version}`));
  console.log(
    `# ${tokens.length} token(s) of ${gateways.size} fixture gateway name(s); ${r.files} files scanned (${r.onDisk} on disk, ${r.inZips} inside ${r.zips.join(', ') || 'no zip'}), ${(r.bytes / 1048576).toFixed(1)} MB in ${Date.now() - t0} ms`,
  );
  if (r.hits.length) {
    return fail(
      `${r.hits.length} hit(s) in ${r.files} files scanned`,
      r.hits
        .slice(0, 30)
        .map(
          (h) =>
            `token #${h.token + 1} (gateway "${tokens[h.token].gateway}", openclaw ${tokens[h.token].version}) as ${h.encoding} in ${h.file} at byte ${h.offset}`,
        ),
    );
  }
  console.log(`ok - ${name} (${r.files} files scanned)`);
  console.log('1 passed, 0 failed');
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (c) => process.exit(c),
    (e) => {
      console.log(`not ok - token scan crashed: ${e?.message ?? e}\n0 passed, 1 failed`);
      process.exit(1);
    },
  );
}
