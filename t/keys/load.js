#!/usr/bin/env node
'use strict';
/*
 * Client API keys and token budgets across two workers, as a public
 * endpoint meets them: nginx with two workers (reuseport), the Bedrock
 * double, a connection per request.
 *
 *   node t/keys/load.js MODULE.so
 *
 * Prints TAP.  What it shows:
 *   A. a burst: 100 streams at once for a key of 500 tokens a minute,
 *      each spending 50 (the double's usage), after one request that
 *      taught the key's size: the tokens charged exceed the budget by at
 *      most one request per worker (2 x 50), and the budget is used (at
 *      least 450); the rest get 429 rate_limit_exceeded; once charged, the
 *      next request is refused as spent with OpenAI's headers.
 *   B. the day's window: 60 tokens a day; a second request may cross the
 *      budget alone, the third is refused "per day", reset at midnight.
 *   C. concurrency=2: of 10 slow streams at once, 2 answered, 8 refused.
 *   D. reload with a changed key file: a stream in flight on the old key
 *      finishes; the old key is then refused, the new one answered.
 *   E. no key material in the logs: the error log at debug level and the
 *      access log never hold a key that was presented.
 *   F. timing: a wrong key's rejection does not depend on how much of the
 *      stored hash matches: the same key refused by a file whose hash
 *      differs from the key's in its first and in its last hex digit;
 *      the medians of 2000 interleaved requests each are printed and must
 *      be within 10 % of each other.
 *
 * Ports 19890 + 7 (nginx, KEYS_PORT) and + 8 (the double).  Logs:
 * build/keys-load/.
 */
const http = require('http');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { spawn, spawnSync } = require('child_process');
const { ok, diag, done, sleep, workerPids } = require('../lib/tap');

const TOP = path.resolve(__dirname, '../..');
const MODULE = path.resolve(process.argv[2] || 'build/debian/ngx_http_chatcompletions_module.so');
const NGINX = process.env.TEST_NGINX_BINARY || '/usr/sbin/nginx';
const PORT = Number(process.env.KEYS_PORT || 19897);
const DPORT = PORT + 1;
const DIR = path.join(TOP, 'build', 'keys-load');
const TIMING_N = Number(process.env.KEYS_TIMING_N || 2000);

const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');

/* one request on a connection of its own (or the agent given) */
function request(port, method, p, body, headers, agent) {
    return new Promise((resolve) => {
        const started = process.hrtime.bigint();
        const since = () => Number(process.hrtime.bigint() - started) / 1e3;
        const req = http.request({ host: '127.0.0.1', port, method, path: p,
                                   headers: headers || {},
                                   agent: agent || false }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode,
                                          headers: res.headers,
                                          body: Buffer.concat(chunks).toString(),
                                          us: since() }));
            res.on('error', (e) => resolve({ status: 0, body: String(e),
                                            headers: {}, us: since() }));
        });
        req.on('error', (e) => resolve({ status: 0, body: String(e),
                                        headers: {}, us: since() }));
        req.setTimeout(30000, () => req.destroy(new Error('client timeout')));
        if (body) {
            req.write(body);
        }
        req.end();
    });
}

function chat(loc, key, extra) {
    const body = JSON.stringify(Object.assign({
        model: 'amazon.nova-lite-v1:0', stream: true,
        messages: [{ role: 'user', content: 'Hello' }],
    }, extra || {}));
    return request(PORT, 'POST', loc, body,
                   { 'Content-Type': 'application/json',
                     Authorization: `Bearer ${key}` });
}

/* a stream's text and whether it ended as it should */
function complete(r) {
    return r.status === 200 && /"finish_reason":"stop"/.test(r.body)
           && r.body.endsWith('data: [DONE]\n\n');
}

const KEYS = {
    burst: 'sk-keys-burst-0123456789abcdef',
    day: 'sk-keys-day-0123456789abcdef',
    conc: 'sk-keys-conc-0123456789abcdef',
    old: 'sk-keys-old-0123456789abcdef',
    new: 'sk-keys-new-0123456789abcdef',
    wrong: 'sk-keys-wrong-0123456789abcdef',
};

