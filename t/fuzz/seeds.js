'use strict';
/*
 * Writes the seed corpora of the fuzz harnesses, t/fuzz/corpus/<harness>/
 * (the committed files are this script's output; run it again after
 * changing it):
 *
 *   node t/fuzz/seeds.js
 *
 * eventstream  frames encoded with AWS's own codec (the double's
 *              t/bedrock/lib/frames.js), behind the harness's control
 *              byte and split offsets
 *   sse        the same events, one "message_type type payload" a line
 *   converse   Converse answers as the double sends them, rounds apart
 *              by 0x1e
 *   request    the request bodies of t/*.t (plain "--- request"
 *              sections), and a few with tools
 *   phone      t/065-phone.t's bodies and spoken or written numbers,
 *              behind the country code byte
 *   awscreds   an IMDS answer, STS answers, the shared files (NUL
 *              apart), STS request values (NUL apart), a time, a host
 *
 * Regression seeds (crash inputs once fixed) are added by hand as
 * corpus/<harness>/regress-*; this script leaves them alone.
 */

const fs = require('fs');
const path = require('path');

const TOP = path.resolve(__dirname, '..', '..');
const frames = require(path.join(TOP, 't', 'bedrock', 'lib', 'frames.js'));
const { Int64 } = require(path.join(TOP, 't', 'bedrock', 'node_modules',
                                    '@smithy', 'eventstream-codec'));

const OUT = path.join(__dirname, 'corpus');

function write(harness, name, data) {
    const dir = path.join(OUT, harness);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, name), data);
}

/* ---------------------------------------------------------------- events */

/* [event type, payload]: what a ConverseStream answer carries */
const TEXT = [
    ['messageStart', { role: 'assistant' }],
    ['contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hello' } }],
    ['contentBlockDelta', { contentBlockIndex: 0,
                            delta: { text: ', w\u00f6rld \u{1f600}' } }],
    ['contentBlockStop', { contentBlockIndex: 0 }],
    ['messageStop', { stopReason: 'end_turn' }],
    ['metadata', { usage: { inputTokens: 12, outputTokens: 3,
                            totalTokens: 15 },
                   metrics: { latencyMs: 123 } }],
];

function toolEvents(name, id, pieces, stop) {
    const list = [
        ['messageStart', { role: 'assistant' }],
        ['contentBlockDelta', { contentBlockIndex: 0,
                                delta: { text: 'Let me check.' } }],
        ['contentBlockStop', { contentBlockIndex: 0 }],
        ['contentBlockStart', { contentBlockIndex: 1,
                                start: { toolUse: { toolUseId: id, name } } }],
    ];
    for (const p of pieces) {
        list.push(['contentBlockDelta', { contentBlockIndex: 1,
                                          delta: { toolUse: { input: p } } }]);
    }
    list.push(['contentBlockStop', { contentBlockIndex: 1 }]);
    list.push(['messageStop', { stopReason: stop }]);
    list.push(['metadata', {
        usage: { inputTokens: 40, outputTokens: 9, totalTokens: 49,
                 cacheReadInputTokens: 5, cacheWriteInputTokens: 0 },
        metrics: { latencyMs: 88 } }]);
    return list;
}

const CLIENT_TOOL = toolEvents('get_weather', 'tooluse_abc123',
                               ['{"city":', '"Oslo"}'], 'tool_use');
const SERVER_TOOL = toolEvents('get_loan_options', 'tooluse_srv1',
                               ['{"phone":"+15550100199"}'], 'tool_use');
const EMPTY_TOOL = toolEvents('get_time', 'tooluse_t1', [''], 'tool_use');

const REASONING = [
    ['messageStart', { role: 'assistant' }],
    ['contentBlockDelta', { contentBlockIndex: 0,
                            delta: { reasoningContent: { text: 'hmm' } } }],
    ['contentBlockStop', { contentBlockIndex: 0 }],
    ['contentBlockDelta', { contentBlockIndex: 1,
                            delta: { text: 'Answer.' } }],
    ['contentBlockStop', { contentBlockIndex: 1 }],
    ['messageStop', { stopReason: 'max_tokens' }],
    ['metadata', { usage: { inputTokens: 1, outputTokens: 2,
                            totalTokens: 3 } }],
];

function eventBytes(list) {
    return Buffer.concat(list.map(([t, p], i) => frames.eventFrame(t, p, i)));
}

/* the control byte (k splits, flags), the offsets, the stream */
function esSeed(stream, flags, offsets) {
    const head = Buffer.alloc(1 + 2 * offsets.length);
    head[0] = (offsets.length & 0x0f) | flags;
    offsets.forEach((o, i) => head.writeUInt16BE(o & 0xffff, 1 + 2 * i));
    return Buffer.concat([head, stream]);
}

