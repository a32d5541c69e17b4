'use strict';
/*
 * Doubles of the AWS credential sources, in the Bedrock double's process
 * and port, so that the Bedrock double accepts exactly the credentials
 * these doubles issued (see README.md, "Credential doubles"):
 *
 *   IMDSv2            PUT /latest/api/token, GET /latest/meta-data/...
 *   container         GET /v2/credentials/<id> (ECS), GET /v1/credentials
 *                     (EKS Pod Identity / full URI, Authorization checked)
 *   STS               POST / (application/x-www-form-urlencoded):
 *                     AssumeRoleWithWebIdentity (unsigned), AssumeRole
 *                     (SigV4 for "sts", verified by lib/sigv4.js)
 *   control           GET|POST /__creds, POST /__creds/reset
 *
 * Every successful fetch issues a new set, kept in a registry that the
 * Bedrock verification (lib/sigv4.js) reads.  No secret and no session
 * token is ever logged or shown by /__creds.
 */
const crypto = require('crypto');
const sigv4 = require('./sigv4');

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const STS_VERSION = '2011-06-15';
const ROLE_ARN_RE = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const SESSION_RE = /^[\w+=,.@-]{2,64}$/;
const FAULTS = ['ok', 'down', 'refuse', 'hang', 'slow'];
const SERVICES = ['imds', 'container', 'sts'];
const HIT_KEYS = ['imds_token', 'imds_role', 'imds_credentials',
                  'imds_region', 'imds_other', 'container',
                  'sts_web_identity', 'sts_assume_role', 'sts_other'];
const MAX_ISSUED = 1000;
const MAX_TOKENS_KEPT = 20;
const STATIC_ARN = 'arn:aws:iam::111111111111:user/fintalk-static';

const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const SECRET_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
    + '0123456789/+';

function list(s) {
    return String(s).split(',').map((x) => x.trim()).filter(Boolean);
}