function keyFile(names) {
    const params = { burst: 'tpm=500', day: 'tpd=60', conc: 'concurrency=2',
                     old: '', new: '' };
    return names.map((k) => `${k} ${sha256(KEYS[k])} ${params[k]}`.trim())
                .join('\n') + '\n';
}

/* a hash that differs from the wrong key's in one hex digit */
function nearHash(at) {
    const h = sha256(KEYS.wrong).split('');
    h[at] = h[at] === '0' ? '1' : '0';
    return h.join('');
}

function nginxConf() {
    return `
load_module ${MODULE};
worker_processes 2;
daemon on;
master_process on;
error_log ${DIR}/logs/error.log debug;
pid ${DIR}/logs/nginx.pid;
events { worker_connections 1024; }
http {
    log_format keys '$status $chat_completions_key_name "$http_authorization"';
    access_log ${DIR}/logs/access.log keys;
    server {
        listen 127.0.0.1:${PORT} reuseport;
        chat_completions_access_key_id AKIDEXAMPLE;
        chat_completions_secret_access_key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
        chat_completions_endpoint http://127.0.0.1:${DPORT};
        chat_completions_keepalive_interval 0;
        location = /v1/chat/completions {
            set $scenario "tokens=5; delay=30; usage=40,10";
            chat_completions_api_keys ${DIR}/api_keys;
            chat_completions;
        }
        location = /slow/v1/chat/completions {
            set $scenario "tokens=10; delay=100; usage=40,10";
            chat_completions_api_keys ${DIR}/api_keys;
            chat_completions;
        }
        location = /first/v1/chat/completions {
            set $scenario "tokens=1";
            chat_completions_api_keys ${DIR}/api_keys_first;
            chat_completions;
        }
        location = /last/v1/chat/completions {
            set $scenario "tokens=1";
            chat_completions_api_keys ${DIR}/api_keys_last;
            chat_completions;
        }
        location = /_scenario {
            set $scenario "";
            return 404;
        }
        location = /_bedrock {
            internal;
            proxy_pass http://127.0.0.1:${DPORT}$chat_completions_bedrock_uri;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Double-Scenario $scenario;
            proxy_buffering off;
        }
    }
}
`;
}

function nginx(args) {
    return spawnSync(NGINX, ['-p', DIR, '-c', path.join(DIR, 'nginx.conf'),
                             ...args], { encoding: 'utf8' });
}

function readLog(name) {
    try {
        return fs.readFileSync(path.join(DIR, 'logs', name), 'utf8');
    } catch (e) {
        return '';
    }
}

/* a burst within one minute's window: wait for a minute's start */
async function minuteStart() {
    const s = new Date().getUTCSeconds();
    if (s > 40) {
        await sleep((61 - s) * 1000);
    }
}

/* the workers serving (not those of the old configuration, shutting down) */
function serving() {
    return workerPids(path.join(DIR, 'logs', 'nginx.pid')).filter((p) => {
        try {
            return /worker process$/.test(fs.readFileSync(`/proc/${p}/cmdline`,
                                                          'utf8')
                                            .replace(/\0/g, ' ').trim());
        } catch (e) {
            return false;
        }
    });
}

async function reloaded(pidsBefore) {
    for (let i = 0; i < 100; i++) {
        await sleep(100);
        const now = serving();
        if (now.length === 2 && now.every((p) => !pidsBefore.includes(p))) {
            return true;
        }
    }
    return false;
}

