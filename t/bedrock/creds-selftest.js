#!/usr/bin/env node
'use strict';
/*
 * Self-check of the credential doubles (lib/credentials.js):
 * node creds-selftest.js (also part of npm test).
 *
 * Starts `node double.js --port 0` and proves the doubles speak the real
 * wire formats with AWS's own clients: @aws-sdk/client-sts (its XML
 * deserializer reads the double's answers, its signer signs AssumeRole),
 * @smithy/credential-provider-imds (fromInstanceMetadata,
 * fromContainerMetadata) and @aws-sdk/credential-provider-http (fromHttp).
 * Then the Bedrock double must accept exactly the issued sets.
 */
/* the pinned SDK warns on node < 22 about releases after January 2027 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const assert = require('assert/strict');
const http = require('http');
const path = require('path');
const { spawn } = require('child_process');

const { SignatureV4 } = require('@smithy/signature-v4');
const { HttpRequest } = require('@smithy/protocol-http');
const { Sha256 } = require('@aws-crypto/sha256-js');
const { STSClient, AssumeRoleCommand, AssumeRoleWithWebIdentityCommand,
        InvalidIdentityTokenException } = require('@aws-sdk/client-sts');
const { fromInstanceMetadata, fromContainerMetadata } =
    require('@smithy/credential-provider-imds');
const { fromHttp } = require('@aws-sdk/credential-provider-http');
const { config } = require('./lib/credentials');

const AKID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const STATIC = { accessKeyId: AKID, secretAccessKey: SECRET };
const MODEL_PATH = '/model/amazon.nova-lite-v1%3A0';
const ROLE = 'arn:aws:iam::111111111111:role/fintalk-web-role';
const XROLE = 'arn:aws:iam::222222222222:role/bedrock-cross-account';
const ISO_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

let port;
let base;
const secretsSeen = [];         /* must never reach the double's stdout */

/* ---------------------------------------------------------------- client */

function send(method, urlPath, headers, body, opts) {
    opts = opts || {};
    return new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method,
                                   path: urlPath, headers: headers || {},
                                   agent: false, timeout: opts.timeout },
                                 (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
                const text = Buffer.concat(chunks).toString('utf8');
                let json;
                if (/json/.test(res.headers['content-type'] || '')) {
                    json = JSON.parse(text);
                }
                resolve({ status: res.statusCode, headers: res.headers,
                          text, json });
            });
        });
        req.on('timeout', () => {
            req.destroy(Object.assign(new Error('client timeout'),
                                      { code: 'CLIENT_TIMEOUT' }));
        });
        req.on('error', reject);
        req.end(body);
    });
}

const getCreds = async () => (await send('GET', '/__creds')).json;

async function control(obj) {
    const r = await send('POST', '/__creds',
                         { 'content-type': 'application/json' },
                         JSON.stringify(obj));
    assert.equal(r.status, 200, r.text);
    return r.json;
}

async function imdsToken(ttl) {
    const r = await send('PUT', '/latest/api/token',
                         { 'X-aws-ec2-metadata-token-ttl-seconds':
                           String(ttl || 21600) });
    assert.equal(r.status, 200, r.text);
    return r.text;
}

function sts(credentials, region) {
    return new STSClient({ region: region || 'us-east-1', endpoint: base,
                           credentials: credentials || STATIC,
                           maxAttempts: 1 });
}

function webIdentity(token, extra) {
    return sts().send(new AssumeRoleWithWebIdentityCommand(Object.assign({
        RoleArn: ROLE, RoleSessionName: 'selftest',
        WebIdentityToken: token || 'web-identity-token-1' }, extra || {})));
}

/* STS Credentials, IMDS/container JSON or a provider identity -> the
 * signer's credentials */
function asCreds(c) {
    const out = c.AccessKeyId
        ? { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey,
            sessionToken: c.SessionToken || c.Token }
        : { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey,
            sessionToken: c.sessionToken };
    secretsSeen.push(out.secretAccessKey, out.sessionToken);
    return out;
}

/* a Converse call signed with `creds` (tokenOverride: send another
 * x-amz-security-token, or null for none, still signed) */
