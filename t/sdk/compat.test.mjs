// Compatibility of ngx_http_chatcompletions_module with the official
// `openai` Node SDK (pinned in package.json).  Run by t/sdk/run.sh, which
// starts nginx and the Bedrock double and sets SDK_BASE and DOUBLE_BASE.
//
// Each nginx location {prefix}/v1/chat/completions scripts one Bedrock
// double scenario (see nginx.conf.template), so a test picks its scenario
// with the client's baseURL.  The tests of one file run one after the
// other, which the checks on the double's request log rely on.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const SDK_BASE = process.env.SDK_BASE;
const DOUBLE_BASE = process.env.DOUBLE_BASE;

if (!SDK_BASE || !DOUBLE_BASE) {
    throw new Error('SDK_BASE and DOUBLE_BASE are not set: run t/sdk/run.sh');
}

const MODEL = 'amazon.nova-lite-v1:0';
const API_KEY = 'sk-test';
const ID_RE = /^chatcmpl-[A-Za-z0-9]{24}$/;
const HELLO = [{ role: 'user', content: 'Hello' }];

const WEATHER_TOOL = {
    type: 'function',
    function: {
        name: 'get_weather',
        description: 'Current weather in a city',
        parameters: {
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
        },
    },
};

const TIME_TOOL = {
    type: 'function',
    function: {
        name: 'get_time',
        description: 'Current time in a time zone',
        parameters: {
            type: 'object',
            properties: { tz: { type: 'string' } },
            required: ['tz'],
        },
    },
};

// a client for one scenario; no retries, so a 429 or 5xx is seen once
function client(prefix, opts = {}) {
    return new OpenAI({
        baseURL: `${SDK_BASE}/${prefix}/v1`,
        apiKey: API_KEY,
        maxRetries: 0,
        timeout: 15000,
        ...opts,
    });
}

async function collect(stream) {
    const chunks = [];
    for await (const chunk of stream) {
        chunks.push(chunk);
    }
    return chunks;
}

function contentOf(chunks) {
    return chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
}

// all chunks of one stream: one id (chatcmpl-…), one created, the model
function assertOneStream(chunks, model = MODEL) {
    assert.ok(chunks.length > 0, 'no chunks');
    const ids = new Set(chunks.map((c) => c.id));
    const created = new Set(chunks.map((c) => c.created));
    assert.equal(ids.size, 1, `chunks carry several ids: ${[...ids]}`);
    assert.equal(created.size, 1, 'chunks carry several "created"');
    assert.match(chunks[0].id, ID_RE);
    for (const c of chunks) {
        assert.equal(c.object, 'chat.completion.chunk');
        assert.equal(c.model, model);
        assert.equal(typeof c.created, 'number');
    }
}

async function doubleRequests() {
    const res = await fetch(`${DOUBLE_BASE}/__requests`);
    assert.equal(res.status, 200);
    return res.json();
}

// every request the double recorded before a reset, for the last test
const seenBeforeReset = [];

async function doubleReset() {
    seenBeforeReset.push(...await doubleRequests());
    const res = await fetch(`${DOUBLE_BASE}/__reset`, { method: 'POST' });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
}

