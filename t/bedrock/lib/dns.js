'use strict';
/*
 * A DNS double (see README.md, "DNS double"): an authoritative-looking
 * server on UDP for a few configured names, so that a resolver (nginx's
 * `resolver`, c-ares in Node) can be pointed at it and the answers changed
 * while a test runs.
 *
 *   A      the configured IPv4 addresses, with the name's TTL
 *   AAAA   and any other type: NOERROR with no records (NODATA)
 *   an unknown name: NXDOMAIN
 *
 * The wire format is written by hand (RFC 1035 section 4): a header, the
 * question copied as received, the answers named by a compression pointer
 * to the question's name (0xC00C).  No EDNS, no TCP, no SOA in negative
 * answers (a caching resolver then does not cache them).
 *
 * Control, through HTTP (the Bedrock double's port or dns.js's control
 * port): GET /__dns, POST /__dns, POST /__dns/reset; see README.md.
 */
const dgram = require('dgram');
const net = require('net');

const TYPES = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX',
                16: 'TXT', 28: 'AAAA', 33: 'SRV', 65: 'HTTPS', 255: 'ANY' };
const RCODE = { noerror: 0, formerr: 1, servfail: 2, nxdomain: 3, notimp: 4,
                refused: 5 };
const FAULTS = ['servfail', 'refused', 'nxdomain', 'drop'];
const RECORD_KEYS = ['name', 'a', 'ttl', 'fault', 'delay_ms', 'delete'];

function now() {
    return performance.timeOrigin + performance.now();
}

function canonical(name) {
    return String(name).toLowerCase().replace(/\.$/, '');
}

/* "name=ip+ip,name2=ip" (DOUBLE_DNS_NAMES, --name) */
function parseNames(text) {
    const out = [];
    for (const item of String(text || '').split(',')) {
        const s = item.trim();
        if (s === '') {
            continue;
        }
        const eq = s.indexOf('=');
        if (eq <= 0) {
            throw new Error(`DNS name "${s}" is not name=address[+address]`);
        }
        out.push({ name: s.slice(0, eq).trim(),
                   a: s.slice(eq + 1).split('+').map((x) => x.trim())
                       .filter(Boolean) });
    }
    return out;
}

function parseTtl(text, what) {
    if (!/^\d+$/.test(String(text)) || Number(text) > 0x7fffffff) {
        throw new Error(`${what} must be a number of seconds, not "${text}"`);
    }
    return Number(text);
}

/* Checks one record of POST /__dns (or of the start-up list); returns an
 * error string or null. */
function checkRecord(r) {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
        return 'a record is a JSON object';
    }
    for (const k of Object.keys(r)) {
        if (!RECORD_KEYS.includes(k)) {
            return `unknown key "${k}" (known: ${RECORD_KEYS.join(', ')})`;
        }
    }
    if (typeof r.name !== 'string' || canonical(r.name) === ''
        || !/^[a-z0-9_.-]+$/.test(canonical(r.name))
        || canonical(r.name).split('.').some((l) => l === '' || l.length > 63))
    {
        return `"name" must be a host name, not ${JSON.stringify(r.name)}`;
    }
    if (r.delete !== undefined) {
        if (r.delete !== true || Object.keys(r).length !== 2) {
            return '"delete" is true, with "name" only';
        }
        return null;
    }
    if (!Array.isArray(r.a) || r.a.some((x) => !net.isIPv4(x))) {
        return `"a" must be a list of IPv4 addresses (may be empty), not `
            + JSON.stringify(r.a);
    }
    if (r.ttl !== undefined && (!Number.isInteger(r.ttl) || r.ttl < 0
                                || r.ttl > 0x7fffffff)) {
        return '"ttl" must be an integer number of seconds >= 0';
    }
    if (r.fault !== undefined && r.fault !== null
        && !FAULTS.includes(r.fault)) {
        return `"fault" must be null or one of ${FAULTS.join(', ')}`;
    }
    if (r.delay_ms !== undefined && (!Number.isInteger(r.delay_ms)
                                     || r.delay_ms < 0)) {
        return '"delay_ms" must be an integer >= 0';
    }
    return null;
}

