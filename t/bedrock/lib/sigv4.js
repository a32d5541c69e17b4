'use strict';
/*
 * Authentication of a received request the way Bedrock does it.
 *
 * SigV4: the signature is recomputed with AWS's own signer
 * (@smithy/signature-v4 SignatureV4 + @aws-crypto/sha256-js Sha256) over an
 * HttpRequest (@smithy/protocol-http) built from the request AS RECEIVED:
 * method, the path exactly as it was on the wire (still percent-encoded;
 * the signer's default uriEscapePath=true encodes it once more, so the
 * wire path /model/amazon.nova-lite-v1%3A0/converse is canonicalised as
 * /model/amazon.nova-lite-v1%253A0/converse, like AWS does), the headers
 * listed in SignedHeaders with their received values, the x-amz-date as
 * signing date, and the received body bytes.
 *
 * Bearer: "Authorization: Bearer <key>" (Bedrock API keys).
 *
 * The same check serves the STS double (lib/credentials.js): cfg.dialect
 * 'sts' names the failures the way STS does (SignatureDoesNotMatch,
 * InvalidClientTokenId, ...) instead of Bedrock's *Exception names.
 *
 * Keys: the static DOUBLE_ACCESS_KEY pair, and any set the credential
 * doubles issued (cfg.lookupCredential(akid) -> record); an issued set must
 * carry its own session token, signed, and must not be past expiration.
 */
const crypto = require('crypto');
const { SignatureV4, getCanonicalHeaders, getPayloadHash } =
    require('@smithy/signature-v4');
const { HttpRequest } = require('@smithy/protocol-http');
const { Sha256 } = require('@aws-crypto/sha256-js');

const CORAL_SERVICE = 'http://internal.amazon.com/coral/com.amazon.coral.service/';

const MSG_SIGNATURE =
    'The request signature we calculated does not match the signature you '
    + 'provided. Check your AWS Secret Access Key and signing method. Consult '
    + 'the service documentation for details.';
const MSG_BAD_TOKEN = 'The security token included in the request is invalid.';
const MSG_EXPIRED_TOKEN =
    'The security token included in the request is expired';

/* failure kind -> [HTTP status, error name, default message] */
const DIALECTS = {
    bedrock: {
        missing: [403, 'MissingAuthenticationTokenException',
                  'Missing Authentication Token'],
        unrecognized: [403, 'UnrecognizedClientException', MSG_BAD_TOKEN],
        expired: [403, 'ExpiredTokenException', MSG_EXPIRED_TOKEN],
        signature: [403, 'InvalidSignatureException', MSG_SIGNATURE],
        incomplete: [403, 'IncompleteSignatureException', ''],
    },
    sts: {
        missing: [403, 'MissingAuthenticationToken',
                  'Request is missing Authentication Token'],
        unrecognized: [403, 'InvalidClientTokenId', MSG_BAD_TOKEN],
        expired: [403, 'ExpiredToken', MSG_EXPIRED_TOKEN],
        signature: [403, 'SignatureDoesNotMatch', MSG_SIGNATURE],
        incomplete: [400, 'IncompleteSignature', ''],
    },
};

function fail(status, name, message, reason, extra) {
    return Object.assign({
        ok: false,
        error: { status, name, message, suffix: CORAL_SERVICE },
        reason: reason || message,
    }, extra || {});
}

/*
 * The key an access key id names: the static pair (DOUBLE_ACCESS_KEY,
 * with DOUBLE_SESSION_TOKEN when set), or an issued set.
 * -> { secret, token, tokenRequired, expires, credential } or null
 */
function resolveKey(akid, cfg) {
    if (akid === cfg.accessKey) {
        return {
            secret: cfg.secretKey,
            token: cfg.sessionToken || null,
            tokenRequired: !!cfg.sessionToken,
            expires: null,
            credential: { source: 'static', principal: null,
                          access_key_id: akid },
        };
    }
    const rec = cfg.lookupCredential ? cfg.lookupCredential(akid) : null;
    if (!rec) {
        return null;
    }
    return {
        secret: rec.secret,
        token: rec.token,
        tokenRequired: true,
        expires: rec.expires,
        credential: { source: rec.source, principal: rec.principal,
                      access_key_id: rec.accessKeyId },
    };
}

/* Header values as received.  Repeated headers are joined with "," (the
 * SigV4 rule), from rawHeaders, not node's ", "-joined view. */
function receivedHeaders(req) {
    const h = {};
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
        const name = raw[i].toLowerCase();
        h[name] = name in h ? h[name] + ',' + raw[i + 1] : raw[i + 1];
    }
    return h;
}

function splitTarget(url) {
    let target = url;
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/.*)?$/i.exec(target);
    if (m) {
        target = m[1] || '/';
    }
    const q = target.indexOf('?');
    return q < 0 ? { path: target, query: '' }
                 : { path: target.slice(0, q), query: target.slice(q + 1) };
}

