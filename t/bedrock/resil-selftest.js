#!/usr/bin/env node
'use strict';
/*
 * Self-check of the resilience doubles (lib/targets.js, lib/dns.js):
 * node resil-selftest.js (also part of npm test).
 *
 * Starts `node double.js` on fixed ports (RESIL_SELFTEST_PORT, default
 * 19110: the port, +1 and +2 as extra ports, each on 127.0.0.1 and
 * 127.0.0.2; the DNS double on +43, dns.js alone on +45/+46) and proves,
 * with requests signed by @smithy/signature-v4 and streams decoded by
 * @smithy/eventstream-codec, the per-target scenario overrides, the
 * per-attempt scripting, the timestamps, the listeners' up/down and the
 * DNS answers as Node's own resolver (c-ares) reads them.
 */
const assert = require('assert/strict');
const http = require('http');
const path = require('path');
const { spawn } = require('child_process');
const { Resolver } = require('dns').promises;

const { SignatureV4 } = require('@smithy/signature-v4');
const { HttpRequest } = require('@smithy/protocol-http');
const { Sha256 } = require('@aws-crypto/sha256-js');
const { EventStreamCodec } = require('@smithy/eventstream-codec');
const { toUtf8, fromUtf8 } = require('@smithy/util-utf8');

const AKID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const MODEL_PATH = '/model/amazon.nova-lite-v1%3A0';
const P0 = Number(process.env.RESIL_SELFTEST_PORT || 19110);
const P1 = P0 + 1;
const P2 = P0 + 2;
const CLOSED = P0 + 9;              /* nobody listens there */
const DNS_PORT = P0 + 43;
const DNS_ALONE = P0 + 45;
const DNS_CONTROL = P0 + 46;
const LOOP2 = '127.0.0.2';
const BEDROCK_NAME = 'bedrock-runtime.us-east-1.amazonaws.com';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* ---------------------------------------------------------------- client */

function decodeFrames(buf) {
    const out = [];
    let o = 0;
    while (o + 12 <= buf.length) {
        const total = buf.readUInt32BE(o);
        if (o + total > buf.length) {
            break;
        }
        const m = codec.decode(buf.subarray(o, o + total));
        out.push({ type: m.headers[':event-type'].value,
                   json: JSON.parse(toUtf8(m.body)) });
        o += total;
    }
    return out;
}

/* one HTTP exchange, on its own connection unless opts.agent; resolves
 * with { status, headers, text, json, frames, aborted, error, t_headers,
 * t_first_data } (times in the double's clock base: performance) */
function send(opts) {
    return new Promise((resolve) => {
        const started = performance.timeOrigin + performance.now();
        const r = { chunks: [], started };
        const t = () => performance.timeOrigin + performance.now();
        const req = http.request({
            host: opts.host || '127.0.0.1', port: opts.port || P0,
            method: opts.method || 'GET', path: opts.path,
            headers: opts.headers || {}, agent: opts.agent || false,
        }, (res) => {
            r.status = res.statusCode;
            r.headers = res.headers;
            r.t_headers = t();
            res.on('data', (c) => {
                if (r.t_first_data === undefined) {
                    r.t_first_data = t();
                }
                r.chunks.push(c);
                if (opts.onData) {
                    opts.onData(req, Buffer.concat(r.chunks));
                }
            });
            res.on('close', () => finish(!res.complete));
        });
        let done = false;
        const finish = (aborted) => {
            if (done) {
                return;
            }
            done = true;
            const buf = Buffer.concat(r.chunks);
            delete r.chunks;
            r.aborted = aborted;
            r.text = buf.toString('utf8');
            if (/eventstream/.test((r.headers || {})['content-type'] || '')) {
                r.frames = decodeFrames(buf);
            } else if (/json/.test((r.headers || {})['content-type'] || '')) {
                try {
                    r.json = JSON.parse(r.text);
                } catch (e) { /* truncated */ }
            }
            resolve(r);
        };
        req.on('error', (e) => {
            r.error = e;
            finish(true);
        });
        if (opts.timeout) {
            setTimeout(() => req.destroy(), opts.timeout);
        }
        req.end(opts.body);
    });
}

const body = JSON.stringify({
    messages: [{ role: 'user', content: [{ text: 'Hello there' }] }],
    inferenceConfig: { maxTokens: 256 },
});

