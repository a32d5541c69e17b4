#!/usr/bin/env node
'use strict';
/*
 * Credentials that expire while requests flow: nginx with two workers
 * signs Bedrock calls with temporary credentials from the doubles
 * (t/bedrock, IMDSv2 and STS on the double's port), which issue them with
 * a short life, while clients keep streams open across the rotations.
 *
 *   node t/creds/rotation.js MODULE.so [SECONDS]
 *
 * Prints TAP.  What it shows:
 *   1. rotation under load (instance metadata, then web identity): every
 *      request answers 200 with a complete stream, across several
 *      rotations, and each rotation is one fetch for both workers;
 *   2. a source that goes down: the set in hand serves until it expires,
 *      then requests get 503 no_credentials, and the set comes back with
 *      the source;
 *   3. a metadata endpoint that hangs: requests end with 503 within
 *      chat_completions_credentials_timeout, none is left hanging.
 */
const http = require('http');
const fs = require('fs');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { ok, done, sleep } = require('../lib/tap');

const TOP = path.resolve(__dirname, '../..');
const MODULE = path.resolve(process.argv[2] || 'build/debian/ngx_http_chatcompletions_module.so');
const LOAD_SECONDS = Number(process.argv[3] || process.env.ROTATION_SECONDS || 60);
const NGINX = process.env.TEST_NGINX_BINARY || '/usr/sbin/nginx';
const DPORT = Number(process.env.ROTATION_DOUBLE_PORT || 19290);
const PORT = Number(process.env.ROTATION_PORT || 19291);
const TTL = 30;
const DIR = path.join(TOP, 'build', 'creds-rotation');


/*
 * A connection per request: with reuseport, the kernel spreads them over
 * both workers (eight kept-alive connections all landed on one worker
 * once in a while, and the test wants both)
 */
let agent = new http.Agent({ keepAlive: false });

function request(port, method, p, body, headers, timeoutMs) {
    return new Promise((resolve) => {
        const started = Date.now();
        const req = http.request({ host: '127.0.0.1', port, method, path: p,
                                   headers: headers || {},
                                   agent: port === PORT ? agent : undefined },
                                 (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode,
                                          headers: res.headers,
                                          body: Buffer.concat(chunks).toString(),
                                          ms: Date.now() - started }));
            res.on('error', (e) => resolve({ status: 0, body: String(e),
                                            ms: Date.now() - started }));
        });
        req.on('error', (e) => resolve({ status: 0, body: String(e),
                                        ms: Date.now() - started }));
        req.setTimeout(timeoutMs || 30000, () => {
            req.destroy(new Error('client timeout'));
        });
        if (body) {
            req.write(body);
        }
        req.end();
    });
}

async function creds(method, p, obj) {
    const r = await request(DPORT, method, p,
                            obj ? JSON.stringify(obj) : undefined,
                            obj ? { 'Content-Type': 'application/json' } : {});
    return r.body ? JSON.parse(r.body) : null;
}

function nginxConf(env, extra) {
    return `
load_module ${MODULE};
worker_processes 2;
daemon on;
master_process on;
error_log ${DIR}/logs/error.log info;
pid ${DIR}/logs/nginx.pid;
${env.map((e) => `env ${e};`).join('\n')}
events { worker_connections 1024; }
http {
    access_log ${DIR}/logs/access.log combined;
    log_format creds '$pid $status $chat_completions_credentials_source';
    server {
        listen 127.0.0.1:${PORT} reuseport;
        chat_completions_endpoint http://127.0.0.1:${DPORT};
        chat_completions_region us-east-1;
        chat_completions_keepalive_interval 0;
        ${extra || ''}
        location = /v1/chat/completions {
            access_log ${DIR}/logs/creds.log creds;
            chat_completions;
        }
        location = /_bedrock {
            internal;
            proxy_pass $chat_completions_upstream_url;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Double-Scenario "tokens=12; delay=150";
            proxy_buffering off;
        }
        location = /_aws_credentials {
            internal;
            proxy_pass $chat_completions_credentials_url;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_connect_timeout 1s;
            proxy_read_timeout 5s;
        }
    }
}
`;
}

