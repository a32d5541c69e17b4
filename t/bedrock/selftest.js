#!/usr/bin/env node
'use strict';
/*
 * Self-check of the Bedrock double: node selftest.js
 * Starts `node double.js --port 0`, talks to it as a Bedrock client would
 * (requests signed with @smithy/signature-v4, streams decoded with
 * @smithy/eventstream-codec) and asserts the documented behaviour.
 */
const assert = require('assert/strict');
const http = require('http');
const path = require('path');
const { spawn } = require('child_process');

const { SignatureV4 } = require('@smithy/signature-v4');
const { HttpRequest } = require('@smithy/protocol-http');
const { Sha256 } = require('@aws-crypto/sha256-js');
const { EventStreamCodec } = require('@smithy/eventstream-codec');
const { toUtf8, fromUtf8 } = require('@smithy/util-utf8');

const sigv4 = require('./lib/sigv4');
const { createDouble } = require('./double');

const AKID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const MODEL_PATH = '/model/amazon.nova-lite-v1%3A0';
const SIG_MSG = 'The request signature we calculated does not match the '
    + 'signature you provided. Check your AWS Secret Access Key and signing '
    + 'method. Consult the service documentation for details.';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
let port;

/* ---------------------------------------------------------------- client */

function signer(opts) {
    opts = opts || {};
    return new SignatureV4({
        credentials: { accessKeyId: opts.akid || AKID,
                       secretAccessKey: opts.secret || SECRET,
                       sessionToken: opts.token },
        region: opts.region || 'us-east-1',
        service: 'bedrock',
        sha256: Sha256,
        uriEscapePath: opts.uriEscapePath !== false,
        applyChecksum: opts.applyChecksum === true,
    });
}

/* Sign like a Bedrock client: the HttpRequest path is the wire path
 * (modelId label already percent-encoded, %3A); the signer's canonical URI
 * encodes it once more (%253A). */
async function signed(op, body, opts) {
    opts = opts || {};
    const req = new HttpRequest({
        method: 'POST',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port,
        path: opts.signPath || `${MODEL_PATH}/${op}`,
        headers: { host: `127.0.0.1:${port}`,
                   'content-type': 'application/json' },
        body,
    });
    return signer(opts).sign(req, { signingDate: opts.date || new Date() });
}

function decodeFrames(buf) {
    const out = [];
    let o = 0;
    while (o + 12 <= buf.length) {
        const total = buf.readUInt32BE(o);
        if (o + total > buf.length) {
            out.push({ partial: buf.length - o });
            break;
        }
        try {
            const m = codec.decode(buf.subarray(o, o + total));
            const h = {};
            for (const [k, v] of Object.entries(m.headers)) {
                h[k] = v.value;
            }
            const text = toUtf8(m.body);
            let json = null;
            try {
                json = text ? JSON.parse(text) : null;
            } catch (e) { /* not json */ }
            out.push({ headers: h, text, json,
                       type: h[':event-type'] || h[':exception-type']
                             || h[':error-code'] });
        } catch (e) {
            out.push({ crcError: e.message });
        }
        o += total;
    }
    if (o < buf.length && (out.length === 0 || !out[out.length - 1].partial)) {
        out.push({ partial: buf.length - o });
    }
    return out;
}

function send(method, urlPath, headers, body, opts) {
    opts = opts || {};
    return new Promise((resolve, reject) => {
        const chunks = [];
        const reads = [];
        let done = false;
        const req = http.request({ host: '127.0.0.1', port, method,
                                   path: urlPath, headers,
                                   agent: opts.agent || agent }, (res) => {
            const finish = (aborted) => {
                if (done) {
                    return;
                }
                done = true;
                const buf = Buffer.concat(chunks);
                const r = { status: res.statusCode, headers: res.headers,
                            body: buf, text: buf.toString('utf8'), aborted,
                            reads, socket: req.socket };
                if (/eventstream/.test(res.headers['content-type'] || '')) {
                    r.frames = decodeFrames(buf);
                } else if (/json/.test(res.headers['content-type'] || '')) {
                    try {
                        r.json = JSON.parse(r.text);
                    } catch (e) { /* truncated */ }
                }
                resolve(r);
            };
            res.on('data', (c) => {
                chunks.push(c);
                reads.push(c.length);
                if (opts.onData) {
                    opts.onData(Buffer.concat(chunks), req, res);
                }
            });
            res.on('end', () => finish(false));
            res.on('aborted', () => finish(true));
            res.on('error', () => finish(true));
            res.on('close', () => finish(!res.complete));
        });
        req.on('error', (e) => (done ? null : reject(e)));
        req.end(body);
    });
}

async function call(op, body, scenario, opts) {
    opts = opts || {};
    const s = await signed(op, body, opts);
    const headers = Object.assign({}, s.headers, opts.extraHeaders || {});
    if (scenario) {
        headers['x-double-scenario'] = scenario;
    }
    return send('POST', opts.wirePath || s.path, headers, body, opts);
}

function events(r) {
    return r.frames.filter((f) => f.headers).map((f) => f.type);
}

function deltas(r) {
    return r.frames.filter((f) => f.type === 'contentBlockDelta')
        .map((f) => f.json.delta.text !== undefined ? f.json.delta.text
                                                     : f.json.delta.toolUse.input);
}

function body(text, extra) {
    return JSON.stringify(Object.assign({
        messages: [{ role: 'user', content: [{ text: text || 'Hello there' }] }],
        inferenceConfig: { maxTokens: 256 },
    }, extra || {}));
}