async function converse(creds, opts) {
    opts = opts || {};
    const body = JSON.stringify({
        messages: [{ role: 'user', content: [{ text: 'Hello' }] }] });
    const c = Object.assign({}, creds);
    if (opts.token !== undefined) {
        c.sessionToken = opts.token === null ? undefined : opts.token;
    }
    const signer = new SignatureV4({ credentials: c, region: 'us-east-1',
                                     service: 'bedrock', sha256: Sha256,
                                     uriEscapePath: true,
                                     applyChecksum: false });
    const req = await signer.sign(new HttpRequest({
        method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port,
        path: `${MODEL_PATH}/converse`,
        headers: { host: `127.0.0.1:${port}`,
                   'content-type': 'application/json',
                   'x-double-scenario': `text=ok; id=${opts.id || 'c'}` },
        body }), { signingDate: new Date() });
    return send('POST', req.path, req.headers, body);
}

function assertBedrockError(r, status, name, message) {
    assert.equal(r.status, status, r.text);
    assert.equal(r.headers['x-amzn-errortype'].split(':')[0], name);
    if (message !== undefined) {
        assert.equal(r.json.message, message);
    }
}

async function lastRecorded(id) {
    const log = (await send('GET', '/__requests')).json;
    return log.filter((e) => e.id === id).pop();
}

function checkIssuedShape(c) {
    assert.match(c.AccessKeyId, /^ASIA[A-Z0-9]{16}$/);
    assert.match(c.SecretAccessKey, /^[A-Za-z0-9/+]{40}$/);
    assert.ok(c.SessionToken.length >= 600 && c.SessionToken.length <= 900,
              `token length ${c.SessionToken.length}`);
    assert.match(c.SessionToken, /^[A-Za-z0-9+/=]+$/);
}

async function expectError(promise, check) {
    try {
        await promise;
    } catch (e) {
        check(e);
        return e;
    }
    assert.fail('expected an error');
}

/* ----------------------------------------------------------------- tests */

const tests = [];
function test(name, fn) {
    tests.push({ name, fn });
}

test('STS SDK: AssumeRoleWithWebIdentity is parsed by the SDK', async () => {
    await send('POST', '/__creds/reset', {}, '');
    const r = await webIdentity('web-identity-token-2',
                                { DurationSeconds: 900 });
    checkIssuedShape(r.Credentials);
    assert.ok(r.Credentials.Expiration instanceof Date);
    const left = r.Credentials.Expiration.getTime() - Date.now();
    assert.ok(left > 3590e3 && left <= 3600e3, `expires in ${left} ms`);
    assert.equal(r.AssumedRoleUser.Arn,
                 'arn:aws:sts::111111111111:assumed-role/fintalk-web-role/'
                 + 'selftest');
    assert.match(r.AssumedRoleUser.AssumedRoleId,
                 /^AROA[A-Z0-9]{17}:selftest$/);
    assert.equal(r.Audience, 'sts.amazonaws.com');
    assert.match(r.SubjectFromWebIdentityToken, /^system:serviceaccount:/);
    assert.match(r.Provider, /oidc-provider/);
    asCreds(r.Credentials);

    const s = await getCreds();
    assert.deepEqual(s.web_identity_tokens, ['web-identity-token-2']);
    assert.equal(s.issued.length, 1);
    const i = s.issued[0];
    assert.equal(i.access_key_id, r.Credentials.AccessKeyId);
    assert.equal(i.source, 'web_identity');
    assert.equal(i.principal, ROLE);
    assert.equal(i.signed_by, null);
    assert.equal(i.expires,
                 r.Credentials.Expiration.toISOString()
                     .replace(/\.000Z$/, 'Z'));
    assert.equal(s.hits.sts_web_identity, 1);
    assert.ok(!JSON.stringify(s).includes(r.Credentials.SessionToken));
    assert.ok(!JSON.stringify(s).includes(r.Credentials.SecretAccessKey));
});