/* a Bedrock call signed with @smithy/signature-v4, as a client would */
async function call(scenario, opts) {
    opts = opts || {};
    const host = opts.host || '127.0.0.1';
    const port = opts.port || P0;
    const op = opts.op || 'converse-stream';
    const signer = new SignatureV4({
        credentials: { accessKeyId: AKID, secretAccessKey: SECRET },
        /* P2 wants eu-west-1 (DOUBLE_PORT_REGIONS), the others any */
        region: opts.region || (port === P2 ? 'eu-west-1' : 'us-east-1'),
        service: 'bedrock',
        sha256: Sha256, uriEscapePath: true, applyChecksum: false,
    });
    const s = await signer.sign(new HttpRequest({
        method: 'POST', protocol: 'http:', hostname: host, port,
        path: `${MODEL_PATH}/${op}`,
        headers: { host: `${host}:${port}`,
                   'content-type': 'application/json' },
        body,
    }), { signingDate: new Date() });
    const headers = Object.assign({}, s.headers);
    if (scenario !== null) {
        headers['x-double-scenario'] = scenario;
    }
    return send(Object.assign({}, opts, { method: 'POST', path: s.path,
                                          host, port, headers, body }));
}

function deltas(r) {
    return (r.frames || []).filter((f) => f.type === 'contentBlockDelta')
        .map((f) => f.json.delta.text);
}

async function control(method, urlPath, obj, port) {
    const r = await send({ method, path: urlPath, port: port || P0,
                           body: obj === undefined ? undefined
                               : JSON.stringify(obj) });
    return r;
}

async function requests() {
    return JSON.parse((await send({ path: '/__requests' })).text);
}

async function entry(id) {
    const list = await requests();
    const e = list.filter((x) => x.id === id);
    assert.ok(e.length, `no /__requests entry with id ${id}`);
    return e;
}

async function clock() {
    return JSON.parse((await send({ path: '/__now' })).text).now;
}

function resolver(opts) {
    const r = new Resolver(opts || {});
    r.setServers([`127.0.0.1:${DNS_PORT}`]);
    return r;
}

async function rejects(p, code) {
    try {
        await p;
    } catch (e) {
        assert.equal(e.code, code, e.message);
        return;
    }
    assert.fail(`expected ${code}`);
}

/* ----------------------------------------------------------------- tests */

const tests = [];
function test(name, fn) {
    tests.push({ name, fn });
}

test('every host x port serves, and records port, address, region', async () => {
    const t = JSON.parse((await send({ path: '/__targets' })).text);
    assert.deepEqual(t.listeners.map((l) => `${l.host}:${l.port}`),
                     [P0, P1, P2].flatMap((p) => [`127.0.0.1:${p}`,
                                                  `${LOOP2}:${p}`]));
    assert.ok(t.listeners.every((l) => l.up));
    for (const port of [P0, P1, P2]) {
        for (const host of ['127.0.0.1', LOOP2]) {
            const r = await call(`tokens=2; id=where-${host}-${port}`,
                                 { host, port });
            assert.equal(r.status, 200, r.text);
            assert.deepEqual(deltas(r), ['tok1', ' tok2']);
            const [e] = await entry(`where-${host}-${port}`);
            assert.equal(e.port, port);
            assert.equal(e.local_address, host);
            assert.equal(typeof e.remote_port, 'number');
            assert.equal(e.region, port === P2 ? 'eu-west-1' : 'us-east-1');
        }
    }
    /* one state: the entries of every listener are in one list, which any
     * listener shows */
    const a = JSON.stringify(await requests());
    const b = (await send({ path: '/__requests', port: P2, host: LOOP2 })).text;
    assert.deepEqual(JSON.parse(b).map((x) => x.id),
                     JSON.parse(a).map((x) => x.id));
});