function assertError(r, status, name, message) {
    assert.equal(r.status, status, r.text);
    const t = r.headers['x-amzn-errortype'];
    assert.ok(t && t.split(':')[0] === name, `error type ${t}, want ${name}`);
    assert.ok(/:http:\/\/internal\.amazon\.com\/coral\//.test(t), t);
    assert.match(r.headers['content-type'], /application\/json/);
    if (message !== undefined) {
        if (message instanceof RegExp) {
            assert.match(r.json.message, message);
        } else {
            assert.equal(r.json.message, message);
        }
    }
}

/* ----------------------------------------------------------------- tests */

const tests = [];
function test(name, fn) {
    tests.push({ name, fn });
}

test('codec reproduces the PROTOCOLS worked example frame', async () => {
    const f = Buffer.from(codec.encode({
        headers: {
            ':event-type': { type: 'string', value: 'contentBlockDelta' },
            ':content-type': { type: 'string', value: 'application/json' },
            ':message-type': { type: 'string', value: 'event' },
        },
        body: fromUtf8('{"contentBlockIndex":0,"delta":{"text":"Hi"},'
                       + '"p":"abcd"}'),
    }));
    assert.equal(f.toString('hex'),
        '0000009f00000057c37babff0b3a6576656e742d74797065070011636f6e74656e74'
        + '426c6f636b44656c74610d3a636f6e74656e742d747970650700106170706c6963'
        + '6174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b'
        + '22636f6e74656e74426c6f636b496e646578223a302c2264656c7461223a7b2274'
        + '657874223a224869227d2c2270223a2261626364227df2ace5ff');
});

test('signer + verifier agree on the PROTOCOLS Bedrock vector', async () => {
    const b = '{"messages":[{"role":"user","content":[{"text":"Hello"}]}],'
        + '"inferenceConfig":{"maxTokens":256}}';
    const date = new Date(Date.UTC(2025, 0, 15, 12, 0, 0));
    const host = 'bedrock-runtime.us-east-1.amazonaws.com';
    const mk = (uriEscapePath) => signer({ uriEscapePath }).sign(
        new HttpRequest({ method: 'POST', hostname: host,
                          path: '/model/amazon.nova-lite-v1%3A0/converse',
                          headers: { host, 'content-type': 'application/json' },
                          body: b }),
        { signingDate: date });
    const good = await mk(true);
    assert.match(good.headers.authorization,
        /Signature=bac5d67b637dcf8cea3a3ac6aaf744f04aac6e159f9de4136728a3c783e13ed9$/);
    const fake = (h) => {
        const raw = [];
        for (const [k, v] of Object.entries(h)) {
            raw.push(k, v);
        }
        return { method: 'POST', url: '/model/amazon.nova-lite-v1%3A0/converse',
                 rawHeaders: raw };
    };
    const cfg = { accessKey: AKID, secretKey: SECRET, region: 'us-east-1',
                  service: 'bedrock', skewSeconds: 300, bearerToken: 'x' };
    const ok = await sigv4.verify(fake(good.headers), Buffer.from(b), cfg,
                                  date.getTime());
    assert.equal(ok.ok, true, JSON.stringify(ok));
    /* single-encoded canonical URI: the classic bug, must be rejected */
    const bad = await mk(false);
    assert.doesNotMatch(bad.headers.authorization, /bac5d67b/);
    const no = await sigv4.verify(fake(bad.headers), Buffer.from(b), cfg,
                                  date.getTime());
    assert.equal(no.ok, false);
    assert.equal(no.error.name, 'InvalidSignatureException');
    assert.match(no.canonical_request, /\/model\/amazon\.nova-lite-v1%253A0\/converse/);
    /* expired relative to now */
    const late = await sigv4.verify(fake(good.headers), Buffer.from(b), cfg);
    assert.equal(late.error.name, 'InvalidSignatureException');
    assert.match(late.error.message, /^Signature expired: 20250115T120000Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/);
});

test('good signature: stream accepted, frames, "p" padding, keep-alive', async () => {
    const r1 = await call('converse-stream', body('Hello there'));
    assert.equal(r1.status, 200, r1.text);
    assert.equal(r1.headers['content-type'], 'application/vnd.amazon.eventstream');
    assert.equal(r1.headers['transfer-encoding'], 'chunked');
    const ev = events(r1);
    assert.equal(ev[0], 'messageStart');
    assert.deepEqual(ev.slice(-3), ['contentBlockStop', 'messageStop', 'metadata']);
    for (const f of r1.frames) {
        assert.equal(f.headers[':message-type'], 'event');
        assert.equal(f.headers[':content-type'], 'application/json');
        assert.match(f.json.p, /^[a-zA-Z0-9]+$/);
    }
    assert.equal(deltas(r1).join(''), 'You said: Hello there. I am the local '
        + 'Bedrock emulator; set AWS credentials to talk to Amazon Bedrock.');
    assert.equal(deltas(r1)[1], ' said:');
    const meta = r1.frames[r1.frames.length - 1].json;
    assert.deepEqual(meta.usage, { inputTokens: 12, outputTokens: deltas(r1).length,
                                   totalTokens: 12 + deltas(r1).length });
    assert.equal(typeof meta.metrics.latencyMs, 'number');
    const r2 = await call('converse-stream', body('again'));
    assert.equal(r2.status, 200);
    assert.equal(r1.socket, r2.socket, 'keep-alive connection reused');
});

test('signature with x-amz-content-sha256 (applyChecksum) accepted', async () => {
    const r = await call('converse-stream', body(), 'tokens=1',
                         { applyChecksum: true });
    assert.equal(r.status, 200, r.text);
});

test('tampered body is rejected', async () => {
    const b = body('original');
    const s = await signed('converse-stream', b);
    const r = await send('POST', s.path, s.headers, body('tampered'));
    assertError(r, 403, 'InvalidSignatureException', SIG_MSG);
    assert.deepEqual(Object.keys(r.json), ['message']);
    assert.equal(r.headers['x-amzn-errortype'], 'InvalidSignatureException:'
                 + 'http://internal.amazon.com/coral/com.amazon.coral.service/');
});

test('tampered path is rejected (other op, %253A on the wire, single-encoded signing)', async () => {
    const b = body();
    let r = await call('converse-stream', b, null,
                       { wirePath: `${MODEL_PATH}/converse` });
    assertError(r, 403, 'InvalidSignatureException', SIG_MSG);
    r = await call('converse-stream', b, null,
                   { wirePath: '/model/amazon.nova-lite-v1%253A0/converse-stream' });
    assertError(r, 403, 'InvalidSignatureException', SIG_MSG);
    r = await call('converse-stream', b, null, { uriEscapePath: false });
    assertError(r, 403, 'InvalidSignatureException', SIG_MSG);
    const log = JSON.parse((await send('GET', '/__requests', {})).text);
    const last = log[log.length - 1];
    assert.equal(last.verified, false);
    assert.match(last.canonical_request, /^POST\n\/model\/amazon\.nova-lite-v1%253A0\/converse-stream\n\n/);
});

test('tampered / expired / future x-amz-date is rejected', async () => {
    const b = body();
    const s = await signed('converse-stream', b);
    const h = Object.assign({}, s.headers);
    const d = new Date(Date.now() - 60000);
    h['x-amz-date'] = sigv4.amzDate(d);
    let r = await send('POST', s.path, h, b);
    assertError(r, 403, 'InvalidSignatureException', SIG_MSG);

    r = await call('converse-stream', b, null,
                   { date: new Date(Date.now() - 6 * 60000) });
    assertError(r, 403, 'InvalidSignatureException', /^Signature expired: \d{8}T\d{6}Z is now earlier than/);
    r = await call('converse-stream', b, null,
                   { date: new Date(Date.now() + 6 * 60000) });
    assertError(r, 403, 'InvalidSignatureException', /^Signature not yet current: /);
    r = await call('converse-stream', b, null,
                   { date: new Date(Date.now() - 4 * 60000) });
    assert.equal(r.status, 200);
});

test('unknown key, wrong secret, wrong region, missing auth', async () => {
    let r = await call('converse-stream', body(), null, { akid: 'AKIDNOTKNOWN' });
    assertError(r, 403, 'UnrecognizedClientException',
                'The security token included in the request is invalid.');
    r = await call('converse-stream', body(), null, { secret: 'nope' });
    assertError(r, 403, 'InvalidSignatureException', SIG_MSG);
    r = await call('converse-stream', body(), null, { region: 'eu-west-1' });
    assertError(r, 403, 'InvalidSignatureException', /scoped to a valid region/);
    r = await send('POST', `${MODEL_PATH}/converse-stream`,
                   { 'content-type': 'application/json' }, body());
    assertError(r, 403, 'MissingAuthenticationTokenException');
});

test('session token: unsigned token rejected; signed token accepted', async () => {
    /* the default double accepts any signed token */
    let r = await call('converse-stream', body(), 'tokens=1', { token: 'SESSION1' });
    assert.equal(r.status, 200, r.text);
    const s = await signed('converse-stream', body());
    r = await send('POST', s.path, Object.assign({ 'x-amz-security-token': 'T' },
                                                 s.headers), body());
    assertError(r, 403, 'InvalidSignatureException');
    /* a double with DOUBLE_SESSION_TOKEN wants exactly that token */
    const d = createDouble({ sessionToken: 'GOODTOKEN', quiet: true });
    await new Promise((res) => d.server.listen(0, '127.0.0.1', res));
    const saved = port;
    port = d.server.address().port;
    const a = new http.Agent();
    try {
        r = await call('converse', body(), 'tokens=1', { token: 'GOODTOKEN', agent: a });
        assert.equal(r.status, 200, r.text);
        r = await call('converse', body(), 'tokens=1', { token: 'BADTOKEN', agent: a });
        assertError(r, 403, 'UnrecognizedClientException');
        r = await call('converse', body(), 'tokens=1', { agent: a });
        assertError(r, 403, 'UnrecognizedClientException');
    } finally {
        port = saved;
        a.destroy();
        await new Promise((res) => d.server.close(res));
    }
});

test('bearer token', async () => {
    let r = await send('POST', `${MODEL_PATH}/converse-stream`,
                       { 'content-type': 'application/json',
                         authorization: 'Bearer test-bedrock-api-key',
                         'x-double-scenario': 'tokens=2' }, body());
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(deltas(r), ['tok1', ' tok2']);
    r = await send('POST', `${MODEL_PATH}/converse-stream`,
                   { 'content-type': 'application/json',
                     authorization: 'Bearer ABSKwrong' }, body());
    assertError(r, 403, 'AccessDeniedException');
    const log = JSON.parse((await send('GET', '/__requests', {})).text);
    assert.doesNotMatch(JSON.stringify(log), /test-bedrock-api-key|ABSKwrong/);
});

test('tokens=3: exact deltas, usage', async () => {
    const r = await call('converse-stream', body('one two three'), 'tokens=3; id=t3');
    assert.equal(r.status, 200);
    assert.deepEqual(events(r), ['messageStart', 'contentBlockDelta',
        'contentBlockDelta', 'contentBlockDelta', 'contentBlockStop',
        'messageStop', 'metadata']);
    assert.deepEqual(deltas(r), ['tok1', ' tok2', ' tok3']);
    const f = r.frames;
    assert.equal(f[0].json.role, 'assistant');
    assert.equal(f[1].json.contentBlockIndex, 0);
    assert.equal(f[4].json.contentBlockIndex, 0);
    assert.equal(f[5].json.stopReason, 'end_turn');
    assert.deepEqual(f[6].json.usage, { inputTokens: 13, outputTokens: 3,
                                        totalTokens: 16 });
});

test('text, chunk, stop, usage, cache', async () => {
    const r = await call('converse-stream', body(),
        'text=We%20offer%20three%20loan%20options; chunk=2; stop=max_tokens; '
        + 'usage=100,7; cache=5,6');
    assert.deepEqual(deltas(r), ['We offer', ' three loan', ' options']);
    const f = r.frames;
    assert.equal(f[f.length - 2].json.stopReason, 'max_tokens');
    assert.deepEqual(f[f.length - 1].json.usage, { inputTokens: 100,
        outputTokens: 7, totalTokens: 107, cacheReadInputTokens: 5,
        cacheWriteInputTokens: 6 });
});

test('status=ThrottlingException and friends', async () => {
    let r = await call('converse-stream', body(), 'status=ThrottlingException');
    assertError(r, 429, 'ThrottlingException',
                'Too many requests, please wait before trying again.');
    assert.equal(r.headers['x-amzn-errortype'], 'ThrottlingException:'
                 + 'http://internal.amazon.com/coral/com.amazon.bedrock/');
    r = await call('converse', body(), 'status=ModelErrorException');
    assertError(r, 424, 'ModelErrorException');
    r = await call('converse', body(), 'status=ExpiredTokenException');
    assertError(r, 403, 'ExpiredTokenException');
    r = await call('converse', body(), 'status=ServiceUnavailableException; message=busy%20now');
    assertError(r, 503, 'ServiceUnavailableException', 'busy now');
});

test('exception after N deltas; error frame; after=end', async () => {
    let r = await call('converse-stream', body(),
                       'tokens=5; exception=throttlingException; after=2');
    assert.equal(r.status, 200);
    assert.deepEqual(events(r), ['messageStart', 'contentBlockDelta',
                                 'contentBlockDelta', 'throttlingException']);
    const x = r.frames[3];
    assert.equal(x.headers[':message-type'], 'exception');
    assert.deepEqual(x.json, { message: 'Too many requests, please wait before '
                                        + 'trying again.' });
    assert.equal(r.aborted, false, 'response ended cleanly');

    r = await call('converse-stream', body(), 'tokens=3; exception=modelStreamErrorException');
    assert.deepEqual(events(r), ['messageStart', 'contentBlockDelta',
                                 'modelStreamErrorException']);
    assert.equal(r.frames[2].json.originalStatusCode, 500);

    r = await call('converse-stream', body(), 'tokens=3; error_frame=1; after=0');
    assert.deepEqual(events(r), ['messageStart', 'InternalFailure']);
    assert.equal(r.frames[1].headers[':message-type'], 'error');
    assert.equal(r.frames[1].headers[':error-message'], 'An internal error occurred.');

    r = await call('converse-stream', body(), 'tokens=2; exception=internalServerException; after=end');
    assert.deepEqual(events(r).slice(-2), ['messageStop', 'internalServerException']);
});

test('corrupt, truncate, stall', async () => {
    let r = await call('converse-stream', body(), 'tokens=3; corrupt=prelude');
    assert.equal(r.frames.length, 7);
    assert.match(r.frames[2].crcError, /prelude checksum/);
    assert.equal(r.frames[3].type, 'contentBlockDelta');
    r = await call('converse-stream', body(), 'tokens=3; corrupt=message; after=2');
    assert.match(r.frames[3].crcError, /message checksum/);
    assert.equal(r.frames[6].type, 'metadata');

    r = await call('converse-stream', body(), 'tokens=3; truncate=1; after=1',
                   { agent: new http.Agent() });
    assert.equal(r.aborted, true);
    assert.deepEqual(events(r), ['messageStart', 'contentBlockDelta']);
    assert.ok(r.frames[2].partial > 0);

    let seen = 0;
    r = await call('converse-stream', body(), 'tokens=3; stall=1; after=1; id=stall',
        { agent: new http.Agent(),
          onData: (buf, req) => {
              seen = decodeFrames(buf).length;
              if (seen === 2) {
                  setTimeout(() => req.destroy(), 300);
              }
          } });
    assert.equal(seen, 2);
    assert.deepEqual(events(r), ['messageStart', 'contentBlockDelta']);
    assert.equal(r.aborted, true);
});

test('split=bytes, split=N, coalesce, delays', async () => {
    let r = await call('converse-stream', body(), 'tokens=2; split=bytes');
    assert.deepEqual(deltas(r), ['tok1', ' tok2']);
    assert.ok(r.reads.length > 20, `reads ${r.reads.length}`);
    r = await call('converse-stream', body(), 'tokens=2; split=7');
    assert.deepEqual(deltas(r), ['tok1', ' tok2']);
    r = await call('converse-stream', body(), 'tokens=4; coalesce=1');
    assert.deepEqual(deltas(r), ['tok1', ' tok2', ' tok3', ' tok4']);
    assert.equal(r.reads.length, 1);
    const t0 = Date.now();
    r = await call('converse-stream', body(),
                   'tokens=3; delay=60; first_delay=50; header_delay=50');
    assert.ok(Date.now() - t0 >= 210, `took ${Date.now() - t0}`);
    assert.deepEqual(deltas(r), ['tok1', ' tok2', ' tok3']);
});

test('echo=1 returns the exact request body', async () => {
    const b = body('echo me', { system: [{ text: 'Be brief.' }] });
    let r = await call('converse-stream', b, 'echo=1');
    assert.deepEqual(deltas(r), [b]);
    r = await call('converse', b, 'echo=1');
    assert.equal(r.json.output.message.content[0].text, b);
});

/* Bedrock features (lib/features.js) on another model's path */
function callModel(model, op, b, scenario) {
    const path = `/model/${encodeURIComponent(model)}/${op}`;
    return call(op, b, scenario, { signPath: path });
}

const SONNET = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

test('features: outputConfig, json=, thinking and reasoning=, cachePoint',
     async () => {
    const oc = { outputConfig: { textFormat: { type: 'json_schema',
        structure: { jsonSchema: { schema: '{"type":"object"}',
                                   name: 'x' } } } } };
    let r = await call('converse', body('hi', oc), 'json=%7B%7D');
    assertError(r, 400, 'ValidationException',
                /doesn't support the outputConfig/);
    r = await callModel(SONNET, 'converse-stream', body('hi', oc),
                        'json=%7B%22a%22%3A1%7D');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(deltas(r), ['{"a":1}']);

    const think = { inferenceConfig: { maxTokens: 2048 },
        additionalModelRequestFields: { thinking: { type: 'enabled',
                                                    budget_tokens: 1024 } } };
    r = await callModel(SONNET, 'converse-stream', body('hi', think),
                        'reasoning=Hmm; text=OK');
    const ds = r.frames.filter((f) => f.type === 'contentBlockDelta')
        .map((f) => f.json.delta);
    assert.deepEqual(ds[0], { reasoningContent: { text: 'Hmm' } });
    assert.ok(ds[1].reasoningContent.signature);
    assert.deepEqual(ds[2], { text: 'OK' });
    r = await callModel(SONNET, 'converse-stream', body('hi'),
                        'reasoning=Hmm; text=OK');
    assert.deepEqual(deltas(r), ['OK']);
    r = await call('converse', body('hi', think), 'text=OK');
    assertError(r, 400, 'ValidationException', /extraneous key \[thinking\]/);
    think.inferenceConfig.maxTokens = 1024;
    r = await callModel(SONNET, 'converse', body('hi', think), 'text=OK');
    assertError(r, 400, 'ValidationException', /must be greater than/);

    think.inferenceConfig.maxTokens = 2048;
    const turn = JSON.parse(body('hi', think));
    turn.messages.push(
        { role: 'assistant', content: [{ toolUse: { toolUseId: 't1',
                                                    name: 'x', input: {} } }] },
        { role: 'user', content: [{ toolResult: { toolUseId: 't1',
                                                  content: [{ text: 'ok' }] } }] });
    turn.toolConfig = { tools: [{ toolSpec: { name: 'x',
        inputSchema: { json: { type: 'object' } } } }] };
    r = await callModel(SONNET, 'converse', JSON.stringify(turn), 'text=OK');
    assertError(r, 400, 'ValidationException',
                /must start with a thinking block/);
    turn.messages[1].content.unshift({ reasoningContent: { reasoningText: {
        text: 'Hmm', signature: 'forged' } } });
    r = await callModel(SONNET, 'converse', JSON.stringify(turn), 'text=OK');
    assertError(r, 400, 'ValidationException', /Invalid `signature`/);

    r = await call('converse', body('hi', { system: [
        { cachePoint: { type: 'default' } }, { text: 'x' }] }), 'text=OK');
    assertError(r, 400, 'ValidationException', /must follow content/);
    r = await call('converse', body('hi', { system: [
        { text: 'x' }, { cachePoint: { type: 'default' } }] }), 'text=OK');
    assert.equal(r.status, 200, r.text);
});

test('tool=: stream blocks, pre_text, two tools', async () => {
    const args = encodeURIComponent(JSON.stringify({ city: 'Oslo', days: 3 }));
    let r = await call('converse-stream', body(),
                       `tool=get_weather; args=${args}; pre_text=Let%20me%20check`);
    assert.deepEqual(events(r), ['messageStart', 'contentBlockDelta',
        'contentBlockDelta', 'contentBlockDelta', 'contentBlockStop',
        'contentBlockStart', 'contentBlockDelta', 'contentBlockDelta',
        'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata']);
    const start = r.frames[5].json;
    assert.equal(start.contentBlockIndex, 1);
    assert.equal(start.start.toolUse.name, 'get_weather');
    assert.match(start.start.toolUse.toolUseId, /^tooluse_[A-Za-z0-9_-]{22}$/);
    const input = r.frames.slice(6, 9).map((f) => f.json.delta.toolUse.input);
    assert.equal(input.join(''), '{"city":"Oslo","days":3}');
    assert.ok(input.every((s) => s.length <= 8));
    assert.equal(r.frames[10].json.stopReason, 'tool_use');

    r = await call('converse-stream', body(),
                   'tool=a,b; args=%7B%22x%22%3A1%7D|%7B%7D; tool_id=id_a,id_b');
    const starts = r.frames.filter((f) => f.type === 'contentBlockStart')
        .map((f) => [f.json.contentBlockIndex, f.json.start.toolUse.toolUseId,
                     f.json.start.toolUse.name]);
    assert.deepEqual(starts, [[0, 'id_a', 'a'], [1, 'id_b', 'b']]);

    r = await call('converse', body(), `tool=get_weather; args=${args}`);
    assert.equal(r.status, 200);
    assert.equal(r.json.stopReason, 'tool_use');
    assert.deepEqual(r.json.output.message.content[0].toolUse.input,
                     { city: 'Oslo', days: 3 });
});

test('tool= rounds: only before tool results, tool_rounds, echo_after_tool, final_text', async () => {
    const toolConfig = { tools: [{ toolSpec: { name: 'get_loan_options',
        inputSchema: { json: { type: 'object', properties: {} } } } }] };
    const turn = (id) => [
        { role: 'assistant', content: [{ toolUse: { toolUseId: id,
            name: 'get_loan_options', input: {} } }] },
        { role: 'user', content: [{ toolResult: { toolUseId: id,
            content: [{ json: { apr: 7.9 } }] } }] }];
    const conv = (rounds) => {
        let m = [{ role: 'user', content: [{ text: 'loans?' }] }];
        for (let i = 1; i <= rounds; i++) {
            m = m.concat(turn('t' + i));
        }
        return JSON.stringify({ messages: m, toolConfig });
    };
    const toolName = (r) => {
        const s = r.frames.find((f) => f.type === 'contentBlockStart');
        return s ? s.json.start.toolUse.name : null;
    };
    const stop = (r) => r.frames.find((f) => f.type === 'messageStop')
        .json.stopReason;

    /* round 1 asks, round 2 answers from the result (rule 1) */
    let r = await call('converse-stream', conv(0), 'tool=get_loan_options');
    assert.equal(toolName(r), 'get_loan_options');
    assert.equal(stop(r), 'tool_use');
    r = await call('converse-stream', conv(1), 'tool=get_loan_options');
    assert.equal(toolName(r), null);
    assert.equal(stop(r), 'end_turn');
    assert.equal(deltas(r).join(''), 'Here is what I found: {"apr":7.9}');
    r = await call('converse', conv(1), 'tool=get_loan_options');
    assert.equal(r.json.output.message.content[0].text,
                 'Here is what I found: {"apr":7.9}');

    /* tool_rounds=3 asks three times */
    for (const n of [0, 1, 2]) {
        r = await call('converse-stream', conv(n),
                       'tool=get_loan_options; tool_rounds=3');
        assert.equal(toolName(r), 'get_loan_options', `round ${n + 1}`);
    }
    r = await call('converse-stream', conv(3),
                   'tool=get_loan_options; tool_rounds=3');
    assert.equal(stop(r), 'end_turn');

    /* a new question after an answered tool call asks again */
    const later = JSON.parse(conv(1));
    later.messages.push({ role: 'assistant', content: [{ text: 'ok' }] },
                        { role: 'user', content: [{ text: 'and now?' }] });
    r = await call('converse-stream', JSON.stringify(later),
                   'tool=get_loan_options');
    assert.equal(toolName(r), 'get_loan_options');

    /* echo_after_tool: the round with the results echoes its body */
    const b = conv(1);
    r = await call('converse-stream', b, 'tool=x; echo_after_tool=1');
    assert.deepEqual(deltas(r), [b]);
    r = await call('converse', b, 'tool=x; echo_after_tool');
    assert.equal(r.json.output.message.content[0].text, b);
    r = await call('converse-stream', conv(0), 'tool=x; echo_after_tool=1');
    assert.equal(toolName(r), 'x');

    /* tool=a/b: a different tool each round; args and tool_id split too */
    const ab = 'tool=get_loan_options/x,y; tool_id=t1/t2,t3; '
        + 'args=%7B%7D/%7B%22u%22%3A%22a%2Fb%22%7D|%7B%7D';
    r = await call('converse-stream', conv(0), ab);
    assert.deepEqual(r.frames.filter((f) => f.type === 'contentBlockStart')
        .map((f) => f.json.start.toolUse.toolUseId + ':'
             + f.json.start.toolUse.name), ['t1:get_loan_options']);
    r = await call('converse', conv(1), ab);
    assert.deepEqual(r.json.output.message.content, [
        { toolUse: { toolUseId: 't2', name: 'x', input: { u: 'a/b' } } },
        { toolUse: { toolUseId: 't3', name: 'y', input: {} } }]);
    r = await call('converse', conv(2), ab);
    assert.equal(r.json.output.message.content[0].text,
                 'Here is what I found: {"apr":7.9}');
    r = await call('converse', conv(2), ab + '; tool_rounds=3');
    assert.equal(r.json.output.message.content[1].toolUse.name, 'y');

    r = await call('converse-stream', conv(1),
                   'tool=x; final_text=All%20done%3B%20bye');
    assert.deepEqual(deltas(r), ['All', ' done;', ' bye']);

    for (const bad of ['tool_rounds=2', 'echo_after_tool=1',
                       'tool=x; tool_rounds=0', 'tool=x//y'])
    {
        r = await call('converse', conv(0), bad);
        assert.equal(r.status, 500, bad);
        assert.match(r.json.message, /tool_rounds|echo_after_tool|tool=/);
    }
});

test('/__slow answers after ms with method and body, unsigned', async () => {
    let t0 = Date.now();
    let r = await send('POST', '/__slow?ms=150', { 'content-type': 'application/json' },
                       '{"a":1}');
    assert.ok(Date.now() - t0 >= 140, `took ${Date.now() - t0}`);
    assert.equal(r.status, 200);
    assert.equal(r.text, '{"ms":150,"method":"POST","body":"{\\"a\\":1}"}');
    r = await send('GET', '/__slow?ms=0&status=503', {});
    assert.equal(r.status, 503);
    assert.equal(r.text, '{"ms":0,"method":"GET","body":""}');
    /* a client that goes away: no answer is written, the double lives on */
    t0 = Date.now();
    await new Promise((resolve) => {
        const req = http.request({ host: '127.0.0.1', port, method: 'GET',
                                   path: '/__slow?ms=5000' });
        req.on('error', () => resolve());
        req.end();
        setTimeout(() => { req.destroy(); resolve(); }, 50);
    });
    r = await send('GET', '/__health', {});
    assert.equal(r.text, 'ok');
    assert.ok(Date.now() - t0 < 1000);
});

test('emulator: digit-group string properties (card_last4)', async () => {
    const { buildInput } = require('./lib/emulator');
    const spec = (props, required) => ({ inputSchema: { json: {
        type: 'object', properties: props, required } } });
    const block = spec({ card_last4: { type: 'string' },
                         reason: { type: 'string',
                                   enum: ['lost', 'stolen', 'damaged'] } },
                       ['card_last4', 'reason']);
    assert.deepEqual(buildInput(block, 'My card ending 4242 was stolen, '
                                + 'my number is 555 010 0199'),
                     { card_last4: '4242', reason: 'stolen' });
    assert.deepEqual(buildInput(block, 'I lost my card'), { reason: 'lost' });
    const pat = spec({ pin_hint: { type: 'string', pattern: '^[0-9]{3}$' } },
                     ['pin_hint']);
    assert.deepEqual(buildInput(pat, 'it is 1234 or 987'), { pin_hint: '987' });
});

test('converse (non-stream) shape', async () => {
    const r = await call('converse', body('hi there friend'), 'text=Hello%20you');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^application\/json/);
    assert.deepEqual(r.json.output, { message: { role: 'assistant',
                                                 content: [{ text: 'Hello you' }] } });
    assert.equal(r.json.stopReason, 'end_turn');
    assert.equal(r.json.usage.inputTokens, 13);
    assert.equal(r.json.usage.outputTokens, 2);
    assert.equal(r.json.usage.totalTokens, 15);
    assert.equal(typeof r.json.metrics.latencyMs, 'number');
});

test('model id and body validation', async () => {
    let r = await call('converse-stream', body(), null,
                       { signPath: '/model/amazon.titan-x%3A0/converse-stream' });
    assertError(r, 400, 'ValidationException', 'The provided model identifier is invalid.');
    r = await call('converse-stream', '{"messages":', null);
    assertError(r, 400, 'ValidationException');
    /* a Latin-1 byte inside a string: not UTF-8 */
    r = await call('converse', Buffer.concat([
        Buffer.from('{"messages":[{"role":"user","content":[{"text":"caf'),
        Buffer.from([0xe9]), Buffer.from('"}]}]}')]), 'echo=1');
    assertError(r, 400, 'ValidationException', 'Malformed input request, '
                + 'please reformat your input and try again.');
    r = await call('converse', JSON.stringify({ messages: [
        { role: 'assistant', content: [{ text: 'hi' }] }] }));
    assertError(r, 400, 'ValidationException', /^A conversation must start with a user message/);
    r = await call('converse', JSON.stringify({ messages: [
        { role: 'user', content: [{ text: 'a' }] },
        { role: 'user', content: [{ text: 'b' }] }] }));
    assertError(r, 400, 'ValidationException', /must alternate between user and assistant/);
    r = await call('converse', JSON.stringify({ messages: [
        { role: 'user', content: [{ text: ' ' }] }] }));
    assertError(r, 400, 'ValidationException', 'The text field in the '
        + 'ContentBlock object at messages.0.content.0 is blank. Add text to '
        + 'the text field, and try again.');
    r = await call('converse', JSON.stringify({ messages: [
        { role: 'user', content: [] }] }));
    assertError(r, 400, 'ValidationException', /^The content field in the Message object at messages\.0 is empty/);
    const toolMsgs = [
        { role: 'user', content: [{ text: 'weather?' }] },
        { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'w', input: {} } }] },
        { role: 'user', content: [{ toolResult: { toolUseId: 't2', content: [{ text: 'x' }] } }] },
    ];
    r = await call('converse', JSON.stringify({ messages: toolMsgs }));
    assertError(r, 400, 'ValidationException', 'The toolConfig field must be '
        + 'defined when using toolUse and toolResult content blocks.');
    const toolConfig = { tools: [{ toolSpec: { name: 'w', inputSchema: {
        json: { type: 'object', properties: {} } } } }] };
    r = await call('converse', JSON.stringify({ messages: toolMsgs, toolConfig }));
    assertError(r, 400, 'ValidationException', 'Expected toolResult blocks at '
        + 'messages.2.content for the following Ids: t1');
    r = await call('converse', JSON.stringify({ messages: [
        { role: 'user', content: [{ text: 'x' }] }],
        inferenceConfig: { temperature: 1.5 } }));
    assertError(r, 400, 'ValidationException', /inferenceConfig\.temperature/);
    r = await call('converse', JSON.stringify({ messages: [
        { role: 'user', content: [{ text: 'x' }] }],
        inferenceConfig: { topP: -0.1 } }));
    assertError(r, 400, 'ValidationException', /inferenceConfig\.topP/);
});