test('STS SDK: errors surface as the SDK\'s named exceptions', async () => {
    await expectError(webIdentity('not-a-token'), (e) => {
        assert.ok(e instanceof InvalidIdentityTokenException, e.name);
        assert.equal(e.$metadata.httpStatusCode, 400);
        assert.match(e.message, /not a valid JWT/);
    });
    await expectError(webIdentity(undefined, { DurationSeconds: 899 }),
        (e) => {
            assert.equal(e.name, 'ValidationError');
            assert.match(e.message, /durationSeconds.*greater than or equal/);
        });
    await expectError(webIdentity(undefined, { DurationSeconds: 43201 }),
        (e) => assert.equal(e.name, 'ValidationError'));
    await expectError(webIdentity(undefined, { RoleArn: 'arn:aws:iam::1:x' }),
        (e) => {
            assert.equal(e.name, 'ValidationError');
            assert.equal(e.message, 'Request ARN is invalid');
        });
    await expectError(webIdentity(undefined, { RoleSessionName: 'a b' }),
        (e) => assert.equal(e.name, 'ValidationError'));
    const s = await getCreds();
    assert.deepEqual(s.web_identity_tokens.slice(-2),
                     ['web-identity-token-1', 'web-identity-token-1']);
    assert.ok(s.web_identity_tokens.includes('not-a-token'));
    assert.equal(s.failures.sts_web_identity, 5);
});