function startNginx(env, extra) {
    stopNginx();
    agent.destroy();
    agent = new http.Agent({ keepAlive: false });
    fs.rmSync(path.join(DIR, 'logs'), { recursive: true, force: true });
    fs.mkdirSync(path.join(DIR, 'logs'), { recursive: true });
    fs.writeFileSync(path.join(DIR, 'nginx.conf'), nginxConf(env, extra));
    const r = spawnSync(NGINX, ['-p', DIR, '-c', path.join(DIR, 'nginx.conf')],
                        { encoding: 'utf8' });
    if (r.status !== 0) {
        throw new Error('nginx did not start: ' + r.stderr);
    }
}

function stopNginx() {
    const pid = path.join(DIR, 'logs', 'nginx.pid');
    if (fs.existsSync(pid)) {
        spawnSync(NGINX, ['-p', DIR, '-c', path.join(DIR, 'nginx.conf'),
                          '-s', 'stop']);
        for (let i = 0; i < 50 && fs.existsSync(pid); i++) {
            spawnSync('sleep', ['0.1']);
        }
    }
}

function errorLog() {
    try {
        return fs.readFileSync(path.join(DIR, 'logs', 'error.log'), 'utf8');
    } catch (e) {
        return '';
    }
}

const BODY = JSON.stringify({ messages: [{ role: 'user', content: 'Hello' }] });

/* a stream is complete: 200, twelve deltas, a stop chunk and [DONE] */
function complete(r) {
    if (r.status !== 200) {
        return false;
    }
    const data = r.body.split('\n').filter((l) => l.startsWith('data: '));
    return data.length === 15 && data[14] === 'data: [DONE]'
        && !/"error"/.test(r.body)
        && /"finish_reason":"stop"/.test(data[13]);
}

async function load(seconds, clients) {
    const until = Date.now() + seconds * 1000;
    const results = [];
    async function client() {
        while (Date.now() < until) {
            results.push(await request(PORT, 'POST', '/v1/chat/completions',
                                       BODY, {}, 20000));
        }
    }
    await Promise.all(Array.from({ length: clients }, client));
    return results;
}

/* one rotation, one fetch: issued sets at least 15 s apart (life 30 s) */
function spacing(issued) {
    const times = issued.map((i) => Date.parse(i.issued_at)).sort();
    let min = Infinity;
    for (let i = 1; i < times.length; i++) {
        min = Math.min(min, times[i] - times[i - 1]);
    }
    return min;
}