test('DOUBLE_ANY_REGION=1: any scope region; a port with its own region', async () => {
    let r = await call('tokens=1; id=region-w2', { region: 'us-west-2' });
    assert.equal(r.status, 200, r.text);
    assert.equal((await entry('region-w2'))[0].region, 'us-west-2');
    r = await call('tokens=1; id=region-eu', { port: P1,
                                               region: 'eu-central-1' });
    assert.equal(r.status, 200, r.text);
    /* P2 is started with DOUBLE_PORT_REGIONS=P2=eu-west-1 */
    r = await call('tokens=1; id=region-p2', { port: P2,
                                               region: 'eu-west-1' });
    assert.equal(r.status, 200, r.text);
    r = await call('tokens=1; id=region-p2-bad', { port: P2,
                                                   region: 'us-east-1' });
    assert.equal(r.status, 403);
    assert.match(r.headers['x-amzn-errortype'], /^InvalidSignatureException:/);
    assert.match(r.json.message, /Credential should be scoped to a valid region/);
    const [e] = await entry('region-p2-bad');
    assert.equal(e.verified, false);
    assert.match(e.auth_error, /'us-east-1' is not 'eu-west-1'/);
});

test('@PORT. / @ADDR. / @ADDR:PORT. overrides', async () => {
    const sc = `tokens=5; @${P1}.status=ThrottlingException; @${P2}.tokens=2`;
    let r = await call(sc);
    assert.equal(r.status, 200);
    assert.equal(deltas(r).length, 5);
    r = await call(sc, { port: P1 });
    assert.equal(r.status, 429);
    assert.match(r.headers['x-amzn-errortype'], /^ThrottlingException:/);
    r = await call(sc, { port: P2, host: LOOP2 });
    assert.deepEqual(deltas(r), ['tok1', ' tok2']);
    /* the override wins wherever it is written */
    r = await call(`@${P0}.tokens=1; tokens=3`);
    assert.deepEqual(deltas(r), ['tok1']);
    /* precedence: plain < @ADDR < @PORT < @ADDR:PORT */
    const prec = `tokens=1; @${LOOP2}.tokens=2; @${P1}.tokens=3; `
        + `@${LOOP2}:${P1}.tokens=4`;
    const count = async (host, port) => deltas(await call(prec, { host, port }))
        .length;
    assert.equal(await count('127.0.0.1', P0), 1);
    assert.equal(await count(LOOP2, P0), 2);
    assert.equal(await count('127.0.0.1', P1), 3);
    assert.equal(await count(LOOP2, P1), 4);
    /* URL-encoded values as for the plain key */
    r = await call(`text=plain; @${P1}.text=on%20one`, { port: P1 });
    assert.deepEqual(deltas(r), ['on', ' one']);
    /* /__requests keeps the header as it was sent */
    await call(`tokens=1; id=ov; @${P1}.tokens=2`, { port: P1 });
    assert.equal((await entry('ov'))[0].scenario, `tokens=1; id=ov; @${P1}.tokens=2`);
    /* a typo in an override is an error on every port */
    r = await call(`tokens=1; @${P1}.tokenz=2`);
    assert.equal(r.status, 500);
    assert.match(r.json.message, /unknown scenario key "@\d+\.tokenz"/);
    r = await call('tokens=1; @nothere.tokens=2');
    assert.equal(r.status, 500);
    assert.match(r.json.message, /unknown scenario key "@nothere\.tokens"/);
});