// what a recorded Bedrock request must look like: signed with SigV4 by the
// module, and nothing from the client's own request headers
function assertClean(r, secrets) {
    const where = `${r.method} ${r.path}`;
    assert.equal(r.verified, true,
                 `${where}: not verified: ${r.auth_error ?? ''}`);
    assert.equal(r.auth, 'sigv4', `${where}: auth ${r.auth}`);
    assert.match(r.headers.authorization ?? '',
                 /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\//, where);
    for (const [name, value] of Object.entries(r.headers)) {
        for (const s of secrets) {
            assert.ok(!String(value).includes(s),
                      `${where}: header ${name} carries "${s}"`);
        }
        assert.ok(!name.startsWith('x-stainless-'),
                  `${where}: the client's header ${name} reached Bedrock`);
        assert.ok(!name.startsWith('openai-'),
                  `${where}: the client's header ${name} reached Bedrock`);
    }
    assert.ok(!String(r.headers['user-agent'] ?? '').includes('OpenAI/JS'),
              `${where}: the SDK's User-Agent reached Bedrock`);
}

// ------------------------------------------------------------ streaming

describe('streaming with chat.completions.create({stream: true})', () => {
    test('text arrives in order, one id, role first, finish "stop"',
         async () => {
        const stream = await client('text').chat.completions.create({
            model: MODEL, messages: HELLO, stream: true,
        });
        const chunks = await collect(stream);
        assertOneStream(chunks);

        assert.equal(contentOf(chunks), 'Hello from Bedrock');
        assert.equal(chunks[0].choices[0].delta.role, 'assistant');
        for (const c of chunks.slice(1)) {
            assert.equal(c.choices[0].delta.role, undefined);
        }
        // without include_usage there is no usage chunk: the last chunk
        // is the one with the finish_reason
        const last = chunks.at(-1);
        assert.equal(last.choices.length, 1);
        assert.equal(last.choices[0].index, 0);
        assert.equal(last.choices[0].finish_reason, 'stop');
        for (const c of chunks.slice(0, -1)) {
            assert.equal(c.choices[0].finish_reason, null);
        }
        for (const c of chunks) {
            assert.ok(c.usage == null, 'usage without include_usage');
        }
    });

    test('stream_options.include_usage: a last chunk with choices [] and '
         + 'usage', async () => {
        const stream = await client('text').chat.completions.create({
            model: MODEL, messages: HELLO, stream: true,
            stream_options: { include_usage: true },
        });
        const chunks = await collect(stream);
        assertOneStream(chunks);

        assert.equal(contentOf(chunks), 'Hello from Bedrock');
        const last = chunks.at(-1);
        assert.deepEqual(last.choices, []);
        assert.equal(last.usage.prompt_tokens, 12);
        assert.equal(last.usage.completion_tokens, 4);
        assert.equal(last.usage.total_tokens, 16);
        assert.equal(chunks.at(-2).choices[0].finish_reason, 'stop');
        for (const c of chunks.slice(0, -1)) {
            assert.equal(c.usage, null, 'usage must be null before the end');
        }
    });

    test('withResponse(): text/event-stream, status 200', async () => {
        const { data: stream, response } = await client('text').chat
            .completions.create({ model: MODEL, messages: HELLO,
                                  stream: true })
            .withResponse();
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type'),
                     /^text\/event-stream/);
        assert.equal(contentOf(await collect(stream)), 'Hello from Bedrock');
    });

    test('the emulator (no scenario) streams its answer', async () => {
        const stream = await client('emu').chat.completions.create({
            model: MODEL, messages: [{ role: 'user', content: 'Hi' }],
            stream: true,
        });
        const chunks = await collect(stream);
        assertOneStream(chunks);
        assert.equal(contentOf(chunks),
                     'You said: Hi. I am the local Bedrock emulator; set AWS '
                     + 'credentials to talk to Amazon Bedrock.');
        assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
    });

    test('breaking out of a stream early, then a new request', async () => {
        const c = client('emu');
        const stream = await c.chat.completions.create({
            model: MODEL, messages: [{ role: 'user', content: 'Hi' }],
            stream: true,
        });
        let n = 0;
        for await (const chunk of stream) {
            assert.ok(chunk.id);
            if (++n === 2) {
                break;
            }
        }
        assert.equal(n, 2);

        const again = await client('text').chat.completions.create({
            model: MODEL, messages: HELLO,
        });
        assert.equal(again.choices[0].message.content, 'Hello from Bedrock');
    });
});

// -------------------------------------------------------- non-streaming

