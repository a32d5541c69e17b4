
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The eventstream decoder (cc_eventstream) fed Bedrock's body in
 * arbitrary pieces.
 *
 * Input: a control byte, split offsets, then the stream:
 *
 *     byte 0    bits 0-3: the number k of split offsets that follow;
 *               bit 4: max_message 256 instead of the default;
 *               bit 5: also fed one byte at a time (streams up to 2 KiB)
 *     2k bytes  big-endian offsets into the stream, taken modulo its
 *               length, sorted: where the pieces end
 *     the rest  the stream
 *
 * The stream is decoded whole (one input), then in the pieces; every
 * piece lives in a malloc'ed block of its own that is freed once the
 * decoder has returned CC_AGAIN for it, so a read past a piece or a
 * message kept pointing into a freed piece trips ASan.  Asserted: the
 * messages, the final result and its error string, and whether part of a
 * message is pending, are the same however the stream is split; every
 * message is consistent (its length is its parts') and points into the
 * piece or the decoder's own buffer; a message decoded in place uses
 * exactly its length, and its bytes carry both CRCs right (checked here
 * with a CRC-32 of our own, bit by bit); an error is sticky.
 */


#include "fuzz_util.h"
#include "cc_eventstream.h"


typedef struct {
    u_char                   *data;
    size_t                    len;
    size_t                    cap;
} fz_log_t;


static void fz_log_add(fz_log_t *log, const void *p, size_t n);
static void fz_log_str(fz_log_t *log, const u_char *p, size_t n);
static void fz_log_msg(fz_log_t *log, const cc_es_message_t *m);
static void fz_in(const char *what, const u_char *p, size_t n,
    const u_char *lo, const u_char *hi);
static void fz_check_msg(const cc_es_message_t *m, const u_char *piece,
    size_t len, const cc_es_decoder_t *d, size_t max);
static void fz_decode(fz_log_t *log, const u_char *data, size_t len,
    const size_t *ends, size_t nends, size_t max);
static int fz_cmp_size(const void *one, const void *two);
static void fz_check_frame(const u_char *p, const cc_es_message_t *m);
static uint32_t fz_crc32(const u_char *p, size_t n);
static uint32_t fz_be32(const u_char *p);


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


#define FZ_SMALL_MAX  256


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t         i, k, len, max, nends, *ends;
    fz_log_t       whole, split;
    const u_char  *stream;

    if (size < 1) {
        return 0;
    }

    k = data[0] & 0x0f;
    max = (data[0] & 0x10) ? FZ_SMALL_MAX : 0;

    if (size < 1 + 2 * k) {
        return 0;
    }

    stream = data + 1 + 2 * k;
    len = size - 1 - 2 * k;

    memset(&whole, 0, sizeof(fz_log_t));
    memset(&split, 0, sizeof(fz_log_t));

    fz_decode(&whole, stream, len, &len, 1, max);

    /* the pieces' ends: the offsets, sorted, then the end of the stream */

    ends = malloc((k + 1) * sizeof(size_t));
    if (ends == NULL) {
        fz_fail("malloc failed", NULL, 0);
    }

    nends = 0;

    for (i = 0; i < k; i++) {
        ends[nends++] = len ? ((size_t) data[1 + 2 * i] << 8
                               | data[2 + 2 * i]) % len
                            : 0;
    }

    ends[nends++] = len;

    qsort(ends, nends, sizeof(size_t), fz_cmp_size);

    fz_decode(&split, stream, len, ends, nends, max);

    if (split.len != whole.len
        || (whole.len && memcmp(split.data, whole.data, whole.len) != 0))
    {
        fz_fail("the decoded messages depend on the splits", stream, len);
    }

    free(ends);

    if ((data[0] & 0x20) && len <= 2048) {
        ends = malloc((len + 1) * sizeof(size_t));
        if (ends == NULL) {
            fz_fail("malloc failed", NULL, 0);
        }

        for (i = 0; i < len; i++) {
            ends[i] = i + 1;
        }

        split.len = 0;
        fz_decode(&split, stream, len, ends, len, max);

        if (split.len != whole.len
            || (whole.len && memcmp(split.data, whole.data, whole.len) != 0))
        {
            fz_fail("the decoded messages differ when fed byte by byte",
                    stream, len);
        }

        free(ends);
    }

    free(whole.data);
    free(split.data);

    return 0;
}