function parseQuery(qs) {
    const query = {};
    if (!qs) {
        return query;
    }
    for (const part of qs.split('&')) {
        if (part === '') {
            continue;
        }
        const eq = part.indexOf('=');
        const k = safeDecode(eq < 0 ? part : part.slice(0, eq));
        const v = safeDecode(eq < 0 ? '' : part.slice(eq + 1));
        if (k in query) {
            query[k] = [].concat(query[k], v);
        } else {
            query[k] = v;
        }
    }
    return query;
}

function safeDecode(s) {
    try {
        return decodeURIComponent(s);
    } catch (e) {
        return s;
    }
}

function amzDate(d) {
    return d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

function parseAmzDate(s) {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
    if (!m) {
        return null;
    }
    const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
    return isNaN(d.getTime()) || amzDate(d) !== s ? null : d;
}

function timingSafeEqualHex(a, b) {
    const ba = Buffer.from(String(a));
    const bb = Buffer.from(String(b));
    return ba.length === bb.length && crypto.timingSafeEqual(ba, bb);
}

function redactToken(text, token) {
    if (!token) {
        return text;
    }
    return text.split(token).join('<redacted x-amz-security-token>');
}

/*
 * cfg: { accessKey, secretKey, sessionToken, region, service, bearerToken,
 *        skewSeconds }
 * Returns { ok:true, auth } or { ok:false, error:{status,name,message,suffix},
 *           reason, canonical_request?, string_to_sign? }.
 */
async function verify(req, body, cfg, now) {
    const headers = receivedHeaders(req);
    const authz = headers.authorization;
    const d = DIALECTS[cfg.dialect || 'bedrock'];
    let key = null;             /* once the access key id is resolved */
    const F = (kind, message, reason, extra) => {
        const r = fail(d[kind][0], d[kind][1],
                       message === null ? d[kind][2] : message, reason, extra);
        if (key) {
            r.credential = key.credential;
        }
        return r;
    };

    if (authz === undefined || authz === '') {
        return F('missing', null, 'no Authorization header');
    }

    const bearer = /^Bearer\s+(.*)$/i.exec(authz);
    if (bearer && d === DIALECTS.bedrock) {
        const tok = bearer[1].trim();
        if (cfg.bearerToken && timingSafeEqualHex(tok, cfg.bearerToken)) {
            return { ok: true, auth: 'bearer' };
        }
        if (!/^(ABSK|bedrock-api-key-)/.test(tok) && !/^test-/.test(tok)) {
            return fail(403, 'AccessDeniedException',
                        'Invalid API Key format: Must start with pre-defined '
                        + 'prefix', 'bearer token not accepted');
        }
        return fail(403, 'AccessDeniedException',
                    'Authentication failed: Please make sure your API Key is '
                    + 'valid.', 'bearer token not accepted');
    }

    const sig = /^AWS4-HMAC-SHA256\s+(.*)$/.exec(authz);
    if (!sig) {
        return F('incomplete', 'Unsupported Authorization Type',
                 'Authorization is neither AWS4-HMAC-SHA256 nor Bearer');
    }
    const params = {};
    for (const part of sig[1].split(',')) {
        const eq = part.indexOf('=');
        if (eq > 0) {
            params[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
        }
    }
    const missing = ['Credential', 'Signature', 'SignedHeaders']
        .filter((k) => !params[k]);
    if (missing.length) {
        return F('incomplete',
                 missing.map((k) => `Authorization header requires '${k}' `
                             + 'parameter.').join(' ')
                 + ` Authorization=${sig[0].split(' ')[0]}`,
                 'incomplete Authorization header');
    }

    const cred = params.Credential.split('/');
    if (cred.length !== 5) {
        return F('incomplete',
                 'Credential should be scoped to a valid region.',
                 'malformed Credential');
    }
    const [akid, scopeDate, scopeRegion, scopeService, scopeTerm] = cred;

    key = resolveKey(akid, cfg);
    if (!key) {
        return F('unrecognized', null, 'unknown access key id');
    }

    const xdate = headers['x-amz-date'];
    if (xdate === undefined) {
        return F('incomplete',
                 "Authorization header requires existence of either a "
                 + "'X-Amz-Date' or a 'Date' header.",
                 'no x-amz-date header (Date-header signing is not '
                 + 'supported by the double)');
    }
    const signingDate = parseAmzDate(xdate);
    if (!signingDate) {
        return F('incomplete',
                 "Date must be in ISO-8601 'basic format'. Got '" + xdate
                 + "'. See http://en.wikipedia.org/wiki/ISO_8601",
                 'malformed x-amz-date');
    }

    const skew = cfg.skewSeconds * 1000;
    const nowMs = now === undefined ? Date.now() : now;
    if (signingDate.getTime() < nowMs - skew) {
        const nowS = amzDate(new Date(nowMs));
        return F('signature',
                 `Signature expired: ${xdate} is now earlier than `
                 + `${amzDate(new Date(nowMs - skew))} (${nowS} - `
                 + `${cfg.skewSeconds / 60} min.)`, 'x-amz-date too old');
    }
    if (signingDate.getTime() > nowMs + skew) {
        const nowS = amzDate(new Date(nowMs));
        return F('signature',
                 `Signature not yet current: ${xdate} is still later than `
                 + `${amzDate(new Date(nowMs + skew))} (${nowS} + `
                 + `${cfg.skewSeconds / 60} min.)`,
                 'x-amz-date in the future');
    }
    if (scopeDate !== xdate.slice(0, 8)) {
        return F('signature',
                 'Date in Credential scope does not match YYYYMMDD from '
                 + `ISO-8601 version of date from HTTP: '${scopeDate}' != '`
                 + `${xdate.slice(0, 8)}', from '${xdate}'.`,
                 'credential scope date differs from x-amz-date');
    }
    /* cfg.region null: any region (STS: one double for every regional
     * endpoint; the caller records the region) */
    if (cfg.region ? scopeRegion !== cfg.region
                   : !/^[a-z0-9-]+$/.test(scopeRegion)) {
        return F('signature',
                 `Credential should be scoped to a valid region. `,
                 `credential scope region '${scopeRegion}' is not '`
                 + `${cfg.region || 'a region'}'`);
    }
    if (scopeService !== cfg.service) {
        return F('signature',
                 'Credential should be scoped to correct service: '
                 + `'${cfg.service}'. `,
                 `credential scope service '${scopeService}' is not '`
                 + `${cfg.service}'`);
    }
    if (scopeTerm !== 'aws4_request') {
        return F('signature',
                 'Credential should be scoped with a valid terminator: '
                 + "'aws4_request', not '" + scopeTerm + "'. ",
                 'bad credential scope terminator');
    }

    const signedList = params.SignedHeaders.split(';');
    const signedSet = new Set(signedList);
    if (!signedSet.has('host')) {
        return F('signature',
                 "'Host' or ':authority' must be a 'SignedHeader' in the "
                 + 'AWS Authorization.', 'host not signed');
    }

    const token = headers['x-amz-security-token'];
    if (token !== undefined && !signedSet.has('x-amz-security-token')) {
        return F('signature', null,
                 'x-amz-security-token present but not signed');
    }
    if (key.tokenRequired
        && (token === undefined || !timingSafeEqualHex(token, key.token)))
    {
        return F('unrecognized', null,
                 token === undefined ? 'x-amz-security-token missing'
                                     : 'x-amz-security-token differs');
    }
    if (key.expires !== null && nowMs >= key.expires) {
        return F('expired', null,
                 `credentials ${akid} expired at `
                 + new Date(key.expires).toISOString());
    }

    const bodyHash = crypto.createHash('sha256').update(body).digest('hex');
    if (headers['x-amz-content-sha256'] !== undefined
        && headers['x-amz-content-sha256'] !== bodyHash)
    {
        return F('signature', null,
                 'x-amz-content-sha256 is not the SHA-256 of the body');
    }

    const signedHeaders = {};
    for (const name of signedList) {
        if (headers[name] === undefined) {
            return F('signature', null,
                     `signed header '${name}' is not in the request`);
        }
        signedHeaders[name] = headers[name];
    }

    const target = splitTarget(req.url);
    const request = new HttpRequest({
        method: req.method,
        protocol: 'http:',
        hostname: (headers.host || 'localhost').replace(/:\d+$/, ''),
        path: target.path,
        query: parseQuery(target.query),
        headers: signedHeaders,
        body,
    });

    const signer = new SignatureV4({
        credentials: {
            accessKeyId: akid,
            secretAccessKey: key.secret,
            sessionToken: token,
        },
        region: scopeRegion,
        service: scopeService,
        sha256: Sha256,
        uriEscapePath: true,
        applyChecksum: false,
    });

    const signed = await signer.sign(request, {
        signingDate,
        signableHeaders: signedSet,
    });
    const m = /SignedHeaders=([^,]*), Signature=([0-9a-f]+)$/
        .exec(signed.headers.authorization);
    const expected = m ? m[2] : '';
    const expectedList = m ? m[1] : '';

    if (expectedList === params.SignedHeaders
        && timingSafeEqualHex(expected, params.Signature))
    {
        return { ok: true, auth: 'sigv4', credential: key.credential,
                 region: scopeRegion };
    }

    /* Mismatch: compute what AWS would show (canonical request and
     * string-to-sign), with the signer's own helpers, for /__requests. */
    const canonicalHeaders =
        getCanonicalHeaders(request, undefined, signedSet);
    const payloadHash = await getPayloadHash(request, Sha256);
    const creq = signer.createCanonicalRequest(request, canonicalHeaders,
                                               payloadHash);
    const sts = await signer.createStringToSign(
        xdate, `${scopeDate}/${scopeRegion}/${scopeService}/aws4_request`,
        creq, 'AWS4-HMAC-SHA256');

    return F('signature', null,
             expectedList !== params.SignedHeaders
                 ? `signed header list differs (double: ${expectedList})`
                 : 'signature mismatch',
             { canonical_request: redactToken(creq, token),
               string_to_sign: sts });
}

module.exports = { verify, receivedHeaders, splitTarget, parseAmzDate,
                   amzDate, CORAL_SERVICE, MSG_SIGNATURE, MSG_BAD_TOKEN,
                   MSG_EXPIRED_TOKEN };