describe('non-streaming (stream omitted: the SDK sends Accept: '
         + 'application/json)', () => {
    test('one chat.completion with content, finish_reason and usage',
         async () => {
        const completion = await client('text').chat.completions.create({
            model: MODEL, messages: HELLO,
        });
        assert.match(completion.id, ID_RE);
        assert.equal(completion.object, 'chat.completion');
        assert.equal(completion.model, MODEL);
        assert.equal(typeof completion.created, 'number');
        assert.equal(completion.choices.length, 1);

        const [choice] = completion.choices;
        assert.equal(choice.index, 0);
        assert.equal(choice.message.role, 'assistant');
        assert.equal(choice.message.content, 'Hello from Bedrock');
        assert.equal(choice.message.tool_calls, undefined);
        assert.equal(choice.finish_reason, 'stop');

        assert.equal(completion.usage.prompt_tokens, 12);
        assert.equal(completion.usage.completion_tokens, 4);
        assert.equal(completion.usage.total_tokens, 16);
    });

    test('stream: false gives the same answer', async () => {
        const completion = await client('text').chat.completions.create({
            model: MODEL, messages: HELLO, stream: false,
        });
        assert.equal(completion.choices[0].message.content,
                     'Hello from Bedrock');
        assert.equal(completion.usage.total_tokens, 16);
    });

    test('withResponse(): application/json', async () => {
        const { data, response } = await client('text').chat.completions
            .create({ model: MODEL, messages: HELLO }).withResponse();
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type'),
                     /^application\/json/);
        assert.equal(data.choices[0].message.content, 'Hello from Bedrock');
    });

    test('a tool call after text: content and tool_calls', async () => {
        const completion = await client('tool').chat.completions.create({
            model: MODEL,
            messages: [{ role: 'user', content: 'Weather in Oslo?' }],
            tools: [WEATHER_TOOL],
        });
        const [choice] = completion.choices;
        assert.equal(choice.finish_reason, 'tool_calls');
        assert.equal(choice.message.content, 'Let me check');
        assert.equal(choice.message.tool_calls.length, 1);

        const [call] = choice.message.tool_calls;
        assert.equal(call.type, 'function');
        assert.equal(typeof call.id, 'string');
        assert.ok(call.id.length > 0);
        assert.equal(call.function.name, 'get_weather');
        assert.deepEqual(JSON.parse(call.function.arguments),
                         { city: 'Oslo' });
    });

    test('two tool calls', async () => {
        const completion = await client('twotools').chat.completions.create({
            model: MODEL,
            messages: [{ role: 'user', content: 'Weather and time in Oslo?' }],
            tools: [WEATHER_TOOL, TIME_TOOL],
        });
        const [choice] = completion.choices;
        assert.equal(choice.finish_reason, 'tool_calls');
        const calls = choice.message.tool_calls;
        assert.equal(calls.length, 2);
        assert.equal(calls[0].function.name, 'get_weather');
        assert.deepEqual(JSON.parse(calls[0].function.arguments),
                         { city: 'Oslo' });
        assert.equal(calls[1].function.name, 'get_time');
        assert.deepEqual(JSON.parse(calls[1].function.arguments),
                         { tz: 'Europe/Oslo' });
        assert.notEqual(calls[0].id, calls[1].id);
    });
});

// ---------------------------------------- chat.completions.stream() helper

describe('chat.completions.stream() helper and finalChatCompletion()', () => {
    test('text: finalContent() and finalChatCompletion()', async () => {
        const stream = client('text').chat.completions.stream({
            model: MODEL, messages: HELLO,
            stream_options: { include_usage: true },
        });
        const deltas = [];
        stream.on('content', (delta) => deltas.push(delta));
        const final = await stream.finalChatCompletion();

        assert.deepEqual(deltas, ['Hello', ' from', ' Bedrock']);
        assert.equal(await stream.finalContent(), 'Hello from Bedrock');
        assert.match(final.id, ID_RE);
        assert.equal(final.model, MODEL);
        assert.equal(final.choices[0].message.role, 'assistant');
        assert.equal(final.choices[0].message.content, 'Hello from Bedrock');
        assert.equal(final.choices[0].finish_reason, 'stop');
        assert.equal(final.usage.prompt_tokens, 12);
        assert.equal(final.usage.completion_tokens, 4);
        assert.equal(final.usage.total_tokens, 16);
    });

    test('a streamed tool call after text gets index 0', async () => {
        const stream = client('tool').chat.completions.stream({
            model: MODEL,
            messages: [{ role: 'user', content: 'Weather in Oslo?' }],
            tools: [WEATHER_TOOL],
        });
        const indexes = [];
        const done = [];
        stream.on('chunk', (chunk) => {
            for (const tc of chunk.choices[0]?.delta?.tool_calls ?? []) {
                indexes.push(tc.index);
            }
        });
        stream.on('tool_calls.function.arguments.done',
                  (e) => done.push(e));
        const final = await stream.finalChatCompletion();

        assert.ok(indexes.length > 0, 'no tool_calls deltas');
        assert.deepEqual([...new Set(indexes)], [0]);

        const [choice] = final.choices;
        assert.equal(choice.finish_reason, 'tool_calls');
        assert.equal(choice.message.content, 'Let me check');
        assert.equal(choice.message.tool_calls.length, 1);
        const [call] = choice.message.tool_calls;
        assert.equal(call.type, 'function');
        assert.ok(call.id && !call.id.startsWith('call_'),
                  `the id is the SDK's stand-in, not the server's: ${call.id}`);
        assert.equal(call.function.name, 'get_weather');
        assert.deepEqual(JSON.parse(call.function.arguments),
                         { city: 'Oslo' });

        assert.equal(done.length, 1);
        assert.equal(done[0].index, 0);
        assert.equal(done[0].name, 'get_weather');
        assert.equal(done[0].arguments, '{"city":"Oslo"}');
    });

    test('two streamed tool calls get indexes 0 and 1', async () => {
        const stream = client('twotools').chat.completions.stream({
            model: MODEL,
            messages: [{ role: 'user', content: 'Weather and time in Oslo?' }],
            tools: [WEATHER_TOOL, TIME_TOOL],
        });
        const done = [];
        stream.on('tool_calls.function.arguments.done',
                  (e) => done.push(e));
        const final = await stream.finalChatCompletion();

        const [choice] = final.choices;
        assert.equal(choice.finish_reason, 'tool_calls');
        assert.equal(choice.message.content, null);
        const calls = choice.message.tool_calls;
        assert.equal(calls.length, 2);
        assert.equal(calls[0].function.name, 'get_weather');
        assert.deepEqual(JSON.parse(calls[0].function.arguments),
                         { city: 'Oslo' });
        assert.equal(calls[1].function.name, 'get_time');
        assert.deepEqual(JSON.parse(calls[1].function.arguments),
                         { tz: 'Europe/Oslo' });
        assert.notEqual(calls[0].id, calls[1].id);

        assert.deepEqual(done.map((e) => [e.index, e.name]),
                         [[0, 'get_weather'], [1, 'get_time']]);
    });
});

