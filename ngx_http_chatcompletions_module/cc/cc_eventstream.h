
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_EVENTSTREAM_H_INCLUDED_
#define _CC_EVENTSTREAM_H_INCLUDED_


/*
 * Decoder for application/vnd.amazon.eventstream, the binary framing of
 * Bedrock ConverseStream response bodies.  A message is
 *
 *     total_length(4) headers_length(4) prelude_crc(4)
 *     headers(headers_length) payload message_crc(4)
 *
 * with big-endian integers and zlib CRC-32s.  HTTP chunk boundaries have
 * no relation to message boundaries, so the decoder is resumable: it is
 * fed whatever bytes arrived and keeps a partial message across calls.
 *
 * A whole message found inside one input buffer is decoded in place; only
 * a message split across buffers is copied, into one buffer drawn from the
 * arena once its prelude (and so its length) is known.  Any CRC or framing
 * error is fatal and sticky: the byte stream can no longer be trusted.
 */


#include "cc_json.h"


/* the service-side maximum message size, as in aws-c-event-stream */
#define CC_ES_MAX_MESSAGE    (24 * 1024 * 1024)

#define CC_ES_PRELUDE_LEN    12
#define CC_ES_MIN_MESSAGE    16


/* header value types, numbered as on the wire */
typedef enum {
    CC_ES_BOOL_TRUE = 0,
    CC_ES_BOOL_FALSE,
    CC_ES_BYTE,
    CC_ES_SHORT,
    CC_ES_INTEGER,
    CC_ES_LONG,
    CC_ES_BYTE_ARRAY,
    CC_ES_STRING,
    CC_ES_TIMESTAMP,
    CC_ES_UUID
} cc_es_header_type_e;


/*
 * A decoded message.  All pointers point either into the caller's input
 * or into the decoder's buffer: they are read-only (cc_str_t is not const
 * only for convenience) and valid until the next cc_es_decode() call on
 * the same decoder, and no longer than the input buffer itself.  String
 * fields of absent headers are { 0, NULL }; they are filled only from
 * string-typed (7) headers.
 */
typedef struct {
    cc_str_t                  message_type;     /* :message-type */
    cc_str_t                  event_type;       /* :event-type */
    cc_str_t                  exception_type;   /* :exception-type */
    cc_str_t                  error_code;       /* :error-code */
    cc_str_t                  error_message;    /* :error-message */
    cc_str_t                  content_type;     /* :content-type */

    const u_char             *payload;
    size_t                    payload_len;

    /* the raw headers section (every header in it is well-formed) */
    const u_char             *headers;
    size_t                    headers_len;

    /* total_length of the message on the wire */
    size_t                    length;
} cc_es_message_t;


/* caller-allocated; initialize with cc_es_init(), no cleanup needed */
typedef struct {
    cc_alloc_t               *alloc;
    size_t                    max_message;

    /* bytes of the current message collected so far (0: between messages) */
    size_t                    have;

    /* the current message's prelude, valid once have >= 12 */
    uint32_t                  total;
    uint32_t                  headers_len;
    uint32_t                  prelude_crc;
    u_char                    prelude[CC_ES_PRELUDE_LEN];

    /* assembly buffer for messages split across inputs, reused */
    u_char                   *buf;
    size_t                    size;

    /* non-NULL once a fatal error happened */
    const char               *err;
} cc_es_decoder_t;


/* max_message: the largest total_length accepted; 0 means 24 MiB */
void cc_es_init(cc_es_decoder_t *d, cc_alloc_t *a, size_t max_message);

/*
 * Consumes input from *pos up to last.
 *
 * CC_OK: one message was decoded into *msg and *pos points past the bytes
 * it used; call again for the next one.  CC_AGAIN: all input was consumed
 * (kept if part of a message) and more is needed.  CC_ERROR: fatal; *err
 * is a static string naming the problem (it never contains input data),
 * and every later call returns CC_ERROR with the same string.
 *
 *     while ((rc = cc_es_decode(d, &p, last, &m, &err)) == CC_OK) {
 *         handle(&m);
 *     }
 */
int cc_es_decode(cc_es_decoder_t *d, const u_char **pos, const u_char *last,
    cc_es_message_t *msg, const char **err);

/* non-zero if part of a message is buffered: EOF now means truncation */
int cc_es_pending(const cc_es_decoder_t *d);

/*
 * Running zlib CRC-32 (reflected 0xEDB88320, init and final xor
 * 0xFFFFFFFF): cc_crc32(0, p, n) == zlib crc32(p), and
 * cc_crc32(cc_crc32(0, a, na), b, nb) is the CRC of a followed by b.
 */
uint32_t cc_crc32(uint32_t crc, const u_char *p, size_t n);

/*
 * On x86-64 CPUs with PCLMULQDQ, inputs of 16 bytes or more take the
 * carry-less multiplication; the slice-by-8 tables serve the rest.  For
 * tests and benchmarks: on = 0 forces the tables, on = 1 restores the
 * choice by CPUID, on < 0 changes nothing.  Returns 1 if cc_crc32() now
 * uses the carry-less multiplication.
 */
int cc_crc32_use_clmul(int on);


#endif /* _CC_EVENTSTREAM_H_INCLUDED_ */