test('Bedrock features: guardrailConfig, performanceConfig, serviceTier, requestMetadata, tool_choice, images', async () => {
    const g = { guardrailIdentifier: 'gr1', guardrailVersion: '1',
                trace: 'enabled' };
    let r = await call('converse', body('x', { guardrailConfig: Object.assign(
        { streamProcessingMode: 'sync' }, g) }));
    assertError(r, 400, 'ValidationException', /^Malformed input request/);
    r = await call('converse-stream', body('x', { guardrailConfig: Object.assign(
        { streamProcessingMode: 'sync' }, g) }), 'tokens=1');
    assert.equal(r.status, 200, r.text);
    r = await call('converse', body('x', { guardrailConfig: Object.assign({}, g,
        { guardrailVersion: '01' }) }));
    assertError(r, 400, 'ValidationException', /guardrailConfig\.guardrailVersion/);
    r = await call('converse', body('x', { guardrailConfig: Object.assign({}, g,
        { trace: 'full' }) }));
    assertError(r, 400, 'ValidationException', /guardrailConfig\.trace/);
    r = await call('converse', body('x', { guardrailConfig: g }),
                   'guardrail=intervene');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.stopReason, 'guardrail_intervened');
    assert.equal(r.json.output.message.content[0].text,
                 'Sorry, the model cannot answer this question.');
    assert.equal(r.json.trace.guardrail.inputAssessment.gr1.contentPolicy
                 .filters[0].action, 'BLOCKED');
    r = await call('converse-stream', body('x', { guardrailConfig: g }),
                   'guardrail=assess; tokens=1');
    const meta = r.frames.find((f) => f.type === 'metadata').json;
    assert.equal(meta.trace.guardrail.inputAssessment.gr1.contentPolicy
                 .filters[0].action, 'NONE');
    r = await call('converse', body('x'), 'guardrail=intervene; tokens=1');
    assert.equal(r.json.stopReason, 'end_turn');
    r = await call('converse', body('x'), 'guardrail=maybe');
    assertError(r, 500, 'DoubleScenarioException', /guardrail= wants/);

    r = await call('converse', body('x', { performanceConfig: { latency: 'fast' } }));
    assertError(r, 400, 'ValidationException', /performanceConfig\.latency/);
    r = await call('converse', body('x', { serviceTier: { type: 'flex' } }), 'tokens=1');
    assert.deepEqual(r.json.serviceTier, { type: 'flex' });
    r = await call('converse', body('x', { serviceTier: { type: 'scale' } }));
    assertError(r, 400, 'ValidationException', /serviceTier\.type/);

    r = await call('converse', body('x', { requestMetadata: { 'a b': 'c/d' } }), 'tokens=1');
    assert.equal(r.status, 200, r.text);
    r = await call('converse', body('x', { requestMetadata: { a: 'why?' } }));
    assertError(r, 400, 'ValidationException', /requestMetadata\.a/);

    const tools = { tools: [{ toolSpec: { name: 'w', inputSchema: {
        json: { type: 'object', properties: {} } } } }] };
    const native = { tool_choice: { type: 'auto', disable_parallel_tool_use: true } };
    r = await call('converse', body('x', { toolConfig: tools,
        additionalModelRequestFields: native }));
    assertError(r, 400, 'ValidationException', /extraneous key \[tool_choice\]/);
    const claude = { signPath: '/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse' };
    r = await call('converse', body('x', { toolConfig: tools,
        additionalModelRequestFields: native }), 'tokens=1', claude);
    assert.equal(r.status, 200, r.text);
    r = await call('converse', body('x', { toolConfig: Object.assign(
        { toolChoice: { any: {} } }, tools), additionalModelRequestFields: native }),
                   null, claude);
    assertError(r, 400, 'ValidationException', /conflicting tool_choice/);

    const img = (role, format, bytes) => JSON.stringify({ messages: [
        { role: 'user', content: [{ text: 'x' }] },
        { role, content: [{ image: { format, source: { bytes } } }] }] });
    r = await call('converse', img('assistant', 'png', 'iVBORw0KGgo='));
    assertError(r, 400, 'ValidationException', /only supported in user messages/);
    r = await call('converse', JSON.stringify({ messages: [{ role: 'user',
        content: [{ image: { format: 'jpg', source: { bytes: 'AAAA' } } }] }] }));
    assertError(r, 400, 'ValidationException', /format/);
    r = await call('converse', JSON.stringify({ messages: [{ role: 'user',
        content: [{ image: { format: 'png', source: { bytes: 'AA A' } } }] }] }));
    assertError(r, 400, 'ValidationException', /^Malformed input request/);
    r = await call('converse', JSON.stringify({ messages: [{ role: 'user',
        content: [{ image: { format: 'png', source: { bytes: 'iVBORw0KGgo=' } } }] }] }),
                   'tokens=1');
    assert.equal(r.status, 200, r.text);
});

