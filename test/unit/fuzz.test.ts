// Fuzzing the two parsers that read what a gateway sends: decodeFrame (every WebSocket text frame) and parseLogLine
// (every logs.tail line). Inputs: random text and JSON, and mutations of real frames and log lines captured from
// openclaw 2026.9.6 (test/fixtures/captured/*.json). Seeded, so a failure is reproducible:
//   LANEWATCH_FUZZ_SEED=<seed> node --test out/test/unit/fuzz.test.js      (LANEWATCH_FUZZ_CASES=<n> for more)
// Checked for every case: nothing throws, the result has the documented shape (a rejected frame has a short reason),
// no single case takes 50 ms or more; and over the whole run the heap stays bounded (growth after GC printed).
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { decodeFrame } from '../../src/gateway/frames';
import { parseLogLine } from '../../src/logs/logLine';
import { repoRoot } from '../support/fixtures';
import { prng } from '../support/prng';

const SEED = Number(process.env.LANEWATCH_FUZZ_SEED ?? randomInt(1, 2 ** 31));
const TOTAL = Number(process.env.LANEWATCH_FUZZ_CASES ?? 100_000);
const FRAME_CASES = Math.round(TOTAL * 0.6);
const LINE_CASES = TOTAL - FRAME_CASES;
const MAX_CASE_MS = 50;
const MAX_HEAP_GROWTH_BYTES = 32 * 1024 * 1024;

const gc: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

// ---------------------------------------------------------------- corpus (real frames and lines)

interface Captured {
  events: Array<{ frame: unknown }>;
  results: Record<string, unknown>;
  logLines: string[];
}
const capturedDir = path.join(repoRoot, 'test', 'fixtures', 'captured');
const captured = readdirSync(capturedDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(path.join(capturedDir, f), 'utf8')) as Captured);

const frames: string[] = [];
const lines: string[] = [];
for (const c of captured) {
  for (const e of c.events) frames.push(JSON.stringify(e.frame));
  let i = 0;
  for (const [name, payload] of Object.entries(c.results)) {
    const failed = payload && typeof payload === 'object' && 'requestFailed' in payload;
    frames.push(
      JSON.stringify(
        failed
          ? {
              type: 'res',
              id: `r-${i++}`,
              ok: false,
              error: (payload as { error?: unknown }).error ?? { code: 'X', message: name },
            }
          : name.startsWith('hello-ok')
            ? { type: 'res', id: 'connect-1', ok: true, payload }
            : { type: 'res', id: `r-${i++}`, ok: true, payload },
      ),
    );
  }
  lines.push(...c.logLines);
}
// Console-format lines (what `openclaw gateway run` prints) and diagnostics, besides the JSON lines of the log file.
lines.push(
  '2026-11-21T14:39:41.778+00:00 [diagnostic] long-running session: sessionId=1 sessionKey=agent:main:x state=processing age=125s queueDepth=1',
  '\u001b[33m2026-11-21T14:39:41.778Z\u001b[0m [gateway/ws] lane wait exceeded: lane=session:agent:main:y waitedMs=10412 queueAhead=0',
  'stalled session: sessionId=s sessionKey="agent:main:quoted key" reason=active_work_without_progress',
);
const jsonLines = lines.filter((l) => l.startsWith('{'));
const smallFrames = frames.filter((f) => f.length <= 16 * 1024);
const largeFrames = frames.filter((f) => f.length > 16 * 1024);

// ---------------------------------------------------------------- generators

type Gen = { name: string; make: (r: () => number) => string };
const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)];
const int = (r: () => number, n: number) => Math.floor(r() * n);

const ALPHABET = '{}[]":,.\\ \t\n\r0123456789-+eEtruefalsnl' + 'abcdefghijklmnopqrstuvwxyz' + 'ABCXYZ_=/';
function randomText(r: () => number, max: number): string {
  const n = int(r, max);
  let s = '';
  for (let i = 0; i < n; i++) {
    const k = r();
    s +=
      k < 0.7
        ? ALPHABET[int(r, ALPHABET.length)]
        : k < 0.85
          ? String.fromCharCode(int(r, 0x80))
          : k < 0.95
            ? String.fromCharCode(0x80 + int(r, 0xff80))
            : String.fromCharCode(0xd800 + int(r, 0x800)); // lone surrogates
  }
  return s;
}