/* The question of a query: { id, rd, name, qtype, qclass, end } or
 * { error: rcode } */
function parseQuery(msg) {
    if (msg.length < 12) {
        return null;                        /* not even a header: ignored */
    }
    const id = msg.readUInt16BE(0);
    const flags = msg.readUInt16BE(2);
    const rd = (flags >> 8) & 1;
    if (flags & 0x8000) {
        return null;                        /* a response: ignored */
    }
    if (((flags >> 11) & 0xf) !== 0) {
        return { id, rd, error: RCODE.notimp };
    }
    if (msg.readUInt16BE(4) !== 1) {
        return { id, rd, error: RCODE.formerr };
    }
    const labels = [];
    let o = 12;
    for (;;) {
        if (o >= msg.length) {
            return { id, rd, error: RCODE.formerr };
        }
        const len = msg[o];
        if (len === 0) {
            o++;
            break;
        }
        if (len > 63 || o + 1 + len > msg.length) {
            return { id, rd, error: RCODE.formerr };  /* or a pointer */
        }
        labels.push(msg.toString('latin1', o + 1, o + 1 + len));
        o += 1 + len;
    }
    if (o + 4 > msg.length) {
        return { id, rd, error: RCODE.formerr };
    }
    return { id, rd, name: labels.join('.'), qtype: msg.readUInt16BE(o),
             qclass: msg.readUInt16BE(o + 2), end: o + 4 };
}

/* The answer to a parsed query: the question bytes copied from `msg` */
function buildAnswer(msg, q, rcode, addrs, ttl) {
    const question = q.end ? msg.subarray(12, q.end) : Buffer.alloc(0);
    const head = Buffer.alloc(12);
    head.writeUInt16BE(q.id, 0);
    /* QR, opcode 0, AA, RD as asked, RA, the rcode */
    head.writeUInt16BE(0x8000 | 0x0400 | (q.rd << 8) | 0x0080 | rcode, 2);
    head.writeUInt16BE(q.end ? 1 : 0, 4);
    head.writeUInt16BE(addrs.length, 6);
    const answers = addrs.map((ip) => {
        const rr = Buffer.alloc(16);
        rr.writeUInt16BE(0xc00c, 0);        /* the question's name */
        rr.writeUInt16BE(1, 2);             /* A */
        rr.writeUInt16BE(1, 4);             /* IN */
        rr.writeUInt32BE(ttl, 6);
        rr.writeUInt16BE(4, 10);
        ip.split('.').forEach((b, i) => { rr[12 + i] = Number(b); });
        return rr;
    });
    return Buffer.concat([head, question, ...answers]);
}

/*
 * opts: { port, host (default 127.0.0.1), ttl (default 1), names:
 *         [{name, a, ttl?, fault?, delay_ms?}], log(line) }
 */