test('STS wire: raw query bodies, Version, XML escaping', async () => {
    const form = 'Action=AssumeRoleWithWebIdentity&Version=2011-06-15'
        + '&RoleArn=' + encodeURIComponent(ROLE)
        + '&RoleSessionName=a%26b%3Cc' + '&WebIdentityToken=web-identity-'
        + 'token-1';
    const ct = { 'content-type':
                 'application/x-www-form-urlencoded; charset=utf-8' };
    let r = await send('POST', '/', ct, form);
    assert.equal(r.status, 400);        /* & and < are not session chars */
    assert.match(r.headers['content-type'], /^text\/xml/);
    assert.match(r.text, /^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">\n  <Error>\n    <Type>Sender<\/Type>\n    <Code>ValidationError<\/Code>\n    <Message>[^<]*'a&amp;b&lt;c'[^<]*\[\\w\+=,\.@-\]\*<\/Message>\n  <\/Error>\n  <RequestId>[0-9a-f-]{36}<\/RequestId>\n<\/ErrorResponse>\n$/);
    r = await send('POST', '/', ct, form.replace('a%26b%3Cc', 'ok.s@1')
                                     .replace('2011-06-15', '2011-06-14'));
    assert.equal(r.status, 400);
    assert.match(r.text, /<Code>InvalidAction<\/Code>/);
    r = await send('POST', '/', ct, form.replace('a%26b%3Cc', 'ok.s@1'));
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /^<AssumeRoleWithWebIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">\n  <AssumeRoleWithWebIdentityResult>\n    <Credentials>\n      <AccessKeyId>ASIA[A-Z0-9]{16}<\/AccessKeyId>\n      <SecretAccessKey>[A-Za-z0-9/+]{40}<\/SecretAccessKey>\n      <SessionToken>[A-Za-z0-9/+=]{600,900}<\/SessionToken>\n      <Expiration>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ<\/Expiration>\n    <\/Credentials>\n    <SubjectFromWebIdentityToken>/);
    assert.match(r.text, /<\/AssumedRoleUser>\n    <Provider>[^<]+<\/Provider>\n    <Audience>sts\.amazonaws\.com<\/Audience>\n  <\/AssumeRoleWithWebIdentityResult>\n  <ResponseMetadata>\n    <RequestId>[0-9a-f-]{36}<\/RequestId>\n  <\/ResponseMetadata>\n<\/AssumeRoleWithWebIdentityResponse>\n$/);
    secretsSeen.push(/<SessionToken>([^<]+)</.exec(r.text)[1]);
    /* AssumeRole without a signature */
    r = await send('POST', '/', ct, 'Action=AssumeRole&Version=2011-06-15'
                   + `&RoleArn=${encodeURIComponent(ROLE)}`
                   + '&RoleSessionName=x1');
    assert.equal(r.status, 403);
    assert.match(r.text, /<Code>MissingAuthenticationToken<\/Code>/);
});

test('STS SDK: AssumeRole signed by the SDK (static, issued, chained)',
     async () => {
    await send('POST', '/__creds/reset', {}, '');
    const a = await sts(STATIC, 'eu-west-1').send(new AssumeRoleCommand({
        RoleArn: ROLE, RoleSessionName: 'from-static' }));
    checkIssuedShape(a.Credentials);
    assert.equal(a.AssumedRoleUser.Arn, 'arn:aws:sts::111111111111:'
                 + 'assumed-role/fintalk-web-role/from-static');
    const wi = await webIdentity();
    const b = await sts(asCreds(wi.Credentials)).send(new AssumeRoleCommand({
        RoleArn: XROLE, RoleSessionName: 'chained',
        ExternalId: 'fintalk-external-id', DurationSeconds: 3600 }));
    checkIssuedShape(b.Credentials);
    const s = await getCreds();
    const by = (k) => s.issued.find((i) => i.access_key_id === k);
    assert.deepEqual(by(a.Credentials.AccessKeyId).signed_by,
                     { source: 'static', principal: null,
                       access_key_id: AKID });
    assert.equal(by(a.Credentials.AccessKeyId).region, 'eu-west-1');
    assert.equal(by(a.Credentials.AccessKeyId).source, 'assume_role');
    assert.equal(by(a.Credentials.AccessKeyId).principal, ROLE);
    assert.deepEqual(by(b.Credentials.AccessKeyId).signed_by,
                     { source: 'web_identity', principal: ROLE,
                       access_key_id: wi.Credentials.AccessKeyId });
    assert.equal(by(b.Credentials.AccessKeyId).principal, XROLE);
    assert.equal(by(a.Credentials.AccessKeyId).external_id, null);
    assert.equal(by(a.Credentials.AccessKeyId).duration_seconds, null);
    assert.equal(by(b.Credentials.AccessKeyId).external_id,
                 'fintalk-external-id');
    assert.equal(by(b.Credentials.AccessKeyId).duration_seconds, 3600);
    assert.equal(by(wi.Credentials.AccessKeyId).session_name, 'selftest');
    assert.equal(by(wi.Credentials.AccessKeyId).duration_seconds, null);
    assert.equal('external_id' in by(wi.Credentials.AccessKeyId), false);
    assert.equal(s.hits.sts_assume_role, 2);
    assert.equal(s.failures.sts_assume_role, 0);
    asCreds(a.Credentials);
    asCreds(b.Credentials);
});

test('STS: AssumeRole refusals (ExternalId, keys, token, expiry)',
     async () => {
    await expectError(sts().send(new AssumeRoleCommand({
        RoleArn: XROLE, RoleSessionName: 'noext' })), (e) => {
        assert.equal(e.name, 'AccessDenied');
        assert.equal(e.$metadata.httpStatusCode, 403);
        assert.match(e.message, /not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role\/bedrock-cross-account$/);
    });
    await expectError(sts().send(new AssumeRoleCommand({
        RoleArn: XROLE, RoleSessionName: 'badext', ExternalId: 'nope' })),
        (e) => assert.equal(e.name, 'AccessDenied'));
    await expectError(sts({ accessKeyId: 'AKIDUNKNOWN',
                            secretAccessKey: SECRET }).send(
        new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'x1' })),
        (e) => {
            assert.equal(e.name, 'InvalidClientTokenId');
            assert.equal(e.$metadata.httpStatusCode, 403);
        });
    await expectError(sts({ accessKeyId: AKID, secretAccessKey: 'x' + SECRET })
        .send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'x1' })),
        (e) => assert.equal(e.name, 'SignatureDoesNotMatch'));
    const wi = asCreds((await webIdentity()).Credentials);
    await expectError(sts(Object.assign({}, wi, { sessionToken: 'x' }))
        .send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'x1' })),
        (e) => assert.equal(e.name, 'InvalidClientTokenId'));
    await expectError(sts(Object.assign({}, wi, { sessionToken: undefined }))
        .send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'x1' })),
        (e) => assert.equal(e.name, 'InvalidClientTokenId'));
    /* X-Double-Creds-Ttl: 0 issues a set that is already expired */
    const t = await imdsToken();
    const r = await send('GET', '/latest/meta-data/iam/security-credentials/'
                         + 'fintalk-bedrock-role',
                         { 'X-aws-ec2-metadata-token': t,
                           'X-Double-Creds-Ttl': '0' });
    const dead = asCreds(JSON.parse(r.text));
    await expectError(sts(dead).send(new AssumeRoleCommand({
        RoleArn: ROLE, RoleSessionName: 'x1' })), (e) => {
        assert.equal(e.name, 'ExpiredToken');
        assert.equal(e.message,
                     'The security token included in the request is expired');
    });
    const s = await getCreds();
    assert.equal(s.failures.sts_assume_role, 7);
});

