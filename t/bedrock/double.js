#!/usr/bin/env node
'use strict';
/*
 * Amazon Bedrock Converse / ConverseStream test double and local emulator.
 * See README.md.  Usage: node double.js [--port N] [--extra-ports N,M]
 * [--hosts ADDR,ADDR] [--dns-port N] (lib/targets.js, lib/dns.js)
 */
const http = require('http');
const crypto = require('crypto');

const sigv4 = require('./lib/sigv4');
const frames = require('./lib/frames');
const scenario = require('./lib/scenario');
const { validate, MSG } = require('./lib/validate');
const emulator = require('./lib/emulator');
const extras = require('./lib/extras');
const features = require('./lib/features');
const { createCredentials } = require('./lib/credentials');
const targets = require('./lib/targets');

const BEDROCK_SUFFIX = 'http://internal.amazon.com/coral/com.amazon.bedrock/';
const CORAL_SUFFIX = sigv4.CORAL_SERVICE;
const MAX_RECORDED = 50;

function config(env) {
    env = env || process.env;
    return {
        port: env.DOUBLE_PORT !== undefined ? Number(env.DOUBLE_PORT) : 19090,
        host: env.DOUBLE_HOST || '127.0.0.1',
        accessKey: env.DOUBLE_ACCESS_KEY || 'AKIDEXAMPLE',
        secretKey: env.DOUBLE_SECRET_KEY
            || 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
        sessionToken: env.DOUBLE_SESSION_TOKEN || '',
        region: env.DOUBLE_REGION || 'us-east-1',
        service: 'bedrock',
        bearerToken: env.DOUBLE_BEARER_TOKEN !== undefined
            ? env.DOUBLE_BEARER_TOKEN : 'test-bedrock-api-key',
        skewSeconds: 300,
        models: (env.DOUBLE_MODELS
                 || 'amazon.nova-lite-v1:0,amazon.nova-micro-v1:0,'
                    + 'amazon.nova-pro-v1:0,us.amazon.nova-lite-v1:0,'
                    + 'us.amazon.nova-2-lite-v1:0,'
                    + 'us.anthropic.claude-sonnet-4-5-20250929-v1:0,'
                    + 'us.anthropic.claude-3-7-sonnet-20250219-v1:0,'
                    + 'us.anthropic.claude-sonnet-4-20250514-v1:0')
            .split(',').map((s) => s.trim()).filter(Boolean),
        debug: !!env.DOUBLE_DEBUG,
        quiet: false,
    };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function requestId() {
    return crypto.randomUUID();
}

/* A model id is known when it is in the list, or it is an ARN whose last
 * path element (inference-profile/<id>, foundation-model/<id>) is. */
function knownModel(cfg, id) {
    if (cfg.models.includes(id)) {
        return true;
    }
    const m = /^arn:aws[a-z-]*:bedrock:[^:]*:[^:]*:[a-z-]+\/(.+)$/.exec(id);
    return !!(m && cfg.models.includes(m[1]));
}

function redactHeaders(headers) {
    const out = {};
    for (const [k, v] of Object.entries(headers)) {
        if (k === 'authorization' && /^Bearer\s/i.test(v)) {
            out[k] = `Bearer <redacted ${v.length - 7} chars>`;
        } else if (k === 'x-amz-security-token') {
            out[k] = `<redacted ${v.length} chars>`;
        } else {
            out[k] = v;
        }
    }
    return out;
}

function createDouble(cfgIn) {
    const cfg = Object.assign(config(), cfgIn || {});
    const recorded = [];

    /* IMDS, container and STS doubles on the same port; the sets they
     * issue are accepted by the Bedrock verification below */
    const creds = createCredentials({
        region: cfg.region,
        static: { accessKey: cfg.accessKey, secretKey: cfg.secretKey,
                  sessionToken: cfg.sessionToken },
        skewSeconds: cfg.skewSeconds,
        log: (line) => {
            if (!cfg.quiet) {
                process.stdout.write(line + '\n');
            }
        },
    });
    cfg.lookupCredential = creds.lookup;

    function sendJson(res, status, obj, extraHeaders) {
        const body = Buffer.from(JSON.stringify(obj));
        res.writeHead(status, Object.assign({
            'Content-Type': 'application/json',
            'Content-Length': body.length,
            'x-amzn-RequestId': requestId(),
        }, extraHeaders || {}));
        res.end(body);
    }

    function sendError(res, entry, status, name, message, suffix, extra) {
        entry.error = name;
        sendJson(res, status, Object.assign({ message }, extra || {}), {
            'x-amzn-ErrorType': `${name}:${suffix}`,
        });
    }

    function scenarioError(res, entry, message) {
        entry.error = 'DoubleScenarioException';
        sendJson(res, 500, { message: 'bedrock double: ' + message }, {
            'x-amzn-ErrorType': 'DoubleScenarioException:' + BEDROCK_SUFFIX,
        });
    }

    async function handleModel(req, res, body, entry, op, sc, started) {
        const bodyText = body.toString('utf8');

        /* scripted pre-stream failure */
        if (sc.status) {
            if (sc.header_delay) {
                await sleep(sc.header_delay);
            }
            const known = scenario.ERRORS[sc.status];
            const status = sc.http || known[0];
            const suffix = known && known[2] === 'coral' ? CORAL_SUFFIX
                                                          : BEDROCK_SUFFIX;
            const msg = sc.message !== undefined ? sc.message
                : known ? known[1] : `${sc.status} (bedrock double)`;
            const extra = sc.status === 'ModelErrorException'
                ? { originalStatusCode: 500, resourceName: entry.model }
                : undefined;
            return sendError(res, entry, status, sc.status, msg, suffix, extra);
        }

        if (!knownModel(cfg, entry.model)) {
            return sendError(res, entry, 400, 'ValidationException',
                             'The provided model identifier is invalid.',
                             BEDROCK_SUFFIX);
        }

        let json;
        try {
            /* Bedrock's JSON parser refuses bytes that are not UTF-8;
             * toString('utf8') would quietly replace them */
            new TextDecoder('utf-8', { fatal: true }).decode(body);
            json = JSON.parse(bodyText);
        } catch (e) {
            if (!sc.novalidate) {
                return sendError(res, entry, 400, 'ValidationException',
                                 MSG.malformed, BEDROCK_SUFFIX);
            }
            json = {};
        }
        if (!sc.novalidate) {
            const err = validate(json)
                || features.validateFeatures(json, entry.model)
                || extras.validateExtras(json, op, entry.model);
            if (err) {
                return sendError(res, entry, 400, 'ValidationException', err,
                                 BEDROCK_SUFFIX);
            }
        }

        const plan = (sc.json !== undefined || sc.echo_tool)
            ? features.featurePlan(sc, json, { blocks: [] },
                                   emulator.toolBlock, bodyText)
            : features.featurePlan(sc, json,
                                   emulator.scenarioPlan(sc, json, bodyText),
                                   emulator.toolBlock, bodyText);
        /* a guardrail's intervention, its trace, the service tier */
        const more = extras.answerExtras(sc, json, plan, emulator.textBlock);
        const deltas = plan.blocks.reduce((n, b) => n + b.pieces.length, 0);
        const usage = {
            inputTokens: sc.usage ? sc.usage[0]
                                  : emulator.defaultInputTokens(json),
            outputTokens: sc.usage ? sc.usage[1] : deltas,
        };
        usage.totalTokens = usage.inputTokens + usage.outputTokens;
        if (sc.cache) {
            usage.cacheReadInputTokens = sc.cache[0];
            usage.cacheWriteInputTokens = sc.cache[1];
        }

        if (op === 'converse') {
            return converse(req, res, entry, sc, plan, usage, started, more);
        }
        return converseStream(req, res, entry, sc, plan, usage, started, more);
    }

    async function converse(req, res, entry, sc, plan, usage, started, more) {
        if (sc.header_delay) {
            await sleep(sc.header_delay);
        }
        if (sc.stall) {
            entry.note = 'stalled (no response)';
            return;                 /* hold the request until the peer goes */
        }
        const content = plan.blocks.map((b) => {
            const rc = features.contentOf(b);
            if (rc) {
                return rc;
            }
            if (b.kind === 'text') {
                return { text: b.text };
            }
            let input;
            try {
                input = JSON.parse(b.input);
            } catch (e) {
                input = b.input;    /* malformed args: passed through */
            }
            return { toolUse: { toolUseId: b.toolUseId, name: b.name,
                                input } };
        });
        const u = Object.assign({}, usage);
        if (u.cacheReadInputTokens === undefined) {
            u.cacheReadInputTokens = 0;
            u.cacheWriteInputTokens = 0;
        }
        const out = {
            output: { message: { role: 'assistant', content } },
            stopReason: plan.stopReason,
            usage: u,
            metrics: { latencyMs: Date.now() - started },
        };
        Object.assign(out, more);
        if (sc.truncate) {
            const buf = Buffer.from(JSON.stringify(out));
            res.writeHead(200, { 'Content-Type': 'application/json',
                                 'Content-Length': buf.length,
                                 'x-amzn-RequestId': requestId() });
            entry.note = 'truncated';
            res.write(buf.subarray(0, buf.length >> 1),
                      () => res.socket && res.socket.destroy());
            return;
        }
        sendJson(res, 200, out);
    }

    async function converseStream(req, res, entry, sc, plan, usage, started,
                                  more) {
        let closed = false;
        res.on('close', () => { closed = true; });

        /* the frame list: {kind, build()} */
        const list = [];
        let seq = 0;
        const ev = (type, payload) => {
            const s = seq++;
            return () => frames.eventFrame(type, payload, s);
        };
        list.push({ kind: 'start',
                    build: ev('messageStart', { role: 'assistant' }) });
        plan.blocks.forEach((b, idx) => {
            if (b.kind === 'tool') {
                list.push({ kind: 'blockStart', build: ev('contentBlockStart', {
                    contentBlockIndex: idx,
                    start: { toolUse: { toolUseId: b.toolUseId, name: b.name } },
                }) });
            }
            for (const delta of features.deltasOf(b)) {
                list.push({ kind: 'delta', build: ev('contentBlockDelta', {
                    contentBlockIndex: idx, delta }) });
            }
            list.push({ kind: 'blockStop',
                        build: ev('contentBlockStop', { contentBlockIndex: idx }) });
        });
        list.push({ kind: 'stop',
                    build: ev('messageStop', { stopReason: plan.stopReason }) });
        const metaSeq = seq++;
        list.push({ kind: 'meta', build: () => frames.eventFrame('metadata',
            Object.assign({ usage, metrics: { latencyMs: Date.now() - started } },
                          more), metaSeq) });

        /* where a scripted fault happens: after the frame at index `at` */
        const fault = sc.exception ? 'exception'
            : sc.error_frame ? 'error_frame'
            : sc.corrupt ? 'corrupt'
            : sc.truncate ? 'truncate'
            : sc.stall ? 'stall' : null;
        let at = -1;
        if (fault) {
            const after = sc.after === undefined ? 1 : sc.after;
            if (after === 'end') {
                at = list.findIndex((f) => f.kind === 'stop');
            } else {
                at = 0;
                let n = 0;
                for (let i = 0; i < list.length && n < after; i++) {
                    if (list[i].kind === 'delta') {
                        n++;
                        at = i;
                    }
                }
            }
        }

        if (sc.header_delay) {
            await sleep(sc.header_delay);
        }
        if (closed) {
            return;
        }
        res.writeHead(200, {
            /* no Content-Length: node sends HTTP/1.1 chunked (and
             * close-delimited to an HTTP/1.0 client) */
            'Content-Type': 'application/vnd.amazon.eventstream',
            'x-amzn-RequestId': requestId(),
        });
        res.flushHeaders();
        if (res.socket) {
            res.socket.setNoDelay(true);
        }
        if (sc.first_delay) {
            await sleep(sc.first_delay);
        }

        const pending = [];             /* coalesce=1 buffer */
        const writeRaw = (buf) => new Promise((resolve) => {
            if (closed) {
                return resolve();
            }
            res.write(buf, () => resolve());
        });
        async function write(buf) {
            if (sc.coalesce) {
                pending.push(buf);
                return;
            }
            if (!sc.split) {
                return writeRaw(buf);
            }
            const n = sc.split === 'bytes' ? 1 : Number(sc.split);
            for (let i = 0; i < buf.length && !closed; i += n) {
                await writeRaw(buf.subarray(i, i + n));
                if (sc.split_gap) {
                    await sleep(sc.split_gap);
                } else {
                    await new Promise((r) => setImmediate(r));
                }
            }
        }
        async function flush() {
            if (sc.coalesce && pending.length) {
                const all = Buffer.concat(pending.splice(0));
                await writeRaw(all);
            }
        }

        let corruptNext = false;
        let deltasSent = 0;
        for (let i = 0; i < list.length; i++) {
            if (closed) {
                return;
            }
            const f = list[i];
            if (f.kind === 'delta') {
                if (deltasSent > 0 && sc.delay && !sc.coalesce) {
                    await sleep(sc.delay);
                    if (closed) {
                        return;
                    }
                }
                deltasSent++;
            }
            let buf = f.build();
            if (corruptNext) {
                buf = frames.corrupt(buf, sc.corrupt);
                corruptNext = false;
                entry.note = `corrupted ${sc.corrupt} CRC of frame ${i}`;
            }
            await write(buf);

            if (i !== at) {
                continue;
            }
            if (fault === 'exception') {
                const type = sc.exception;
                const payload = { message: sc.message !== undefined
                    ? sc.message
                    : scenario.STREAM_EXCEPTIONS[type]
                      || `${type} (bedrock double)` };
                if (type === 'modelStreamErrorException') {
                    payload.originalStatusCode = 500;
                    payload.originalMessage = 'Model backend failure';
                }
                await write(frames.exceptionFrame(type, payload));
                await flush();
                entry.note = `exception ${type} after frame ${i}`;
                return res.end();
            }
            if (fault === 'error_frame') {
                await write(frames.errorFrame(
                    sc.error_code || 'InternalFailure',
                    sc.error_message || 'An internal error occurred.'));
                await flush();
                entry.note = `error frame after frame ${i}`;
                return res.end();
            }
            if (fault === 'corrupt') {
                corruptNext = true;
            } else if (fault === 'truncate') {
                await flush();
                const next = i + 1 < list.length ? list[i + 1].build()
                                                 : Buffer.alloc(0);
                entry.note = `truncated inside frame ${i + 1}`;
                const half = next.subarray(0, next.length >> 1);
                if (half.length) {
                    await writeRaw(half);
                }
                if (res.socket) {
                    res.socket.destroy();
                }
                return;
            } else if (fault === 'stall') {
                await flush();
                entry.note = `stalled after frame ${i}`;
                return;     /* the response stays open until the peer closes */
            }
        }
        await flush();
        res.end();
    }

    async function handle(req, res) {
        const started = Date.now();
        const { path: wirePath } = sigv4.splitTarget(req.url);

        if (wirePath === '/__health' && req.method === 'GET') {
            res.writeHead(200, { 'Content-Type': 'text/plain',
                                 'Content-Length': 2 });
            return res.end('ok');
        }
        if (wirePath === '/__requests' && req.method === 'GET') {
            const body = Buffer.from(JSON.stringify(recorded, null, 1));
            res.writeHead(200, { 'Content-Type': 'application/json',
                                 'Content-Length': body.length });
            return res.end(body);
        }

        /* /__now, /__targets, /__dns (lib/targets.js) */
        if (tg.route(req, res, wirePath)) {
            return;
        }

        /* credential doubles: checked before the Bedrock routes */
        if (creds.match(req, wirePath)) {
            return creds.handle(req, res, wirePath);
        }

        const chunks = [];
        for await (const c of req) {
            chunks.push(c);
        }
        const body = Buffer.concat(chunks);

        if (wirePath === '/__slow'
            && (req.method === 'GET' || req.method === 'POST'))
        {
            return slow(req, res, body);
        }

        if (wirePath === '/__reset' && req.method === 'POST') {
            recorded.length = 0;
            emulator.resetCounter();
            await tg.reset();
            res.writeHead(200, { 'Content-Type': 'text/plain',
                                 'Content-Length': 2 });
            return res.end('ok');
        }

        const headers = sigv4.receivedHeaders(req);
        const scenarioHeader = [];
        for (let i = 0; i < req.rawHeaders.length; i += 2) {
            if (req.rawHeaders[i].toLowerCase() === 'x-double-scenario') {
                scenarioHeader.push(req.rawHeaders[i + 1]);
            }
        }
        const scenarioText = scenarioHeader.length ? scenarioHeader.join('; ')
                                                   : null;
        const entry = {
            time: new Date(started).toISOString(),
            method: req.method,
            path: req.url,
            headers: redactHeaders(headers),
            body: body.toString('utf8'),
            verified: false,
            auth: null,
            scenario: scenarioText,
            id: null,
            model: null,
            operation: null,
            status: null,
            credential: null,
        };
        recorded.push(entry);
        while (recorded.length > MAX_RECORDED) {
            recorded.shift();
        }
        tg.observe(req, res, entry);

        res.on('finish', () => { entry.status = res.statusCode; log(entry); });
        res.on('close', () => {
            if (!res.writableFinished) {
                /* null: the connection closed before any answer */
                entry.status = entry.status
                    || (res.headersSent ? res.statusCode : null);
                entry.aborted = true;
                log(entry);
            }
        });

        const { sc, errors } = scenario.parse(tg.scenarioText(scenarioText,
                                                                req));
        const scen = sc || {};
        entry.id = scen.id || null;

        const route = /^\/model\/([^/]+)\/(converse|converse-stream)$/
            .exec(wirePath);

        /* authentication first, like AWS */
        let auth;
        try {
            auth = await sigv4.verify(req, body, tg.verifyConfig(req));
        } catch (e) {
            auth = { ok: false, reason: 'verifier error: ' + e.message,
                     error: { status: 403, name: 'InvalidSignatureException',
                              message: sigv4.MSG_SIGNATURE,
                              suffix: CORAL_SUFFIX } };
        }
        entry.verified = auth.ok;
        entry.auth = auth.ok ? auth.auth : null;
        /* which key signed it (also when refused: an expired set, say) */
        entry.credential = auth.credential || null;

        /*
         * `make bench` only: its baseline is a plain proxy_pass of the
         * same stream, which cannot sign.  A request WITHOUT an
         * Authorization header is let through; a wrong signature is still
         * refused.
         */
        if (!auth.ok && process.env.DOUBLE_ALLOW_UNSIGNED === '1'
            && req.headers.authorization === undefined)
        {
            auth = { ok: true, auth: 'unsigned (bench)' };
        }

        if (!auth.ok) {
            entry.auth_error = auth.reason;
            if (auth.canonical_request) {
                entry.canonical_request = auth.canonical_request;
                entry.string_to_sign = auth.string_to_sign;
                if (cfg.debug) {
                    process.stdout.write('--- expected canonical request\n'
                        + auth.canonical_request + '\n--- string to sign\n'
                        + auth.string_to_sign + '\n---\n');
                }
            }
            const e = auth.error;
            return sendError(res, entry, e.status, e.name, e.message, e.suffix);
        }

        if (!route || req.method !== 'POST') {
            return sendError(res, entry, 404, 'UnknownOperationException',
                             'Unknown operation', CORAL_SUFFIX);
        }
        entry.operation = route[2];
        try {
            entry.model = decodeURIComponent(route[1]);
        } catch (e) {
            entry.model = route[1];
        }

        if (errors.length) {
            return scenarioError(res, entry, errors.join('; '));
        }
        /* fail_first, first_delay_first, counter (lib/targets.js) */
        const turn = tg.turn(scen, scenarioText, entry, req);
        if (turn.drop) {
            return tg.drop(req, res, entry, turn);
        }
        return handleModel(req, res, body, entry, route[2], turn.sc, started);
    }

    /* GET|POST /__slow?ms=N[&status=NNN]: a slow tool backend for
     * tool-location tests, never signed nor recorded.  After N ms it
     * answers {"ms":N,"method":..,"body":<the request body text>}. */
    function slow(req, res, body) {
        const q = new URLSearchParams(req.url.split('?')[1] || '');
        const ms = /^\d+$/.test(q.get('ms') || '') ? Number(q.get('ms')) : 0;
        const st = q.get('status');
        const status = /^[1-5]\d\d$/.test(st || '') ? Number(st) : 200;
        const out = Buffer.from(JSON.stringify({
            ms, method: req.method, body: body.toString('utf8') }));
        const timer = setTimeout(() => {
            res.writeHead(status, { 'Content-Type': 'application/json',
                                    'Content-Length': out.length });
            res.end(out);
        }, ms);
        res.on('close', () => clearTimeout(timer));
    }

    function log(entry) {
        if (entry.logged) {
            return;
        }
        Object.defineProperty(entry, 'logged', { value: true });
        let line = `${entry.method} ${entry.path} `
            + `${entry.scenario === null ? '-' : JSON.stringify(entry.scenario)} `
            + `${entry.status === null ? '-' : entry.status}`;
        if (entry.error) {
            line += ' ' + entry.error;
        }
        if (entry.note) {
            line += ` (${entry.note})`;
        }
        if (entry.auth_error) {
            line += ` (${entry.auth_error})`;
        }
        if (entry.credential && entry.credential.source !== 'static') {
            line += ` (${entry.credential.source} `
                + `${entry.credential.access_key_id})`;
        }
        if (entry.aborted) {
            line += ' (connection closed before the response ended)';
        }
        line += tg.logTag(entry);       /* " @ADDR:PORT" with several */
        if (!cfg.quiet) {
            process.stdout.write(line + '\n');
        }
    }

    const server = http.createServer((req, res) => {
        handle(req, res).catch((e) => {
            process.stderr.write('bedrock double: ' + (e && e.stack) + '\n');
            if (!res.headersSent) {
                res.writeHead(500, { 'Content-Type': 'application/json' });
                res.end(JSON.stringify({ message: 'bedrock double bug: '
                                                  + e.message }));
            } else if (res.socket) {
                res.socket.destroy();
            }
        });
    });
    server.keepAliveTimeout = 65000;
    server.headersTimeout = 66000;
    server.requestTimeout = 0;
    server.on('connection', (s) => s.setNoDelay(true));
    const tg = targets.createTargets(cfg, server);

    return { server, cfg, recorded, creds, targets: tg };
}

function main(argv) {
    const cfg = config();
    const i = argv.indexOf('--port');
    if (i >= 0 && argv[i + 1] !== undefined) {
        cfg.port = Number(argv[i + 1]);
    }
    if (!Number.isInteger(cfg.port) || cfg.port < 0 || cfg.port > 65535) {
        process.stderr.write('bedrock double: bad port\n');
        process.exit(2);
    }
    let server;
    let tg;
    try {
        Object.assign(cfg, targets.config(process.env, argv));
        ({ server, targets: tg } = createDouble(cfg));
    } catch (e) {
        process.stderr.write('bedrock double: ' + e.message + '\n');
        process.exit(2);
    }
    const sockets = new Set();
    server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
    });
    /* every host x port (lib/targets.js); the usual line comes last */
    tg.listen().then((a) => {
        for (const l of a.listeners.slice(1)) {
            process.stdout.write('bedrock double also listening on '
                                 + `${l.host}:${l.port}\n`);
        }
        if (a.dns) {
            process.stdout.write('bedrock double: DNS double on '
                                 + `${a.dns.address}:${a.dns.port} (udp)\n`);
        }
        const l = a.listeners[0];
        process.stdout.write(`bedrock double listening on ${l.host}:${l.port}\n`);
    }, (e) => {
        process.stderr.write('bedrock double: ' + e.message + '\n');
        process.exit(1);
    });
    const stop = () => {
        tg.close();
        server.close(() => process.exit(0));
        for (const s of sockets) {
            s.destroy();
        }
        setTimeout(() => process.exit(0), 2000).unref();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
}

module.exports = { createDouble, config };

if (require.main === module) {
    main(process.argv.slice(2));
}
