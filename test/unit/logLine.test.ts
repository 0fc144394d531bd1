import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { numberField, parseLogLine } from '../../src/logs/logLine';

// Lines as written by real gateways (2026.9.6 JSON with `message`; 2026.3.24 JSON without it; console format).
const LANE_WAIT_96 =
  '{"0":"{\\"subsystem\\":\\"diagnostic\\"}","1":"lane wait exceeded: lane=session:agent:main:main waitedMs=37167 queueAhead=0 activeAhead=1 activeNow=0 queueBehind=0","_meta":{"runtime":"node","runtimeVersion":"26.10.0","hostname":"vm","date":"2026-11-21T14:47:37.128Z","logLevelId":4,"logLevelName":"WARN","name":"{\\"subsystem\\":\\"diagnostic\\"}","parentNames":["openclaw"]},"time":"2026-11-21T14:47:37.128+00:00","hostname":"vm","message":"lane wait exceeded: lane=session:agent:main:main waitedMs=37167 queueAhead=0 activeAhead=1 activeNow=0 queueBehind=0","traceId":"t","spanId":"s","traceFlags":"01"}';
const STUCK_324 =
  '{"0":"{\\"subsystem\\":\\"diagnostic\\"}","1":"stuck session: sessionId=276fe463-aa sessionKey=agent:main:main state=processing age=55s queueDepth=1","_meta":{"date":"2026-11-21T15:10:00.000Z","logLevelId":4,"logLevelName":"WARN"},"time":"2026-11-21T15:10:00.000+00:00"}';
const CONSOLE =
  '\x1b[35m2026-11-21T14:39:41.778+00:00\x1b[0m [diagnostic] long-running session: sessionId=66e4 sessionKey=agent:main:main state=idle age=141s queueDepth=1 reason=active_model_call_without_progress classification=long_running activeWorkKind=model_call lastProgress=model_call:started lastProgressAge=141s lastAssistant="hello there, world" recovery=none';

describe('gateway log lines', () => {
  it('parses a 2026.9.x JSON line: time, level, subsystem, message, fields, lane-wait, session key from lane=', () => {
    const l = parseLogLine(LANE_WAIT_96);
    assert.equal(l.parsed, true);
    assert.equal(l.level, 'WARN');
    assert.equal(l.subsystem, 'diagnostic');
    assert.equal(l.time, Date.parse('2026-11-21T14:47:37.128Z'));
    assert.equal(l.diagnostic, 'lane-wait');
    assert.equal(l.sessionKey, 'agent:main:main');
    assert.equal(numberField(l.fields, 'waitedMs'), 37167);
    assert.equal(l.fields.activeAhead, '1');
  });

  it('parses a 2026.3.24 line that has no top-level message', () => {
    const l = parseLogLine(STUCK_324);
    assert.equal(l.diagnostic, 'stuck');
    assert.equal(l.fields.state, 'processing');
    assert.equal(l.sessionKey, 'agent:main:main');
    assert.equal(numberField(l.fields, 'age'), 55);
  });

  it('parses console lines with ANSI colours and quoted values', () => {
    const l = parseLogLine(CONSOLE);
    assert.equal(l.parsed, false);
    assert.equal(l.subsystem, 'diagnostic');
    assert.equal(l.diagnostic, 'long-running');
    assert.equal(l.fields.lastAssistant, 'hello there, world');
    assert.equal(l.fields.classification, 'long_running');
    assert.equal(l.time, Date.parse('2026-11-21T14:39:41.778Z'));
  });

  it('keeps a line that does not parse, raw', () => {
    for (const raw of ['', 'garbage {', '[1,2]', '{"_meta":5,"1":{"nested":true}}', '\u0000\u0001binary']) {
      const l = parseLogLine(raw);
      assert.equal(l.raw, raw);
      assert.equal(typeof l.message, 'string');
    }
    assert.equal(parseLogLine('{"1":{"a":1}}').message, '{"a":1}');
  });

  it('bounds what it keeps of a huge line', () => {
    const l = parseLogLine(JSON.stringify({ message: `stalled session: sessionKey=k ${'x'.repeat(100_000)}` }));
    assert.ok(l.message.length <= 8_000);
  });
});