async function rotation(name, env, source, issuer, hitKey) {
    await creds('POST', '/__creds/reset');
    await creds('POST', '/__creds', { ttl: TTL });
    await request(DPORT, 'POST', '/__reset');

    startNginx(env);

    const results = await load(LOAD_SECONDS, 8);
    const state = await creds('GET', '/__creds');

    const bad = results.filter((r) => !complete(r));
    ok(results.length > 100 && bad.length === 0,
       `${name}: ${results.length} streams under load, all complete`,
       bad.slice(0, 3).map((r) => ({ status: r.status,
                                    body: r.body.slice(0, 300) })));

    const issued = state.issued.filter((i) => i.source === issuer);
    const rotations = Math.floor((LOAD_SECONDS - 1) / (TTL * 3 / 4));
    ok(issued.length >= 1 + rotations,
       `${name}: ${issued.length} sets issued over ${LOAD_SECONDS} s `
       + `(life ${TTL} s): at least ${1 + rotations}`, state.issued);
    ok(state.hits[hitKey] === issued.length,
       `${name}: one fetch per set, for both workers (${state.hits[hitKey]}`
       + ` ${hitKey} hits)`, state.hits);
    ok(spacing(issued) >= TTL / 2 * 1000,
       `${name}: sets issued at least ${TTL / 2} s apart`,
       issued.map((i) => i.issued_at));

    /* the double logs the set of each Bedrock call: "(SOURCE ASIA...)" */
    const dlog = fs.readFileSync(path.join(DIR, 'double.log'), 'utf8');
    const signed = new Set((dlog.match(/converse-stream .* 200 \([a-z_]+ ASIA[A-Z0-9]+\)/g) || [])
                               .map((l) => l.replace(/.* (ASIA[A-Z0-9]+)\)$/, '$1')));
    /* the log holds the scenarios before this one: their sets too */
    const mine = new Set(issued.map((i) => i.access_key_id));
    const used = [...signed].filter((k) => mine.has(k));
    ok(used.length >= 2 && used.length >= issued.length - 1,
       `${name}: Bedrock saw ${used.length} of the ${issued.length} sets `
       + 'in turn', { signed: [...signed], issued: [...mine] });

    const lines = fs.readFileSync(path.join(DIR, 'logs', 'creds.log'), 'utf8')
        .trim().split('\n');
    const pids = new Set(lines.map((l) => l.split(' ')[0]));
    ok(pids.size === 2 && lines.every((l) => l.endsWith(' 200 ' + source)),
       `${name}: both workers answered, every request from ${source}`,
       lines.filter((l) => !l.endsWith(' 200 ' + source)).slice(0, 3));

    const log = errorLog();
    ok(/\[notice\].*AWS credentials from [a-z_]+, valid until/.test(log)
       && (log.match(/\[notice\].*AWS credentials from/g) || []).length === 1,
       `${name}: the source logged once at notice`);
    ok(!/\[(error|alert|crit|emerg)\]/.test(log), `${name}: no error logged`,
       (log.match(/.*\[(error|alert|crit|emerg)\].*/g) || []).slice(0, 3));
}

async function sourceDown() {
    const name = 'source down';
    await creds('POST', '/__creds/reset');
    await creds('POST', '/__creds', { ttl: 24 });

    startNginx([`AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:${DPORT}`,
                'AWS_SHARED_CREDENTIALS_FILE=/nonexistent',
                'AWS_CONFIG_FILE=/nonexistent'],
               'chat_completions_credentials_timeout 2s;');

    const first = await request(PORT, 'POST', '/v1/chat/completions', BODY);
    ok(complete(first), `${name}: the first set is fetched`);

    const state = await creds('POST', '/__creds', { faults: { imds: 'down' } });

    /*
     * Life 24 s: refreshes are due 6 s (a quarter) before the Expiration
     * and fail; the set serves until 2 s (the validity margin) before it.
     * The double rounds the Expiration down to the second: read it rather
     * than assume 24 s.
     */
    const expires = Date.parse(state.issued[state.issued.length - 1].expires);
    const during = [];
    while (Date.now() < expires - 2000 - 700) {
        during.push(await request(PORT, 'POST', '/v1/chat/completions', BODY));
        await sleep(200);
    }
    ok(during.length >= 5 && during.every(complete),
       `${name}: ${during.length} requests served `
       + 'by the set in hand while the source is down',
       during.filter((r) => !complete(r)).map((r) => r.status));

    await sleep(Math.max(0, expires - Date.now() + 500));

    const after = await request(PORT, 'POST', '/v1/chat/completions', BODY);
    ok(after.status === 503
       && /^\{"error":\{"message":"No AWS credentials could be obtained for Amazon Bedrock: instance metadata: the role request answered 503\.","type":"server_error","param":null,"code":"no_credentials"\}\}\n?$/.test(after.body),
       `${name}: once it expired, 503 no_credentials naming the failure`,
       after);

    const log = errorLog();
    ok(/cannot refresh the AWS credentials from instance_metadata: instance metadata: the role request answered 503; the current ones stay in use until /.test(log),
       `${name}: the failed refresh logged at error, the set kept`);

    await creds('POST', '/__creds', { faults: { imds: 'ok' } });
    await sleep(1500);

    let back;
    for (let i = 0; i < 40; i++) {
        back = await request(PORT, 'POST', '/v1/chat/completions', BODY);
        if (back.status === 200) {
            break;
        }
        await sleep(500);
    }
    ok(complete(back), `${name}: the source is back, so are the answers`,
       back);
}