function seedsEventstream() {
    const text = eventBytes(TEXT);
    write('eventstream', 'text', esSeed(text, 0, [5, 12, 100, 101]));
    write('eventstream', 'text-bytewise', esSeed(text, 0x20, []));
    write('eventstream', 'text-whole', esSeed(text, 0, []));
    write('eventstream', 'tool', esSeed(eventBytes(CLIENT_TOOL), 0,
                                        [3, 77, 300, 301, 302, 600]));
    write('eventstream', 'exception', esSeed(Buffer.concat([
        frames.eventFrame('messageStart', { role: 'assistant' }, 0),
        frames.exceptionFrame('throttlingException',
                              { message: 'Too many requests' }),
    ]), 0, [20]));
    write('eventstream', 'error', esSeed(frames.errorFrame(
        'InternalFailure', 'An internal error occurred'), 0x10, [11]));
    write('eventstream', 'corrupt-prelude', esSeed(Buffer.concat([
        frames.eventFrame('messageStart', { role: 'assistant' }, 0),
        frames.corrupt(frames.eventFrame('contentBlockDelta',
            { contentBlockIndex: 0, delta: { text: 'x' } }, 1), 'prelude'),
    ]), 0, [90]));
    write('eventstream', 'corrupt-message', esSeed(frames.corrupt(
        frames.eventFrame('messageStop', { stopReason: 'end_turn' }, 2),
        'message'), 0, [40]));
    write('eventstream', 'truncated', esSeed(
        eventBytes(TEXT).subarray(0, 150), 0, [13]));

    /* every header type the format has */
    const all = frames.codec.encode({
        headers: {
            ':message-type': { type: 'string', value: 'event' },
            ':event-type': { type: 'string', value: 'contentBlockDelta' },
            ':content-type': { type: 'string', value: 'application/json' },
            't': { type: 'boolean', value: true },
            'f': { type: 'boolean', value: false },
            'b': { type: 'byte', value: -3 },
            's': { type: 'short', value: 1234 },
            'i': { type: 'integer', value: 123456 },
            'l': { type: 'long', value: Int64.fromNumber(1234567890123) },
            'y': { type: 'binary', value: Buffer.from([0, 1, 2, 255]) },
            'ts': { type: 'timestamp', value: new Date(1700000000000) },
            'u': { type: 'uuid',
                   value: '6f1f1a1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b' },
        },
        body: Buffer.from(JSON.stringify(
            { contentBlockIndex: 0, delta: { text: 'typed' } })),
    });
    write('eventstream', 'header-types', esSeed(Buffer.from(all), 0, [30]));
    write('eventstream', 'empty-payload', esSeed(Buffer.from(
        frames.codec.encode({ headers: {}, body: new Uint8Array(0) })),
        0x10, []));
}

/* ------------------------------------------------------------------- sse */

function sseLines(list) {
    return list.map(([t, p]) => `event ${t} ${JSON.stringify(p)}\n`).join('');
}

function seedsSse() {
    write('sse', 'text', sseLines(TEXT));
    write('sse', 'client-tool', sseLines(CLIENT_TOOL));
    write('sse', 'empty-tool-input', sseLines(EMPTY_TOOL));
    write('sse', 'reasoning', sseLines(REASONING));
    /* a server tool round, then the answer in a second attempt */
    write('sse', 'server-tool-round',
          sseLines(SERVER_TOOL) + '\n' + sseLines(TEXT));
    write('sse', 'exception', sseLines(TEXT.slice(0, 2))
          + 'exception throttlingException {"message":"Too many requests"}\n');
    write('sse', 'error', sseLines(TEXT.slice(0, 3))
          + 'error InternalFailure An internal error occurred\n');
    write('sse', 'model-stream-error', sseLines(TEXT.slice(0, 2))
          + 'exception modelStreamErrorException '
          + '{"message":"bad","originalStatusCode":500,'
          + '"originalMessage":"x"}\n');
    write('sse', 'truncated', sseLines(TEXT.slice(0, 3)));
    write('sse', 'unknown-type', 'event somethingNew {"a":1}\n'
          + 'bogus x {}\n');
    write('sse', 'escapes', sseLines([
        ['messageStart', { role: 'assistant' }],
        ['contentBlockDelta', { contentBlockIndex: 0,
          delta: { text: 'quote " backslash \\ \u0001 \u2028 \ud83d\ude00' } }],
        ['messageStop', { stopReason: 'stop_sequence' }],
        ['metadata', { usage: { inputTokens: 0, outputTokens: 0,
                                totalTokens: 0 } }],
    ]));
}