async function burst() {
    await minuteStart();

    /* the key's size is learnt from its first request */
    const first = await chat('/v1/chat/completions', KEYS.burst);
    ok(complete(first), 'A: the first request of the key is answered',
       first.body.slice(0, 300));
    await sleep(200);

    const rs = await Promise.all(Array.from({ length: 100 },
        () => chat('/v1/chat/completions', KEYS.burst)));
    const answered = rs.filter(complete).length;
    const refused = rs.filter((r) => r.status === 429
        && /"code":"rate_limit_exceeded"/.test(r.body)).length;
    const charged = (answered + 1) * 50;
    diag(`A: burst of 100: ${answered} answered, ${refused} refused; `
         + `${charged} tokens charged of a 500 budget`);
    ok(answered + refused === 100, 'A: every request answered or refused',
       rs.filter((r) => !complete(r) && r.status !== 429)
         .map((r) => `${r.status} ${r.body.slice(0, 200)}`).slice(0, 3));
    ok(charged <= 500 + 2 * 50,
       'A: overspend at most one request per worker', charged);
    ok(charged >= 450, 'A: the budget is used, not refused early', charged);

    await sleep(200);
    const spent = await chat('/v1/chat/completions', KEYS.burst);
    ok(spent.status === 429
       && spent.headers['x-ratelimit-limit-tokens'] === '500'
       && spent.headers['x-ratelimit-remaining-tokens'] === '0'
       && /^\d+s$/.test(spent.headers['x-ratelimit-reset-tokens'])
       && /^\d+$/.test(spent.headers['retry-after'])
       && new RegExp(`"message":"Rate limit reached for tokens per min: `
                     + `Limit 500, Used ${charged}\\. Please try again in `
                     + `\\d+s\\.","type":"tokens","param":null,`
                     + `"code":"rate_limit_exceeded"`).test(spent.body),
       'A: once charged, the key is spent: 429 with OpenAI\'s headers',
       { status: spent.status, headers: spent.headers, body: spent.body });
}

async function day() {
    /* a request is charged in the log phase, after the client has read
     * its last chunk: a moment for it before the next */
    const a = await chat('/v1/chat/completions', KEYS.day);
    await sleep(200);
    const b = await chat('/v1/chat/completions', KEYS.day);
    await sleep(200);
    const c = await chat('/v1/chat/completions', KEYS.day);
    const left = 86400 - Math.floor(Date.now() / 1000) % 86400;
    ok(complete(a) && complete(b),
       'B: 60 a day: the second request crosses the budget alone',
       [a.status, b.status, b.body.slice(0, 200)]);
    const reset = Number((c.headers['x-ratelimit-reset-tokens'] || '')
                         .replace(/s$/, ''));
    ok(c.status === 429
       && /Rate limit reached for tokens per day: Limit 60, Used 100\./
              .test(c.body)
       && Math.abs(reset - left) <= 2
       && c.headers['retry-after'] === String(reset),
       'B: the third is refused per day, reset at midnight (UTC)',
       { status: c.status, headers: c.headers, body: c.body, left });
}

async function concurrency() {
    const rs = await Promise.all(Array.from({ length: 10 },
        () => chat('/slow/v1/chat/completions', KEYS.conc)));
    const answered = rs.filter(complete).length;
    const refused = rs.filter((r) => r.status === 429
        && /Rate limit reached for concurrent requests: Limit 2\./
               .test(r.body)).length;
    ok(answered === 2 && refused === 8,
       'C: concurrency=2: 2 of 10 streams at once answered, 8 refused',
       { answered, refused });
}

async function reload() {
    const inflight = chat('/slow/v1/chat/completions', KEYS.old);
    await sleep(300);
    fs.writeFileSync(path.join(DIR, 'api_keys'),
                     keyFile(['burst', 'day', 'conc', 'new']));
    const before = serving();
    const r = nginx(['-s', 'reload']);
    ok(r.status === 0, 'D: nginx -s reload', r.stderr);
    ok(await reloaded(before), 'D: new workers started');
    const oldKey = await chat('/v1/chat/completions', KEYS.old);
    const newKey = await chat('/v1/chat/completions', KEYS.new);
    const s = await inflight;
    ok(complete(s) && (s.body.match(/"content":" ?tok\d+"/g) || []).length === 10,
       'D: the stream in flight on the old key finishes', s.body.slice(-300));
    ok(oldKey.status === 401 && /"code":"invalid_api_key"/.test(oldKey.body),
       'D: after the reload the old key is refused', oldKey.body);
    ok(complete(newKey), 'D: and the new one answered', newKey.body);
}