/*
 * Decodes the stream in the pieces that end at ends[] (sorted, the last
 * is len; empty pieces are fed too), logging every message and the end.
 */
static void
fz_decode(fz_log_t *log, const u_char *data, size_t len, const size_t *ends,
    size_t nends, size_t max)
{
    int               rc, rc2;
    size_t            i, start, n;
    u_char           *piece;
    fz_arena_t        arena;
    const char       *err, *err2;
    const u_char     *pos, *before, *last;
    cc_es_message_t   m;
    cc_es_decoder_t   d;

    fz_arena_init(&arena);
    cc_es_init(&d, &arena.alloc, max);

    if (max == 0) {
        max = CC_ES_MAX_MESSAGE;
    }

    rc = CC_AGAIN;
    err = NULL;
    start = 0;

    for (i = 0; i < nends && rc != CC_ERROR; i++) {
        n = ends[i] - start;
        piece = fz_mem(data + start, n);
        start = ends[i];

        pos = piece;
        last = piece + n;

        for ( ;; ) {
            memset(&m, 0, sizeof(cc_es_message_t));
            before = pos;

            rc = cc_es_decode(&d, &pos, last, &m, &err);

            if (pos < before || pos > last) {
                fz_fail("*pos moved outside the input", NULL, 0);
            }

            if (rc != CC_OK) {
                break;
            }

            fz_check_msg(&m, piece, n, &d, max);

            if (nends == 1) {
                if ((size_t) (pos - before) != m.length) {
                    fz_fail("a message decoded in place used more or less "
                            "than its length", NULL, 0);
                }

                fz_check_frame(before, &m);
            }

            fz_log_msg(log, &m);
        }

        if (rc == CC_AGAIN && pos != last) {
            fz_fail("CC_AGAIN left input unconsumed", NULL, 0);
        }

        if (rc != CC_AGAIN && rc != CC_ERROR) {
            fz_fail("cc_es_decode() returned an unknown code", NULL, 0);
        }

        free(piece);
    }

    if (rc == CC_ERROR) {
        if (err == NULL || d.err == NULL) {
            fz_fail("CC_ERROR without an error string", NULL, 0);
        }

        /* sticky: the same error, whatever comes next */

        pos = data;
        err2 = NULL;
        rc2 = cc_es_decode(&d, &pos, data + len, &m, &err2);

        if (rc2 != CC_ERROR || err2 == NULL || strcmp(err, err2) != 0) {
            fz_fail("an error was not sticky", NULL, 0);
        }

        fz_log_add(log, "E", 1);
        fz_log_str(log, (const u_char *) err, strlen(err));

    } else {
        fz_log_add(log, cc_es_pending(&d) ? "P" : "A", 1);
    }

    fz_arena_reset(&arena);
}


static void
fz_check_msg(const cc_es_message_t *m, const u_char *piece, size_t len,
    const cc_es_decoder_t *d, size_t max)
{
    const u_char  *lo, *hi;

    if (m->length < CC_ES_MIN_MESSAGE || m->length > max) {
        fz_fail("a message's length is out of bounds", NULL, 0);
    }

    if (m->length != CC_ES_PRELUDE_LEN + m->headers_len + m->payload_len + 4)
    {
        fz_fail("a message's length is not that of its parts", NULL, 0);
    }

    /* in place in the piece, or in the decoder's buffer */

    if (m->headers != NULL && m->headers >= piece
        && m->headers < piece + len)
    {
        lo = piece;
        hi = piece + len;

    } else if (m->payload != NULL && m->payload >= piece
               && m->payload < piece + len)
    {
        lo = piece;
        hi = piece + len;

    } else {
        lo = d->buf;
        hi = d->buf + d->size;
    }

    fz_in("headers", m->headers, m->headers_len, lo, hi);
    fz_in("payload", m->payload, m->payload_len, lo, hi);
    fz_in(":message-type", m->message_type.data, m->message_type.len, lo, hi);
    fz_in(":event-type", m->event_type.data, m->event_type.len, lo, hi);
    fz_in(":exception-type", m->exception_type.data, m->exception_type.len,
          lo, hi);
    fz_in(":error-code", m->error_code.data, m->error_code.len, lo, hi);
    fz_in(":error-message", m->error_message.data, m->error_message.len, lo,
          hi);
    fz_in(":content-type", m->content_type.data, m->content_type.len, lo, hi);

    /* the strings are inside the headers section */

    if (m->message_type.data != NULL
        && (m->message_type.data < m->headers
            || m->message_type.data + m->message_type.len
               > m->headers + m->headers_len))
    {
        fz_fail(":message-type is outside the headers", NULL, 0);
    }
}


