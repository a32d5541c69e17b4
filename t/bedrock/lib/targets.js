'use strict';
/*
 * Several Bedrock targets in one double (see README.md, "Targets"):
 *
 *   listeners   every host of --hosts / DOUBLE_HOST times every port of
 *               --port and --extra-ports / DOUBLE_EXTRA_PORTS; each one a
 *               net.Server that hands its connections to the double's one
 *               http.Server, so every target serves everything (one state).
 *               POST /__targets takes a listener down (connections
 *               refused) and up again.
 *   regions     DOUBLE_ANY_REGION=1: any credential scope region;
 *               DOUBLE_PORT_REGIONS: a region per port.
 *   scenario    "@PORT.key=value", "@ADDR.key=value", "@ADDR:PORT.key=value"
 *               apply to the requests received there only;
 *               fail_first, fail_status, fail_mode, fail_delay, counter,
 *               counter_scope, first_delay_first script attempts.
 *   records     each /__requests entry: port, local_address, remote_port,
 *               region, received_at, headers_at, first_frame_at, ended_at,
 *               closed_at, closed_by, aborted, and attempt/counter.
 *   clock       GET /__now: performance.timeOrigin + performance.now().
 *   DNS         --dns-port / DOUBLE_DNS_PORT: lib/dns.js in this process,
 *               controlled by /__dns on every listener.
 *
 * double.js calls: createTargets(), stamp()/observe() per request,
 * route(), scenarioFor(), verifyConfig(), turn(), drop(), reset(),
 * listen(), close().
 */
const net = require('net');
const scenario = require('./scenario');
const { createDns, parseNames, parseTtl } = require('./dns');

const STAMP = Symbol('targets.stamp');
const DROPPED = Symbol('targets.dropped');   /* the double closed it */
const FAIL_MODES = ['status', 'reset', 'close', 'stall'];

function now() {
    return performance.timeOrigin + performance.now();
}

/* ------------------------------------------------------ scenario keys */

scenario.extend({
    num: ['fail_first', 'first_delay_first', 'fail_delay'],
    str: ['fail_status', 'fail_mode', 'counter', 'counter_scope'],
    check(sc, errors) {
        for (const k of ['fail_status', 'fail_mode', 'fail_delay']) {
            if (sc[k] !== undefined && sc.fail_first === undefined) {
                errors.push(`${k}= needs fail_first=`);
            }
        }
        if (sc.fail_mode === 'refuse') {
            errors.push('fail_mode=refuse cannot be done by a listening '
                        + 'port: point the target at a closed port, or take '
                        + 'the listener down with POST /__targets');
        } else if (sc.fail_mode !== undefined
                   && !FAIL_MODES.includes(sc.fail_mode)) {
            errors.push(`fail_mode= wants ${FAIL_MODES.join(', ')}, got "`
                        + `${sc.fail_mode}"`);
        }
        if (sc.fail_status !== undefined && !scenario.ERRORS[sc.fail_status]
            && sc.http === undefined) {
            errors.push(`unknown fail_status "${sc.fail_status}" (give `
                        + 'http=NNN for a custom error name)');
        }
        if (sc.fail_status !== undefined && sc.fail_mode !== undefined
            && sc.fail_mode !== 'status') {
            errors.push('fail_status= goes with fail_mode=status only');
        }
        if (sc.first_delay_first !== undefined
            && sc.first_delay === undefined) {
            errors.push('first_delay_first= needs first_delay=');
        }
        if (sc.counter_scope !== undefined && sc.counter_scope !== 'port'
            && sc.counter_scope !== 'global') {
            errors.push('counter_scope= wants port or global');
        }
        if (sc.counter !== undefined && sc.counter === '') {
            errors.push('counter= wants a name');
        }
    },
});

/*
 * The scenario as seen on one listener: "@SEL.key=value" parts whose
 * selector names this listener become "key=value", placed after the plain
 * parts (the last value of a key wins), by precedence: @ADDR, then @PORT,
 * then @ADDR:PORT.  Parts for other listeners are dropped; a part whose
 * key is unknown, or an "@" part that does not parse, is kept as it is, so
 * that the parser reports it on every listener.
 */