test('emulator: tool choice by name, tool results, toolChoice', async () => {
    const tools = ['get_credit_card_summary', 'block_credit_card', 'get_loan_options']
        .map((name) => ({ toolSpec: { name, inputSchema: { json: {
            type: 'object',
            properties: { phone_number: { type: 'string' } },
            required: name === 'get_loan_options' ? [] : ['phone_number'] } } } }));
    const ask = (text, extra) => call('converse-stream', JSON.stringify(Object.assign({
        messages: [{ role: 'user', content: [{ text }] }],
        toolConfig: { tools } }, extra || {})));
    const toolOf = (r) => {
        const s = r.frames.find((f) => f.type === 'contentBlockStart');
        return s && { name: s.json.start.toolUse.name,
                      input: JSON.parse(deltas(r).join('') || '{}') };
    };
    let r = await ask('I lost my credit card, my number is +1 (555) 010-9999');
    assert.deepEqual(toolOf(r), { name: 'block_credit_card',
                                  input: { phone_number: '15550109999' } });
    assert.equal(r.frames[r.frames.length - 2].json.stopReason, 'tool_use');
    r = await ask('What is the balance on my card?');
    assert.deepEqual(toolOf(r), { name: 'get_credit_card_summary', input: {} });
    r = await ask('Do you have any loans?');
    assert.equal(toolOf(r).name, 'get_loan_options');
    r = await ask('Good morning');
    assert.equal(toolOf(r), undefined);
    assert.match(deltas(r).join(''), /^You said: Good morning\. /);
    r = await ask('Good morning', { toolConfig: { tools, toolChoice: { any: {} } } });
    assert.equal(toolOf(r).name, 'get_credit_card_summary');
    r = await ask('Good morning', { toolConfig: { tools,
        toolChoice: { tool: { name: 'get_loan_options' } } } });
    assert.equal(toolOf(r).name, 'get_loan_options');

    r = await call('converse', JSON.stringify({
        messages: [
            { role: 'user', content: [{ text: 'balance?' }] },
            { role: 'assistant', content: [{ toolUse: { toolUseId: 'tu1',
                name: 'get_credit_card_summary', input: {} } }] },
            { role: 'user', content: [{ toolResult: { toolUseId: 'tu1',
                content: [{ json: { balance: 1234.5, currency: 'EUR' } }] } }] }],
        toolConfig: { tools } }));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.output.message.content[0].text,
                 'Here is what I found: {"balance":1234.5,"currency":"EUR"}');
});

