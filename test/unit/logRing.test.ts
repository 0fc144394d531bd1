import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLogLine, type ParsedLogLine } from '../../src/logs/logLine';
import {
  compileLogFilter,
  DEFAULT_LOG_CAPACITY,
  levelPasses,
  LogRing,
  matchesPreset,
  mentions,
  searchTerms,
  type LogPreset,
} from '../../src/logs/logRing';
import { messageSegments } from '../../src/protocol/logSegments';

// Line shapes as the gateways write them (gateway-reference §6/§7): 2026.9.x JSON with `message`, 2026.3.24 JSON
// without it, console format, and lines that are not JSON at all.
const json = (subsystem: string, level: string, message: string, time = '2026-11-21T14:47:37.128+00:00') =>
  JSON.stringify({
    0: JSON.stringify({ subsystem }),
    1: message,
    _meta: {
      runtime: 'node',
      hostname: 'vm',
      date: time,
      logLevelId: 4,
      logLevelName: level,
      name: JSON.stringify({ subsystem }),
      parentNames: ['openclaw'],
    },
    time,
    hostname: 'vm',
    message,
    traceId: 't',
    spanId: 's',
    traceFlags: '01',
  });
const L = {
  laneWait: json(
    'diagnostic',
    'WARN',
    'lane wait exceeded: lane=session:agent:main:main waitedMs=37167 queueAhead=0 activeAhead=1 activeNow=0 queueBehind=0',
  ),
  longRunning: json(
    'diagnostic',
    'WARN',
    'long-running session: sessionId=66e4aa sessionKey=agent:main:main state=idle age=141s queueDepth=1 reason=active_model_call_without_progress classification=long_running activeWorkKind=model_call lastProgress=model_call:started lastProgressAge=141s lastAssistant="..." recovery=none',
  ),
  stalled: json(
    'diagnostic',
    'WARN',
    'stalled session: sessionId=66e4aa sessionKey=agent:main:main state=idle age=381s queueDepth=1 reason=active_work_without_progress classification=stalled_agent_run activeWorkKind=model_call recovery=none',
  ),
  stuck324:
    '{"0":"{\\"subsystem\\":\\"diagnostic\\"}","1":"stuck session: sessionId=276fe463-aa sessionKey=agent:main:probe-1 state=processing age=55s queueDepth=1","_meta":{"date":"2026-11-21T15:10:00.000Z","logLevelId":4,"logLevelName":"WARN"},"time":"2026-11-21T15:10:00.000+00:00"}',
  recoveryMarked: json(
    'main-session-restart-recovery',
    'INFO',
    'marked 1 startup-orphaned main session(s) for restart recovery',
  ),
  recoveryStarted: json('main-session-restart-recovery', 'INFO', 'started interrupted main session: agent:main:main'),
  laneTaskError: json(
    'diagnostic',
    'WARN',
    'lane task error: lane=main durationMs=14074 error="agent run aborted for restart" errorName=AbortError',
  ),
  modelFetch: json(
    'model-fetch',
    'WARN',
    'error provider=fake model=fake-model elapsedMs=516625 name=AbortError message=This operation was aborted',
  ),
  fatalError: json(
    'gateway',
    'ERROR',
    'invalid persisted session row requires repair for agent:main:bulk-0002; stop the Gateway and run openclaw doctor --fix',
  ),
  wsRes: json('gateway/ws', 'INFO', '⇄ res ✓ chat.send 341ms runId=idem-1 conn=70e904c5…5b06 id=r2'),
  otherSession: json(
    'diagnostic',
    'WARN',
    'lane wait exceeded: lane=session:agent:main:main-2 waitedMs=2100 queueAhead=1 activeAhead=1 activeNow=0 queueBehind=0',
  ),
  debug: json('gateway/heartbeat', 'DEBUG', 'heartbeat tick'),
  console:
    '\x1b[35m2026-11-21T14:39:41.778+00:00\x1b[0m [diagnostic] stalled session: sessionId=66e4aa sessionKey=agent:main:main state=idle age=411s queueDepth=1 recovery=checking',
  rawGarbage: 'this is not json {',
  rawError: "TypeError: Cannot read properties of undefined (reading 'lanes')",
  rawStack: '    at GatewayServer.handle (file:///usr/lib/node_modules/openclaw/dist/gateway.mjs:120:7)',
};
const P = Object.fromEntries(Object.entries(L).map(([k, v]) => [k, parseLogLine(v)])) as Record<
  keyof typeof L,
  ParsedLogLine
>;
const names = (preset: LogPreset, opts = {}) =>
  (Object.keys(P) as Array<keyof typeof L>).filter((k) => matchesPreset(P[k], preset, opts)).sort();