/*
 * nginx's own debug log prints each request header as it is parsed, the
 * key with it (http header: "Authorization: Bearer ..."), before any
 * module runs; after it no line may hold a key: the module overwrote it.
 */
function noKeyMaterial() {
    const error = readLog('error.log');
    const access = readLog('access.log');
    ok(/\[debug\]/.test(error), 'E: the error log is at debug');
    const lines = (error + access).split('\n');
    const found = Object.entries(KEYS).filter(([, k]) => lines.some((l) =>
        (l.includes(k) || l.includes(k.slice(3, 19)))
        && !/ http header: "Authorization: Bearer /.test(l)));
    ok(found.length === 0,
       'E: no key presented appears in any log line but nginx\'s parse',
       found.map(([name]) => name));
    ok(/^401 - "Bearer \*{30}"$/m.test(access)
       && /^200 burst "Bearer \*{30}"$/m.test(access),
       'E: $http_authorization in the access log: the key overwritten',
       access.split('\n').slice(0, 3));
}


function median(v) {
    const s = [...v].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

async function timing() {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const body = JSON.stringify({ model: 'amazon.nova-lite-v1:0',
                                  messages: [{ role: 'user', content: 'Hi' }] });
    const hdr = { 'Content-Type': 'application/json',
                  Authorization: `Bearer ${KEYS.wrong}` };
    const t = { first: [], last: [] };
    let bad = 0;
    for (let i = 0; i < TIMING_N; i++) {
        for (const w of (i % 2 ? ['first', 'last'] : ['last', 'first'])) {
            const r = await request(PORT, 'POST', `/${w}/v1/chat/completions`,
                                    body, hdr, agent);
            if (r.status !== 401) {
                bad++;
            }
            t[w].push(r.us);
        }
    }
    agent.destroy();
    ok(bad === 0, 'F: every wrong key refused with 401', bad);
    const m0 = median(t.first);
    const m63 = median(t.last);
    diag(`F: wrong key, stored hash differing in its first hex digit: `
         + `median ${m0.toFixed(1)} us; in its last (63 of 64 match): `
         + `${m63.toFixed(1)} us; difference `
         + `${(m63 - m0).toFixed(1)} us (${TIMING_N} requests each)`);
    ok(Math.abs(m63 - m0) <= 0.1 * Math.min(m0, m63),
       'F: the rejection time does not depend on the matching prefix',
       { m0, m63 });
}

async function main() {
    fs.rmSync(DIR, { recursive: true, force: true });
    fs.mkdirSync(path.join(DIR, 'logs'), { recursive: true });
    fs.writeFileSync(path.join(DIR, 'api_keys'),
                     keyFile(['burst', 'day', 'conc', 'old']));
    fs.writeFileSync(path.join(DIR, 'api_keys_first'),
                     `near ${nearHash(0)}\n`);
    fs.writeFileSync(path.join(DIR, 'api_keys_last'),
                     `near ${nearHash(63)}\n`);
    fs.writeFileSync(path.join(DIR, 'nginx.conf'), nginxConf());

    const dbl = spawn(process.execPath,
                      [path.join(TOP, 't/bedrock/double.js'), '--port',
                       String(DPORT)],
                      { stdio: ['ignore', fs.openSync(path.join(DIR, 'logs',
                                                        'double.log'), 'w'),
                                'inherit'] });
    try {
        for (let i = 0; i < 100; i++) {
            const h = await request(DPORT, 'GET', '/__health');
            if (h.status === 200) {
                break;
            }
            await sleep(100);
        }
        const r = nginx([]);
        if (r.status !== 0) {
            throw new Error('nginx did not start: ' + r.stderr);
        }
        await sleep(200);

        await burst();
        await day();
        await concurrency();
        await reload();
        await timing();
        noKeyMaterial();
    } finally {
        nginx(['-s', 'stop']);
        dbl.kill();
    }

    done();
}

main().catch((e) => {
    console.log(`not ok - ${e.stack}`);
    nginx(['-s', 'stop']);
    process.exit(1);
});