/* -------------------------------------------------------------- converse */

function converse(content, stopReason, usage) {
    return JSON.stringify({
        output: { message: { role: 'assistant', content } },
        stopReason,
        usage: usage || { inputTokens: 10, outputTokens: 4, totalTokens: 14 },
        metrics: { latencyMs: 321 },
    });
}

function seedsConverse() {
    write('converse', 'text', converse([{ text: 'Hello there.' }],
                                       'end_turn'));
    write('converse', 'client-tool', converse([
        { text: 'Checking.' },
        { toolUse: { toolUseId: 'tooluse_abc', name: 'get_weather',
                     input: { city: 'Oslo' } } },
    ], 'tool_use'));
    write('converse', 'server-tool-round', converse([
        { toolUse: { toolUseId: 'tooluse_srv', name: 'get_loan_options',
                     input: { phone: '+15550100199' } } },
    ], 'tool_use') + '\x1e' + converse([{ text: 'You have two options.' }],
                                       'end_turn'));
    write('converse', 'reasoning', converse([
        { reasoningContent: { reasoningText: { text: 'hmm' } } },
        { text: 'Answer.' },
    ], 'max_tokens', { inputTokens: 1, outputTokens: 2, totalTokens: 3,
                       cacheReadInputTokens: 7,
                       cacheWriteInputTokens: 1 }));
    write('converse', 'unicode', converse([{ text: 'w\u00f6rld \u{1f600}' }],
                                          'end_turn'));
    write('converse', 'bedrock-error', JSON.stringify(
        { message: 'Malformed input request: #: extraneous key' }));
    write('converse', 'empty-content', converse([], 'end_turn'));
    write('converse', 'content-filtered', converse([{ text: 'No.' }],
                                                   'content_filtered'));
}

/* --------------------------------------------------------------- request */

/* the bodies of the plain "--- request" sections of t/*.t */
function testBodies() {
    const bodies = new Map();
    for (const f of fs.readdirSync(path.join(TOP, 't')).sort()) {
        if (!f.endsWith('.t')) {
            continue;
        }
        const lines = fs.readFileSync(path.join(TOP, 't', f), 'utf8')
                        .split('\n');
        for (let i = 0; i < lines.length; i++) {
            if (lines[i].trim() !== '--- request'
                || !/^POST /.test(lines[i + 1] || '')) {
                continue;
            }
            const body = [];
            for (let k = i + 2; k < lines.length
                                && !lines[k].startsWith('--- '); k++) {
                body.push(lines[k]);
            }
            const b = body.join('\n').trim();
            if (b && !bodies.has(b)) {
                bodies.set(b, f.replace(/\.t$/, ''));
            }
        }
    }
    return bodies;
}

const TOOLS = '"tools":[{"type":"function","function":{"name":"get_weather",'
    + '"description":"Weather for a city","parameters":{"type":"object",'
    + '"properties":{"city":{"type":"string"}},"required":["city"]}}},'
    + '{"type":"function","function":{"name":"get_time",'
    + '"parameters":{"type":"object","properties":{}}}}]';

function seedsRequest(bodies) {
    let n = 0;
    for (const [b, f] of bodies) {
        write('request', `${f}-${String(n++).padStart(2, '0')}`, b);
    }
    write('request', 'tools-history', '{"messages":[{"role":"system",'
        + '"content":"Be brief."},{"role":"user","content":"Weather in Oslo '
        + 'and the time?"},{"role":"assistant","content":null,"tool_calls":'
        + '[{"id":"call_1","type":"function","function":{"name":'
        + '"get_weather","arguments":"{\\"city\\":\\"Oslo\\"}"}},{"id":'
        + '"call_2","type":"function","function":{"name":"get_time",'
        + '"arguments":""}}]},{"role":"tool","tool_call_id":"call_1",'
        + '"content":"{\\"temp\\":3}"},{"role":"tool","tool_call_id":'
        + '"call_2","content":"12:00"}],' + TOOLS + '}');
    write('request', 'tools-named', '{"messages":[{"role":"user","content":'
        + '"Hi"}],' + TOOLS + ',"tool_choice":{"type":"function",'
        + '"function":{"name":"get_time"}}}');
    write('request', 'tools-required', '{"model":"amazon.nova-lite-v1:0",'
        + '"messages":[{"role":"user","content":"Hi"}],' + TOOLS
        + ',"tool_choice":"required","stream":true,'
        + '"stream_options":{"include_usage":true}}');
    write('request', 'everything', '{"model":"anthropic.claude-3-haiku-'
        + '20240307-v1:0","messages":[{"role":"developer","content":'
        + '[{"type":"text","text":"Rules."}]},{"role":"assistant",'
        + '"content":[{"type":"refusal","refusal":"No."}]},{"role":"user",'
        + '"content":[{"type":"text","text":"Caf\\u00e9 \\ud83d\\ude00"},'
        + '{"type":"text","text":"  "}]}],"temperature":1.5,"top_p":0.5,'
        + '"max_completion_tokens":100,"max_tokens":5,"stop":["a","b"],'
        + '"n":1,"stream":false,"user":"u1"}');
}

