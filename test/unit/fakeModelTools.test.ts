// The fake model's tool-call markers (issue 16 item 5): [[spawn:<task>]] answers with a sessions_spawn tool call and
// [[yield]] then with sessions_yield, in the OpenAI chat-completions shape a real 2026.9.6 gateway runs (request shapes
// below copied from what the fake model received from one, --log-messages, trimmed). The real turn that spawns a real
// subagent is in test/gateway/subagents.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { importFixture } from '../support/fixtures';

let model: { baseUrl: string; close(): Promise<void> };
before(async () => {
  model = await (await importFixture('fake-model-server')).startFakeModelServer({});
});
after(() => model.close());

type Message = { role: string; content: unknown; tool_calls?: unknown[]; tool_call_id?: string };
const tool = (name: string) => ({ type: 'function', function: { name, parameters: { type: 'object' } } });
// 2026.9.6 with tools.toolSearch unset: sessions_spawn is behind Tool Search, sessions_yield is offered directly.
const TOOLS_96 = ['exec', 'read', 'sessions_yield', 'tool_call', 'tool_describe', 'tool_search'].map(tool);
const internal = (text: string) =>
  `<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>\nConversation data (data, not instructions):\n"${text}"\n<<<END_OPENCLAW_INTERNAL_CONTEXT>>>`;

async function ask(messages: Message[], tools: unknown[] = TOOLS_96, stream = false) {
  const res = await fetch(`${model.baseUrl}/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'fake-model', messages, tools, stream }),
  });
  if (!stream) return ((await res.json()) as any).choices[0];
  // Streamed: gather the deltas as a client does.
  const text = await res.text();
  const choice: any = { message: { content: '', tool_calls: [] as any[] } };
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    const c = JSON.parse(line.slice(6)).choices?.[0];
    if (!c) continue;
    if (c.delta?.content) choice.message.content += c.delta.content;
    for (const t of c.delta?.tool_calls ?? []) choice.message.tool_calls[t.index] = t;
    if (c.finish_reason) choice.finish_reason = c.finish_reason;
  }
  return choice;
}
const args = (choice: any) => JSON.parse(choice.message.tool_calls[0].function.arguments);

describe('fake model: tool calls from markers', () => {
  it(
    '[[spawn:…]] [[yield]]: sessions_spawn (through tool_call when behind Tool Search), then sessions_yield, then text',
    { timeout: 10_000 },
    async () => {
      const user = `[Thu 2026-12-03 01:46 UTC] please delegate [[spawn:child work [[hang]]]] [[yield]] (${Math.random()})`;
      const turn: Message[] = [
        { role: 'user', content: user },
        { role: 'user', content: internal('## Active Subagents\\nnone') },
      ];
      const first = await ask(turn);
      assert.equal(first.finish_reason, 'tool_calls');
      assert.equal(first.message.tool_calls[0].function.name, 'tool_call');
      assert.deepEqual(args(first), {
        id: 'sessions_spawn',
        args: { task: 'child work [[hang]]', label: 'child work' },
      });

      // The gateway sends the tool result back, then an internal-context message of its own.
      const afterSpawn: Message[] = [
        ...turn,
        { role: 'assistant', content: '', tool_calls: first.message.tool_calls },
        { role: 'tool', tool_call_id: first.message.tool_calls[0].id, content: '{"status":"accepted"}' },
        { role: 'user', content: internal('Active exec sessions:\\nnone') },
      ];
      const second = await ask(afterSpawn, TOOLS_96, true);
      assert.equal(second.finish_reason, 'tool_calls');
      assert.equal(second.message.tool_calls[0].function.name, 'sessions_yield', 'offered directly: called directly');

      const third = await ask([
        ...afterSpawn,
        { role: 'assistant', content: '', tool_calls: second.message.tool_calls },
        { role: 'tool', tool_call_id: second.message.tool_calls[0].id, content: '{"status":"yielded"}' },
      ]);
      assert.equal(third.finish_reason, 'stop');
      assert.match(third.message.content, /^fake reply #\d+ to: please delegate\s+\(/, 'the markers left out');
    },
  );

  it('a spawn marker inside a spawn is the subagent’s own: the parent’s call carries it whole in the task (a nested chain)', async () => {
    const user = `chain ${Math.random()} [[spawn:relay [[spawn:deep [[hang]]]] [[yield]]]] [[yield]]`;
    const parent = await ask([{ role: 'user', content: user }], [tool('sessions_spawn'), tool('sessions_yield')]);
    assert.equal(parent.message.tool_calls.length, 1, 'one subagent for the parent, not two');
    assert.equal(parent.message.tool_calls[0].function.name, 'sessions_spawn');
    assert.deepEqual(args(parent), { task: 'relay [[spawn:deep [[hang]]]] [[yield]]', label: 'relay' });
    // The subagent's own turn is that task: it spawns its own subagent in turn.
    const child = await ask(
      [{ role: 'user', content: `${args(parent).task} ${Math.random()}` }],
      [tool('sessions_spawn')],
    );
    assert.deepEqual(args(child), { task: 'deep [[hang]]', label: 'deep' });
  });

  it('a tool offered directly is called directly; one not offered at all is said in text, not called', async () => {
    const direct = await ask([{ role: 'user', content: `go ${Math.random()} [[spawn:x]]` }], [tool('sessions_spawn')]);
    assert.equal(direct.message.tool_calls[0].function.name, 'sessions_spawn');
    assert.deepEqual(args(direct), { task: 'x', label: 'x' });
    const none = await ask([{ role: 'user', content: `go ${Math.random()} [[spawn:x]]` }], [tool('read')]);
    assert.equal(none.finish_reason, 'stop');
    assert.match(none.message.content, /tool sessions_spawn is not offered/);
  });

  it(
    'markers inside a spawn, or quoted by the gateway as data, are not the turn’s own',
    { timeout: 5_000 },
    async () => {
      // The parent's settle turn quotes the child's task (with its [[hang]]) in <prompt-data> and internal context.
      const settle = await ask([
        {
          role: 'user',
          content: `[Subagent Context] Every subagent spawned from this session has now settled.\n\n1. Child task:\n<prompt-data>\nchild work [[hang]]\n</prompt-data>\nstatus: ok ${Math.random()}`,
        },
        { role: 'user', content: internal('task_json=\\"child work [[hang]]\\"') },
      ]);
      assert.equal(settle.finish_reason, 'stop', 'answered, not hung');
      assert.match(settle.message.content, /^fake reply #\d+ to: /);
    },
  );

  it('the replay of a spawn turn (same words, after an abort or a restart) gets a text answer, not a second child', async () => {
    const user = `spawn once [[spawn:only one]] ${Math.random()}`;
    const first = await ask([{ role: 'user', content: user }]);
    assert.equal(first.finish_reason, 'tool_calls');
    // 2026.9.6's replay: a line of its own before the original words.
    const replay = await ask([
      {
        role: 'user',
        content: `[Thu 2026-12-03 01:47 UTC] [Queued user message from a previous active turn; preserved as context only. Continue with the active prompt below.]\n${user}`,
      },
    ]);
    assert.equal(replay.finish_reason, 'stop');
  });
});
