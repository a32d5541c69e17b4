'use strict';
/*
 * x-double-scenario header: "key=value; key=value ...".
 * Pairs are separated by ';' (whitespace around pairs and around '=' is
 * ignored).  A key without '=' means key=1.  Values of text, pre_text,
 * args, message, error_code, error_message, tool_id and final_text are
 * URL-decoded
 * (decodeURIComponent, and %uXXXX for one UTF-16 unit such as a lone
 * surrogate; a malformed escape leaves the value as is), so
 * encode ';' as %3B and '%' as %25 in them.  Several x-double-scenario
 * headers are joined with ';'.  An unknown key, or a bad value, makes the
 * double answer 500 DoubleScenarioException (a typo must not pass as a
 * Bedrock behaviour).
 */

const ERRORS = {
    /* name: [status, default message, suffix kind] */
    ThrottlingException: [429,
        'Too many requests, please wait before trying again.', 'bedrock'],
    ValidationException: [400,
        'Malformed input request, please reformat your input and try again.',
        'bedrock'],
    AccessDeniedException: [403,
        "You don't have access to the model with the specified model ID.",
        'bedrock'],
    ResourceNotFoundException: [404,
        'Could not resolve the foundation model from the provided model '
        + 'identifier.', 'bedrock'],
    ModelTimeoutException: [408,
        'Model has timed out in processing the request. Try your request '
        + 'again.', 'bedrock'],
    ModelErrorException: [424,
        'The model encountered an error processing your request.', 'bedrock'],
    ModelStreamErrorException: [424,
        'The model encountered an error while streaming the response. Retry '
        + 'your request.', 'bedrock'],
    ConflictException: [400,
        'The request could not be completed due to a conflict.', 'bedrock'],
    InternalServerException: [500,
        'The system encountered an unexpected error during processing. Try '
        + 'your request again.', 'bedrock'],
    ServiceUnavailableException: [503,
        'Bedrock is unable to process your request.', 'bedrock'],
    ServiceQuotaExceededException: [400,
        'Your request exceeds the service quota for your account. You can '
        + 'view your quotas at https://docs.aws.amazon.com/servicequotas/'
        + 'latest/userguide/gs-request-quota.html. You can resubmit your '
        + 'request later.', 'bedrock'],
    ModelNotReadyException: [429,
        'Model is not ready to serve inference requests. The AWS SDK will '
        + 'automatically retry the operation up to 5 times. For information '
        + 'about configuring automatic retries, see Retry behavior in the AWS '
        + 'SDKs and Tools reference guide.', 'bedrock'],
    ExpiredTokenException: [403,
        'The security token included in the request is expired', 'coral'],
    UnrecognizedClientException: [403,
        'The security token included in the request is invalid.', 'coral'],
};

const STREAM_EXCEPTIONS = {
    throttlingException:
        'Too many requests, please wait before trying again.',
    modelStreamErrorException:
        'The model encountered an error while streaming the response. Retry '
        + 'your request.',
    internalServerException:
        'The system encountered an unexpected error during processing. Try '
        + 'your request again.',
    validationException:
        'The model returned the following errors: Input is too long for '
        + 'requested model.',
    serviceUnavailableException: 'Bedrock is unable to process your request.',
};

const NUM_KEYS = ['tokens', 'chunk', 'delay', 'first_delay', 'header_delay',
                  'http', 'split_gap', 'tool_rounds'];
const FLAG_KEYS = ['error_frame', 'truncate', 'stall', 'coalesce', 'echo',
                   'novalidate', 'echo_after_tool'];
const STR_KEYS = ['stop', 'status', 'exception', 'corrupt', 'split', 'tool',
                  'id', 'after', 'usage', 'cache'];
const ENC_KEYS = ['text', 'pre_text', 'args', 'message', 'error_code',
                  'error_message', 'tool_id', 'final_text'];
const CHECKS = [];

/* Keys another module adds (lib/targets.js): { num, flag, str, enc: key
 * lists as above, check(sc, errors): run at the end of every parse } */
function extend(ext) {
    NUM_KEYS.push(...(ext.num || []));
    FLAG_KEYS.push(...(ext.flag || []));
    STR_KEYS.push(...(ext.str || []));
    ENC_KEYS.push(...(ext.enc || []));
    if (ext.check) {
        CHECKS.push(ext.check);
    }
}

function isKey(key) {
    return [NUM_KEYS, FLAG_KEYS, STR_KEYS, ENC_KEYS]
        .some((l) => l.includes(key));
}

