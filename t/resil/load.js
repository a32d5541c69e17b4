#!/usr/bin/env node
'use strict';
/*
 * Retries and failover under load: nginx with two workers and two Bedrock
 * targets (the double on two ports, the second signed for us-west-2 with
 * a cross-region model), 200 streaming clients without pause.
 *
 *   node t/resil/load.js MODULE.so
 *
 * Prints TAP.  What it shows:
 *   A. 30 % of first attempts throttled (split_clients on $request_id,
 *      "fail_first=1" with the request's own counter): every stream is
 *      complete (one id, one role chunk, the text, one finish_reason, one
 *      [DONE]); about 30 % of the requests took two attempts on
 *      us-east-1, none more; the access log, the response headers, the
 *      double (one 429 per retried request) and the error log (one warn
 *      line, its backoff within 25-50 ms) agree; the client connections
 *      are kept alive; the time to first token a throttled first attempt
 *      adds.
 *   B. one region down (every call on the first port answers 503
 *      ServiceUnavailableException): every stream is complete and was
 *      answered by us-west-2 after three attempts (two on us-east-1, then
 *      us-west-2 at once); the time to first token failing over adds.
 * Each runs under the load asked for (200 clients: the double, one
 * Node.js process, is then the bottleneck, and its queue is most of an
 * attempt's time), then light (20 clients), where what a retry adds is
 * the module's own: the backoff (25-50 ms), nothing more.  Worker CPU,
 * TTFT percentiles (as the client saw them and $chat_completions_ttft)
 * and $chat_completions_retry_ms are printed as "# " lines.
 *
 * Ports 19790 (nginx, RESIL_PORT), 19791 and 19792 (the double's targets,
 * RESIL_DOUBLE_PORT and the next one).  RESIL_CLIENTS (200),
 * RESIL_A_SECONDS (30), RESIL_B_SECONDS (20), RESIL_LIGHT_CLIENTS (20),
 * RESIL_LIGHT_SECONDS (5), RESIL_ONLY=a,b narrow it; RESIL_KEEP=1 leaves
 * the last nginx running.  RESIL_UPSTREAM_KEEPALIVE=1 names the targets
 * bedrock-east and bedrock-west, upstream blocks with keepalive (as the
 * README's configuration does): with the ports in the endpoints, as by
 * default, every attempt opens its own connection.  Logs:
 * build/resil-load/.
 */
const http = require('http');
const fs = require('fs');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { ok, diag, done, sleep, workerPids } = require('../lib/tap');

const TOP = path.resolve(__dirname, '../..');
const MODULE = path.resolve(process.argv[2] || 'build/debian/ngx_http_chatcompletions_module.so');
const NGINX = process.env.TEST_NGINX_BINARY || '/usr/sbin/nginx';
const PORT = Number(process.env.RESIL_PORT || 19790);
const P1 = Number(process.env.RESIL_DOUBLE_PORT || 19791);
const P2 = P1 + 1;
const CLIENTS = Number(process.env.RESIL_CLIENTS || 200);
const A_SECONDS = Number(process.env.RESIL_A_SECONDS || 30);
const B_SECONDS = Number(process.env.RESIL_B_SECONDS || 20);
const ONLY = process.env.RESIL_ONLY || 'a,b';
const KEEPALIVE = process.env.RESIL_UPSTREAM_KEEPALIVE === '1';
const LIGHT = Number(process.env.RESIL_LIGHT_CLIENTS || 20);
const LIGHT_SECONDS = Number(process.env.RESIL_LIGHT_SECONDS || 5);
const DIR = path.join(TOP, 'build', 'resil-load');
const TOKENS = 20;
const BACKOFF = 50;             /* chat_completions_retry_backoff, ms */


/* keepalive connections to nginx, a new agent for each nginx started */
let agent = new http.Agent({ keepAlive: true });

/*
 * One request.  For the streams: the time of the first content delta
 * (tok1) as the client saw it, from the moment the request was sent.
 */