function randomJson(r: () => number, depth: number): unknown {
  const k = r();
  if (depth <= 0 || k < 0.35) {
    return pick(r, [
      () => null,
      () => r() < 0.5,
      () => int(r, 2 ** 31) * (r() < 0.5 ? 1 : -1),
      () => r() * 1e300,
      () => 1e-300,
      () => randomText(r, 20),
      () => '',
      () => 'x'.repeat(int(r, 3000)),
      () => Number.MAX_SAFE_INTEGER + 2,
      () => -0,
    ])();
  }
  if (k < 0.65) return Array.from({ length: int(r, 6) }, () => randomJson(r, depth - 1));
  const o: Record<string, unknown> = {};
  const keys = [
    'type',
    'event',
    'id',
    'ok',
    'payload',
    'error',
    'seq',
    'code',
    'message',
    'sessionKey',
    'session',
    'key',
    'runId',
    'data',
    '__proto__',
    'constructor',
    'toString',
    randomText(r, 8),
  ];
  for (let i = int(r, 6); i > 0; i--) o[pick(r, keys)] = randomJson(r, depth - 1);
  return o;
}

/** Replace, delete or retype a random field somewhere inside a parsed value (structure-aware mutation). */
function mutateTree(r: () => number, v: unknown, depth = 0): unknown {
  if (Array.isArray(v)) {
    if (v.length && r() < 0.7) {
      const i = int(r, v.length);
      const copy = [...v];
      copy[i] = mutateTree(r, copy[i], depth + 1);
      return copy;
    }
    return r() < 0.5 ? [...v, randomJson(r, 2)] : randomJson(r, 2);
  }
  if (v && typeof v === 'object') {
    const entries = Object.keys(v);
    const copy: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    if (!entries.length || r() < 0.15) {
      copy[randomText(r, 6) || 'k'] = randomJson(r, 2);
      return copy;
    }
    const key = pick(r, entries);
    const k = r();
    if (k < 0.2) delete copy[key];
    else if (k < 0.6 || depth > 6) copy[key] = randomJson(r, 2);
    else copy[key] = mutateTree(r, copy[key], depth + 1);
    return copy;
  }
  return randomJson(r, 2);
}

/** Byte-level mutations: flips, cuts, insertions, duplications, truncation, nesting bombs, huge repeats. */
function mutateText(r: () => number, s: string): string {
  let out = s;
  for (let n = 1 + int(r, 4); n > 0; n--) {
    const at = int(r, out.length + 1);
    switch (int(r, 10)) {
      case 0:
        out = out.slice(0, at) + String.fromCharCode(int(r, 0x10000)) + out.slice(at + 1);
        break;
      case 1:
        out = out.slice(0, at) + out.slice(at + 1 + int(r, 64));
        break;
      case 2:
        out = out.slice(0, at) + randomText(r, 32) + out.slice(at);
        break;
      case 3: {
        const len = int(r, 200);
        out = out.slice(0, at) + out.slice(at, at + len).repeat(1 + int(r, 4)) + out.slice(at);
        break;
      }
      case 4:
        out = out.slice(0, at);
        break;
      case 5: {
        const d = 1 + int(r, r() < 0.1 ? 20_000 : 300);
        out = out.slice(0, at) + '['.repeat(d) + out.slice(at) + ']'.repeat(int(r, d + 1));
        break;
      }
      case 6:
        out =
          out.slice(0, at) +
          pick(r, [
            '"',
            '\\',
            '\\u',
            '\\ud800',
            '\u0000',
            '\n',
            '}',
            ']',
            ',',
            ':',
            'null',
            '"type":"res"',
            '"type":"event"',
            '"id":"r-1"',
            '=',
            ' key="v',
            '\u001b[31m',
          ]) +
          out.slice(at);
        break;
      case 7:
        if (r() < 0.05) out = out + 'x'.repeat(int(r, 300_000));
        break;
      case 8:
        out = out.replace(
          /"(type|event|id|ok|seq|message|time)"\s*:\s*("[^"]*"|[\w.-]+)/,
          (_m, k) => `"${k}":${JSON.stringify(randomJson(r, 1))}`,
        );
        break;
      default:
        out = out.slice(0, 2000).split('').reverse().join('') + out.slice(2000);
        break;
    }
  }
  return out;
}