const SELECTOR = /^@(?:(\d{1,3}(?:\.\d{1,3}){3})(?::(\d+))?|(\d+))\.(.*)$/s;

function scenarioFor(text, local) {
    if (text === null || text === undefined || !/@/.test(text)) {
        return text;
    }
    const plain = [];
    const tiers = [[], [], []];
    for (const part of String(text).split(';')) {
        const t = part.trim();
        if (t[0] !== '@') {
            plain.push(part);
            continue;
        }
        const m = SELECTOR.exec(t);
        const rest = m ? m[4] : '';
        const eq = rest.indexOf('=');
        const key = (eq < 0 ? rest : rest.slice(0, eq)).trim().toLowerCase();
        if (!m || !scenario.isKey(key)) {
            plain.push(part);
            continue;
        }
        const addr = m[1];
        const port = m[2] !== undefined ? Number(m[2])
            : m[3] !== undefined ? Number(m[3]) : undefined;
        if (addr !== undefined && addr !== local.address) {
            continue;
        }
        if (port !== undefined && port !== local.port) {
            continue;
        }
        tiers[addr !== undefined && port !== undefined ? 2
              : port !== undefined ? 1 : 0].push(rest);
    }
    return plain.concat(tiers[0], tiers[1], tiers[2]).join(';');
}

/* ------------------------------------------------------------ config */

function option(argv, name) {
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === name) {
            return argv[i + 1];
        }
        if (argv[i].startsWith(name + '=')) {
            return argv[i].slice(name.length + 1);
        }
    }
    return undefined;
}

function listOf(text) {
    return String(text).split(',').map((s) => s.trim()).filter(Boolean);
}

function portOf(text, what) {
    if (!/^\d+$/.test(String(text)) || Number(text) > 65535) {
        throw new Error(`${what}: "${text}" is not a port`);
    }
    return Number(text);
}

/* From the environment and the command line; throws on a bad value */
function config(env, argv) {
    env = env || process.env;
    argv = argv || [];
    const pick = (flag, name) => {
        const v = option(argv, flag);
        return v !== undefined ? v : env[name];
    };
    const out = {};

    const hosts = pick('--hosts', 'DOUBLE_HOST');
    out.hosts = hosts ? listOf(hosts) : ['127.0.0.1'];
    for (const h of out.hosts) {
        if (!net.isIP(h) && h !== 'localhost') {
            throw new Error(`hosts: "${h}" is not an IP address`);
        }
    }
    if (out.hosts.length === 0) {
        throw new Error('hosts: empty list');
    }
    out.host = out.hosts[0];

    const extra = pick('--extra-ports', 'DOUBLE_EXTRA_PORTS');
    out.extraPorts = extra ? listOf(extra).map((p) => portOf(p, 'extra ports'))
                           : [];

    const any = argv.includes('--any-region') ? '1' : env.DOUBLE_ANY_REGION;
    out.anyRegion = any === '1' || any === 'true';

    out.portRegions = {};
    const pr = pick('--port-regions', 'DOUBLE_PORT_REGIONS');
    for (const pair of pr ? listOf(pr) : []) {
        const m = /^(\d+)=([a-z0-9-]+)$/.exec(pair);
        if (!m) {
            throw new Error(`port regions: "${pair}" is not PORT=region`);
        }
        out.portRegions[portOf(m[1], 'port regions')] = m[2];
    }

    const dnsPort = pick('--dns-port', 'DOUBLE_DNS_PORT');
    if (dnsPort !== undefined && dnsPort !== '') {
        const ttl = pick('--dns-ttl', 'DOUBLE_DNS_TTL');
        out.dns = {
            port: portOf(dnsPort, 'dns port'),
            host: env.DOUBLE_DNS_HOST || '127.0.0.1',
            ttl: ttl === undefined ? 1 : parseTtl(ttl, 'dns ttl'),
            names: parseNames(pick('--dns-names', 'DOUBLE_DNS_NAMES')),
        };
    } else {
        out.dns = null;
    }
    return out;
}