test('fail_first: status by counter, per port or global, /__reset', async () => {
    await control('POST', '/__reset', {});
    const sc = 'tokens=2; fail_first=2; counter=ff';
    const st = [];
    for (let i = 0; i < 3; i++) {
        st.push((await call(sc)).status);
    }
    assert.deepEqual(st, [429, 429, 200]);
    /* per port: P1 has its own count */
    assert.equal((await call(sc, { port: P1 })).status, 429);
    /* ... but not per address: 127.0.0.2:P0 shares P0's */
    assert.equal((await call(sc, { host: LOOP2 })).status, 200);
    const list = (await requests()).filter((e) => e.scenario === sc);
    assert.deepEqual(list.map((e) => [e.port, e.attempt, e.status]),
                     [[P0, 1, 429], [P0, 2, 429], [P0, 3, 200],
                      [P1, 1, 429], [P0, 4, 200]]);
    assert.ok(list.every((e) => e.counter === 'ff'
                          && e.counter_scope === 'port'));
    assert.match(list[0].note, /^fail_first: attempt 1 of 2 fails/);
    assert.equal(list[0].error, 'ThrottlingException');

    /* fail_status, and the default counter: the scenario text and port */
    const sc2 = 'tokens=1; fail_first=1; fail_status=ServiceUnavailableException';
    let r = await call(sc2);
    assert.equal(r.status, 503);
    assert.equal(r.json.message, 'Bedrock is unable to process your request.');
    assert.equal((await call(sc2)).status, 200);
    assert.equal((await call(sc2 + '; id=x')).status, 503);  /* other text */
    r = await call('tokens=1; fail_first=1; fail_status=Custom; http=599');
    assert.equal(r.status, 599);
    assert.match(r.headers['x-amzn-errortype'], /^Custom:/);

    /* counter_scope=global: the second target sees the second attempt */
    const g = 'tokens=1; fail_first=1; counter=g1; counter_scope=global';
    assert.equal((await call(g)).status, 429);
    assert.equal((await call(g, { port: P1 })).status, 200);
    const t = JSON.parse((await send({ path: '/__targets' })).text);
    assert.equal(t.counters['global g1'], 2);
    assert.equal(t.counters[`${P0} ff`], 4);

    /* fail_delay, on /converse too */
    const t0 = Date.now();
    r = await call('tokens=1; fail_first=1; fail_delay=200; counter=fd',
                   { op: 'converse' });
    assert.equal(r.status, 429);
    assert.ok(Date.now() - t0 >= 195, `took ${Date.now() - t0}`);
    r = await call('tokens=1; fail_first=1; fail_delay=200; counter=fd',
                   { op: 'converse' });
    assert.equal(r.status, 200);
    assert.equal(r.json.output.message.content[0].text, 'tok1');

    /* /__reset clears the counters */
    assert.equal((await control('POST', '/__reset', {})).status, 200);
    assert.equal((await call(sc)).status, 429);
    assert.deepEqual(JSON.parse((await send({ path: '/__targets' })).text)
        .counters, { [`${P0} ff`]: 1 });
});

test('fail_mode=reset, close, stall; refuse is a closed port', async () => {
    /* reset: an RST, no answer */
    let r = await call('tokens=1; fail_first=1; fail_mode=reset; id=rst');
    assert.equal(r.status, undefined);
    assert.equal(r.error.code, 'ECONNRESET');
    assert.match(r.error.message, /read ECONNRESET/);
    let [e] = await entry('rst');
    assert.equal(e.aborted, true);
    assert.equal(e.closed_by, 'double');
    assert.equal(typeof e.closed_at, 'number');
    assert.equal(e.ended_at, null);
    assert.match(e.note, /reset without an answer/);
    r = await call('tokens=1; fail_first=1; fail_mode=reset; id=rst');
    assert.equal(r.status, 200);

    /* close: a FIN, no answer */
    r = await call('tokens=1; fail_first=1; fail_mode=close; id=fin');
    assert.equal(r.status, undefined);
    assert.match(r.error.message, /socket hang up/);
    [e] = await entry('fin');
    assert.equal(e.closed_by, 'double');
    assert.equal((await call('tokens=1; fail_first=1; fail_mode=close; id=fin'))
        .status, 200);

    /* stall: headers never come; the client gives up after 300 ms */
    const sc = 'tokens=2; fail_first=1; fail_mode=stall; id=stl';
    r = await call(sc, { timeout: 300 });
    assert.equal(r.status, undefined);
    assert.ok(r.error);
    await sleep(50);
    [e] = await entry('stl');
    assert.equal(e.status, null);
    assert.equal(e.headers_at, null);
    assert.equal(e.closed_by, 'client');
    assert.ok(e.closed_at - e.received_at >= 280,
              `${e.closed_at - e.received_at}`);
    r = await call(sc);
    assert.deepEqual(deltas(r), ['tok1', ' tok2']);

    /* refuse: not on a listening port */
    r = await call('tokens=1; fail_first=1; fail_mode=refuse');
    assert.equal(r.status, 500);
    assert.match(r.json.message, /closed port/);
    r = await call('tokens=1', { port: CLOSED });
    assert.equal(r.error.code, 'ECONNREFUSED');
});