test('scenario errors, /__requests, /__reset, unknown route', async () => {
    let r = await call('converse', body(), 'tokenz=3');
    assert.equal(r.status, 500);
    assert.match(r.json.message, /unknown scenario key "tokenz"/);
    r = await send('GET', '/__health', {});
    assert.equal(r.text, 'ok');
    await call('converse', body('find me'), 'id=findme; tokens=1');
    const log = JSON.parse((await send('GET', '/__requests', {})).text);
    assert.ok(log.length <= 50);
    const e = log.find((x) => x.id === 'findme');
    assert.equal(e.verified, true);
    assert.equal(e.auth, 'sigv4');
    assert.equal(e.method, 'POST');
    assert.equal(e.path, `${MODEL_PATH}/converse`);
    assert.equal(e.model, 'amazon.nova-lite-v1:0');
    assert.equal(e.scenario, 'id=findme; tokens=1');
    assert.equal(e.status, 200);
    assert.equal(JSON.parse(e.body).messages[0].content[0].text, 'find me');
    assert.equal(e.headers['content-type'], 'application/json');
    r = await send('POST', '/__reset', {}, '');
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse((await send('GET', '/__requests', {})).text), []);
    r = await call('converse', body(), null, { signPath: '/model/x/invoke' });
    assertError(r, 404, 'UnknownOperationException');
});