function request(port, method, p, body, headers, timeoutMs) {
    return new Promise((resolve) => {
        const started = process.hrtime.bigint();
        const since = () => Number(process.hrtime.bigint() - started) / 1e6;
        let ttft = null;
        let tail = '';
        const req = http.request({ host: '127.0.0.1', port, method, path: p,
                                   headers: headers || {},
                                   agent: port === PORT ? agent : undefined },
                                 (res) => {
            const chunks = [];
            res.on('data', (c) => {
                chunks.push(c);
                if (ttft === null) {
                    const s = tail + c.toString();
                    if (s.includes('"content":"tok1"')) {
                        ttft = since();
                    }
                    tail = s.slice(-32);
                }
            });
            res.on('end', () => resolve({ status: res.statusCode,
                                          headers: res.headers,
                                          body: Buffer.concat(chunks).toString(),
                                          ttft, ms: since() }));
            res.on('error', (e) => resolve({ status: 0, body: String(e),
                                            headers: {}, ttft, ms: since() }));
        });
        req.on('error', (e) => resolve({ status: 0, body: String(e),
                                        headers: {}, ttft, ms: since() }));
        req.setTimeout(timeoutMs || 30000, () => {
            req.destroy(new Error('client timeout'));
        });
        if (body) {
            req.write(body);
        }
        req.end();
    });
}

async function double(method, p) {
    const r = await request(P1, method, p);
    return r.body && /^[[{]/.test(r.body) ? JSON.parse(r.body) : r.body;
}

/* a target's endpoint host (and port), as the warn lines name it */
function host(port) {
    if (KEEPALIVE) {
        return port === P1 ? 'bedrock-east' : 'bedrock-west';
    }
    return `127.0.0.1:${port}`;
}

/*
 * $scenario for the Bedrock location; split_clients takes no variables
 * in its values, so it picks a bucket and a map makes the scenario.
 */
function nginxConf(scenario) {
    return `
load_module ${MODULE};
worker_processes 2;
worker_rlimit_nofile 8192;
daemon on;
master_process on;
error_log ${DIR}/logs/error.log warn;
pid ${DIR}/logs/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    log_format resil escape=json '{"status":$status,'
        '"attempts":"$chat_completions_attempts",'
        '"target":"$chat_completions_target",'
        '"retry_ms":"$chat_completions_retry_ms",'
        '"ttft":"$chat_completions_ttft",'
        '"request_time":$request_time,'
        '"bucket":"$bucket","pid":$pid,'
        '"connection":$connection,"connection_requests":$connection_requests,'
        '"id":"$chat_completions_id"}';
${scenario}
    ${KEEPALIVE ? `upstream ${host(P1)} { server 127.0.0.1:${P1}; keepalive 64; }
    upstream ${host(P2)} { server 127.0.0.1:${P2}; keepalive 64; }` : ''}
    server {
        listen 127.0.0.1:${PORT} reuseport;
        chat_completions_access_key_id AKIDEXAMPLE;
        chat_completions_secret_access_key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
        chat_completions_keepalive_interval 0;
        chat_completions_target us-east-1 endpoint=http://${host(P1)};
        chat_completions_target us-west-2 endpoint=http://${host(P2)}
                                model=us.amazon.nova-lite-v1:0;
        chat_completions_attempts 3;
        chat_completions_retry_backoff ${BACKOFF}ms;
        location = /v1/chat/completions {
            access_log ${DIR}/logs/resil.log resil;
            add_header X-Attempts $chat_completions_attempts always;
            add_header X-Target $chat_completions_target always;
            chat_completions;
        }
        location = /_bedrock {
            internal;
            proxy_pass $chat_completions_upstream_url;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Double-Scenario $scenario;
            proxy_buffering off;
            proxy_connect_timeout 2s;
            proxy_read_timeout 20s;
        }
    }
}
`;
}

const SCENARIO_A = `
    split_clients "\${request_id}" $bucket {
        30%     throttled;
        *       clean;
    }
    map $bucket $scenario {
        throttled   "tokens=${TOKENS}; delay=5; fail_first=1; counter=\${request_id}";
        default     "tokens=${TOKENS}; delay=5";
    }
`;

const SCENARIO_B = `
    map $request_id $bucket {
        default     down;
    }
    map $bucket $scenario {
        default     "tokens=${TOKENS}; delay=5; @${P1}.status=ServiceUnavailableException";
    }
`;

function startNginx(scenario) {
    stopNginx();
    agent.destroy();
    agent = new http.Agent({ keepAlive: true });
    fs.rmSync(path.join(DIR, 'logs'), { recursive: true, force: true });
    fs.mkdirSync(path.join(DIR, 'logs'), { recursive: true });
    fs.writeFileSync(path.join(DIR, 'nginx.conf'), nginxConf(scenario));
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

function readLog(name) {
    try {
        return fs.readFileSync(path.join(DIR, 'logs', name), 'utf8');
    } catch (e) {
        return '';
    }
}

/* CPU time of processes, ms: total (schedstat) and user mode (stat) */
function cpu(pids) {
    let total = 0;
    let user = 0;
    for (const pid of pids) {
        try {
            total += Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8')
                                .split(' ')[0]) / 1e6;
            const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
            const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
            user += Number(f[11]) * 10;         /* utime, CLK_TCK 100 */
        } catch (e) {
            /* gone */
        }
    }
    return { total, user };
}

const BODY = JSON.stringify({ model: 'amazon.nova-lite-v1:0', stream: true,
                              messages: [{ role: 'user', content: 'Hello' }] });

const WANT = Array.from({ length: TOKENS }, (_, i) => `tok${i + 1}`).join(' ');

/*
 * Why a stream is not complete (null: it is): 200, every event JSON but
 * the last, which is the one [DONE]; one id; one role chunk; the text of
 * the deltas; one finish_reason "stop"; no error.
 */
function broken(r) {
    if (r.status !== 200) {
        return `status ${r.status}`;
    }
    const events = r.body.split('\n\n').filter((e) => e !== '');
    if (events.length === 0 || events[events.length - 1] !== 'data: [DONE]') {
        return 'no [DONE] at the end';
    }
    const ids = new Set();
    let roles = 0;
    let finish = [];
    let text = '';
    for (const e of events.slice(0, -1)) {
        if (!e.startsWith('data: ')) {
            return `not a data event: ${e.slice(0, 80)}`;
        }
        let c;
        try {
            c = JSON.parse(e.slice(6));
        } catch (x) {
            return `not JSON: ${e.slice(0, 80)}`;
        }
        if (c.error) {
            return `error event: ${JSON.stringify(c.error)}`;
        }
        ids.add(c.id);
        const ch = c.choices && c.choices[0];
        if (!ch) {
            return `no choice: ${e.slice(0, 80)}`;
        }
        if (ch.delta && ch.delta.role !== undefined) {
            roles++;
        }
        if (ch.delta && typeof ch.delta.content === 'string') {
            text += ch.delta.content;
        }
        if (ch.finish_reason) {
            finish.push(ch.finish_reason);
        }
    }
    if (ids.size !== 1) {
        return `${ids.size} ids`;
    }
    if (roles !== 1) {
        return `${roles} role chunks`;
    }
    if (finish.length !== 1 || finish[0] !== 'stop') {
        return `finish_reason ${JSON.stringify(finish)}`;
    }
    if (text !== WANT) {
        return `text ${JSON.stringify(text.slice(0, 80))}`;
    }
    return null;
}

async function load(seconds, clients) {
    const until = Date.now() + seconds * 1000;
    const results = [];
    async function client() {
        while (Date.now() < until) {
            results.push(await request(PORT, 'POST', '/v1/chat/completions',
                                       BODY,
                                       { 'Content-Type': 'application/json' },
                                       20000));
        }
    }
    await Promise.all(Array.from({ length: clients }, client));
    return results;
}

function pct(values, p) {
    if (values.length === 0) {
        return NaN;
    }
    const s = values.slice().sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1)];
}