// --------------------------------------------- runTools() round trip

describe('runTools(): a tool round trip through the emulator', () => {
    for (const stream of [false, true]) {
        test(`stream: ${stream}`, async () => {
            const calls = [];
            const runner = client('emu').chat.completions.runTools({
                model: MODEL,
                stream,
                messages: [{ role: 'user',
                             content: 'What is the weather in Oslo?' }],
                tools: [{
                    type: 'function',
                    function: {
                        name: 'get_weather',
                        description: 'Current weather in a city',
                        parameters: WEATHER_TOOL.function.parameters,
                        parse: JSON.parse,
                        function: (args) => {
                            calls.push(args);
                            return { temp_c: 7, sky: 'rain' };
                        },
                    },
                }],
            });
            const content = await runner.finalContent();

            // the emulator calls get_weather (it cannot fill a string
            // "city" from the text, so the input is {}) and then answers
            // with the tool result it was given
            assert.deepEqual(calls, [{}]);
            assert.equal(content,
                         'Here is what I found: {"temp_c":7,"sky":"rain"}');
            const messages = runner.messages;
            assert.deepEqual(messages.map((m) => m.role),
                             ['user', 'assistant', 'tool', 'assistant']);
            assert.equal(messages[1].tool_calls[0].function.name,
                         'get_weather');
            assert.equal(messages[2].tool_call_id,
                         messages[1].tool_calls[0].id);
        });
    }
});

// --------------------------------------------------------------- errors