/* %uXXXX (a UTF-16 unit, as JavaScript's unescape() reads it) spells
 * what percent-encoded UTF-8 cannot: a lone surrogate, which the JSON of
 * a frame then carries as a \udc00 escape */
function decode(s) {
    const units = (v) => v.replace(/%u([0-9a-fA-F]{4})/g,
        (m, h) => String.fromCharCode(parseInt(h, 16)));
    try {
        return units(decodeURIComponent(s.replace(/%u([0-9a-fA-F]{4})/g,
                                                  '%25u$1')));
    } catch (e) {
        return s;
    }
}

function parsePair(v, key, errors) {
    const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(v);
    if (!m) {
        errors.push(`${key}= wants "N,M", got "${v}"`);
        return null;
    }
    return [Number(m[1]), Number(m[2])];
}

function parse(raw) {
    const sc = {};
    const rawv = {};
    const errors = [];
    if (raw === undefined || raw === null || String(raw).trim() === '') {
        return { sc: null, errors };
    }
    for (let part of String(raw).split(';')) {
        part = part.trim();
        if (part === '') {
            continue;
        }
        const eq = part.indexOf('=');
        const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
        const val = eq < 0 ? '1' : part.slice(eq + 1).trim();

        if (NUM_KEYS.includes(key)) {
            if (!/^\d+$/.test(val)) {
                errors.push(`${key}= wants a non-negative integer, got "${val}"`);
                continue;
            }
            sc[key] = Number(val);
        } else if (FLAG_KEYS.includes(key)) {
            sc[key] = !(val === '0' || val === 'false' || val === '');
        } else if (ENC_KEYS.includes(key)) {
            sc[key] = decode(val);
            rawv[key] = val;
        } else if (STR_KEYS.includes(key)) {
            sc[key] = val;
        } else {
            errors.push(`unknown scenario key "${key}"`);
        }
    }

    if (sc.chunk !== undefined && sc.chunk < 1) {
        errors.push('chunk= must be >= 1');
    }
    if (sc.usage !== undefined) {
        sc.usage = parsePair(sc.usage, 'usage', errors);
    }
    if (sc.cache !== undefined) {
        sc.cache = parsePair(sc.cache, 'cache', errors);
    }
    if (sc.after !== undefined) {
        if (sc.after === 'end') {
            sc.after = 'end';
        } else if (/^\d+$/.test(sc.after)) {
            sc.after = Number(sc.after);
        } else {
            errors.push(`after= wants a number or "end", got "${sc.after}"`);
        }
    }
    if (sc.status !== undefined && !ERRORS[sc.status]
        && sc.http === undefined)
    {
        errors.push(`unknown status "${sc.status}" (give http=NNN for a `
                    + 'custom error name)');
    }
    if (sc.corrupt !== undefined && sc.corrupt !== 'prelude'
        && sc.corrupt !== 'message')
    {
        errors.push('corrupt= wants prelude or message');
    }
    if (sc.split !== undefined && sc.split !== 'bytes'
        && !/^[1-9]\d*$/.test(sc.split))
    {
        errors.push('split= wants "bytes" or a positive integer');
    }
    if (sc.exception !== undefined) {
        const e = sc.exception;
        sc.exception = e.charAt(0).toLowerCase() + e.slice(1);
    }
    if (sc.tool !== undefined) {
        /* "a,b" two tools in one round; "a/b" round 1 a, round 2 b; args
         * and tool_id split on a raw "/" the same way (%2F stays inside) */
        const split = (key) => (rawv[key] === undefined ? []
            : rawv[key].split('/').map(decode));
        const args = split('args');
        const ids = split('tool_id');
        sc.toolRounds = sc.tool.split('/').map((t, i) => ({
            tools: t.split(',').map((s) => s.trim()).filter(Boolean),
            args: args.length ? args[Math.min(i, args.length - 1)]
                              : undefined,
            tool_id: ids.length ? ids[Math.min(i, ids.length - 1)]
                                : undefined,
        }));
        sc.tools = sc.toolRounds[0].tools;
        if (sc.toolRounds.some((r) => r.tools.length === 0)) {
            errors.push('tool= wants a tool name');
        }
    }
    if (sc.tool_rounds !== undefined && sc.tool_rounds < 1) {
        errors.push('tool_rounds= must be >= 1');
    }
    for (const k of ['tool_rounds', 'echo_after_tool', 'final_text']) {
        if (sc[k] !== undefined && sc.tools === undefined) {
            errors.push(`${k}= needs tool=`);
        }
    }
    for (const check of CHECKS) {
        check(sc, errors);
    }
    return { sc, errors };
}

module.exports = { parse, ERRORS, STREAM_EXCEPTIONS, extend, isKey };