test('IMDS SDK: fromInstanceMetadata gets a set from the double',
     async () => {
    await send('POST', '/__creds/reset', {}, '');
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = base;
    process.env.AWS_EC2_METADATA_V1_DISABLED = 'true';
    const c = await fromInstanceMetadata({ timeout: 1000 })();
    assert.match(c.accessKeyId, /^ASIA[A-Z0-9]{16}$/);
    assert.ok(c.expiration instanceof Date);
    const s = await getCreds();
    assert.deepEqual([s.hits.imds_token, s.hits.imds_role,
                      s.hits.imds_credentials], [1, 1, 1]);
    assert.equal(s.issued[0].source, 'imds');
    assert.equal(s.issued[0].principal, 'fintalk-bedrock-role');
    assert.equal(s.issued[0].access_key_id, c.accessKeyId);

    const r = await converse(asCreds(c), { id: 'imds-signed' });
    assert.equal(r.status, 200, r.text);
    const e = await lastRecorded('imds-signed');
    assert.equal(e.verified, true);
    assert.deepEqual(e.credential, { source: 'imds',
                                     principal: 'fintalk-bedrock-role',
                                     access_key_id: c.accessKeyId });
});

test('IMDS wire: token TTL, X-Forwarded-For, 401, 404, region, JSON',
     async () => {
    const P = '/latest/meta-data/iam/security-credentials/';
    for (const ttl of [undefined, '0', '21601', 'abc', '-1']) {
        const h = ttl === undefined ? {}
            : { 'X-aws-ec2-metadata-token-ttl-seconds': ttl };
        const r = await send('PUT', '/latest/api/token', h);
        assert.equal(r.status, 400, `ttl ${ttl}`);
    }
    let r = await send('PUT', '/latest/api/token',
                       { 'X-aws-ec2-metadata-token-ttl-seconds': '60',
                         'X-Forwarded-For': '10.0.0.1' });
    assert.equal(r.status, 403);
    r = await send('PUT', '/latest/api/token',
                   { 'X-aws-ec2-metadata-token-ttl-seconds': '21600' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-aws-ec2-metadata-token-ttl-seconds'], '21600');
    assert.match(r.headers['content-type'], /^text\/plain/);
    const t = r.text;
    for (const h of [{}, { 'X-aws-ec2-metadata-token': 'AQAEAnope' }]) {
        r = await send('GET', P, h);
        assert.equal(r.status, 401);
        assert.equal(r.text, '');
    }
    r = await send('GET', P, { 'X-aws-ec2-metadata-token': t });
    assert.equal(r.text, 'fintalk-bedrock-role');
    r = await send('GET', P + 'other-role', { 'X-aws-ec2-metadata-token': t });
    assert.equal(r.status, 404);
    r = await send('GET', '/latest/meta-data/placement/region',
                   { 'X-aws-ec2-metadata-token': t });
    assert.equal(r.text, 'us-east-1');
    r = await send('GET', P + 'fintalk-bedrock-role',
                   { 'X-aws-ec2-metadata-token': t,
                     'X-Double-Creds-Ttl': '120' });
    assert.equal(r.status, 200);
    assert.match(r.text, /^\{\n  "Code" : "Success",\n  "LastUpdated" : "[^"]+",\n  "Type" : "AWS-HMAC",\n  "AccessKeyId" : "ASIA[A-Z0-9]{16}",\n  "SecretAccessKey" : "[^"]{40}",\n  "Token" : "[^"]+",\n  "Expiration" : "[^"]+"\n\}$/);
    const j = JSON.parse(r.text);
    secretsSeen.push(j.SecretAccessKey, j.Token);
    assert.match(j.Expiration, ISO_RE);
    assert.match(j.LastUpdated, ISO_RE);
    const left = Date.parse(j.Expiration) - Date.now();
    assert.ok(left > 118e3 && left <= 120e3, `expires in ${left}`);
    const s = await getCreds();
    assert.equal(s.issued.find((i) => i.access_key_id === j.AccessKeyId).ttl,
                 120);
});

test('container SDK: fromContainerMetadata and fromHttp with a token',
     async () => {
    await send('POST', '/__creds/reset', {}, '');
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `${base}/v1/credentials`;
    process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = 'container-auth-token-2';
    const a = await fromContainerMetadata({ timeout: 1000 })();
    delete process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
    delete process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
    const b = await fromHttp({
        awsContainerCredentialsFullUri: `${base}/v1/credentials`,
        awsContainerAuthorizationToken: 'container-auth-token-1',
    })();
    for (const c of [a, b]) {
        assert.match(c.accessKeyId, /^ASIA[A-Z0-9]{16}$/);
        assert.ok(c.expiration instanceof Date);
        const r = await converse(asCreds(c), { id: 'ctr' });
        assert.equal(r.status, 200, r.text);
        const e = await lastRecorded('ctr');
        assert.deepEqual(e.credential, {
            source: 'container',
            principal: 'arn:aws:iam::111111111111:role/fintalk-task-role',
            access_key_id: c.accessKeyId });
    }
    const s = await getCreds();
    assert.deepEqual(s.container_tokens,
                     ['container-auth-token-2', 'container-auth-token-1']);
    assert.equal(s.hits.container, 2);
});

test('container wire: 401 JSON, /v2 relative URI, RoleArn', async () => {
    for (const h of [{}, { Authorization: 'wrong' }]) {
        const r = await send('GET', '/v1/credentials', h);
        assert.equal(r.status, 401);
        assert.equal(typeof r.json.message, 'string');
    }
    const r = await send('GET', '/v2/credentials/0f1e2d3c-task');
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.json), ['AccessKeyId', 'SecretAccessKey',
                                           'Token', 'Expiration', 'RoleArn']);
    assert.equal(r.json.RoleArn,
                 'arn:aws:iam::111111111111:role/fintalk-task-role');
    assert.match(r.json.Expiration, ISO_RE);
    secretsSeen.push(r.json.SecretAccessKey, r.json.Token);
    const s = await getCreds();
    assert.equal(s.failures.container, 2);
    assert.ok(s.container_tokens.includes('wrong'));
});