describe('LogRing', () => {
  it('keeps the newest items, counts what it dropped, and keeps sequence numbers stable', () => {
    const ring = new LogRing<string>(3);
    assert.equal(ring.push(['a', 'b']), 0);
    assert.deepEqual(ring.toArray(), ['a', 'b']);
    assert.equal(ring.push(['c', 'd', 'e']), 2);
    assert.deepEqual(ring.toArray(), ['c', 'd', 'e']);
    assert.equal(ring.size, 3);
    assert.equal(ring.dropped, 2);
    assert.equal(ring.firstSeq, 2);
    assert.equal(ring.nextSeq, 5);
    assert.equal(ring.at(1), undefined, 'dropped');
    assert.equal(ring.at(2), 'c');
    assert.equal(ring.at(4), 'e');
    assert.equal(ring.at(5), undefined, 'not yet pushed');
    assert.deepEqual(ring.slice(3), ['d', 'e']);
    assert.deepEqual(ring.slice(0, 4), ['c', 'd'], 'clamped to what is kept');
    assert.deepEqual(
      ring.filter((x) => x !== 'd'),
      [
        { seq: 2, item: 'c' },
        { seq: 4, item: 'e' },
      ],
    );
  });

  it('survives a single push larger than its capacity', () => {
    const ring = new LogRing<number>(4);
    assert.equal(ring.push(Array.from({ length: 10 }, (_, i) => i)), 6);
    assert.deepEqual(ring.toArray(), [6, 7, 8, 9]);
    assert.equal(ring.dropped, 6);
  });

  it('defaults to 20,000 lines and stays bounded under a flood', () => {
    const ring = new LogRing<ParsedLogLine>();
    assert.equal(ring.capacity, DEFAULT_LOG_CAPACITY);
    assert.equal(DEFAULT_LOG_CAPACITY, 20_000);
    for (let i = 0; i < 25; i++) ring.push(Array.from({ length: 1_000 }, () => P.laneWait));
    assert.equal(ring.size, 20_000);
    assert.equal(ring.dropped, 5_000);
    assert.equal(ring.firstSeq, 5_000);
  });

  it('clear() forgets items and the dropped count but sequence numbers keep counting', () => {
    const ring = new LogRing<string>(2);
    ring.push(['a', 'b', 'c']);
    ring.clear();
    assert.equal(ring.size, 0);
    assert.equal(ring.dropped, 0);
    assert.equal(ring.firstSeq, 3);
    ring.push(['d']);
    assert.equal(ring.at(3), 'd');
    assert.deepEqual([...ring.entries()], [{ seq: 3, item: 'd' }]);
  });

  it('refuses a nonsense capacity', () => {
    assert.throws(() => new LogRing(0), RangeError);
    assert.throws(() => new LogRing(1.5), RangeError);
  });
});

