'use strict';
/*
 * Eventstream frames, encoded with AWS's own codec
 * (@smithy/eventstream-codec, utf8 helpers from @smithy/util-utf8).
 */
const { EventStreamCodec } = require('@smithy/eventstream-codec');
const { toUtf8, fromUtf8 } = require('@smithy/util-utf8');

const codec = new EventStreamCodec(toUtf8, fromUtf8);

const PAD_ALPHABET =
    'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/* Bedrock's "p" padding: a prefix of a-zA-Z0-9 whose length varies.
 * Deterministic here (depends on the frame's sequence number) so that
 * byte-level tests (split=, corrupt=) are reproducible. */
function pad(seq) {
    const len = ((seq * 17 + 5) % 47) + 1;
    let s = '';
    while (s.length < len) {
        s += PAD_ALPHABET;
    }
    return s.slice(0, len);
}

function str(value) {
    return { type: 'string', value: String(value) };
}

function encode(headers, payload) {
    return Buffer.from(codec.encode({ headers, body: payload }));
}

/* :message-type event; payload = member structure, unwrapped, + "p". */
function eventFrame(eventType, payload, seq) {
    const body = Object.assign({}, payload);
    if (seq !== undefined && seq !== null) {
        body.p = pad(seq);
    }
    return encode({
        ':event-type': str(eventType),
        ':content-type': str('application/json'),
        ':message-type': str('event'),
    }, fromUtf8(JSON.stringify(body)));
}

/* :message-type exception (modeled stream error). */
function exceptionFrame(exceptionType, payload) {
    return encode({
        ':exception-type': str(exceptionType),
        ':content-type': str('application/json'),
        ':message-type': str('exception'),
    }, fromUtf8(JSON.stringify(payload)));
}

/* :message-type error (unmodeled error), empty payload. */
function errorFrame(code, message) {
    return encode({
        ':error-code': str(code),
        ':error-message': str(message),
        ':message-type': str('error'),
    }, new Uint8Array(0));
}

/* Flip a byte of an encoded frame: 'prelude' corrupts the prelude CRC
 * (byte 8), 'message' corrupts the message CRC (last byte). */
function corrupt(frame, what) {
    const out = Buffer.from(frame);
    const at = what === 'prelude' ? 8 : out.length - 1;
    out[at] ^= 0xff;
    return out;
}

module.exports = { codec, pad, eventFrame, exceptionFrame, errorFrame,
                   corrupt, toUtf8, fromUtf8 };