test('Bedrock: issued sets need their token; unknown, reset', async () => {
    const t = await imdsToken();
    const c = asCreds(JSON.parse((await send('GET',
        '/latest/meta-data/iam/security-credentials/fintalk-bedrock-role',
        { 'X-aws-ec2-metadata-token': t })).text));
    const BAD = 'The security token included in the request is invalid.';
    assertBedrockError(await converse(c, { token: null }), 403,
                       'UnrecognizedClientException', BAD);
    assertBedrockError(await converse(c, { token: c.sessionToken + 'x' }),
                       403, 'UnrecognizedClientException', BAD);
    assertBedrockError(await converse(Object.assign({}, c, {
        secretAccessKey: SECRET })), 403, 'InvalidSignatureException');
    const e = await lastRecorded('c');
    assert.equal(e.verified, false);
    assert.equal(e.credential.access_key_id, c.accessKeyId);
    assert.equal(await (await send('POST', '/__reset', {}, '')).text, 'ok');
    assert.equal((await converse(c)).status, 200);  /* /__reset keeps it */
    await send('POST', '/__creds/reset', {}, '');
    assertBedrockError(await converse(c), 403, 'UnrecognizedClientException',
                       BAD);
    /* the static key still works, recorded as such */
    const r = await converse(STATIC, { id: 'static' });
    assert.equal(r.status, 200);
    assert.deepEqual((await lastRecorded('static')).credential,
                     { source: 'static', principal: null,
                       access_key_id: AKID });
});

test('expiry: ttl 2 s via /__creds, then ExpiredTokenException; IMDS token '
     + 'expiry', async () => {
    await control({ ttl: 2 });
    const wi = await webIdentity();
    const c = asCreds(wi.Credentials);
    const t = await imdsToken(1);
    assert.equal((await converse(c)).status, 200);
    const until = wi.Credentials.Expiration.getTime();
    assert.ok(until - Date.now() <= 2000);
    await new Promise((r) => setTimeout(r, Math.max(until - Date.now(), 1000)
                                           + 30));
    assertBedrockError(await converse(c, { id: 'expired' }), 403,
                       'ExpiredTokenException',
                       'The security token included in the request is '
                       + 'expired');
    const e = await lastRecorded('expired');
    assert.equal(e.credential.source, 'web_identity');
    const r = await send('GET', '/latest/meta-data/placement/region',
                         { 'X-aws-ec2-metadata-token': t });
    assert.equal(r.status, 401);
    const s = await control({ ttl: null });
    assert.equal(s.ttl, 3600);
    assert.equal(s.issued.find((i) => i.access_key_id === c.accessKeyId)
                     .expired, true);
});