static void
fz_in(const char *what, const u_char *p, size_t n, const u_char *lo,
    const u_char *hi)
{
    char  msg[128];

    if (p == NULL) {
        if (n != 0) {
            snprintf(msg, sizeof(msg), "%s: NULL with a length", what);
            fz_fail(msg, NULL, 0);
        }

        return;
    }

    if (p < lo || p > hi || n > (size_t) (hi - p)) {
        snprintf(msg, sizeof(msg), "%s: points outside the input and the "
                 "decoder's buffer", what);
        fz_fail(msg, NULL, 0);
    }
}


static void
fz_log_add(fz_log_t *log, const void *p, size_t n)
{
    size_t   cap;
    u_char  *data;

    if (log->cap - log->len < n) {
        cap = log->cap * 2 + n + 256;

        data = realloc(log->data, cap);
        if (data == NULL) {
            fz_fail("realloc failed", NULL, 0);
        }

        log->data = data;
        log->cap = cap;
    }

    if (n) {
        memcpy(log->data + log->len, p, n);
        log->len += n;
    }
}


/* absent (NULL) and empty are told apart */
static void
fz_log_str(fz_log_t *log, const u_char *p, size_t n)
{
    if (p == NULL) {
        fz_log_add(log, "-", 1);
        return;
    }

    fz_log_add(log, "+", 1);
    fz_log_add(log, &n, sizeof(size_t));
    fz_log_add(log, p, n);
}


static void
fz_log_msg(fz_log_t *log, const cc_es_message_t *m)
{
    fz_log_add(log, "M", 1);
    fz_log_str(log, m->message_type.data, m->message_type.len);
    fz_log_str(log, m->event_type.data, m->event_type.len);
    fz_log_str(log, m->exception_type.data, m->exception_type.len);
    fz_log_str(log, m->error_code.data, m->error_code.len);
    fz_log_str(log, m->error_message.data, m->error_message.len);
    fz_log_str(log, m->content_type.data, m->content_type.len);
    fz_log_str(log, m->payload ? m->payload : (u_char *) "", m->payload_len);
    fz_log_str(log, m->headers ? m->headers : (u_char *) "", m->headers_len);
    fz_log_add(log, &m->length, sizeof(size_t));
}


static int
fz_cmp_size(const void *one, const void *two)
{
    size_t  a, b;

    a = *(const size_t *) one;
    b = *(const size_t *) two;

    return a < b ? -1 : a > b;
}


/* the frame's own bytes: its prelude, where its parts are, its CRCs */
static void
fz_check_frame(const u_char *p, const cc_es_message_t *m)
{
    if (fz_be32(p) != m->length || fz_be32(p + 4) != m->headers_len
        || m->headers != p + CC_ES_PRELUDE_LEN
        || m->payload != p + CC_ES_PRELUDE_LEN + m->headers_len)
    {
        fz_fail("a message is not where its prelude says", p, m->length);
    }

    if (fz_crc32(p, 8) != fz_be32(p + 8)) {
        fz_fail("a message with a wrong prelude CRC was accepted", p,
                m->length);
    }

    if (fz_crc32(p, m->length - 4) != fz_be32(p + m->length - 4)) {
        fz_fail("a message with a wrong message CRC was accepted", p,
                m->length);
    }
}


static uint32_t
fz_crc32(const u_char *p, size_t n)
{
    int       k;
    size_t    i;
    uint32_t  crc;

    crc = 0xffffffff;

    for (i = 0; i < n; i++) {
        crc ^= p[i];

        for (k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xedb88320 & (0 - (crc & 1)));
        }
    }

    return crc ^ 0xffffffff;
}


static uint32_t
fz_be32(const u_char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}
