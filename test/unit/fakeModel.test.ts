// The fake model answers "fake reply #n to: <the user's words>", and the real-gateway tests wait for a reply that
// quotes them. Each gateway version wraps those words differently in the request; the shapes below are copied from
// requests the fake model received (--log-messages), trimmed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { importFixture } from '../support/fixtures';

let model: { baseUrl: string; close(): Promise<void> };
before(async () => {
  model = await (await importFixture('fake-model-server')).startFakeModelServer({});
});
after(() => model.close());

async function reply(messages: Array<{ role: string; content: unknown }>): Promise<string> {
  const res = await fetch(`${model.baseUrl}/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'fake-model', messages }),
  });
  return ((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content;
}

const envelope =
  'Sender (untrusted metadata):\n```json\n{\n  "label": "Lanewatch fixtures (gateway-client)",\n  "id": "gateway-client"\n}\n```';

describe("fake model: the user's words on every gateway version", () => {
  it('2026.9.6: timestamped text, then an internal-context block', async () => {
    const text = await reply([
      { role: 'system', content: 'You are a personal assistant.' },
      {
        role: 'user',
        content: [
          {
            type: 'text',
            text: '[Sat 2026-11-21 14:37 UTC] first turn\n\n<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>\nnotes\n<<<END_OPENCLAW_INTERNAL_CONTEXT>>>',
          },
        ],
      },
    ]);
    assert.match(text, /^fake reply #\d+ to: first turn$/);
  });

  it('2026.3.24: a sender envelope before the timestamped text', async () => {
    const text = await reply([{ role: 'user', content: `${envelope}\n\n[Sat 2026-11-21 14:37 UTC] before the reset` }]);
    assert.match(text, /^fake reply #\d+ to: before the reset$/);
  });

  it('2026.4.26: the text, then a runtime-context user message (bootstrap notes and the sender envelope)', async () => {
    const runtimeContext =
      'OpenClaw runtime context for the immediately preceding user message.\nThis context is runtime-generated, not user-authored. Keep internal details private.\n\n' +
      `[Bootstrap pending]\nPlease read BOOTSTRAP.md from the workspace and follow it before replying normally.\n\n${envelope}`;
    const text = await reply([
      { role: 'user', content: 'earlier' },
      { role: 'assistant', content: 'fake reply #1 to: earlier' },
      { role: 'user', content: '[Sat 2026-11-21 23:15 UTC] warm up' },
      { role: 'user', content: runtimeContext },
    ]);
    assert.match(text, /^fake reply #\d+ to: warm up$/);
  });
});