describe('log presets', () => {
  it('"Lane waits" is the lane wait exceeded lines', () => {
    assert.deepEqual(names('lane-waits'), ['laneWait', 'otherSession']);
  });

  it('"Stuck & stalled" has stuck, stalled and long-running sessions and restart-recovery lines', () => {
    assert.deepEqual(names('stuck'), [
      'console',
      'longRunning',
      'recoveryMarked',
      'recoveryStarted',
      'stalled',
      'stuck324',
    ]);
  });

  it('"Errors" has ERROR lines, lane task errors, lines with error fields, and raw error text with its stack', () => {
    assert.deepEqual(names('errors'), ['fatalError', 'laneTaskError', 'rawError', 'rawStack']);
    assert.equal(matchesPreset(P.modelFetch, 'errors'), false, 'a WARN line whose message merely starts with "error"');
    assert.equal(matchesPreset(P.rawGarbage, 'errors'), false);
  });

  it('"This session" by key matches sessionKey= and lane=session:<key>, never a longer key', () => {
    const byKey = names('session', { sessionKey: 'agent:main:main' });
    assert.deepEqual(byKey, ['console', 'laneWait', 'longRunning', 'recoveryStarted', 'stalled']);
    assert.ok(!byKey.includes('otherSession'), 'agent:main:main-2 is another session');
  });

  it('"This session" by id matches sessionId=', () => {
    assert.deepEqual(names('session', { sessionId: '276fe463-aa' }), ['stuck324']);
    assert.deepEqual(names('session', { sessionId: '66e4aa' }), ['console', 'longRunning', 'stalled']);
  });

  it('"This session" without a key or id shows nothing', () => {
    assert.deepEqual(names('session'), []);
    assert.deepEqual(names('session', { sessionKey: '  ' }), []);
  });

  it('"All lines" keeps every line, including raw ones', () => {
    assert.equal(names('all').length, Object.keys(L).length);
  });

  it('free text: every word must occur, "quoted phrases" stay together, case-insensitive, on top of any preset', () => {
    assert.deepEqual(names('all', { text: 'WAITEDMS queueAhead=1' }), ['otherSession']);
    assert.deepEqual(names('all', { text: '"restart recovery"' }), ['recoveryMarked']);
    assert.deepEqual(names('stuck', { text: 'age=381s' }), ['stalled']);
    assert.deepEqual(names('all', { text: 'gateway/ws' }), ['wsRes'], 'the subsystem is searched too');
    assert.deepEqual(names('all', { text: 'not json' }), ['rawGarbage']);
    assert.deepEqual(searchTerms(' a  "b c" D '), ['a', 'b c', 'd']);
  });

  it('the level filter hides lower levels but never a line without a level', () => {
    assert.deepEqual(names('all', { minLevel: 'ERROR' }), [
      'console',
      'fatalError',
      'rawError',
      'rawGarbage',
      'rawStack',
    ]);
    assert.ok(!names('all', { minLevel: 'INFO' }).includes('debug'));
    assert.ok(names('all', { minLevel: 'DEBUG' }).includes('debug'));
    assert.equal(levelPasses('WARN', 'WARN'), true);
    assert.equal(levelPasses('INFO', 'WARN'), false);
    assert.equal(levelPasses('UNKNOWN', 'FATAL'), true);
    assert.equal(levelPasses('TRACE', undefined), true);
  });

  // Its speed over a full ring is measured by bench/tail.mjs ("re-filter the full ring").
  it('a compiled filter over a full ring keeps exactly the lines each condition keeps, in order', () => {
    const ring = new LogRing<ParsedLogLine>();
    const all = Object.values(P);
    ring.push(Array.from({ length: 20_000 }, (_, i) => all[i % all.length]));
    const spec = { preset: 'session', sessionKey: 'agent:main:main', text: 'state=idle', minLevel: 'INFO' } as const;
    const hits = ring.filter(compileLogFilter(spec));
    const bySession = ring.filter(compileLogFilter({ preset: 'session', sessionKey: spec.sessionKey }));
    const byText = new Set(ring.filter(compileLogFilter({ preset: 'all', text: spec.text })).map((l) => l.seq));
    const byLevel = new Set(
      ring.filter(compileLogFilter({ preset: 'all', minLevel: spec.minLevel })).map((l) => l.seq),
    );
    const expected = bySession.filter((l) => byText.has(l.seq) && byLevel.has(l.seq));
    assert.ok(hits.length > 0 && hits.length < ring.size);
    assert.deepEqual(
      hits.map((h) => h.seq),
      expected.map((h) => h.seq),
    );
  });

  it('mentions() respects token boundaries', () => {
    assert.equal(mentions('lane=session:agent:main:main waitedMs=1', 'agent:main:main'), true);
    assert.equal(mentions('lane=session:agent:main:main-2', 'agent:main:main'), false);
    assert.equal(mentions('agent:main:main:sub', 'agent:main:main'), false);
    assert.equal(mentions('xagent:main:main', 'agent:main:main'), false);
    assert.equal(mentions('started interrupted main session: agent:main:main', 'agent:main:main'), true);
  });
});

describe('message segments (field highlighting)', () => {
  it('splits a message losslessly into text and key=value fields, flagging the ones operators search for', () => {
    const msg = P.longRunning.message;
    const segs = messageSegments(msg);
    assert.equal(segs.map((s) => s.text).join(''), msg);
    const fields = segs.filter((s): s is Extract<typeof s, { key: string }> => 'key' in s);
    const op = fields.filter((f) => f.operator).map((f) => f.key);
    assert.deepEqual(op, [
      'sessionId',
      'sessionKey',
      'state',
      'age',
      'queueDepth',
      'reason',
      'classification',
      'recovery',
    ]);
    assert.ok(
      fields.some((f) => f.key === 'lastAssistant' && f.value === '"..."' && !f.operator),
      'quoted values are kept as written',
    );
    const lane = messageSegments(P.laneWait.message)
      .filter((s) => 'key' in s && s.operator)
      .map((s) => (s as { key: string }).key);
    assert.deepEqual(lane, ['lane', 'waitedMs', 'queueAhead', 'activeAhead']);
  });

  it('handles messages without fields, leading fields and odd text', () => {
    assert.deepEqual(messageSegments(''), []);
    assert.deepEqual(messageSegments('plain text'), [{ text: 'plain text' }]);
    const s = messageSegments('lane=main  x=1 trailing');
    assert.equal(s.map((x) => x.text).join(''), 'lane=main  x=1 trailing');
    assert.equal((s[0] as { key: string }).key, 'lane');
    for (const odd of ['a=b=c', '=x', 'k="unterminated', 'k=\u0000', '<img src=x onerror=alert(1)>'])
      assert.equal(
        messageSegments(odd)
          .map((x) => x.text)
          .join(''),
        odd,
      );
  });
});