function config(env) {
    env = env || process.env;
    const ttlText = env.DOUBLE_CREDS_TTL !== undefined
        ? env.DOUBLE_CREDS_TTL : '3600';
    if (!/^\d+$/.test(ttlText)) {
        throw new Error(`DOUBLE_CREDS_TTL must be a number of seconds, `
                        + `not "${ttlText}"`);
    }
    const externalIds = {};
    for (const pair of list(env.DOUBLE_EXTERNAL_IDS !== undefined
        ? env.DOUBLE_EXTERNAL_IDS
        : 'arn:aws:iam::222222222222:role/bedrock-cross-account'
          + '=fintalk-external-id'))
    {
        const eq = pair.indexOf('=');
        if (eq <= 0) {
            throw new Error(`DOUBLE_EXTERNAL_IDS: "${pair}" is not arn=id`);
        }
        externalIds[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    return {
        ttl: Number(ttlText),
        imdsRole: env.DOUBLE_IMDS_ROLE || 'fintalk-bedrock-role',
        containerTokens: list(env.DOUBLE_CONTAINER_TOKENS !== undefined
            ? env.DOUBLE_CONTAINER_TOKENS
            : 'container-auth-token-1,container-auth-token-2'),
        containerRoleArn: env.DOUBLE_CONTAINER_ROLE_ARN
            || 'arn:aws:iam::111111111111:role/fintalk-task-role',
        webIdentityTokens: list(env.DOUBLE_WEB_IDENTITY_TOKENS !== undefined
            ? env.DOUBLE_WEB_IDENTITY_TOKENS
            : 'web-identity-token-1,web-identity-token-2'),
        externalIds,
        delayMs: 1000,
        exposeSecrets: env.DOUBLE_EXPOSE_SECRETS === '1',
    };
}

/* ------------------------------------------------------------ helpers */

function randomChars(alphabet, n) {
    let s = '';
    for (let i = 0; i < n; i++) {
        s += alphabet[crypto.randomInt(alphabet.length)];
    }
    return s;
}

/* "2026-12-06T12:00:00Z": no fractional seconds, as IMDS and STS write */
function iso(ms) {
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/* text nodes only (no value goes into an attribute) */
function xmlEscape(v) {
    return String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;')
        .replace(/>/g, '&gt;');
}

/* a tree [name, children|text] as STS indents it (two spaces) */
function xml(node, depth) {
    depth = depth || 0;
    const pad = '  '.repeat(depth);
    const [name, content, attrs] = node;
    const open = attrs ? `<${name} ${attrs}>` : `<${name}>`;
    if (!Array.isArray(content)) {
        return `${pad}${open}${xmlEscape(content)}</${name}>\n`;
    }
    return `${pad}${open}\n`
        + content.map((c) => xml(c, depth + 1)).join('')
        + `${pad}</${name}>\n`;
}

/* IMDS pretty-prints its JSON with " : " */
function imdsJson(obj) {
    return '{\n' + Object.entries(obj)
        .map(([k, v]) => `  ${JSON.stringify(k)} : ${JSON.stringify(v)}`)
        .join(',\n') + '\n}';
}

function imdsHtml(status, text) {
    return '<?xml version="1.0" encoding="iso-8859-1"?>\n'
        + '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n'
        + '\t"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        + '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" '
        + 'lang="en">\n <head>\n'
        + `  <title>${status} - ${text}</title>\n </head>\n <body>\n`
        + `  <h1>${status} - ${text}</h1>\n </body>\n</html>\n`;
}

/* arn:aws:iam::123456789012:role/path/name -> parts */
function roleParts(arn) {
    const m = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(.+)$/.exec(arn);
    const name = m[3].split('/').pop();
    return { partition: m[1], account: m[2], name };
}

/* AROA + 17 chars, the same for the same role */
function roleId(arn) {
    const h = crypto.createHash('sha256').update(arn).digest();
    let s = 'AROA';
    for (let i = 0; i < 17; i++) {
        s += UPPER_DIGITS[h[i] % UPPER_DIGITS.length];
    }
    return s;
}

function assumedRole(arn, session) {
    const p = roleParts(arn);
    return {
        arn: `arn:${p.partition}:sts::${p.account}:assumed-role/`
             + `${p.name}/${session}`,
        id: `${roleId(arn)}:${session}`,
    };
}

function pushBounded(arr, v) {
    arr.push(v);
    while (arr.length > MAX_TOKENS_KEPT) {
        arr.shift();
    }
}

/* "down", "slow:250", ... -> {mode, ms} or null */
function parseFault(text) {
    const m = /^\s*(ok|down|refuse|hang|slow)(?::(\d+))?\s*$/.exec(text);
    if (!m || (m[2] !== undefined && m[1] !== 'slow')) {
        return null;
    }
    return { mode: m[1], ms: m[2] !== undefined ? Number(m[2]) : null };
}

/* ------------------------------------------------------------- double */

/*
 * opts: { region, static: {accessKey, secretKey, sessionToken},
 *         skewSeconds, log(line), env }
 */
function createCredentials(opts) {
    const ccfg = config(opts.env);
    const registry = new Map();         /* accessKeyId -> record */
    const imdsTokens = new Map();       /* token -> expires (ms) */
    const state = {};

    function reset() {
        state.ttl = null;               /* null: ccfg.ttl */
        state.delayMs = ccfg.delayMs;
        state.faults = { imds: 'ok', container: 'ok', sts: 'ok' };
        state.hits = {};
        state.failures = {};
        for (const k of HIT_KEYS) {
            state.hits[k] = 0;
            state.failures[k] = 0;
        }
        state.webIdentityTokens = [];
        state.containerTokens = [];
        state.imdsTokenTtls = [];
        registry.clear();
        imdsTokens.clear();
    }
    reset();

    function lookup(akid) {
        return registry.get(akid) || null;
    }

    function issue(source, principal, ttl, extra) {
        let akid;
        do {
            akid = 'ASIA' + randomChars(UPPER_DIGITS, 16);
        } while (registry.has(akid));
        const now = Date.now();
        const tokenLen = 600 + crypto.randomInt(301);
        const prefix = 'IQoJb3JpZ2luX2VjE';
        const token = prefix + crypto.randomBytes(tokenLen)
            .toString('base64').slice(0, tokenLen - prefix.length);
        const rec = Object.assign({
            accessKeyId: akid,
            secret: randomChars(SECRET_CHARS, 40),
            token,
            /* from the second Expiration names on: never later than ttl */
            expires: Math.floor((now + ttl * 1000) / 1000) * 1000,
            source,
            principal,
            signedBy: null,
            issuedAt: now,
            ttl,
        }, extra || {});
        registry.set(akid, rec);
        while (registry.size > MAX_ISSUED) {
            registry.delete(registry.keys().next().value);
        }
        return rec;
    }

    function publicIssued(rec) {
        const out = {
            access_key_id: rec.accessKeyId,
            source: rec.source,
            principal: rec.principal,
            signed_by: rec.signedBy,
            issued_at: new Date(rec.issuedAt).toISOString(),
            expires: iso(rec.expires),
            expired: Date.now() >= rec.expires,
            ttl: rec.ttl,
        };
        if (rec.sessionName !== undefined) {
            out.session_name = rec.sessionName;
        }
        if (rec.region !== undefined) {
            out.region = rec.region;
        }
        if (rec.externalId !== undefined) {
            out.external_id = rec.externalId;
        }
        if (rec.durationSeconds !== undefined) {
            out.duration_seconds = rec.durationSeconds;
        }
        return out;
    }

    /* GET /__creds/secrets (DOUBLE_EXPOSE_SECRETS=1 only): what tests
     * look for in logs that must not hold them */
    function secrets() {
        return {
            issued: [...registry.values()].map((rec) => ({
                access_key_id: rec.accessKeyId,
                secret_access_key: rec.secret,
                session_token: rec.token,
            })),
            imds_tokens: [...imdsTokens.keys()],
        };
    }

    function snapshot() {
        return {
            ttl: state.ttl === null ? ccfg.ttl : state.ttl,
            ttl_override: state.ttl !== null,
            delay_ms: state.delayMs,
            faults: Object.assign({}, state.faults),
            hits: Object.assign({}, state.hits),
            failures: Object.assign({}, state.failures),
            issued: [...registry.values()].map(publicIssued),
            web_identity_tokens: state.webIdentityTokens.slice(),
            container_tokens: state.containerTokens.slice(),
            imds_token_ttls: state.imdsTokenTtls.slice(),
        };
    }

    /* ------------------------------------------------------ routing */

    function route(req, path) {
        if (path === '/__creds' || path === '/__creds/reset'
            || path === '/__creds/secrets')
        {
            return { service: 'control' };
        }
        if (path === '/latest' || path.startsWith('/latest/')) {
            let key = 'imds_other';
            if (path === '/latest/api/token') {
                key = 'imds_token';
            } else if (/^\/latest\/meta-data\/iam\/security-credentials\/?$/
                       .test(path))
            {
                key = 'imds_role';
            } else if (path.startsWith(
                           '/latest/meta-data/iam/security-credentials/'))
            {
                key = 'imds_credentials';
            } else if (path === '/latest/meta-data/placement/region') {
                key = 'imds_region';
            }
            return { service: 'imds', key };
        }
        if (path === '/v1/credentials' || /^\/v2\/credentials\/./.test(path)) {
            return { service: 'container', key: 'container' };
        }
        if (path === '/' && req.method === 'POST'
            && /^application\/x-www-form-urlencoded\b/i
                .test(req.headers['content-type'] || ''))
        {
            return { service: 'sts', key: null };   /* key: by Action */
        }
        return null;
    }

    function match(req, path) {
        return route(req, path) !== null;
    }

    async function readBody(req) {
        const chunks = [];
        for await (const c of req) {
            chunks.push(c);
        }
        return Buffer.concat(chunks);
    }

    /* resolves true after ms, false as soon as the client went away */
    function wait(res, ms) {
        return new Promise((resolve) => {
            if (res.destroyed) {
                return resolve(false);
            }
            const onClose = () => {
                clearTimeout(t);
                resolve(false);
            };
            const t = setTimeout(() => {
                res.removeListener('close', onClose);
                resolve(!res.destroyed);
            }, ms);
            res.once('close', onClose);
        });
    }

    function ttlFor(req, entry) {
        const h = req.headers['x-double-creds-ttl'];
        if (h !== undefined) {
            entry.ttl_override = true;
            return Number(h);
        }
        return state.ttl === null ? ccfg.ttl : state.ttl;
    }

    function send(res, status, type, body, headers) {
        const buf = Buffer.from(body);
        res.writeHead(status, Object.assign({
            'Content-Type': type,
            'Content-Length': buf.length,
        }, headers || {}));
        res.end(buf);
    }

    function log(entry) {
        if (entry.logged) {
            return;
        }
        entry.logged = true;
        let line = `${entry.method} ${entry.path} - ${entry.status}`;
        if (entry.error) {
            line += ' ' + entry.error;
        }
        const notes = [entry.service].concat(entry.notes);
        line += ` (${notes.join('; ')})`;
        opts.log(line);
    }

    async function handle(req, res, path) {
        const r = route(req, path);
        if (r.service === 'control') {
            return control(req, res, path);
        }
        const entry = { method: req.method, path: req.url,
                        service: r.service, key: r.key, status: '-',
                        error: null, notes: [], failed: false };
        const fail = () => {
            if (!entry.failed && entry.key) {
                entry.failed = true;
                state.failures[entry.key]++;
            }
        };
        res.on('finish', () => {
            entry.status = res.statusCode;
            if (res.statusCode >= 300) {
                fail();
            }
            log(entry);
        });
        res.on('close', () => {
            if (!res.writableFinished) {
                fail();
                entry.notes.push('connection closed before an answer');
                log(entry);
            }
        });

        /* the body first (even for "refuse"): an STS request is counted
         * by its Action */
        const body = await readBody(req);
        const faultHeader = req.headers['x-double-creds-fault'];
        let fault = { mode: state.faults[r.service], ms: null };
        if (faultHeader !== undefined) {
            fault = parseFault(faultHeader);
        }
        let form = null;
        if (r.service === 'sts') {
            form = new URLSearchParams(body.toString('utf8'));
            const action = form.get('Action');
            entry.key = action === 'AssumeRoleWithWebIdentity'
                ? 'sts_web_identity'
                : action === 'AssumeRole' ? 'sts_assume_role' : 'sts_other';
            entry.notes.push('Action=' + (action === null ? '(none)'
                                                          : action));
        }
        state.hits[entry.key]++;

        if (!fault) {
            entry.error = 'DoubleCredsFaultError';
            return send(res, 400, 'text/plain',
                        'credential double: X-Double-Creds-Fault must be '
                        + 'ok, down, refuse, hang, slow or slow:MS\n');
        }
        const ttlHeader = req.headers['x-double-creds-ttl'];
        if (ttlHeader !== undefined && !/^\d+$/.test(ttlHeader)) {
            entry.error = 'DoubleCredsTtlError';
            return send(res, 400, 'text/plain',
                        'credential double: X-Double-Creds-Ttl must be a '
                        + 'number of seconds\n');
        }

        if (fault.mode === 'refuse') {
            fail();
            entry.notes.push('fault refuse: socket destroyed');
            log(entry);
            req.socket.destroy();
            return;
        }
        if (fault.mode === 'hang') {
            fail();
            entry.notes.push('fault hang: no answer');
            return;     /* dropped when the client closes */
        }
        if (fault.mode === 'down') {
            entry.notes.push('fault down');
            return down(res, entry, r.service);
        }
        if (fault.mode === 'slow') {
            const ms = fault.ms !== null ? fault.ms : state.delayMs;
            entry.notes.push(`fault slow: ${ms} ms`);
            if (!await wait(res, ms)) {
                return;
            }
        }

        if (r.service === 'imds') {
            return imds(req, res, entry, path);
        }
        if (r.service === 'container') {
            return container(req, res, entry, path);
        }
        return sts(req, res, entry, body, form);
    }

    function down(res, entry, service) {
        entry.error = 'ServiceUnavailable';
        if (service === 'sts') {
            return stsError(res, entry, 503, 'ServiceUnavailable',
                            'Service is unavailable (credential double '
                            + 'fault: down)', 'Receiver');
        }
        if (service === 'container') {
            return send(res, 503, 'application/json', JSON.stringify({
                message: 'credential double fault: down' }));
        }
        return send(res, 503, 'text/html',
                    imdsHtml(503, 'Service Unavailable'));
    }

    /* ------------------------------------------------------- IMDSv2 */

    function imds(req, res, entry, path) {
        const H = { Server: 'EC2ws' };
        const html = (status, text) => {
            entry.error = text.replace(/ /g, '');
            send(res, status, 'text/html', imdsHtml(status, text), H);
        };

        if (path === '/latest/api/token') {
            if (req.method !== 'PUT') {
                return html(405, 'Method Not Allowed');
            }
            if (req.headers['x-forwarded-for'] !== undefined) {
                entry.notes.push('X-Forwarded-For present');
                return html(403, 'Forbidden');
            }
            const t = req.headers['x-aws-ec2-metadata-token-ttl-seconds'];
            if (t !== undefined) {
                pushBounded(state.imdsTokenTtls, t);
            }
            if (t === undefined || !/^\d+$/.test(t.trim())
                || Number(t) < 1 || Number(t) > 21600)
            {
                entry.notes.push(t === undefined ? 'no ttl header'
                                                 : `bad ttl "${t}"`);
                return html(400, 'Bad Request');
            }
            const now = Date.now();
            for (const [k, exp] of imdsTokens) {
                if (exp <= now) {
                    imdsTokens.delete(k);
                }
            }
            const token = 'AQAEA' + crypto.randomBytes(38)
                .toString('base64url');
            imdsTokens.set(token, now + Number(t) * 1000);
            entry.notes.push(`token ttl ${Number(t)} s`);
            return send(res, 200, 'text/plain', token, Object.assign({
                'X-Aws-Ec2-Metadata-Token-Ttl-Seconds': String(Number(t)),
            }, H));
        }

        if (req.method !== 'GET' && req.method !== 'HEAD') {
            return html(405, 'Method Not Allowed');
        }
        const token = req.headers['x-aws-ec2-metadata-token'];
        const exp = token === undefined ? undefined : imdsTokens.get(token);
        if (exp === undefined || exp <= Date.now()) {
            entry.error = 'Unauthorized';
            entry.notes.push(token === undefined ? 'no token (IMDSv1)'
                : exp === undefined ? 'unknown token' : 'expired token');
            res.writeHead(401, Object.assign({ 'Content-Length': 0 }, H));
            return res.end();
        }
        H['X-Aws-Ec2-Metadata-Token-Ttl-Seconds'] =
            String(Math.max(0, Math.floor((exp - Date.now()) / 1000)));

        if (entry.key === 'imds_role') {
            return send(res, 200, 'text/plain', ccfg.imdsRole, H);
        }
        if (entry.key === 'imds_region') {
            return send(res, 200, 'text/plain', opts.region, H);
        }
        if (entry.key === 'imds_credentials') {
            const role = path.slice(
                '/latest/meta-data/iam/security-credentials/'.length);
            if (role !== ccfg.imdsRole) {
                entry.notes.push('unknown role');
                return html(404, 'Not Found');
            }
            const rec = issue('imds', ccfg.imdsRole, ttlFor(req, entry));
            entry.notes.push(`issued ${rec.accessKeyId} ttl ${rec.ttl} s`);
            return send(res, 200, 'text/plain', imdsJson({
                Code: 'Success',
                LastUpdated: iso(rec.issuedAt),
                Type: 'AWS-HMAC',
                AccessKeyId: rec.accessKeyId,
                SecretAccessKey: rec.secret,
                Token: rec.token,
                Expiration: iso(rec.expires),
            }), H);
        }
        return html(404, 'Not Found');
    }

    /* ---------------------------------------------------- container */

    function container(req, res, entry, path) {
        const json = (status, obj) => send(res, status, 'application/json',
                                           JSON.stringify(obj));
        if (req.method !== 'GET') {
            entry.error = 'MethodNotAllowed';
            return json(405, { message: 'Method Not Allowed' });
        }
        const auth = req.headers.authorization;
        if (auth !== undefined) {
            pushBounded(state.containerTokens, auth);
        }
        if (path === '/v1/credentials') {
            if (auth === undefined || !ccfg.containerTokens.includes(auth)) {
                entry.error = 'Unauthorized';
                entry.notes.push(auth === undefined ? 'no Authorization'
                                 : 'Authorization not accepted');
                return json(401, { message: auth === undefined
                    ? 'Authorization header is missing'
                    : 'Authorization token is not valid' });
            }
            entry.notes.push(`auth token #${ccfg.containerTokens
                .indexOf(auth) + 1}`);
        }
        const rec = issue('container', ccfg.containerRoleArn,
                          ttlFor(req, entry),
                          { authToken: auth === undefined ? null : auth });
        entry.notes.push(`issued ${rec.accessKeyId} ttl ${rec.ttl} s`);
        return json(200, {
            AccessKeyId: rec.accessKeyId,
            SecretAccessKey: rec.secret,
            Token: rec.token,
            Expiration: iso(rec.expires),
            RoleArn: ccfg.containerRoleArn,
        });
    }

    /* ---------------------------------------------------------- STS */

    function stsError(res, entry, status, code, message, type) {
        entry.error = code;
        const body = xml(['ErrorResponse', [
            ['Error', [
                ['Type', type || 'Sender'],
                ['Code', code],
                ['Message', message],
            ]],
            ['RequestId', crypto.randomUUID()],
        ], `xmlns="${STS_NS}"`]);
        send(res, status, 'text/xml', body,
             { 'x-amzn-RequestId': crypto.randomUUID() });
    }

    function validation(name, value, constraint) {
        return '1 validation error detected: Value '
            + (value === null ? 'null' : `'${value}'`)
            + ` at '${name}' failed to satisfy constraint: ${constraint}`;
    }

    /* RoleArn, RoleSessionName, DurationSeconds -> error message or null */
    function checkRoleParams(form) {
        const arn = form.get('RoleArn');
        const session = form.get('RoleSessionName');
        const dur = form.get('DurationSeconds');
        if (arn === null) {
            return validation('roleArn', null, 'Member must not be null');
        }
        if (session === null) {
            return validation('roleSessionName', null,
                              'Member must not be null');
        }
        if (!ROLE_ARN_RE.test(arn)) {
            return 'Request ARN is invalid';
        }
        if (session.length < 2 || session.length > 64) {
            return validation('roleSessionName', session,
                session.length < 2
                    ? 'Member must have length greater than or equal to 2'
                    : 'Member must have length less than or equal to 64');
        }
        if (!SESSION_RE.test(session)) {
            return validation('roleSessionName', session,
                'Member must satisfy regular expression pattern: '
                + '[\\w+=,.@-]*');
        }
        if (dur !== null) {
            if (!/^\d+$/.test(dur)) {
                return `Value '${dur}' for parameter DurationSeconds is `
                    + 'invalid.';
            }
            if (Number(dur) < 900) {
                return validation('durationSeconds', dur,
                    'Member must have value greater than or equal to 900');
            }
            if (Number(dur) > 43200) {
                return validation('durationSeconds', dur,
                    'Member must have value less than or equal to 43200');
            }
        }
        return null;
    }

    /* DurationSeconds as sent (checked already), null when absent */
    function durationOf(form) {
        const d = form.get('DurationSeconds');
        return d === null ? null : Number(d);
    }

    function credentialsNode(rec) {
        return ['Credentials', [
            ['AccessKeyId', rec.accessKeyId],
            ['SecretAccessKey', rec.secret],
            ['SessionToken', rec.token],
            ['Expiration', iso(rec.expires)],
        ]];
    }

    function stsAnswer(res, action, result) {
        const body = xml([`${action}Response`, [
            [`${action}Result`, result],
            ['ResponseMetadata', [['RequestId', crypto.randomUUID()]]],
        ], `xmlns="${STS_NS}"`]);
        send(res, 200, 'text/xml', body,
             { 'x-amzn-RequestId': crypto.randomUUID() });
    }

    async function sts(req, res, entry, body, form) {
        const action = form.get('Action');

        /* AWS authenticates first; AssumeRoleWithWebIdentity is unsigned */
        let signer = null;
        if (action !== 'AssumeRoleWithWebIdentity') {
            let auth;
            try {
                auth = await sigv4.verify(req, body, {
                    dialect: 'sts',
                    service: 'sts',
                    region: null,
                    accessKey: opts.static.accessKey,
                    secretKey: opts.static.secretKey,
                    sessionToken: opts.static.sessionToken,
                    skewSeconds: opts.skewSeconds,
                    lookupCredential: lookup,
                });
            } catch (e) {
                auth = { ok: false, reason: 'verifier error: ' + e.message,
                         error: { status: 403, name: 'SignatureDoesNotMatch',
                                  message: sigv4.MSG_SIGNATURE } };
            }
            if (auth.credential) {
                entry.notes.push('signed by '
                                 + auth.credential.access_key_id);
            }
            if (!auth.ok) {
                entry.notes.push(auth.reason);
                return stsError(res, entry, auth.error.status,
                                auth.error.name, auth.error.message);
            }
            signer = auth;
            entry.notes.push('region ' + auth.region);
        }

        const version = form.get('Version');
        if (action === null) {
            return stsError(res, entry, 400, 'MissingAction',
                            'Missing Action');
        }
        if (version !== STS_VERSION
            || !['AssumeRole', 'AssumeRoleWithWebIdentity'].includes(action))
        {
            return stsError(res, entry, 400, 'InvalidAction',
                            `Could not find operation ${action} for version `
                            + `${version === null ? 'NO_VERSION_SPECIFIED'
                                                  : version}`);
        }

        const arn = form.get('RoleArn');
        const session = form.get('RoleSessionName');
        if (action === 'AssumeRoleWithWebIdentity') {
            const tok = form.get('WebIdentityToken');
            if (tok !== null) {
                pushBounded(state.webIdentityTokens, tok);
            }
            const bad = checkRoleParams(form)
                || (tok === null ? validation('webIdentityToken', null,
                                              'Member must not be null')
                                 : null);
            if (bad) {
                return stsError(res, entry, 400, 'ValidationError', bad);
            }
            if (!ccfg.webIdentityTokens.includes(tok)) {
                entry.notes.push('web identity token not accepted');
                return stsError(res, entry, 400, 'InvalidIdentityToken',
                                'The ID token provided is not a valid JWT. '
                                + '(You may see this error if you sent an '
                                + 'Access Token)');
            }
            const ar = assumedRole(arn, session);
            const rec = issue('web_identity', arn, ttlFor(req, entry),
                              { sessionName: session, arn: ar.arn,
                                durationSeconds: durationOf(form) });
            const n = ccfg.webIdentityTokens.indexOf(tok) + 1;
            entry.notes.push(`web identity token #${n}`,
                             `issued ${rec.accessKeyId} ttl ${rec.ttl} s`);
            const p = roleParts(arn);
            return stsAnswer(res, action, [
                credentialsNode(rec),
                ['SubjectFromWebIdentityToken',
                 `system:serviceaccount:fintalk:web-identity-${n}`],
                ['AssumedRoleUser', [
                    ['AssumedRoleId', ar.id],
                    ['Arn', ar.arn],
                ]],
                ['Provider', `arn:${p.partition}:iam::${p.account}:`
                 + 'oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/'
                 + 'EXAMPLED539D4633E53DE1B71EXAMPLE'],
                ['Audience', 'sts.amazonaws.com'],
            ]);
        }

        /* AssumeRole */
        const bad = checkRoleParams(form);
        if (bad) {
            return stsError(res, entry, 400, 'ValidationError', bad);
        }
        const wantExt = Object.prototype.hasOwnProperty.call(
            ccfg.externalIds, arn) ? ccfg.externalIds[arn] : null;
        if (wantExt !== null && form.get('ExternalId') !== wantExt) {
            const by = signer.credential;
            const caller = by.source === 'static' ? STATIC_ARN
                : (registry.get(by.access_key_id) || {}).arn || by.principal;
            entry.notes.push(form.get('ExternalId') === null
                ? 'ExternalId missing' : 'ExternalId differs');
            return stsError(res, entry, 403, 'AccessDenied',
                            `User: ${caller} is not authorized to perform: `
                            + `sts:AssumeRole on resource: ${arn}`);
        }
        const ar = assumedRole(arn, session);
        const rec = issue('assume_role', arn, ttlFor(req, entry), {
            sessionName: session,
            arn: ar.arn,
            region: signer.region,
            signedBy: Object.assign({}, signer.credential),
            externalId: form.get('ExternalId'),
            durationSeconds: durationOf(form),
        });
        entry.notes.push(`issued ${rec.accessKeyId} ttl ${rec.ttl} s`);
        return stsAnswer(res, action, [
            credentialsNode(rec),
            ['AssumedRoleUser', [
                ['AssumedRoleId', ar.id],
                ['Arn', ar.arn],
            ]],
        ]);
    }

    /* ------------------------------------------------------ control */

    async function control(req, res, path) {
        const json = (status, obj) => send(res, status, 'application/json',
                                           JSON.stringify(obj, null, 1));
        const body = await readBody(req);
        if (path === '/__creds/secrets') {
            if (!ccfg.exposeSecrets) {
                return json(404, { message: 'start the double with '
                                            + 'DOUBLE_EXPOSE_SECRETS=1' });
            }
            if (req.method !== 'GET') {
                return json(405, { message: 'GET /__creds/secrets' });
            }
            return json(200, secrets());
        }
        if (path === '/__creds/reset') {
            if (req.method !== 'POST') {
                return json(405, { message: 'POST /__creds/reset' });
            }
            reset();
            return json(200, snapshot());
        }
        if (req.method === 'GET') {
            return json(200, snapshot());
        }
        if (req.method !== 'POST') {
            return json(405, { message: 'GET or POST /__creds' });
        }
        let c;
        try {
            c = JSON.parse(body.toString('utf8') || '{}');
        } catch (e) {
            return json(400, { message: 'body is not JSON' });
        }
        const err = (m) => json(400, { message: m });
        if (c === null || typeof c !== 'object' || Array.isArray(c)) {
            return err('body must be a JSON object');
        }
        for (const k of Object.keys(c)) {
            if (!['ttl', 'faults', 'delay_ms'].includes(k)) {
                return err(`unknown key "${k}" (ttl, faults, delay_ms)`);
            }
        }
        const nat = (v) => Number.isInteger(v) && v >= 0;
        if (c.ttl !== undefined && c.ttl !== null && !nat(c.ttl)) {
            return err('ttl must be a number of seconds (or null)');
        }
        if (c.delay_ms !== undefined && !nat(c.delay_ms)) {
            return err('delay_ms must be a number of milliseconds');
        }
        if (c.faults !== undefined) {
            if (c.faults === null || typeof c.faults !== 'object') {
                return err('faults must be an object');
            }
            for (const [s, m] of Object.entries(c.faults)) {
                if (!SERVICES.includes(s)) {
                    return err(`unknown service "${s}" (imds, container, sts)`);
                }
                if (!FAULTS.includes(m)) {
                    return err(`fault for ${s} must be one of `
                               + FAULTS.join(', '));
                }
            }
        }
        if (c.ttl !== undefined) {
            state.ttl = c.ttl;
        }
        if (c.delay_ms !== undefined) {
            state.delayMs = c.delay_ms;
        }
        Object.assign(state.faults, c.faults || {});
        return json(200, snapshot());
    }

    return { match, handle, lookup, issue, snapshot, reset, config: ccfg };
}

module.exports = { createCredentials, config, parseFault, iso, xmlEscape };
