// The openai SDK against the Bedrock features of the module: the models
// endpoint (models.list(), models.retrieve()), an image in a message,
// service_tier asked and reported, a guardrail's intervention.  Run by
// t/sdk/run.sh (see compat.test.mjs).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const SDK_BASE = process.env.SDK_BASE;

if (!SDK_BASE) {
    throw new Error('SDK_BASE is not set: run t/sdk/run.sh');
}

const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==';

function client(prefix) {
    return new OpenAI({
        baseURL: `${SDK_BASE}/${prefix}/v1`,
        apiKey: 'sk-test',
        maxRetries: 0,
        timeout: 15000,
    });
}

describe('models', () => {
    test('models.list() pages through the model and its alias', async () => {
        const ids = [];
        for await (const m of client('models').models.list()) {
            assert.equal(m.object, 'model');
            assert.equal(m.owned_by, 'amazon');
            assert.ok(Number.isInteger(m.created) && m.created > 0);
            ids.push(m.id);
        }
        assert.deepEqual(ids, ['amazon.nova-lite-v1:0', 'gpt-4o-mini']);
    });

    test('models.retrieve() of an alias', async () => {
        const m = await client('models').models.retrieve('gpt-4o-mini');
        assert.deepEqual(Object.keys(m).sort(),
                         ['created', 'id', 'object', 'owned_by']);
        assert.equal(m.id, 'gpt-4o-mini');
        assert.equal(m.object, 'model');
    });

    test('models.retrieve() of an unknown model is a NotFoundError',
         async () => {
        await assert.rejects(
            client('models').models.retrieve('gpt-5'),
            (e) => e instanceof OpenAI.NotFoundError && e.status === 404
                   && e.code === 'model_not_found' && e.param === 'model');
    });
});

describe('requests', () => {
    test('an image_url data URL in a user message', async () => {
        const r = await client('text').chat.completions.create({
            model: 'amazon.nova-lite-v1:0',
            messages: [{ role: 'user', content: [
                { type: 'text', text: 'What is this?' },
                { type: 'image_url', image_url: { url: PNG } },
            ] }],
        });
        assert.equal(r.choices[0].message.content, 'Hello from Bedrock');
    });

    test('an image URL is a BadRequestError naming the place', async () => {
        await assert.rejects(
            client('text').chat.completions.create({
                model: 'amazon.nova-lite-v1:0',
                messages: [{ role: 'user', content: [
                    { type: 'image_url',
                      image_url: { url: 'https://example.com/a.png' } },
                ] }],
            }),
            (e) => e instanceof OpenAI.BadRequestError
                   && e.code === 'invalid_image_url'
                   && e.param === 'messages[0].content[0].image_url.url');
    });

    test('service_tier flex, allowed, is reported back', async () => {
        const r = await client('tier').chat.completions.create({
            model: 'amazon.nova-lite-v1:0',
            messages: [{ role: 'user', content: 'Hello' }],
            service_tier: 'flex',
        });
        assert.equal(r.service_tier, 'flex');
        assert.equal(r.choices[0].message.content, 'tok1 tok2');
    });

    test('service_tier in the usage chunk of a stream', async () => {
        const stream = await client('tier').chat.completions.create({
            model: 'amazon.nova-lite-v1:0',
            messages: [{ role: 'user', content: 'Hello' }],
            service_tier: 'flex',
            stream: true,
            stream_options: { include_usage: true },
        });
        let tier = null;
        let text = '';
        for await (const chunk of stream) {
            text += chunk.choices[0]?.delta?.content ?? '';
            if (chunk.usage) {
                tier = chunk.service_tier;
            }
        }
        assert.equal(text, 'tok1 tok2');
        assert.equal(tier, 'flex');
    });

    test('a guardrail intervention is finish_reason content_filter',
         async () => {
        const r = await client('guard').chat.completions.create({
            model: 'amazon.nova-lite-v1:0',
            messages: [{ role: 'user', content: 'Something violent' }],
        });
        assert.equal(r.choices[0].finish_reason, 'content_filter');
        assert.equal(r.choices[0].message.content,
                     'Sorry, the model cannot answer this question.');
        assert.equal(JSON.stringify(r).includes('inputAssessment'), false);
    });
});