function fmt(v) {
    return Number.isFinite(v) ? String(Math.round(v)) : '-';
}

function p5095(values) {
    return `p50 ${fmt(pct(values, 50))} / p95 ${fmt(pct(values, 95))} ms`;
}

function accessLog() {
    return readLog('resil.log').trim().split('\n').filter((l) => l)
        .map((l) => JSON.parse(l));
}

/* the double's log lines of the Bedrock calls since `from` bytes */
function doubleCalls(from) {
    const text = fs.readFileSync(path.join(DIR, 'double.log'), 'utf8')
        .slice(from);
    return text.split('\n').filter((l) => /^POST \/model\//.test(l));
}

function doubleLogSize() {
    return fs.statSync(path.join(DIR, 'double.log')).size;
}

/* error log lines by level, and the warn lines of abandoned attempts */
function errorLines() {
    const lines = readLog('error.log').split('\n');
    const abandoned = /\[warn\].*Bedrock attempt \d+ .* abandoned/;
    const bad = /\[(error|alert|crit|emerg)\]/;
    return {
        abandoned: lines.filter((l) => abandoned.test(l)),
        bad: lines.filter((l) => bad.test(l)),
        other: lines.filter((l) => l && !abandoned.test(l) && !bad.test(l)
                                 && !/\[notice\]/.test(l)),
    };
}

/* until the logs of the last requests are written: no growth for 300 ms */
async function settled() {
    const logs = ['resil.log', 'error.log']
        .map((f) => path.join(DIR, 'logs', f));
    const size = () => doubleLogSize() + logs.reduce((s, f) =>
        s + (fs.existsSync(f) ? fs.statSync(f).size : 0), 0);
    let last = -1;
    for (let i = 0; i < 20 && size() !== last; i++) {
        last = size();
        await sleep(300);
    }
}

/* one scenario's run: nginx started, the load, what every side saw */
async function run(name, scenario, seconds, clients) {
    await double('POST', '/__reset');
    startNginx(scenario);
    await sleep(200);
    const from = doubleLogSize();
    const workers = workerPids(path.join(DIR, 'logs', 'nginx.pid'));
    const cpu0 = cpu(workers);
    const t0 = Date.now();
    const results = await load(seconds, clients);
    const wall = (Date.now() - t0) / 1000;
    const cpu1 = cpu(workers);
    await settled();

    const bad = results.map((r) => ({ r, why: broken(r) }))
        .filter((x) => x.why !== null);
    ok(results.length >= 10 * clients && bad.length === 0,
       `${name}: ${results.length} streams from ${clients} clients in `
       + `${wall.toFixed(1)} s (${Math.round(results.length / wall)}/s), `
       + `${bad.length} failures`,
       bad.slice(0, 5).map((x) => ({ why: x.why,
                                     headers: x.r.headers,
                                     body: x.r.body.slice(0, 300) })));

    const log = accessLog();
    const conns = new Set(log.map((l) => `${l.pid}/${l.connection}`));
    const pids = new Set(log.map((l) => l.pid));
    ok(log.length === results.length && pids.size === 2
       && conns.size <= clients * 1.1,
       `${name}: ${log.length} access log lines, one per request, from both `
       + `workers; ${conns.size} client connections (keepalive kept across `
       + 'retries)');

    const used = { total: cpu1.total - cpu0.total,
                   user: cpu1.user - cpu0.user };
    diag(`${name}: worker CPU ${Math.round(used.total)} ms `
         + `(${Math.round(used.user)} ms user) for ${results.length} `
         + `requests: ${(used.total / results.length).toFixed(2)} ms per `
         + `request, ${Math.round(used.total / wall / 10)} % of a core`
         + ` (${workers.length} workers)`);

    return { results, log, calls: doubleCalls(from), errors: errorLines(),
             wall };
}

function byAttempts(results, a) {
    return results.filter((r) => r.headers['x-attempts'] === String(a));
}

function countBy(list, f) {
    const c = {};
    for (const x of list) {
        c[f(x)] = (c[f(x)] || 0) + 1;
    }
    return c;
}

/* a target in a regular expression */
function at(port) {
    return host(port).replace(/\./g, '\\.');
}

/* the double's calls on a port with a status */
function on(calls, port, status) {
    const re = new RegExp(`" ${status} .*@127\\.0\\.0\\.1:${port}$`);
    return calls.filter((l) => re.test(l)).length;
}

/*
 * A: 30 % of the first attempts throttled.  Returns the module's TTFT of
 * the requests answered by their first attempt, B's reference.
 */
async function throttled(label, seconds, clients, maxAdded) {
    const name = `A${label} (30 % throttled, ${clients} clients)`;
    const { results, log, calls, errors } = await run(name, SCENARIO_A,
                                                      seconds, clients);

    const one = byAttempts(results, 1);
    const two = byAttempts(results, 2);
    const share = two.length / results.length;
    ok(one.length + two.length === results.length
       && results.every((r) => r.headers['x-target'] === 'us-east-1'),
       `${name}: ${one.length} on the first attempt, ${two.length} on the `
       + 'second, all answered by us-east-1',
       countBy(results, (r) => `${r.headers['x-attempts']} `
                               + `${r.headers['x-target']}`));

    /* split_clients: binomial, 5 standard deviations (at least 5 points) */
    const tol = Math.max(0.05, 5 * Math.sqrt(0.3 * 0.7 / results.length));
    ok(Math.abs(share - 0.3) < tol,
       `${name}: ${(share * 100).toFixed(1)} % of the requests retried once`);

    /* the access log agrees: throttled bucket = two attempts */
    const mismatch = log.filter((l) =>
        l.status !== 200 || l.target !== 'us-east-1'
        || l.attempts !== (l.bucket === 'throttled' ? '2' : '1')
        || (l.attempts === '1') !== (l.retry_ms === '0'));
    ok(mismatch.length === 0,
       `${name}: access log: bucket "throttled" took 2 attempts, "clean" 1 `
       + '(and retry_ms 0)', mismatch.slice(0, 5));

    const retryMs = log.filter((l) => l.attempts === '2')
        .map((l) => Number(l.retry_ms));
    ok(retryMs.length > 0 && Math.min(...retryMs) >= BACKOFF / 2,
       `${name}: $chat_completions_retry_ms of the retried ${p5095(retryMs)}, `
       + `min ${fmt(Math.min(...retryMs))} (backoff ${BACKOFF / 2}-${BACKOFF}`
       + ' ms)');

    const c429 = on(calls, P1, 429);
    const c200 = on(calls, P1, 200);
    ok(c429 === two.length && c200 === results.length
       && calls.length === results.length + two.length,
       `${name}: the double saw ${c429} 429 and ${c200} 200 on ${P1}, `
       + `${calls.length} calls in all`,
       calls.filter((l) => !/" (200|429) /.test(l)).slice(0, 5));

    const line = new RegExp(`attempt 1 on ${at(P1)} .*abandoned: throttled `
                            + `\\(429\\); attempt 2 on ${at(P1)} in (\\d+) ms`);
    const waits = errors.abandoned.map((l) => Number((line.exec(l) || [])[1]));
    ok(errors.abandoned.length === two.length
       && errors.abandoned.every((l) => line.test(l))
       && waits.every((w) => w >= BACKOFF / 2 && w <= BACKOFF)
       && errors.bad.length === 0,
       `${name}: ${errors.abandoned.length} warn lines "abandoned: throttled`
       + ` (429)", backoff ${fmt(Math.min(...waits))}-`
       + `${fmt(Math.max(...waits))} ms; no error logged`,
       errors.abandoned.slice(0, 2).concat(errors.bad.slice(0, 3),
                                           errors.other.slice(0, 3)));

    const t1 = one.map((r) => r.ttft);
    const t2 = two.map((r) => r.ttft);
    const m1 = log.filter((l) => l.attempts === '1').map((l) => Number(l.ttft));
    const m2 = log.filter((l) => l.attempts === '2').map((l) => Number(l.ttft));
    const win = log.filter((l) => l.attempts === '2')
        .map((l) => Number(l.ttft) - Number(l.retry_ms));
    diag(`${name}: client TTFT: first attempt ${p5095(t1)}; retried `
         + `${p5095(t2)}`);
    diag(`${name}: $chat_completions_ttft: first attempt ${p5095(m1)}; `
         + `retried ${p5095(m2)} (of which after the winning attempt `
         + `started: ${p5095(win)})`);
    const added = pct(m2, 50) - pct(m1, 50);
    ok(added >= BACKOFF / 2 && added <= maxAdded,
       `${name}: a throttled first attempt adds ${fmt(added)} ms to the `
       + `median TTFT (${fmt(pct(m1, 50))} -> ${fmt(pct(m2, 50))} ms; `
       + `${BACKOFF / 2} to ${maxAdded})`);
    return m1;
}

/*
 * B: the first target down: two attempts there, then the second target.
 * base: A's TTFT of first attempts at the same load.
 */
async function regionDown(label, seconds, clients, base, maxAdded) {
    const name = `B${label} (us-east-1 down, ${clients} clients)`;
    const { results, log, calls, errors } = await run(name, SCENARIO_B,
                                                      seconds, clients);

    const notThree = results.filter((r) => r.headers['x-attempts'] !== '3'
                                    || r.headers['x-target'] !== 'us-west-2');
    ok(notThree.length === 0,
       `${name}: all ${results.length} answered by us-west-2 after 3 attempts`,
       countBy(notThree, (r) => `${r.headers['x-attempts']} `
                                + `${r.headers['x-target']}`));

    const mismatch = log.filter((l) => l.status !== 200
                                || l.target !== 'us-west-2'
                                || l.attempts !== '3');
    ok(mismatch.length === 0,
       `${name}: access log: status 200, target us-west-2, attempts 3`,
       mismatch.slice(0, 5));

    const c503 = on(calls, P1, 503);
    const c200 = on(calls, P2, 200);
    ok(c503 === 2 * results.length && c200 === results.length
       && calls.length === 3 * results.length,
       `${name}: the double saw ${c503} 503 on ${P1} and ${c200} 200 on `
       + `${P2}, ${calls.length} calls in all`,
       calls.filter((l) => !/" (200|503) /.test(l)).slice(0, 5));

    const l1 = new RegExp(`attempt 1 on ${at(P1)} .*abandoned: .*503.*; `
                          + `attempt 2 on ${at(P1)} in \\d+ ms`);
    const l2 = new RegExp(`attempt 2 on ${at(P1)} .*abandoned: .*503.*; `
                          + `attempt 3 on ${at(P2)} in 0 ms`);
    const first = errors.abandoned.filter((l) => l1.test(l));
    const second = errors.abandoned.filter((l) => l2.test(l));
    ok(first.length === results.length && second.length === results.length
       && errors.abandoned.length === 2 * results.length
       && errors.bad.length === 0,
       `${name}: ${errors.abandoned.length} warn lines (attempts 1 and 2 `
       + `abandoned on ${P1}, attempt 3 on ${P2} at once), no error logged`,
       errors.abandoned.slice(0, 2).concat(errors.bad.slice(0, 3),
                                           errors.other.slice(0, 3)));

    const retryMs = log.map((l) => Number(l.retry_ms));
    const ttft = log.map((l) => Number(l.ttft));
    const win = log.map((l) => Number(l.ttft) - Number(l.retry_ms));
    ok(Math.min(...retryMs) >= BACKOFF / 2,
       `${name}: $chat_completions_retry_ms ${p5095(retryMs)}, min `
       + `${fmt(Math.min(...retryMs))}`);
    diag(`${name}: client TTFT ${p5095(results.map((r) => r.ttft))}`);
    diag(`${name}: $chat_completions_ttft ${p5095(ttft)} (of which after `
         + `the winning attempt started: ${p5095(win)})`);
    if (base) {
        const added = pct(ttft, 50) - pct(base, 50);
        ok(added >= BACKOFF / 2 && added <= maxAdded,
           `${name}: failing over adds ${fmt(added)} ms to the median TTFT `
           + `against A's first attempts (${fmt(pct(base, 50))} -> `
           + `${fmt(pct(ttft, 50))} ms; ${BACKOFF / 2} to ${maxAdded})`);
    }
}

async function main() {
    fs.mkdirSync(DIR, { recursive: true });

    const double = spawn(process.execPath,
                         [path.join(TOP, 't/bedrock/double.js'), '--port',
                          String(P1), '--extra-ports', String(P2)],
                         { stdio: ['ignore', 'pipe', 'pipe'],
                           env: Object.assign({}, process.env, {
                               DOUBLE_PORT_REGIONS: `${P2}=us-west-2` }) });
    const dlog = fs.createWriteStream(path.join(DIR, 'double.log'));
    double.stdout.pipe(dlog);
    double.stderr.pipe(dlog);

    let up = false;
    for (let i = 0; i < 100 && !up; i++) {
        up = (await request(P1, 'GET', '/__health')).status === 200;
        if (!up) {
            await sleep(100);
        }
    }
    if (!up) {
        throw new Error('the Bedrock double did not start');
    }

    const doubleCpu0 = cpu([double.pid]);
    const t0 = Date.now();
    try {
        /*
         * Each scenario twice: under the load asked for (the double, one
         * Node.js process, is then the bottleneck and its queue is most of
         * every attempt's time), then light (LIGHT clients), where the
         * time a retry adds is the module's own: the backoff.
         */
        let base;
        let light;
        if (ONLY.includes('a')) {
            base = await throttled('', A_SECONDS, CLIENTS, 2000);
            light = await throttled('-light', LIGHT_SECONDS, LIGHT,
                                    BACKOFF + 30);
        }
        if (ONLY.includes('b')) {
            await regionDown('', B_SECONDS, CLIENTS, base, 2000);
            await regionDown('-light', LIGHT_SECONDS, LIGHT, light,
                             BACKOFF + 30);
        }
    } finally {
        agent.destroy();
        if (!process.env.RESIL_KEEP) {
            stopNginx();
        }
        const used = cpu([double.pid]).total - doubleCpu0.total;
        diag(`the double's CPU: ${Math.round(used)} ms in `
             + `${((Date.now() - t0) / 1000).toFixed(1)} s`);
        double.kill('SIGTERM');
    }

    done();
}

main().catch((e) => {
    console.log('not ok - ' + (e.stack || e));
    stopNginx();
    process.exit(1);
});