test('scenario errors of the per-attempt keys', async () => {
    const bad = [
        ['tokens=1; fail_mode=reset', /fail_mode= needs fail_first=/],
        ['tokens=1; fail_first=1; fail_mode=explode', /fail_mode= wants/],
        ['tokens=1; fail_first=1; fail_status=Nope', /unknown fail_status "Nope"/],
        ['tokens=1; fail_first=1; fail_status=ThrottlingException; '
         + 'fail_mode=reset', /fail_status= goes with fail_mode=status/],
        ['tokens=1; first_delay_first=1', /first_delay_first= needs first_delay=/],
        ['tokens=1; counter=x; counter_scope=galaxy', /counter_scope= wants/],
        ['tokens=1; fail_first=x', /fail_first= wants a non-negative integer/],
    ];
    for (const [sc, re] of bad) {
        const r = await call(sc);
        assert.equal(r.status, 500, sc);
        assert.match(r.json.message, re);
    }
    /* a scenario error is not an attempt */
    await control('POST', '/__reset', {});
    await call('tokens=1; counter=c; fail_first=1; fail_mode=boom');
    assert.deepEqual(JSON.parse((await send({ path: '/__targets' })).text)
        .counters, {});
});

test('timestamps: order, /__now, closed_at of a client that leaves', async () => {
    const before = await clock();
    let r = await call('tokens=3; delay=30; id=ts');
    const after = await clock();
    assert.equal(r.status, 200);
    let [e] = await entry('ts');
    assert.ok(before <= e.received_at, `${before} ${e.received_at}`);
    assert.ok(e.received_at <= e.headers_at);
    assert.ok(e.headers_at <= e.first_frame_at);
    assert.ok(e.first_frame_at + 55 <= e.ended_at,
              `${e.first_frame_at} ${e.ended_at}`);
    assert.ok(e.ended_at <= after);
    assert.equal(e.closed_at, null);
    assert.equal(e.closed_by, null);
    assert.equal(e.aborted, false);
    assert.ok(Math.abs(await clock() - (performance.timeOrigin
                                        + performance.now())) < 1000);

    /* the client goes after the first frame */
    r = await call('tokens=5; delay=200; id=gone', {
        onData: (req) => setTimeout(() => req.destroy(), 50) });
    assert.equal(r.aborted, true);
    await sleep(50);
    [e] = await entry('gone');
    assert.equal(e.aborted, true);
    assert.equal(e.closed_by, 'client');
    assert.equal(e.ended_at, null);
    assert.ok(e.closed_at >= e.first_frame_at + 40,
              `${e.first_frame_at} ${e.closed_at}`);
    assert.ok(e.closed_at < e.first_frame_at + 190);

    /* the double's own truncate= is closed_by "double" */
    await call('tokens=3; truncate=1; id=trunc');
    [e] = await entry('trunc');
    assert.equal(e.closed_by, 'double');

    /* /converse: no frames */
    await call('tokens=1; id=conv', { op: 'converse' });
    [e] = await entry('conv');
    assert.equal(e.first_frame_at, null);
    assert.ok(e.ended_at >= e.headers_at);
});

test('first_delay after the 200 headers; first_delay_first races', async () => {
    let r = await call('tokens=2; first_delay=300; id=fd');
    assert.equal(r.status, 200);
    assert.ok(r.t_first_data - r.t_headers >= 280,
              `headers ${r.t_headers - r.started}, data ${r.t_first_data
                  - r.started}`);
    let [e] = await entry('fd');
    assert.ok(e.first_frame_at - e.headers_at >= 290);

    /* hedging: the first attempt stalls 600 ms before its first frame, a
     * second one started 100 ms later streams at once */
    const sc = 'tokens=2; first_delay=600; first_delay_first=1; counter=hedge; '
        + 'id=hedge';
    const first = call(sc);
    await sleep(100);
    const second = call(sc, { port: P0 });
    const [a, b] = await Promise.all([first, second]);
    assert.deepEqual(deltas(a), ['tok1', ' tok2']);
    assert.deepEqual(deltas(b), ['tok1', ' tok2']);
    const [ea, eb] = await entry('hedge');
    assert.deepEqual([ea.attempt, eb.attempt], [1, 2]);
    assert.ok(ea.received_at < eb.received_at);
    assert.ok(eb.first_frame_at < ea.first_frame_at,
              `${eb.first_frame_at} ${ea.first_frame_at}`);
    assert.ok(ea.first_frame_at - ea.headers_at >= 590);
    assert.ok(eb.first_frame_at - eb.headers_at < 100);

    /* the loser cancelled: closed_at set, the winner ended */
    const sc2 = 'tokens=2; first_delay=2000; first_delay_first=1; '
        + 'counter=hedge2; counter_scope=global; id=hedge2';
    const loser = call(sc2, { timeout: 400 });
    await sleep(100);
    r = await call(sc2, { port: P1 });
    assert.deepEqual(deltas(r), ['tok1', ' tok2']);
    await loser;
    await sleep(50);
    const [la, lb] = await entry('hedge2');
    assert.equal(la.port, P0);
    assert.equal(lb.port, P1);
    assert.equal(la.first_frame_at, null);
    assert.equal(la.closed_by, 'client');
    assert.equal(lb.closed_at, null);
    assert.ok(lb.ended_at < la.closed_at);
});