const frameGens: Gen[] = [
  { name: 'random text', make: (r) => randomText(r, 400) },
  { name: 'random JSON', make: (r) => JSON.stringify(randomJson(r, 5)) ?? 'null' },
  {
    name: 'random frame-shaped JSON',
    make: (r) =>
      JSON.stringify({ type: pick(r, ['event', 'res', 'req', 'hello-ok', 7, null]), ...(randomJson(r, 4) as object) }),
  },
  { name: 'real frame, text-mutated', make: (r) => mutateText(r, pick(r, smallFrames)) },
  {
    name: 'real frame, tree-mutated',
    make: (r) => JSON.stringify(mutateTree(r, JSON.parse(pick(r, smallFrames)))) ?? '',
  },
  { name: 'real frame', make: (r) => pick(r, r() < 0.9 ? smallFrames : largeFrames) },
  { name: 'large real frame, mutated', make: (r) => mutateText(r, pick(r, largeFrames)) },
];
const FRAME_WEIGHTS = [0.12, 0.12, 0.12, 0.3, 0.25, 0.06, 0.03];

const lineGens: Gen[] = [
  { name: 'random text', make: (r) => randomText(r, 400) },
  { name: 'random JSON', make: (r) => JSON.stringify(randomJson(r, 4)) ?? 'null' },
  { name: 'real line, text-mutated', make: (r) => mutateText(r, pick(r, lines)) },
  {
    name: 'real line, tree-mutated',
    make: (r) => {
      const v = JSON.parse(pick(r, jsonLines));
      return JSON.stringify(mutateTree(r, v)) ?? '';
    },
  },
  { name: 'real line', make: (r) => pick(r, lines) },
  {
    name: 'key=value soup',
    make: (r) =>
      Array.from(
        { length: int(r, 400) },
        () => `${pick(r, ['a', 'sessionKey', 'lane', 'x.y'])}=${pick(r, ['"', '"v"', 'v', '"\\"', '\\', ''])}`,
      ).join(pick(r, [' ', '', '\t'])),
  },
];
const LINE_WEIGHTS = [0.15, 0.15, 0.3, 0.2, 0.05, 0.15];

function weighted<T>(r: () => number, list: T[], weights: number[]): T {
  let x = r();
  for (let i = 0; i < list.length; i++) {
    x -= weights[i];
    if (x < 0) return list[i];
  }
  return list[list.length - 1];
}

// ---------------------------------------------------------------- invariants