describe('errors are the SDK error classes', () => {
    for (const stream of [false, true]) {
        test(`Bedrock throttling: RateLimitError 429 (stream: ${stream})`,
             async () => {
            await assert.rejects(
                client('throttle').chat.completions.create({
                    model: MODEL, messages: HELLO, stream,
                }),
                (err) => {
                    assert.ok(err instanceof OpenAI.RateLimitError,
                              `${err.constructor.name}: ${err.message}`);
                    assert.equal(err.status, 429);
                    assert.equal(err.type, 'rate_limit_error');
                    assert.equal(err.code, 'rate_limit_exceeded');
                    assert.equal(err.error.message,
                                 'Too many requests, please wait before '
                                 + 'trying again.');
                    return true;
                });
        });

        test(`Bedrock ValidationException: BadRequestError 400 `
             + `(stream: ${stream})`, async () => {
            await assert.rejects(
                client('badreq').chat.completions.create({
                    model: MODEL, messages: HELLO, stream,
                }),
                (err) => {
                    assert.ok(err instanceof OpenAI.BadRequestError,
                              `${err.constructor.name}: ${err.message}`);
                    assert.equal(err.status, 400);
                    assert.equal(err.type, 'invalid_request_error');
                    assert.equal(err.error.message,
                                 'Malformed input request, please reformat '
                                 + 'your input and try again.');
                    return true;
                });
        });
    }

    test('an unknown model: NotFoundError 404, code model_not_found',
         async () => {
        await assert.rejects(
            client('emu').chat.completions.create({
                model: 'nope', messages: HELLO,
            }),
            (err) => {
                assert.ok(err instanceof OpenAI.NotFoundError,
                          `${err.constructor.name}: ${err.message}`);
                assert.equal(err.status, 404);
                assert.equal(err.code, 'model_not_found');
                assert.equal(err.type, 'invalid_request_error');
                assert.equal(err.error.message,
                             'The model `nope` does not exist or you do not '
                             + 'have access to it.');
                return true;
            });
    });

    test('messages: [] is a BadRequestError 400', async () => {
        await assert.rejects(
            client('emu').chat.completions.create({
                model: MODEL, messages: [],
            }),
            (err) => {
                assert.ok(err instanceof OpenAI.BadRequestError,
                          `${err.constructor.name}: ${err.message}`);
                assert.equal(err.status, 400);
                assert.equal(err.type, 'invalid_request_error');
                assert.equal(err.param, 'messages');
                return true;
            });
    });

    test('the SDK retries a 429 (maxRetries: 1 → two Bedrock calls)',
         async () => {
        await doubleReset();
        await assert.rejects(
            client('throttle', { maxRetries: 1 }).chat.completions.create({
                model: MODEL, messages: HELLO,
            }),
            OpenAI.RateLimitError);
        const log = await doubleRequests();
        assert.equal(log.length, 2);
        for (const r of log) {
            assert.equal(r.error, 'ThrottlingException');
        }
    });

    test('an exception mid-stream: the iteration throws an APIError '
         + 'after the text sent before it', async () => {
        const stream = await client('midstream').chat.completions.create({
            model: MODEL, messages: HELLO, stream: true,
        });
        const chunks = [];
        await assert.rejects(
            (async () => {
                for await (const chunk of stream) {
                    chunks.push(chunk);
                }
            })(),
            (err) => {
                assert.ok(err instanceof OpenAI.APIError,
                          `${err.constructor.name}: ${err.message}`);
                assert.equal(err.status, undefined);
                assert.equal(err.type, 'server_error');
                assert.equal(err.error.message,
                             'The model encountered an error while '
                             + 'streaming the response. Retry your request.');
                return true;
            });
        assertOneStream(chunks);
        assert.equal(contentOf(chunks), 'tok1 tok2');
        assert.equal(chunks[0].choices[0].delta.role, 'assistant');
        for (const c of chunks) {
            assert.equal(c.choices[0].finish_reason, null);
        }
    });

    test('an exception mid-stream: finalChatCompletion() rejects',
         async () => {
        const stream = client('midstream').chat.completions.stream({
            model: MODEL, messages: HELLO,
        });
        const deltas = [];
        stream.on('content', (d) => deltas.push(d));
        await assert.rejects(stream.finalChatCompletion(), OpenAI.APIError);
        assert.deepEqual(deltas, ['tok1', ' tok2']);
    });
});

// -------------------------------------------------------- credentials

describe('the client\'s credentials never reach Bedrock', () => {
    test('requests to the double are SigV4-signed and carry no client '
         + 'header', async () => {
        await doubleReset();
        const c = client('text', {
            organization: 'org-marker',
            project: 'proj-marker',
            defaultHeaders: { 'X-Client-Marker': 'client-marker' },
        });
        await c.chat.completions.create({ model: MODEL, messages: HELLO });
        await collect(await c.chat.completions.create({
            model: MODEL, messages: HELLO, stream: true,
        }));

        const log = await doubleRequests();
        assert.equal(log.length, 2);
        assert.deepEqual(log.map((r) => r.operation),
                         ['converse', 'converse-stream']);
        for (const r of log) {
            assertClean(r, [API_KEY, 'org-marker', 'proj-marker',
                            'client-marker']);
            assert.equal(r.headers['x-client-marker'], undefined);
        }
    });

    test('no request of the whole run carried the API key', async () => {
        // run last; the double keeps the last 50 requests since a reset
        const log = [...seenBeforeReset, ...await doubleRequests()];
        assert.ok(log.length >= 20, `only ${log.length} requests recorded`);
        for (const r of log) {
            assertClean(r, [API_KEY]);
        }
    });
});
