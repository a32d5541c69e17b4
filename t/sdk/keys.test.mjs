// Client API keys and token budgets, as the official `openai` SDK sees
// them: its own error classes for OpenAI's 401 and 429.  The location
// /keyed/ checks the keys of t/sdk/api-keys: "sk-test" (no budget) and
// "sk-spent" (1 token a minute: its first request is let through alone and
// spends it).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const SDK_BASE = process.env.SDK_BASE;

if (!SDK_BASE) {
    throw new Error('SDK_BASE is not set: run t/sdk/run.sh');
}

const MODEL = 'amazon.nova-lite-v1:0';
const HELLO = [{ role: 'user', content: 'Hello' }];

function client(apiKey) {
    return new OpenAI({
        baseURL: `${SDK_BASE}/keyed/v1`,
        apiKey,
        maxRetries: 0,
        timeout: 15000,
    });
}

describe('client API keys', () => {
    test('the right key is answered', async () => {
        const c = await client('sk-test').chat.completions.create({
            model: MODEL, messages: HELLO, stream: false,
        });
        assert.equal(c.choices[0].message.content, 'Hello from Bedrock');
        assert.equal(c.usage.prompt_tokens, 12);
        assert.equal(c.usage.completion_tokens, 4);
        assert.equal(c.usage.total_tokens, 16);
    });

    for (const stream of [false, true]) {
        test(`a wrong key: AuthenticationError (stream: ${stream})`,
             async () => {
            await assert.rejects(
                client('sk-test-wrong').chat.completions.create({
                    model: MODEL, messages: HELLO, stream,
                }),
                (e) => {
                    assert.ok(e instanceof OpenAI.AuthenticationError,
                              `got ${e.constructor.name}`);
                    assert.equal(e.status, 401);
                    assert.equal(e.code, 'invalid_api_key');
                    assert.equal(e.type, 'invalid_request_error');
                    assert.equal(e.error.message,
                                 'Incorrect API key provided.');
                    return true;
                });
        });
    }

    test('a spent budget: RateLimitError with Retry-After and the '
         + 'x-ratelimit headers', async () => {
        const spent = client('sk-spent');

        const first = await spent.chat.completions.create({
            model: MODEL, messages: HELLO, stream: false,
        });
        assert.equal(first.usage.total_tokens, 16);

        await assert.rejects(
            spent.chat.completions.create({
                model: MODEL, messages: HELLO, stream: true,
            }),
            (e) => {
                assert.ok(e instanceof OpenAI.RateLimitError,
                          `got ${e.constructor.name}`);
                assert.equal(e.status, 429);
                assert.equal(e.code, 'rate_limit_exceeded');
                assert.equal(e.type, 'tokens');
                assert.match(e.error.message,
                             /^Rate limit reached for tokens per min: Limit 1, Used 16\. Please try again in \d+s\.$/);
                assert.equal(e.headers.get('x-ratelimit-limit-tokens'), '1');
                assert.equal(e.headers.get('x-ratelimit-remaining-tokens'),
                             '0');
                assert.match(e.headers.get('x-ratelimit-reset-tokens'),
                             /^\d+s$/);
                assert.match(e.headers.get('retry-after'), /^\d+$/);
                return true;
            });
    });
});