test('/__targets: a listener down refuses connections, up again', async () => {
    let r = await control('POST', '/__targets', { port: P2, up: false });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.listeners.filter((l) => l.port === P2)
        .map((l) => l.up), [false, false]);
    r = await call('tokens=1', { port: P2, region: 'eu-west-1' });
    assert.equal(r.error.code, 'ECONNREFUSED');
    r = await call('tokens=1', { port: P2, host: LOOP2, region: 'eu-west-1' });
    assert.equal(r.error.code, 'ECONNREFUSED');
    /* one address only */
    r = await control('POST', '/__targets', { port: P2, host: LOOP2, up: true });
    assert.equal(r.status, 200);
    r = await call('tokens=1', { port: P2, host: LOOP2, region: 'eu-west-1' });
    assert.equal(r.status, 200);
    r = await call('tokens=1', { port: P2, region: 'eu-west-1' });
    assert.equal(r.error.code, 'ECONNREFUSED');
    /* a keep-alive connection is dropped with its listener */
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    r = await call('tokens=1', { port: P1, agent });
    assert.equal(r.status, 200);
    const gone = new Promise((res) => {
        const [sock] = Object.values(agent.freeSockets)[0];
        sock.once('close', res);
    });
    await control('POST', '/__targets', { port: P1, up: false });
    await gone;
    agent.destroy();
    /* bad requests */
    assert.equal((await control('POST', '/__targets', { port: 1, up: true }))
        .status, 404);
    assert.equal((await control('POST', '/__targets', { port: P1 })).status, 400);
    /* /__reset brings every listener up */
    await control('POST', '/__reset', {});
    r = await call('tokens=1', { port: P2, region: 'eu-west-1' });
    assert.equal(r.status, 200);
    r = await call('tokens=1', { port: P1 });
    assert.equal(r.status, 200);
});

test('DNS: A, AAAA NODATA, NXDOMAIN, TTL, a change, counts', async () => {
    let s = (await control('POST', '/__dns/reset', {})).json;
    assert.deepEqual(Object.keys(s.names), [BEDROCK_NAME]);
    assert.equal(s.total, 0);
    const r1 = resolver();
    assert.deepEqual(await r1.resolve4(BEDROCK_NAME, { ttl: true }),
                     [{ address: '127.0.0.1', ttl: 1 }]);
    /* case does not matter; AAAA has no data; unknown names do not exist */
    assert.deepEqual(await r1.resolve4(BEDROCK_NAME.toUpperCase()),
                     ['127.0.0.1']);
    await rejects(r1.resolve6(BEDROCK_NAME), 'ENODATA');
    await rejects(r1.resolve4('nowhere.example'), 'ENOTFOUND');
    await rejects(r1.resolve6('nowhere.example'), 'ENOTFOUND');

    /* the answer changes at run time */
    let r = await control('POST', '/__dns',
                          { name: BEDROCK_NAME, a: [LOOP2, '127.0.0.3'] });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(await resolver().resolve4(BEDROCK_NAME, { ttl: true }),
                     [{ address: LOOP2, ttl: 1 },
                      { address: '127.0.0.3', ttl: 1 }]);
    /* the same resolver sees it too once the 1 s TTL is over */
    await sleep(1100);
    assert.deepEqual(await r1.resolve4(BEDROCK_NAME), [LOOP2, '127.0.0.3']);

    /* several names, each its own TTL; an empty list is NODATA */
    r = await control('POST', '/__dns', [
        { name: 'bedrock-runtime.us-west-2.amazonaws.com.', a: ['127.0.0.4'],
          ttl: 30 },
        { name: 'empty.example', a: [] }]);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(await resolver().resolve4(
        'bedrock-runtime.us-west-2.amazonaws.com', { ttl: true }),
                     [{ address: '127.0.0.4', ttl: 30 }]);
    await rejects(resolver().resolve4('empty.example'), 'ENODATA');
    /* delete: NXDOMAIN again */
    await control('POST', '/__dns', { name: 'empty.example', delete: true });
    await rejects(resolver().resolve4('empty.example'), 'ENOTFOUND');

    s = JSON.parse((await send({ path: '/__dns' })).text);
    const q = s.queries[BEDROCK_NAME];
    assert.equal(q.A, 4);
    assert.equal(q.AAAA, 1);
    assert.equal(q.total, 5);
    assert.deepEqual(s.queries['nowhere.example'],
                     Object.assign({ A: 1, AAAA: 1, total: 2 },
                                   { last_at: s.queries['nowhere.example']
                                       .last_at }));
    assert.equal(s.queries['empty.example'].A, 2);
    assert.equal(s.total, 10);
    assert.ok(s.queries[BEDROCK_NAME].last_at <= await clock());
});