/* ----------------------------------------------------------- targets */

/*
 * cfg: the double's configuration (port, quiet, ...) with the fields of
 * config() above; missing ones are taken from the environment.
 * server: the double's http.Server.
 */
function createTargets(cfg, server) {
    const defaults = config(process.env, []);
    for (const k of Object.keys(defaults)) {
        if (cfg[k] === undefined) {
            cfg[k] = defaults[k];
        }
    }
    const counters = new Map();
    const listeners = [];
    let dns = null;
    if (cfg.dns) {
        dns = createDns(Object.assign({}, cfg.dns, {
            log: (line) => {
                if (!cfg.quiet) {
                    process.stdout.write(line + '\n');
                }
            },
        }));
    }

    /* where and when a request arrived: before the double's handler */
    server.prependListener('request', (req) => {
        const s = req.socket;
        req[STAMP] = { at: now(), port: s.localPort,
                       address: s.localAddress, remote_port: s.remotePort };
    });

    function local(req) {
        return req[STAMP] || { at: now(), port: req.socket.localPort,
                               address: req.socket.localAddress,
                               remote_port: req.socket.remotePort };
    }

    /* the fields of a /__requests entry; called once the entry exists */
    function observe(req, res, entry) {
        const l = local(req);
        entry.port = l.port;
        entry.local_address = l.address;
        entry.remote_port = l.remote_port;
        const m = /Credential=[^/,\s]*\/\d{8}\/([^/,\s]*)\//
            .exec(req.headers.authorization || '');
        entry.region = m ? m[1] : null;
        entry.received_at = l.at;
        entry.headers_at = null;
        entry.first_frame_at = null;
        entry.ended_at = null;
        entry.closed_at = null;
        entry.closed_by = null;
        if (entry.aborted === undefined) {
            entry.aborted = false;
        }
        const writeHead = res.writeHead;
        res.writeHead = function (...args) {
            if (entry.headers_at === null) {
                entry.headers_at = now();
            }
            return writeHead.apply(this, args);
        };
        const write = res.write;
        res.write = function (chunk, ...args) {
            if (entry.first_frame_at === null && res.statusCode === 200
                && entry.operation === 'converse-stream'
                && chunk && chunk.length) {
                entry.first_frame_at = now();
            }
            return write.call(this, chunk, ...args);
        };
        res.on('finish', () => { entry.ended_at = now(); });
        res.on('close', () => {
            if (!res.writableFinished) {
                entry.closed_at = now();
                entry.aborted = true;
                entry.closed_by = entry[DROPPED]
                    || /^truncated/.test(entry.note || '') ? 'double'
                                                           : 'client';
            }
        });
    }

    /* the end of a request's log line: where it was received, when the
     * double listens on more than one address or port */
    function logTag(entry) {
        if (cfg.hosts.length + cfg.extraPorts.length < 2
            || entry.port === undefined) {
            return '';
        }
        return ` @${entry.local_address}:${entry.port}`;
    }

    /* the configuration sigv4.verify() gets for this request */
    function verifyConfig(req) {
        const port = local(req).port;
        const region = cfg.portRegions[port];
        if (region !== undefined) {
            return Object.assign({}, cfg, { region });
        }
        return cfg.anyRegion ? Object.assign({}, cfg, { region: null }) : cfg;
    }

    function scenarioText(text, req) {
        return scenarioFor(text, local(req));
    }

    /*
     * Counts the attempt when the scenario asks for it; returns { sc } to
     * answer (maybe turned into a failure or without its first_delay), or
     * { sc, drop } when the connection is to be dropped.
     */
    function turn(sc, rawText, entry, req) {
        if (sc.fail_first === undefined && sc.first_delay_first === undefined
            && sc.counter === undefined) {
            return { sc };
        }
        const name = sc.counter !== undefined ? sc.counter : rawText;
        const global = sc.counter_scope === 'global';
        const key = JSON.stringify([global ? null : local(req).port, name]);
        const n = (counters.get(key) || 0) + 1;
        counters.set(key, n);
        entry.counter = sc.counter !== undefined ? sc.counter : null;
        entry.counter_scope = global ? 'global' : 'port';
        entry.attempt = n;

        let out = sc;
        if (sc.first_delay_first !== undefined && n > sc.first_delay_first) {
            out = Object.assign({}, out);
            delete out.first_delay;
        }
        if (sc.fail_first === undefined || n > sc.fail_first) {
            return { sc: out };
        }
        const mode = sc.fail_mode || 'status';
        entry.note = `fail_first: attempt ${n} of ${sc.fail_first} `
            + (mode === 'status' ? 'fails' : mode === 'stall' ? 'stalls'
               : `${mode === 'reset' ? 'reset' : 'closed'} without an answer`);
        if (mode === 'status') {
            return { sc: Object.assign({}, out, {
                status: sc.fail_status || 'ThrottlingException',
                message: undefined,
                header_delay: sc.fail_delay || 0,
            }) };
        }
        return { sc: out, drop: mode, delay: sc.fail_delay || 0 };
    }

    /* fail_mode reset, close, stall: no answer at all */
    function drop(req, res, entry, t) {
        const sock = req.socket;
        let timer = null;
        const go = () => {
            timer = null;
            if (res.writableEnded || !sock || sock.destroyed) {
                return;
            }
            if (t.drop === 'stall') {
                return;             /* held until the peer goes */
            }
            entry[DROPPED] = true;
            if (t.drop === 'reset') {
                sock.resetAndDestroy();
            } else {
                sock.destroy();
            }
        };
        if (t.delay) {
            timer = setTimeout(go, t.delay);
            res.on('close', () => timer && clearTimeout(timer));
        } else {
            go();
        }
    }

    /* -------------------------------------------------- listeners */

    function startListener(l) {
        return new Promise((resolve, reject) => {
            const srv = net.createServer((sock) => {
                l.sockets.add(sock);
                sock.on('close', () => l.sockets.delete(sock));
                server.emit('connection', sock);
            });
            srv.once('error', reject);
            srv.listen(l.port, l.host, () => {
                srv.removeListener('error', reject);
                l.port = srv.address().port;
                l.server = srv;
                l.up = true;
                resolve(l);
            });
        });
    }

    function stopListener(l, dropConnections, keep) {
        return new Promise((resolve) => {
            l.up = false;
            if (dropConnections) {
                for (const s of l.sockets) {
                    if (s !== keep) {
                        s.destroy();
                    }
                }
            }
            const srv = l.server;
            l.server = null;
            if (!srv) {
                return resolve();
            }
            srv.close(() => resolve());
        });
    }

    /* every host x (port, extra ports); a port 0 is chosen on the first
     * host and reused on the others */
    async function listen() {
        const ports = [cfg.port].concat(cfg.extraPorts);
        for (const p of ports) {
            let chosen = p;
            for (const host of cfg.hosts) {
                const l = await startListener({ host, port: chosen,
                                                server: null, up: false,
                                                sockets: new Set() });
                listeners.push(l);
                chosen = l.port;
            }
        }
        let dnsAddress = null;
        if (dns) {
            dnsAddress = await new Promise((resolve, reject) => {
                dns.listen((e, a) => (e ? reject(e) : resolve(a)));
            });
        }
        return { listeners: listeners.map((l) => ({ host: l.host,
                                                    port: l.port })),
                 dns: dnsAddress };
    }

    function close() {
        for (const l of listeners) {
            stopListener(l, true);
        }
        if (dns) {
            dns.close();
        }
    }

    async function reset() {
        counters.clear();
        for (const l of listeners) {
            if (!l.up) {
                await startListener(l);
            }
        }
    }

    function snapshot() {
        const c = {};
        for (const [k, v] of counters) {
            const [port, name] = JSON.parse(k);
            c[(port === null ? 'global' : port) + ' ' + name] = v;
        }
        return {
            listeners: listeners.map((l) => ({
                host: l.host, port: l.port, up: l.up,
                connections: l.sockets.size })),
            any_region: cfg.anyRegion,
            region: cfg.region,
            port_regions: cfg.portRegions,
            counters: c,
            dns: dns ? { host: cfg.dns.host,
                         port: dns.snapshot().port } : null,
        };
    }

    function sendJson(res, status, obj) {
        const body = Buffer.from(JSON.stringify(obj));
        res.writeHead(status, { 'Content-Type': 'application/json',
                                'Content-Length': body.length });
        res.end(body);
    }

    function readJson(req) {
        return new Promise((resolve) => {
            const chunks = [];
            req.on('data', (c) => chunks.push(c));
            req.on('end', () => {
                try {
                    resolve({ ok: true, value: JSON.parse(
                        Buffer.concat(chunks).toString('utf8') || '{}') });
                } catch (e) {
                    resolve({ ok: false });
                }
            });
        });
    }

    /* POST /__targets {"port":N, "host":"127.0.0.2"?, "up":bool,
     * "drop":bool?} */
    async function control(req, res) {
        const b = await readJson(req);
        const v = b.value;
        if (!b.ok || v === null || typeof v !== 'object' || Array.isArray(v)) {
            return sendJson(res, 400, { message: 'body is not a JSON object' });
        }
        for (const k of Object.keys(v)) {
            if (!['port', 'host', 'up', 'drop'].includes(k)) {
                return sendJson(res, 400, { message: `unknown key "${k}"` });
            }
        }
        if (!Number.isInteger(v.port) || typeof v.up !== 'boolean'
            || (v.host !== undefined && typeof v.host !== 'string')
            || (v.drop !== undefined && typeof v.drop !== 'boolean')) {
            return sendJson(res, 400, { message: 'want {"port":N, "up":'
                + 'true|false, "host":"addr" (optional), "drop":true|false '
                + '(optional, default true)}' });
        }
        const chosen = listeners.filter((l) => l.port === v.port
            && (v.host === undefined || l.host === v.host));
        if (chosen.length === 0) {
            return sendJson(res, 404, { message: 'no such listener' });
        }
        try {
            for (const l of chosen) {
                if (v.up && !l.up) {
                    await startListener(l);
                } else if (!v.up && l.up) {
                    await stopListener(l, v.drop !== false, req.socket);
                }
            }
        } catch (e) {
            return sendJson(res, 500, { message: e.message });
        }
        if (!cfg.quiet) {
            process.stdout.write(`TARGET ${v.host || '*'}:${v.port} `
                                 + `${v.up ? 'up' : 'down'}\n`);
        }
        return sendJson(res, 200, snapshot());
    }

    /* the control routes; true when it answered */
    function route(req, res, path) {
        if (path === '/__now' && req.method === 'GET') {
            sendJson(res, 200, { now: now() });
            return true;
        }
        if (path === '/__targets') {
            if (req.method === 'GET') {
                sendJson(res, 200, snapshot());
            } else if (req.method === 'POST') {
                control(req, res).catch((e) => sendJson(res, 500,
                                                        { message: e.message }));
            } else {
                sendJson(res, 405, { message: 'Method Not Allowed' });
            }
            return true;
        }
        if (path === '/__dns' || path === '/__dns/reset') {
            if (!dns) {
                sendJson(res, 404, { message: 'no DNS double: start the '
                                     + 'double with --dns-port N' });
                return true;
            }
            return dns.route(req, res, path);
        }
        return false;
    }

    return { observe, logTag, verifyConfig, scenarioText, turn, drop, route, listen,
             close, reset, snapshot, dns, now };
}

module.exports = { createTargets, config, scenarioFor, now };
