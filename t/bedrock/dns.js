#!/usr/bin/env node
'use strict';
/*
 * The DNS double on its own (lib/dns.js; the Bedrock double runs the same
 * with --dns-port).  See README.md, "DNS double".
 *
 *   node dns.js [--port N] [--control-port N] [--ttl S]
 *               [--names name=addr[+addr],name2=addr]
 *
 * --port (DNS_PORT, default 19153): UDP on 127.0.0.1 (DNS_HOST);
 * --control-port (DNS_CONTROL_PORT, default 19154): HTTP on 127.0.0.1 with
 * GET /__dns, POST /__dns, POST /__dns/reset, GET /__health;
 * --ttl (DNS_TTL, default 1); --names (DNS_NAMES).  Prints one line once
 * both listen: "dns double listening on 127.0.0.1:PORT (udp), control
 * 127.0.0.1:CPORT".
 */
const http = require('http');
const { createDns, parseNames, parseTtl } = require('./lib/dns');

function option(argv, name, envName, dflt) {
    const i = argv.indexOf(name);
    if (i >= 0 && argv[i + 1] !== undefined) {
        return argv[i + 1];
    }
    return process.env[envName] !== undefined ? process.env[envName] : dflt;
}

function port(text, what) {
    if (!/^\d+$/.test(String(text)) || Number(text) > 65535) {
        throw new Error(`${what}: "${text}" is not a port`);
    }
    return Number(text);
}

function main(argv) {
    let dns;
    let control;
    let host;
    try {
        host = process.env.DNS_HOST || '127.0.0.1';
        control = port(option(argv, '--control-port', 'DNS_CONTROL_PORT',
                              '19154'), 'control port');
        dns = createDns({
            port: port(option(argv, '--port', 'DNS_PORT', '19153'), 'port'),
            host,
            ttl: parseTtl(option(argv, '--ttl', 'DNS_TTL', '1'), 'ttl'),
            names: parseNames(option(argv, '--names', 'DNS_NAMES', '')),
            log: (line) => process.stdout.write(line + '\n'),
        });
    } catch (e) {
        process.stderr.write('dns double: ' + e.message + '\n');
        process.exit(2);
    }
    const server = http.createServer((req, res) => {
        const path = req.url.split('?')[0];
        if (path === '/__health' && req.method === 'GET') {
            res.writeHead(200, { 'Content-Type': 'text/plain',
                                 'Content-Length': 2 });
            return res.end('ok');
        }
        if (!dns.route(req, res, path)) {
            res.writeHead(404, { 'Content-Type': 'application/json' });
            res.end('{"message":"not found"}');
        }
    });
    dns.listen((e, addr) => {
        if (e) {
            process.stderr.write('dns double: ' + e.message + '\n');
            process.exit(1);
        }
        server.once('error', (err) => {
            process.stderr.write('dns double: ' + err.message + '\n');
            process.exit(1);
        });
        server.listen(control, host, () => {
            process.stdout.write(`dns double listening on ${addr.address}:`
                + `${addr.port} (udp), control ${host}:`
                + `${server.address().port}\n`);
        });
    });
    const stop = () => {
        dns.close();
        server.close(() => process.exit(0));
        server.closeAllConnections();
        setTimeout(() => process.exit(0), 1000).unref();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
}

if (require.main === module) {
    main(process.argv.slice(2));
}