test('faults: down, refuse, hang, slow (global and per request)',
     async () => {
    await send('POST', '/__creds/reset', {}, '');
    const H = { 'X-aws-ec2-metadata-token-ttl-seconds': '60' };
    let s = await control({ faults: { imds: 'down' } });
    assert.equal(s.faults.imds, 'down');
    let r = await send('PUT', '/latest/api/token', H);
    assert.equal(r.status, 503);
    r = await send('PUT', '/latest/api/token',
                   Object.assign({ 'X-Double-Creds-Fault': 'ok' }, H));
    assert.equal(r.status, 200);
    /* the SDK's token PUT gets 503; IMDSv1 is off (AWS_EC2_METADATA_V1_
     * DISABLED), so it gives up */
    await expectError(fromInstanceMetadata({ timeout: 500 })(),
                      (e) => assert.match(e.message, /Metadata v1 fallback/));
    await control({ faults: { imds: 'ok', sts: 'down' } });
    await expectError(webIdentity(), (e) => {
        assert.equal(e.$metadata.httpStatusCode, 503);
        assert.equal(e.name, 'ServiceUnavailable');
    });
    await control({ faults: { sts: 'ok', container: 'refuse' } });
    await expectError(send('GET', '/v2/credentials/x'),
                      (e) => assert.match(e.code, /ECONNRESET|EPIPE/));
    await control({ faults: { container: 'ok' } });
    await expectError(send('PUT', '/latest/api/token',
                           Object.assign({ 'X-Double-Creds-Fault': 'hang' },
                                         H), '', { timeout: 150 }),
                      (e) => assert.equal(e.code, 'CLIENT_TIMEOUT'));
    let t0 = Date.now();
    r = await send('GET', '/v2/credentials/x',
                   { 'X-Double-Creds-Fault': 'slow:200' });
    assert.equal(r.status, 200);
    assert.ok(Date.now() - t0 >= 190, `slow answered in ${Date.now() - t0}`);
    secretsSeen.push(r.json.SecretAccessKey, r.json.Token);
    await control({ faults: { container: 'slow' }, delay_ms: 100 });
    t0 = Date.now();
    r = await send('GET', '/v2/credentials/x');
    assert.ok(Date.now() - t0 >= 90);
    secretsSeen.push(r.json.SecretAccessKey, r.json.Token);
    r = await send('GET', '/v2/credentials/x',
                   { 'X-Double-Creds-Fault': 'slow:oops' });
    assert.equal(r.status, 400);
    /* a slow answer the client gave up on is dropped */
    await expectError(send('GET', '/v2/credentials/x',
                           { 'X-Double-Creds-Fault': 'slow:300' }, '',
                           { timeout: 50 }),
                      (e) => assert.equal(e.code, 'CLIENT_TIMEOUT'));
    await new Promise((res) => setTimeout(res, 30));
    s = await getCreds();
    assert.equal(s.hits.imds_token, 4);
    assert.equal(s.failures.imds_token, 3);     /* down, SDK's down, hang */
    assert.equal(s.hits.imds_role, 0);
    assert.equal(s.hits.sts_web_identity, 1);
    assert.equal(s.failures.sts_web_identity, 1);
    assert.equal(s.hits.container, 5);
    assert.equal(s.failures.container, 3);   /* refuse, bad fault, gave up */
    assert.equal(s.issued.length, 2);
    await send('POST', '/__creds/reset', {}, '');
});

test('/__creds control: validation, reset, stats', async () => {
    for (const bad of [{ ttl: -1 }, { ttl: 'x' }, { faults: { imds: 'x' } },
                       { faults: { s3: 'down' } }, { delay_ms: 1.5 },
                       { other: 1 }, [1]]) {
        const r = await send('POST', '/__creds',
                             { 'content-type': 'application/json' },
                             JSON.stringify(bad));
        assert.equal(r.status, 400, JSON.stringify(bad));
        assert.equal(typeof r.json.message, 'string');
    }
    let s = await control({ ttl: 60, faults: { sts: 'hang' }, delay_ms: 5 });
    assert.equal(s.ttl, 60);
    assert.equal(s.ttl_override, true);
    assert.deepEqual(s.faults, { imds: 'ok', container: 'ok', sts: 'hang' });
    assert.equal(s.delay_ms, 5);
    await send('GET', '/v2/credentials/a');
    s = await getCreds();
    assert.equal(s.issued[0].ttl, 60);
    const r = await send('POST', '/__creds/reset', {}, '');
    s = r.json;
    assert.equal(s.ttl, 3600);
    assert.equal(s.ttl_override, false);
    assert.deepEqual(s.faults, { imds: 'ok', container: 'ok', sts: 'ok' });
    assert.deepEqual(s.issued, []);
    assert.ok(Object.values(s.hits).every((n) => n === 0));
    assert.deepEqual(Object.keys(s).sort(),
                     ['container_tokens', 'delay_ms', 'failures', 'faults',
                      'hits', 'imds_token_ttls', 'issued', 'ttl',
                      'ttl_override', 'web_identity_tokens']);
});

