// response_format and reasoning_effort with the official `openai` Node SDK
// (run by t/sdk/run.sh, see compat.test.mjs): chat.completions.parse()
// and the chat.completions.stream() helper on both ways of structured
// output (a forced tool on Nova Lite, outputConfig on Claude Sonnet 4.5),
// with a raw json_schema response_format (zod is not installed; the
// stream helper parses only an auto-parseable format, which the SDK's own
// makeParseableResponseFormat() makes, as openai/helpers/zod does), and
// the reasoning fields beside a clean content.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { makeParseableResponseFormat } from 'openai/lib/parser';

const SDK_BASE = process.env.SDK_BASE;

if (!SDK_BASE) {
    throw new Error('SDK_BASE is not set: run t/sdk/run.sh');
}

const WEATHER = {
    type: 'json_schema',
    json_schema: {
        name: 'weather',
        strict: true,
        schema: {
            type: 'object',
            properties: {
                city: { type: 'string' },
                celsius: { type: 'number' },
            },
            required: ['city', 'celsius'],
            additionalProperties: false,
        },
    },
};

const ASK = [{ role: 'user', content: 'Weather in Oslo, as JSON' }];
const ANSWER = { city: 'Oslo', celsius: 3 };

function client(prefix) {
    return new OpenAI({
        baseURL: `${SDK_BASE}/${prefix}/v1`,
        apiKey: 'sk-test',
        maxRetries: 0,
        timeout: 15000,
    });
}

for (const [way, prefix, model] of [
    ['forced tool', 'structured-tool', 'amazon.nova-lite-v1:0'],
    ['native outputConfig', 'structured-native',
     'us.anthropic.claude-sonnet-4-5-20250929-v1:0'],
]) {
    describe(`structured output, ${way}`, () => {
        test('parse(): message.parsed is the object, content its JSON, '
             + 'finish_reason stop, no tool calls', async () => {
            const c = await client(prefix).chat.completions.parse({
                model, messages: ASK, response_format: WEATHER,
            });
            const choice = c.choices[0];
            assert.equal(choice.finish_reason, 'stop');
            assert.deepEqual(choice.message.parsed, ANSWER);
            assert.equal(choice.message.content, JSON.stringify(ANSWER));
            assert.deepEqual(choice.message.tool_calls ?? [], []);
            assert.equal(c.model, model);
        });

        test('stream(): content deltas join to the JSON, '
             + 'finalChatCompletion() has it parsed', async () => {
            const stream = client(prefix).chat.completions.stream({
                model, messages: ASK, stream: true,
                response_format: makeParseableResponseFormat(WEATHER,
                                                             JSON.parse),
            });
            let done = null;
            stream.on('content.done', (e) => { done = e; });
            const deltas = [];
            stream.on('content', (delta) => deltas.push(delta));
            const final = await stream.finalChatCompletion();
            const choice = final.choices[0];
            assert.ok(deltas.length > 1, `one delta only: ${deltas}`);
            assert.equal(deltas.join(''), JSON.stringify(ANSWER));
            assert.equal(choice.finish_reason, 'stop');
            assert.deepEqual(choice.message.parsed, ANSWER);
            assert.deepEqual(done.parsed, ANSWER);
            assert.deepEqual(choice.message.tool_calls ?? [], []);
        });

        test('stream() with the raw format: the content is the JSON',
             async () => {
            const final = await client(prefix).chat.completions.stream({
                model, messages: ASK, response_format: WEATHER,
                stream: true,
            }).finalChatCompletion();
            const m = final.choices[0].message;
            assert.deepEqual(JSON.parse(m.content), ANSWER);
            assert.equal(final.choices[0].finish_reason, 'stop');
        });
    });
}

describe('reasoning_effort', () => {
    const model = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

    test('streamed: delta.reasoning_content and reasoning_signature, '
         + 'content holds the answer only', async () => {
        const stream = await client('reasoning').chat.completions.create({
            model, messages: ASK, reasoning_effort: 'low', stream: true,
        });
        let reasoning = '';
        let content = '';
        const signatures = [];
        for await (const chunk of stream) {
            const d = chunk.choices[0]?.delta ?? {};
            reasoning += d.reasoning_content ?? '';
            content += d.content ?? '';
            if (d.reasoning_signature) {
                signatures.push(d.reasoning_signature);
            }
        }
        assert.equal(reasoning, 'The caller wants the weather.');
        assert.equal(content, 'It is 3C in Oslo.');
        assert.equal(signatures.length, 1);
        assert.match(signatures[0], /^[A-Za-z0-9+/]+=*$/);
    });

    test('not streamed: message.reasoning_content and '
         + 'message.reasoning_signature, which go back with the next turn',
         async () => {
        const c = await client('reasoning').chat.completions.create({
            model, messages: ASK, reasoning_effort: 'low',
        });
        const m = c.choices[0].message;
        assert.equal(m.content, 'It is 3C in Oslo.');
        assert.equal(m.reasoning_content, 'The caller wants the weather.');
        assert.match(m.reasoning_signature, /^[A-Za-z0-9+/]+=*$/);

        // the assistant turn as the SDK gave it, sent back: the double
        // checks the signature of what it signed
        const again = await client('reasoning').chat.completions.create({
            model, reasoning_effort: 'low',
            messages: [...ASK, m, { role: 'user', content: 'And now?' }],
        });
        assert.equal(again.choices[0].message.content, 'It is 3C in Oslo.');
    });
});