const FRAME_LIMITS = [64 * 1024, 1024 * 1024, 25 * 1024 * 1024];
const LEVELS = new Set(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', 'UNKNOWN']);

function checkFrame(input: string, limit: number, d: ReturnType<typeof decodeFrame>): void {
  assert.equal(d.bytes, Buffer.byteLength(input, 'utf8'));
  if (d.kind === 'event') {
    assert.equal(d.frame.type, 'event');
    assert.ok(typeof d.frame.event === 'string' && d.frame.event.length > 0);
    assert.ok(d.frame.seq === undefined || (Number.isInteger(d.frame.seq) && d.frame.seq >= 0));
    assert.ok(d.bytes <= limit);
  } else if (d.kind === 'response') {
    assert.equal(d.frame.type, 'res');
    assert.ok(typeof d.frame.id === 'string' && d.frame.id.length > 0);
    assert.equal(typeof d.frame.ok, 'boolean');
    assert.ok(
      d.frame.error === undefined ||
        (typeof d.frame.error.code === 'string' && typeof d.frame.error.message === 'string'),
    );
    assert.ok(d.bytes <= limit);
  } else {
    assert.equal(d.kind, 'rejected');
    assert.ok(
      typeof d.reason === 'string' && d.reason.length > 0 && d.reason.length <= 500,
      `a short reason (${d.reason.length} chars)`,
    );
    assert.ok(d.id === undefined || (typeof d.id === 'string' && d.id.length <= 128));
  }
}

function checkLine(input: string, p: ReturnType<typeof parseLogLine>): void {
  assert.equal(p.raw, input);
  assert.equal(typeof p.parsed, 'boolean');
  assert.ok(typeof p.message === 'string' && p.message.length <= 8_000);
  assert.ok(LEVELS.has(p.level));
  assert.ok(p.time === undefined || Number.isFinite(p.time));
  assert.ok(p.subsystem === undefined || typeof p.subsystem === 'string');
  assert.ok(p.sessionKey === undefined || typeof p.sessionKey === 'string');
  for (const [k, v] of Object.entries(p.fields)) assert.ok(typeof k === 'string' && typeof v === 'string');
}

// ---------------------------------------------------------------- the run

interface Slowest {
  ms: number;
  gen: string;
  length: number;
  index: number;
}

/**
 * Runs `cases` inputs through `exercise`, timing each. A case over the limit is timed again (up to 3 more times, the
 * fastest counts): on a shared machine one timing can include a preemption or a GC pause that the input did not cause.
 */
function run<P>(
  cases: number,
  r: () => number,
  gens: Gen[],
  weights: number[],
  param: (r: () => number) => P,
  exercise: (input: string, p: P) => void,
): { slowest: Slowest; retimed: number; byGen: Map<string, number>; ms: number } {
  const byGen = new Map<string, number>();
  let slowest: Slowest = { ms: 0, gen: '', length: 0, index: -1 };
  let retimed = 0;
  const started = performance.now();
  for (let i = 0; i < cases; i++) {
    const gen = weighted(r, gens, weights);
    const input = gen.make(r);
    const p = param(r);
    const timed = () => {
      const t = performance.now();
      exercise(input, p);
      return performance.now() - t;
    };
    let ms: number;
    try {
      ms = timed();
      for (let again = 0; ms >= MAX_CASE_MS && again < 3; again++) {
        retimed++;
        ms = Math.min(ms, timed());
      }
    } catch (err) {
      throw new Error(
        `case ${i} (${gen.name}, ${input.length} chars, seed ${SEED}) failed: ${(err as Error).message}\ninput: ${JSON.stringify(input.slice(0, 300))}`,
        { cause: err },
      );
    }
    if (ms > slowest.ms) slowest = { ms, gen: gen.name, length: input.length, index: i };
    byGen.set(gen.name, (byGen.get(gen.name) ?? 0) + 1);
  }
  return { slowest, retimed, byGen, ms: performance.now() - started };
}

describe(`fuzz (seed ${SEED}; ${TOTAL} cases)`, () => {
  console.log(
    `# fuzz seed ${SEED} (rerun with LANEWATCH_FUZZ_SEED=${SEED}); corpus ${frames.length} real frames, ${lines.length} real log lines`,
  );
  const heap: number[] = [];
  const measureHeap = () => {
    gc();
    gc();
    heap.push(process.memoryUsage().heapUsed);
  };

  it(`decodeFrame: ${FRAME_CASES} random and mutated frames`, () => {
    const r = prng(SEED);
    measureHeap();
    const result = run(
      FRAME_CASES,
      r,
      frameGens,
      FRAME_WEIGHTS,
      (rr) => pick(rr, FRAME_LIMITS),
      (input, limit) => checkFrame(input, limit, decodeFrame(input, limit)),
    );
    measureHeap();
    console.log(
      `# decodeFrame: ${FRAME_CASES} cases in ${(result.ms / 1000).toFixed(1)} s; slowest ${result.slowest.ms.toFixed(2)} ms (case ${result.slowest.index}, ${result.slowest.gen}, ${result.slowest.length} chars; ${result.retimed} timing(s) over ${MAX_CASE_MS} ms repeated); ${[...result.byGen].map(([g, n]) => `${g} ${n}`).join(', ')}`,
    );
    assert.ok(result.slowest.ms < MAX_CASE_MS, `slowest case ${result.slowest.ms.toFixed(1)} ms`);
  });

  it(`parseLogLine: ${LINE_CASES} random and mutated log lines`, () => {
    const r = prng(SEED ^ 0x5bd1e995);
    const result = run(
      LINE_CASES,
      r,
      lineGens,
      LINE_WEIGHTS,
      () => undefined,
      (input) => checkLine(input, parseLogLine(input)),
    );
    measureHeap();
    console.log(
      `# parseLogLine: ${LINE_CASES} cases in ${(result.ms / 1000).toFixed(1)} s; slowest ${result.slowest.ms.toFixed(2)} ms (case ${result.slowest.index}, ${result.slowest.gen}, ${result.slowest.length} chars; ${result.retimed} timing(s) over ${MAX_CASE_MS} ms repeated); ${[...result.byGen].map(([g, n]) => `${g} ${n}`).join(', ')}`,
    );
    assert.ok(result.slowest.ms < MAX_CASE_MS, `slowest case ${result.slowest.ms.toFixed(1)} ms`);
  });

  it('memory stays bounded over the whole run (heapUsed after GC)', () => {
    const [start, afterFrames, end] = heap;
    const growth = end - start;
    console.log(
      `# fuzz heapUsed after GC: start ${(start / 1048576).toFixed(1)} MB, after frames ${(afterFrames / 1048576).toFixed(1)} MB, end ${(end / 1048576).toFixed(1)} MB (growth ${(growth / 1048576).toFixed(2)} MB; bound ${MAX_HEAP_GROWTH_BYTES / 1048576} MB)`,
    );
    assert.ok(growth < MAX_HEAP_GROWTH_BYTES, `heap grew ${growth} bytes`);
  });
});