/* ----------------------------------------------------------------- phone */

function seedsPhone(bodies) {
    let n = 0;
    for (const [b, f] of bodies) {
        if (f === '065-phone') {
            write('phone', `body-${String(n++).padStart(2, '0')}`,
                  Buffer.concat([Buffer.from([n & 3]), Buffer.from(b)]));
        }
    }
    const texts = [
        [1, 'my number is five five five, zero one zero, oh one nine nine'],
        [1, 'call me at +1 (555) 010-0199 please'],
        [1, 'it is 555.010.0199, uh, no, 555 010 0198'],
        [1, 'my account 12345678 and I owe $1,200.50, 20% more'],
        [1, 'double five five zero one zero triple oh one nine'],
        [2, '020 7946 0958'],
        [3, 'plus four nine three zero one two three four five six seven'],
        [0, 'tel:+44-20-7946-0958'],
        [1, '011 44 20 7946 0958'],
        [1, 'on March 3rd 2024, the 2nd time, pin 1234'],
        [1, 'f\u00fcnf f\u00fcnf \u2013 555\u00a0010\u20130199'],
    ];
    texts.forEach(([cc, t], i) => {
        write('phone', `text-${String(i).padStart(2, '0')}`,
              Buffer.concat([Buffer.from([cc]), Buffer.from(t)]));
    });
    write('phone', 'metadata', Buffer.concat([Buffer.from([1]),
        Buffer.from('{"metadata":{"phone":"(555) 010-0199"},'
                    + '"customerPhone":15550100198,"messages":[]}')]));
}

/* -------------------------------------------------------------- awscreds */

function seedsAwscreds() {
    write('awscreds', 'imds.json', JSON.stringify({
        Code: 'Success', LastUpdated: '2026-12-06T10:00:00Z',
        Type: 'AWS-HMAC', AccessKeyId: 'ASIAEXAMPLE',
        SecretAccessKey: 'wJalrXUtnFEMI/K7MDENG',
        Token: 'IQoJb3JpZ2luX2VjEXAMPLE',
        Expiration: '2026-12-06T16:00:00Z' }));
    const ns = 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"';
    write('awscreds', 'sts.xml', `<AssumeRoleResponse ${ns}>`
        + '<AssumeRoleResult><Credentials><AccessKeyId>ASIAEXAMPLE'
        + '</AccessKeyId><SecretAccessKey>secret</SecretAccessKey>'
        + '<SessionToken>token</SessionToken><Expiration>'
        + '2026-12-06T16:00:00.123Z</Expiration></Credentials>'
        + '</AssumeRoleResult></AssumeRoleResponse>');
    write('awscreds', 'sts-error.xml', `<ErrorResponse ${ns}><Error>`
        + '<Type>Sender</Type><Code>AccessDenied</Code><Message>Not '
        + 'authorized to perform sts:AssumeRole</Message></Error>'
        + '<RequestId>x</RequestId></ErrorResponse>');
    write('awscreds', 'profiles.ini', '[default]\naws_access_key_id = '
        + 'AKIAEXAMPLE\naws_secret_access_key = secret ; comment\n[dev]\n'
        + 'role_arn=arn:aws:iam::123456789012:role/r\n\0[profile dev]\n'
        + 'region = eu-west-1\nsource_profile = default\n'
        + 'duration_seconds = 900\ns3 =\n  max_concurrent_requests = 10\n'
        + '# c\n[default]\nregion=us-east-1\n');
    write('awscreds', 'sts-body', 'arn:aws:iam::123456789012:role/r\0'
        + 'sess name+/\0eyJhbGciOi.tok_en~\0ext id');
    write('awscreds', 'iso8601', '2026-12-06T12:00:00-0530');
    write('awscreds', 'authority', '169.254.170.2:80');
}

const bodies = testBodies();

seedsEventstream();
seedsSse();
seedsConverse();
seedsRequest(bodies);
seedsPhone(bodies);
seedsAwscreds();