test('/__creds/secrets (DOUBLE_EXPOSE_SECRETS=1), imds_token_ttls',
     async () => {
    assert.equal(config({}).exposeSecrets, false);
    assert.equal(config({ DOUBLE_EXPOSE_SECRETS: '1' }).exposeSecrets, true);
    await send('POST', '/__creds/reset', {}, '');
    const token = await imdsToken(60);
    const c = await send('GET', '/latest/meta-data/iam/security-credentials/'
                         + 'fintalk-bedrock-role',
                         { 'X-aws-ec2-metadata-token': token });
    const j = JSON.parse(c.text);
    asCreds(j);
    const s = await getCreds();
    assert.deepEqual(s.imds_token_ttls, ['60']);
    const r = await send('GET', '/__creds/secrets');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, {
        issued: [{ access_key_id: j.AccessKeyId,
                   secret_access_key: j.SecretAccessKey,
                   session_token: j.Token }],
        imds_tokens: [token],
    });
    secretsSeen.push(token);
    assert.equal((await send('POST', '/__creds/secrets', {}, '')).status,
                 405);
    await send('POST', '/__creds/reset', {}, '');
    assert.deepEqual((await send('GET', '/__creds/secrets')).json,
                     { issued: [], imds_tokens: [] });
    assert.deepEqual((await getCreds()).imds_token_ttls, []);
});

/* ------------------------------------------------------------------ main */

async function main() {
    const child = spawn(process.execPath, [path.join(__dirname, 'double.js'),
                                           '--port', '0'],
                        { stdio: ['ignore', 'pipe', 'inherit'],
                          env: Object.assign({}, process.env,
                                             { DOUBLE_EXPOSE_SECRETS: '1' }) });
    let out = '';
    port = await new Promise((resolve, reject) => {
        child.stdout.on('data', (d) => {
            out += d;
            const m = /bedrock double listening on 127\.0\.0\.1:(\d+)\n/.exec(out);
            if (m) {
                resolve(Number(m[1]));
            }
        });
        child.on('exit', (c) => reject(new Error('double exited ' + c)));
    });
    base = `http://127.0.0.1:${port}`;

    let failed = 0;
    for (const t of tests) {
        try {
            await t.fn();
            process.stdout.write(`ok - creds: ${t.name}\n`);
        } catch (e) {
            failed++;
            process.stdout.write(`not ok - creds: ${t.name}\n  ${(e.stack || e)
                .toString().split('\n').slice(0, 8).join('\n  ')}\n`);
        }
    }

    const code = await new Promise((resolve) => {
        child.on('exit', (c, sig) => resolve(sig || c));
        child.kill('SIGTERM');
    });
    if (code !== 0) {
        failed++;
        process.stdout.write(`not ok - creds: double exits on SIGTERM (${code})\n`);
    }
    const leaked = secretsSeen.filter((x) => x && out.includes(x));
    if (leaked.length || !secretsSeen.length
        || /wJalrXUtnFEMI|Signature=/.test(out))
    {
        failed++;
        process.stdout.write('not ok - creds: the log leaks a secret or token\n');
    } else {
        process.stdout.write('ok - creds: the log holds no secret or token '
                             + `(${secretsSeen.length} checked)\n`);
    }
    if (process.env.CREDS_SELFTEST_LOG) {
        process.stdout.write(out);
    }
    const n = tests.length + 1;
    process.stdout.write(failed ? `FAILED ${failed}\n`
                                : `all ${n} credential checks passed\n`);
    process.exit(failed ? 1 : 0);
}

main().catch((e) => {
    process.stderr.write(e.stack + '\n');
    process.exit(1);
});