/* ------------------------------------------------------------------ main */

async function main() {
    const child = spawn(process.execPath, [path.join(__dirname, 'double.js'),
                                           '--port', '0'],
                        { stdio: ['ignore', 'pipe', 'inherit'],
                          env: Object.assign({}, process.env,
                                             { DOUBLE_PORT: '1' }) });
    let out = '';
    port = await new Promise((resolve, reject) => {
        child.stdout.on('data', (d) => {
            out += d;
            const m = /bedrock double listening on 127\.0\.0\.1:(\d+)\n/.exec(out);
            if (m) {
                resolve(Number(m[1]));
            }
        });
        child.on('exit', (c) => reject(new Error('double exited ' + c)));
    });

    let failed = 0;
    for (const t of tests) {
        try {
            await t.fn();
            process.stdout.write(`ok - ${t.name}\n`);
        } catch (e) {
            failed++;
            process.stdout.write(`not ok - ${t.name}\n  ${(e.stack || e)
                .toString().split('\n').slice(0, 6).join('\n  ')}\n`);
        }
    }
    agent.destroy();

    const code = await new Promise((resolve) => {
        child.on('exit', (c, sig) => resolve(sig || c));
        child.kill('SIGTERM');
    });
    if (code !== 0) {
        failed++;
        process.stdout.write(`not ok - double exits cleanly on SIGTERM (${code})\n`);
    } else {
        process.stdout.write('ok - double exits cleanly on SIGTERM\n');
    }
    if (/Bearer|wJalrXUtnFEMI|Signature=/.test(out)) {
        failed++;
        process.stdout.write('not ok - stdout log leaks credentials\n');
    }
    process.stdout.write(failed ? `FAILED ${failed}\n` : `all ${tests.length + 1} passed\n`);
    process.exit(failed ? 1 : 0);
}

main().catch((e) => {
    process.stderr.write(e.stack + '\n');
    process.exit(1);
});