async function hanging() {
    const name = 'hanging metadata';
    await creds('POST', '/__creds/reset');
    await creds('POST', '/__creds', { faults: { imds: 'hang' } });

    startNginx([`AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:${DPORT}`,
                'AWS_SHARED_CREDENTIALS_FILE=/nonexistent',
                'AWS_CONFIG_FILE=/nonexistent'],
               'chat_completions_credentials_timeout 1s;');

    const rs = await Promise.all(Array.from({ length: 10 }, () =>
        request(PORT, 'POST', '/v1/chat/completions', BODY, {}, 10000)));

    ok(rs.every((r) => r.status === 503 && /"code":"no_credentials"/.test(r.body)),
       `${name}: 10 concurrent requests answered 503 no_credentials`,
       rs.map((r) => r.status));
    ok(rs.every((r) => r.ms < 3000),
       `${name}: within the 1 s wait (slowest ${Math.max(...rs.map((r) => r.ms))} ms)`);

    /* the hanging fetch was cut: the next request tries again */
    const again = await request(PORT, 'POST', '/v1/chat/completions', BODY,
                                {}, 10000);
    ok(again.status === 503 && again.ms < 3000,
       `${name}: a later request is not stuck either (${again.ms} ms)`);

    await creds('POST', '/__creds', { faults: { imds: 'ok' } });
}

async function main() {
    fs.mkdirSync(DIR, { recursive: true });

    const double = spawn(process.execPath,
                         [path.join(TOP, 't/bedrock/double.js'), '--port',
                          String(DPORT)],
                         { stdio: ['ignore', 'pipe', 'pipe'],
                           env: Object.assign({}, process.env,
                                              { DOUBLE_CREDS_TTL: String(TTL) }) });
    const dlog = fs.createWriteStream(path.join(DIR, 'double.log'));
    double.stdout.pipe(dlog);
    double.stderr.pipe(dlog);

    for (let i = 0; i < 100; i++) {
        const r = await request(DPORT, 'GET', '/__health');
        if (r.status === 200) {
            break;
        }
        await sleep(100);
    }

    const token = path.join(DIR, 'web-identity-token');
    const only = process.env.ROTATION_ONLY || 'imds,web,down,hang';

    try {
        if (only.includes('imds')) await rotation('instance metadata',
            [`AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:${DPORT}`,
             'AWS_SHARED_CREDENTIALS_FILE=/nonexistent',
             'AWS_CONFIG_FILE=/nonexistent'],
            'instance_metadata', 'imds', 'imds_credentials');

        fs.writeFileSync(token, 'web-identity-token-1\n');

        if (only.includes('web')) await rotation('web identity',
            [`AWS_WEB_IDENTITY_TOKEN_FILE=${token}`,
             'AWS_ROLE_ARN=arn:aws:iam::123456789012:role/fintalk-irsa',
             'AWS_ROLE_SESSION_NAME=rotation',
             `AWS_ENDPOINT_URL_STS=http://127.0.0.1:${DPORT}`],
            'web_identity', 'web_identity', 'sts_web_identity');

        if (only.includes('down')) await sourceDown();
        if (only.includes('hang')) await hanging();

    } finally {
        agent.destroy();
        if (!process.env.ROTATION_KEEP) stopNginx();
        double.kill('SIGTERM');
    }

    done();
}

main().catch((e) => {
    console.log('not ok - ' + (e.stack || e));
    stopNginx();
    process.exit(1);
});