test('DNS: faults, validation, the answer on the wire, dns.js alone', async () => {
    await control('POST', '/__dns/reset', {});
    const name = 'fault.example';
    await control('POST', '/__dns', { name, a: ['127.0.0.1'],
                                      fault: 'servfail' });
    await rejects(resolver({ tries: 1 }).resolve4(name), 'ESERVFAIL');
    await control('POST', '/__dns', { name, a: ['127.0.0.1'],
                                      fault: 'refused' });
    await rejects(resolver({ tries: 1 }).resolve4(name), 'EREFUSED');
    await control('POST', '/__dns', { name, a: ['127.0.0.1'], fault: 'drop' });
    await rejects(resolver({ timeout: 200, tries: 1 }).resolve4(name),
                  'ETIMEOUT');
    await control('POST', '/__dns', { name, a: ['127.0.0.1'],
                                      delay_ms: 300 });
    const t0 = Date.now();
    assert.deepEqual(await resolver().resolve4(name), ['127.0.0.1']);
    assert.ok(Date.now() - t0 >= 290);

    for (const bad of [{ name: 'x.example', a: ['::1'] },
                       { name: 'x.example', a: '127.0.0.1' },
                       { name: '', a: [] },
                       { name: 'x.example', a: [], ttl: -1 },
                       { name: 'x.example', a: [], fault: 'explode' },
                       { name: 'x.example', a: [], colour: 'red' }]) {
        const r = await control('POST', '/__dns', bad);
        assert.equal(r.status, 400, JSON.stringify(bad));
    }

    /* the bytes: the question copied, one answer named by 0xC00C */
    const dgram = require('dgram');
    const sock = dgram.createSocket('udp4');
    const q = Buffer.from('abcd01000001000000000000'
        + '036e6e6e076578616d706c6500' + '00010001', 'hex');
    await control('POST', '/__dns', { name: 'nnn.example', a: ['10.1.2.3'],
                                      ttl: 9 });
    const ans = await new Promise((resolve) => {
        sock.once('message', resolve);
        sock.send(q, DNS_PORT, '127.0.0.1');
    });
    sock.close();
    assert.equal(ans.toString('hex'),
                 'abcd85800001000100000000'
                 + '036e6e6e076578616d706c6500' + '00010001'
                 + 'c00c' + '0001' + '0001' + '00000009' + '0004' + '0a010203');

    /* dns.js: the same double alone, with its own control port */
    const child = spawn(process.execPath, [
        path.join(__dirname, 'dns.js'), '--port', String(DNS_ALONE),
        '--control-port', String(DNS_CONTROL), '--ttl', '3',
        '--names', 'alone.example=127.0.0.7+127.0.0.8'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise((resolve, reject) => {
        child.stdout.on('data', (d) => {
            out += d;
            if (/dns double listening on 127\.0\.0\.1:\d+ \(udp\), control/
                .test(out)) {
                resolve();
            }
        });
        child.on('exit', (c) => reject(new Error('dns.js exited ' + c)));
    });
    const alone = new Resolver();
    alone.setServers([`127.0.0.1:${DNS_ALONE}`]);
    assert.deepEqual(await alone.resolve4('alone.example', { ttl: true }),
                     [{ address: '127.0.0.7', ttl: 3 },
                      { address: '127.0.0.8', ttl: 3 }]);
    const st = await send({ path: '/__dns', port: DNS_CONTROL });
    assert.equal(JSON.parse(st.text).queries['alone.example'].A, 1);
    const code = await new Promise((resolve) => {
        child.removeAllListeners('exit');
        child.on('exit', (c, sig) => resolve(sig || c));
        child.kill('SIGTERM');
    });
    assert.equal(code, 0);
});

test('bad start-up options exit with status 2', async () => {
    for (const [args, env] of [[['--extra-ports', 'abc'], {}],
                               [['--hosts', 'not-an-ip'], {}],
                               [['--dns-port', String(CLOSED),
                                 '--dns-names', 'x'], {}],
                               [[], { DOUBLE_PORT_REGIONS: 'x=y' }]]) {
        const child = spawn(process.execPath,
                            [path.join(__dirname, 'double.js'), '--port',
                             String(CLOSED)].concat(args),
                            { stdio: ['ignore', 'ignore', 'pipe'],
                              env: Object.assign({}, process.env, env) });
        let err = '';
        child.stderr.on('data', (d) => { err += d; });
        const code = await new Promise((r) => child.on('exit', r));
        assert.equal(code, 2, args.join(' ') + ': ' + err);
        assert.match(err, /^bedrock double: /);
    }
});

/* ------------------------------------------------------------------ main */

async function main() {
    const child = spawn(process.execPath, [
        path.join(__dirname, 'double.js'), '--port', String(P0),
        '--extra-ports', `${P1},${P2}`, '--hosts', `127.0.0.1,${LOOP2}`,
        '--dns-port', String(DNS_PORT)],
    { stdio: ['ignore', 'pipe', 'inherit'],
      env: Object.assign({}, process.env, {
          DOUBLE_ANY_REGION: '1',
          DOUBLE_PORT_REGIONS: `${P2}=eu-west-1`,
          DOUBLE_DNS_NAMES: `${BEDROCK_NAME}=127.0.0.1`,
      }) });
    let out = '';
    await new Promise((resolve, reject) => {
        child.stdout.on('data', (d) => {
            out += d;
            if (new RegExp(`bedrock double listening on 127\\.0\\.0\\.1:${P0}\\n`)
                .test(out)) {
                resolve();
            }
        });
        child.on('exit', (c) => reject(new Error('double exited ' + c)));
    });

    let failed = 0;
    for (const t of tests) {
        try {
            await t.fn();
            process.stdout.write(`ok - resil: ${t.name}\n`);
        } catch (e) {
            failed++;
            process.stdout.write(`not ok - resil: ${t.name}\n  ${(e.stack || e)
                .toString().split('\n').slice(0, 8).join('\n  ')}\n`);
        }
    }

    const code = await new Promise((resolve) => {
        child.on('exit', (c, sig) => resolve(sig || c));
        child.kill('SIGTERM');
    });
    if (code !== 0) {
        failed++;
        process.stdout.write(`not ok - resil: double exits on SIGTERM (${code})\n`);
    } else {
        process.stdout.write('ok - resil: double exits on SIGTERM\n');
    }
    if (!new RegExp(`^bedrock double also listening on ${LOOP2}:${P0}\\n`, 'm')
        .test(out) || !/DNS double on 127\.0\.0\.1:\d+ \(udp\)/.test(out)) {
        failed++;
        process.stdout.write('not ok - resil: the start-up lines\n');
    }
    if (process.env.RESIL_SELFTEST_LOG) {
        process.stdout.write(out);
    }
    const n = tests.length + 1;
    process.stdout.write(failed ? `FAILED ${failed}\n`
                                : `all ${n} resilience checks passed\n`);
    process.exit(failed ? 1 : 0);
}

main().catch((e) => {
    process.stderr.write(e.stack + '\n');
    process.exit(1);
});