function createDns(opts) {
    opts = opts || {};
    const host = opts.host || '127.0.0.1';
    const defaultTtl = opts.ttl === undefined ? 1 : opts.ttl;
    const initial = (opts.names || []).map((r) => Object.assign({}, r));
    for (const r of initial) {
        const err = checkRecord(r);
        if (err) {
            throw new Error('DNS name: ' + err);
        }
    }
    const names = new Map();
    const queries = new Map();
    let total = 0;
    let socket = null;
    const timers = new Set();

    function set(r) {
        const key = canonical(r.name);
        if (r.delete) {
            names.delete(key);
            return;
        }
        names.set(key, {
            a: r.a.slice(),
            ttl: r.ttl === undefined ? defaultTtl : r.ttl,
            fault: r.fault || null,
            delay_ms: r.delay_ms || 0,
        });
    }

    function reset() {
        names.clear();
        queries.clear();
        total = 0;
        initial.forEach(set);
    }
    reset();

    function count(name, qtype) {
        const key = canonical(name);
        let c = queries.get(key);
        if (!c) {
            c = { total: 0 };
            queries.set(key, c);
        }
        const t = TYPES[qtype] || String(qtype);
        c[t] = (c[t] || 0) + 1;
        c.total++;
        c.last_at = now();
        total++;
    }

    function answer(msg, rinfo) {
        const q = parseQuery(msg);
        if (!q) {
            return;
        }
        const reply = (buf) => {
            if (socket) {
                socket.send(buf, rinfo.port, rinfo.address);
            }
        };
        if (q.error !== undefined) {
            return reply(buildAnswer(msg, q, q.error, [], 0));
        }
        count(q.name, q.qtype);
        const rec = names.get(canonical(q.name));
        let rcode = RCODE.noerror;
        let addrs = [];
        let note;
        if (!rec) {
            rcode = RCODE.nxdomain;
            note = 'NXDOMAIN';
        } else if (rec.fault === 'drop') {
            note = 'dropped';
        } else if (rec.fault) {
            rcode = RCODE[rec.fault];
            note = rec.fault.toUpperCase();
        } else if (q.qclass !== 1 && q.qclass !== 255) {
            note = 'NODATA (class)';
        } else if (q.qtype === 1) {
            addrs = rec.a;
            note = addrs.length ? addrs.join(',') : 'NODATA';
        } else {
            note = 'NODATA';
        }
        if (opts.log) {
            opts.log(`DNS ${TYPES[q.qtype] || q.qtype} ${q.name} ${note}`
                     + (rec && addrs.length ? ` ttl=${rec.ttl}` : ''));
        }
        if (rec && rec.fault === 'drop') {
            return;
        }
        const buf = buildAnswer(msg, q, rcode, addrs, rec ? rec.ttl : 0);
        if (rec && rec.delay_ms) {
            const t = setTimeout(() => { timers.delete(t); reply(buf); },
                                 rec.delay_ms);
            timers.add(t);
        } else {
            reply(buf);
        }
    }

    function listen(cb) {
        socket = dgram.createSocket('udp4');
        socket.on('message', answer);
        socket.once('error', (e) => cb(e));
        socket.bind(opts.port || 0, host, () => {
            socket.removeAllListeners('error');
            socket.on('error', (e) => {
                process.stderr.write('dns double: ' + e.message + '\n');
            });
            cb(null, socket.address());
        });
    }

    function close() {
        for (const t of timers) {
            clearTimeout(t);
        }
        timers.clear();
        if (socket) {
            try {
                socket.close();
            } catch (e) { /* closed */ }
            socket = null;
        }
    }

    function snapshot() {
        const out = { host, port: socket ? socket.address().port : null,
                      ttl: defaultTtl, names: {}, queries: {}, total };
        for (const [k, v] of names) {
            out.names[k] = Object.assign({}, v, { a: v.a.slice() });
        }
        for (const [k, v] of queries) {
            out.queries[k] = Object.assign({}, v);
        }
        return out;
    }

    function sendJson(res, status, obj) {
        const body = Buffer.from(JSON.stringify(obj));
        res.writeHead(status, { 'Content-Type': 'application/json',
                                'Content-Length': body.length });
        res.end(body);
    }

    /* GET /__dns, POST /__dns, POST /__dns/reset; true when it answered */
    function route(req, res, path) {
        if (path !== '/__dns' && path !== '/__dns/reset') {
            return false;
        }
        if (path === '/__dns' && req.method === 'GET') {
            sendJson(res, 200, snapshot());
            return true;
        }
        if (req.method !== 'POST') {
            sendJson(res, 405, { message: 'Method Not Allowed' });
            return true;
        }
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            if (path === '/__dns/reset') {
                reset();
                return sendJson(res, 200, snapshot());
            }
            let body;
            try {
                body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch (e) {
                return sendJson(res, 400, { message: 'body is not JSON' });
            }
            const list = Array.isArray(body) ? body : [body];
            for (const r of list) {
                const err = checkRecord(r);
                if (err) {
                    return sendJson(res, 400, { message: err });
                }
            }
            list.forEach(set);
            sendJson(res, 200, snapshot());
        });
        return true;
    }

    return { listen, close, route, snapshot, reset, set };
}

module.exports = { createDns, parseNames, parseTtl, parseQuery, buildAnswer,
                   checkRecord };
