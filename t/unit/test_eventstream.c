
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * Unit tests for the eventstream decoder.  The positive vectors come from
 * PROTOCOLS.md 3.5 (Bedrock-shaped frames), smithy-typescript's
 * TestVectors.fixture.ts (one header of every type, corrupted frames) and
 * one :message-type error frame encoded by @smithy/eventstream-codec; all
 * their CRCs were reproduced with zlib.  Crafted negative frames are built
 * here with cc_crc32, which is itself checked against zlib values first.
 *
 * Every input chunk is copied into its own heap block that is freed as
 * soon as the decoder returns, so ASan catches a decoder that keeps
 * pointing into old input.
 */


#include "test_util.h"

#include "cc_eventstream.h"


typedef struct {
    const char               *name;
    const char               *hex;

    const char               *message_type;
    const char               *event_type;
    const char               *exception_type;
    const char               *error_code;
    const char               *error_message;
    const char               *content_type;
    const char               *payload;
    size_t                    payload_len;    /* 0: strlen(payload) */
    size_t                    total;
    size_t                    headers_len;

    /* filled from hex at start-up */
    u_char                   *bytes;
    size_t                    len;
} es_vector_t;


typedef struct {
    u_char                    data[1024];
    size_t                    len;
} es_buf_t;


static void es_vectors_init(void);
static void es_check_message(const es_vector_t *v, const cc_es_message_t *m);
static int es_feed(cc_es_decoder_t *d, const u_char *data, size_t len,
    es_vector_t **exp, size_t nexp, size_t *idx, const char **err);
static void es_put(es_buf_t *b, const void *p, size_t n);
static void es_put_u8(es_buf_t *b, unsigned v);
static void es_put_u16(es_buf_t *b, unsigned v);
static void es_put_u32(es_buf_t *b, uint32_t v);
static void es_put_hex(es_buf_t *b, const char *hex);
static void es_put_header(es_buf_t *b, const char *name, unsigned type);
static void es_put_string(es_buf_t *b, const char *name, const char *value);
static u_char *es_frame(const es_buf_t *headers, const u_char *payload,
    size_t payload_len, size_t *len);
static void es_set_prelude(u_char *f, uint32_t total, uint32_t headers_len);
static void es_fix_crc(u_char *f, size_t len);
static void es_expect_error(const char *name, const u_char *f, size_t len,
    size_t max, const char *expected, int at_prelude);
static void test_crc32(void);
static void test_vectors_whole(void);
static void test_vectors_bytewise(void);
static void test_vectors_split(void);
static void test_stream_split(void);
static void test_stream_chunks(void);
static void test_worked_examples(void);
static void test_all_headers(void);
static void test_header_values(void);
static void test_reserved_headers(void);
static void test_corrupt(void);
static void test_lengths(void);
static void test_header_errors(void);
static void test_truncation(void);
static void test_sticky(void);
static void test_alloc_failure(void);


static cc_test_arena_t  arena;


#define JSON  "application/json"
#define FOO   "{'foo':'bar'}"


static es_vector_t  vectors[] = {

    /* PROTOCOLS.md 3.5 */

    { "contentBlockDelta",
      "0000009f00000057c37babff0b3a6576656e742d74797065070011636f6e74656e74"
      "426c6f636b44656c74610d3a636f6e74656e742d747970650700106170706c696361"
      "74696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b2263"
      "6f6e74656e74426c6f636b496e646578223a302c2264656c7461223a7b2274657874"
      "223a224869227d2c2270223a2261626364227df2ace5ff",
      "event", "contentBlockDelta", NULL, NULL, NULL, JSON,
      "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hi\"},\"p\":\"abcd\"}",
      0, 159, 87, NULL, 0 },

    { "messageStop",
      "0000007a00000051ca2c46650b3a6576656e742d7479706507000b6d657373616765"
      "53746f700d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a"
      "736f6e0d3a6d6573736167652d747970650700056576656e747b2273746f70526561"
      "736f6e223a22656e645f7475726e227d5fbf09fc",
      "event", "messageStop", NULL, NULL, NULL, JSON,
      "{\"stopReason\":\"end_turn\"}",
      0, 122, 81, NULL, 0 },

    { "throttlingException",
      "000000b2000000613590d5d30f3a657863657074696f6e2d74797065070013746872"
      "6f74746c696e67457863657074696f6e0d3a636f6e74656e742d7479706507001061"
      "70706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700096578"
      "63657074696f6e7b226d657373616765223a22546f6f206d616e7920726571756573"
      "74732c20706c656173652077616974206265666f726520747279696e672061676169"
      "6e2e227de8ffb26a",
      "exception", NULL, "throttlingException", NULL, NULL, JSON,
      "{\"message\":\"Too many requests, please wait before trying again.\"}",
      0, 178, 97, NULL, 0 },

    /* smithy-typescript TestVectors.fixture.ts */

    { "empty_message",
      "0000001000000000 05c248eb7d98c8ff",
      NULL, NULL, NULL, NULL, NULL, NULL, "",
      0, 16, 0, NULL, 0 },

    { "int32_header",
      "0000002d0000001041c424b80a6576656e742d74797065040000a00c7b27666f6f27"
      "3a27626172277d36f480a0",
      NULL, NULL, NULL, NULL, NULL, NULL, FOO,
      0, 45, 16, NULL, 0 },

    { "all_headers",
      "000000cc000000af0fae64ca0a6576656e742d74797065040000a00c0c636f6e7465"
      "6e742d747970650700106170706c69636174696f6e2f6a736f6e0a626f6f6c206661"
      "6c73650109626f6f6c207472756500046279746502cf0862797465206275660600"
      "1449276d2061206c6974746c6520746561706f74210974696d657374616d70080000"
      "000000845fed05696e74313603002a05696e7436340500000000028757b204757569"
      "64090102030405060708090a0b0c0d0e0f107b27666f6f273a27626172277daba5f1"
      "0c",
      NULL, NULL, NULL, NULL, NULL, NULL, FOO,
      0, 204, 175, NULL, 0 },

    { "payload_no_headers",
      "0000001d00000000fd528c5a7b27666f6f273a27626172277dc3653936",
      NULL, NULL, NULL, NULL, NULL, NULL, FOO,
      0, 29, 0, NULL, 0 },

    { "payload_one_str_header",
      "0000003d0000002007fd83960c636f6e74656e742d74797065070010617070"
      "6c69636174696f6e2f6a736f6e7b27666f6f273a27626172277d8d9c08b1",
      NULL, NULL, NULL, NULL, NULL, NULL, FOO,
      0, 61, 32, NULL, 0 },

    /* @smithy/eventstream-codec: an unmodeled error, empty payload */

    { "error",
      "0000007000000060d1425efe0d3a6d6573736167652d747970650700056572726f72"
      "0b3a6572726f722d636f646507000f496e7465726e616c4661696c7572650e3a6572"
      "726f722d6d65737361676507001a416e20696e7465726e616c206572726f72206f63"
      "6375727265643db20b91",
      "error", NULL, NULL, "InternalFailure", "An internal error occurred",
      NULL, "",
      0, 112, 96, NULL, 0 }
};

#define NVECTORS  (sizeof(vectors) / sizeof(vectors[0]))

#define V_DELTA      0
#define V_STOP       1
#define V_THROTTLE   2
#define V_EMPTY      3
#define V_INT32      4
#define V_ALL        5
#define V_NOHDR      6
#define V_ONESTR     7


/* a message larger than the initial assembly buffer, built at start-up */
static es_vector_t  big = {
    "big", NULL,
    "event", "contentBlockDelta", NULL, NULL, NULL, JSON,
    NULL, 10000, 0, 0, NULL, 0
};


int
main(void)
{
    cc_test_arena_init(&arena);

    es_vectors_init();

    test_crc32();
    test_vectors_whole();
    test_vectors_bytewise();
    test_vectors_split();
    test_stream_split();
    test_stream_chunks();
    test_worked_examples();
    test_all_headers();
    test_header_values();
    test_reserved_headers();
    test_corrupt();
    test_lengths();
    test_header_errors();
    test_truncation();
    test_sticky();
    test_alloc_failure();

    cc_test_arena_destroy(&arena);

    return cc_test_done("test_eventstream");
}


static void
es_vectors_init(void)
{
    size_t     i;
    u_char    *payload;
    es_buf_t   h;

    for (i = 0; i < NVECTORS; i++) {
        vectors[i].bytes = cc_test_hex(&arena, vectors[i].hex,
                                       &vectors[i].len);

        if (vectors[i].payload_len == 0) {
            vectors[i].payload_len = strlen(vectors[i].payload);
        }

        /* a typo in a hex dump must not pass as a decoder bug */
        if (vectors[i].len != vectors[i].total) {
            fprintf(stderr, "vector %s: %zu bytes, expected %zu\n",
                    vectors[i].name, vectors[i].len, vectors[i].total);
            abort();
        }
    }

    payload = cc_test_arena_alloc(&arena, big.payload_len + 1);
    if (payload == NULL) {
        abort();
    }

    for (i = 0; i < big.payload_len; i++) {
        payload[i] = 'a' + i % 26;
    }

    payload[big.payload_len] = '\0';
    big.payload = (const char *) payload;

    h.len = 0;
    es_put_string(&h, ":event-type", "contentBlockDelta");
    es_put_string(&h, ":content-type", JSON);
    es_put_string(&h, ":message-type", "event");

    big.headers_len = h.len;
    big.bytes = es_frame(&h, payload, big.payload_len, &big.len);
    big.total = big.len;
}


static void
es_check_message(const es_vector_t *v, const cc_es_message_t *m)
{
    EXPECT_STR(m->message_type, v->message_type);
    EXPECT_STR(m->event_type, v->event_type);
    EXPECT_STR(m->exception_type, v->exception_type);
    EXPECT_STR(m->error_code, v->error_code);
    EXPECT_STR(m->error_message, v->error_message);
    EXPECT_STR(m->content_type, v->content_type);
    EXPECT_MEM(m->payload, m->payload_len, v->payload, v->payload_len);
    EXPECT_MEM(m->headers, m->headers_len, v->bytes + 12, v->headers_len);
    EXPECT_INT(m->length, v->total);
}


/*
 * Feeds one chunk through the decode loop, checking each message against
 * the next expected vector while its pointers are still valid.
 */
static int
es_feed(cc_es_decoder_t *d, const u_char *data, size_t len,
    es_vector_t **exp, size_t nexp, size_t *idx, const char **err)
{
    int               rc;
    u_char           *chunk;
    const u_char     *p;
    cc_es_message_t   m;

    chunk = malloc(len ? len : 1);
    if (chunk == NULL) {
        abort();
    }

    if (len) {
        memcpy(chunk, data, len);
    }

    p = chunk;

    while ((rc = cc_es_decode(d, &p, chunk + len, &m, err)) == CC_OK) {

        if (CHECK(*idx < nexp)) {
            es_check_message(exp[*idx], &m);
        }

        (*idx)++;
    }

    if (rc == CC_AGAIN) {
        CHECK(p == chunk + len);
    }

    free(chunk);

    return rc;
}


static void
es_put(es_buf_t *b, const void *p, size_t n)
{
    if (b->len + n > sizeof(b->data)) {
        fprintf(stderr, "es_put: test buffer overflow\n");
        abort();
    }

    memcpy(b->data + b->len, p, n);
    b->len += n;
}


static void
es_put_u8(es_buf_t *b, unsigned v)
{
    u_char  c;

    c = (u_char) v;
    es_put(b, &c, 1);
}


static void
es_put_u16(es_buf_t *b, unsigned v)
{
    es_put_u8(b, v >> 8);
    es_put_u8(b, v & 0xff);
}


static void
es_put_u32(es_buf_t *b, uint32_t v)
{
    es_put_u16(b, v >> 16);
    es_put_u16(b, v & 0xffff);
}


static void
es_put_hex(es_buf_t *b, const char *hex)
{
    size_t   n;
    u_char  *p;

    p = cc_test_hex(&arena, hex, &n);
    es_put(b, p, n);
}


static void
es_put_header(es_buf_t *b, const char *name, unsigned type)
{
    es_put_u8(b, strlen(name));
    es_put(b, name, strlen(name));
    es_put_u8(b, type);
}


static void
es_put_string(es_buf_t *b, const char *name, const char *value)
{
    es_put_header(b, name, CC_ES_STRING);
    es_put_u16(b, strlen(value));
    es_put(b, value, strlen(value));
}


/* a well-formed frame around arbitrary header bytes, CRCs included */
static u_char *
es_frame(const es_buf_t *headers, const u_char *payload, size_t payload_len,
    size_t *len)
{
    size_t   total;
    u_char  *f;

    total = 16 + headers->len + payload_len;

    f = cc_test_arena_alloc(&arena, total);
    if (f == NULL) {
        abort();
    }

    memcpy(f + 12, headers->data, headers->len);

    if (payload_len) {
        memcpy(f + 12 + headers->len, payload, payload_len);
    }

    es_set_prelude(f, total, headers->len);
    es_fix_crc(f, total);

    *len = total;

    return f;
}


/* rewrites the lengths with a valid prelude CRC; message CRC untouched */
static void
es_set_prelude(u_char *f, uint32_t total, uint32_t headers_len)
{
    uint32_t  crc;
    es_buf_t  b;

    b.len = 0;
    es_put_u32(&b, total);
    es_put_u32(&b, headers_len);

    crc = cc_crc32(0, b.data, 8);
    es_put_u32(&b, crc);

    memcpy(f, b.data, 12);
}


static void
es_fix_crc(u_char *f, size_t len)
{
    uint32_t  crc;
    es_buf_t  b;

    crc = cc_crc32(0, f, len - 4);

    b.len = 0;
    es_put_u32(&b, crc);

    memcpy(f + len - 4, b.data, 4);
}


/*
 * The frame must fail with exactly the expected error: fed whole, byte by
 * byte (the error must come at the 12th byte for a prelude error, before
 * anything is allocated, else at the last byte) and split in two at every
 * offset; no message may come out, and the error must stay.
 */
static void
es_expect_error(const char *name, const u_char *f, size_t len, size_t max,
    const char *expected, int at_prelude)
{
    int               rc, failures;
    size_t            i, k, idx, at;
    const char       *err;
    cc_test_arena_t   a;
    cc_es_decoder_t   d;

    failures = cc_test_failures;

    /* whole */

    cc_test_arena_init(&a);
    cc_es_init(&d, &a.alloc, max);

    idx = 0;
    err = NULL;
    rc = es_feed(&d, f, len, NULL, 0, &idx, &err);

    EXPECT_INT(rc, CC_ERROR);
    EXPECT_STR(((cc_str_t) { err ? strlen(err) : 0, (u_char *) err }),
               expected);
    EXPECT_INT(idx, 0);
    EXPECT_INT(a.nallocs, 0);

    err = NULL;
    rc = es_feed(&d, f, len, NULL, 0, &idx, &err);
    EXPECT_INT(rc, CC_ERROR);
    CHECK(err != NULL && strcmp(err, expected) == 0);

    cc_test_arena_destroy(&a);

    /* byte by byte */

    cc_test_arena_init(&a);
    cc_es_init(&d, &a.alloc, max);

    idx = 0;
    at = len;

    for (i = 0; i < len; i++) {
        err = NULL;
        rc = es_feed(&d, f + i, 1, NULL, 0, &idx, &err);

        if (rc == CC_ERROR) {
            at = i;
            CHECK(err != NULL && strcmp(err, expected) == 0);

            if (at_prelude) {
                EXPECT_INT(a.nallocs, 0);
            }

            break;
        }

        EXPECT_INT(rc, CC_AGAIN);
    }

    EXPECT_INT(at, at_prelude ? 11 : len - 1);
    EXPECT_INT(idx, 0);

    for (i = 0; i < 3; i++) {
        err = NULL;
        rc = es_feed(&d, f, i, NULL, 0, &idx, &err);
        EXPECT_INT(rc, CC_ERROR);
        CHECK(err != NULL && strcmp(err, expected) == 0);
    }

    cc_test_arena_destroy(&a);

    /* split in two at every offset */

    for (k = 0; k <= len; k++) {
        cc_test_arena_init(&a);
        cc_es_init(&d, &a.alloc, max);

        idx = 0;
        err = NULL;

        rc = es_feed(&d, f, k, NULL, 0, &idx, &err);
        if (rc != CC_ERROR) {
            EXPECT_INT(rc, CC_AGAIN);
            rc = es_feed(&d, f + k, len - k, NULL, 0, &idx, &err);
        }

        EXPECT_INT(rc, CC_ERROR);
        CHECK(err != NULL && strcmp(err, expected) == 0);
        EXPECT_INT(idx, 0);

        cc_test_arena_destroy(&a);
    }

    if (cc_test_failures != failures) {
        fprintf(stderr, "  ^ in error case \"%s\"\n", name);
    }
}


static void
test_crc32(void)
{
    static const u_char  check[] = "123456789";

    EXPECT_UINT(cc_crc32(0, check, 9), 0xcbf43926);
    EXPECT_UINT(cc_crc32(cc_crc32(0, check, 4), check + 4, 5), 0xcbf43926);
    EXPECT_UINT(cc_crc32(0, NULL, 0), 0);
    EXPECT_UINT(cc_crc32(0, (const u_char *) "a", 1), 0xe8b7be43);

    /* empty_message: prelude CRC, then message CRC over 12 bytes */
    EXPECT_UINT(cc_crc32(0, vectors[V_EMPTY].bytes, 8), 0x05c248eb);
    EXPECT_UINT(cc_crc32(0, vectors[V_EMPTY].bytes, 12), 0x7d98c8ff);
    EXPECT_UINT(cc_crc32(0x05c248eb, vectors[V_EMPTY].bytes + 8, 4),
                0x7d98c8ff);

    /* PROTOCOLS.md 3.5 */
    EXPECT_UINT(cc_crc32(0, vectors[V_DELTA].bytes, 8), 0xc37babff);
    EXPECT_UINT(cc_crc32(0, vectors[V_DELTA].bytes, 159 - 4), 0xf2ace5ff);

    /* every length, alignment and split, by both paths: test_crc32.c */
}


static void
test_vectors_whole(void)
{
    int               rc, failures;
    size_t            i;
    u_char           *in;
    const char       *err;
    const u_char     *p;
    cc_es_message_t   m;
    cc_test_arena_t   a;
    cc_es_decoder_t   d;

    for (i = 0; i < NVECTORS; i++) {
        failures = cc_test_failures;

        cc_test_arena_init(&a);
        cc_es_init(&d, &a.alloc, 0);

        in = malloc(vectors[i].len);
        if (in == NULL) {
            abort();
        }

        memcpy(in, vectors[i].bytes, vectors[i].len);
        p = in;

        rc = cc_es_decode(&d, &p, in + vectors[i].len, &m, &err);

        if (EXPECT_INT(rc, CC_OK)) {
            es_check_message(&vectors[i], &m);

            /* decoded in place: no copy, no allocation */
            CHECK(m.headers == in + 12);
            CHECK(m.payload == in + 12 + vectors[i].headers_len);
            CHECK(p == in + vectors[i].len);
        }

        EXPECT_INT(cc_es_pending(&d), 0);
        EXPECT_INT(a.nallocs, 0);

        rc = cc_es_decode(&d, &p, in + vectors[i].len, &m, &err);
        EXPECT_INT(rc, CC_AGAIN);
        EXPECT_INT(cc_es_pending(&d), 0);

        free(in);
        cc_test_arena_destroy(&a);

        if (cc_test_failures != failures) {
            fprintf(stderr, "  ^ in vector \"%s\" fed whole\n",
                    vectors[i].name);
        }
    }
}


static void
test_vectors_bytewise(void)
{
    int               rc, failures;
    size_t            i, j, idx;
    const char       *err;
    es_vector_t      *exp[1];
    cc_test_arena_t   a;
    cc_es_decoder_t   d;

    for (i = 0; i < NVECTORS; i++) {
        failures = cc_test_failures;

        cc_test_arena_init(&a);
        cc_es_init(&d, &a.alloc, 0);

        exp[0] = &vectors[i];
        idx = 0;

        for (j = 0; j < vectors[i].len; j++) {
            rc = es_feed(&d, vectors[i].bytes + j, 1, exp, 1, &idx, &err);
            EXPECT_INT(rc, CC_AGAIN);
            EXPECT_INT(idx, j + 1 == vectors[i].len);
            EXPECT_INT(cc_es_pending(&d), j + 1 < vectors[i].len);
        }

        EXPECT_INT(a.nallocs, 1);

        cc_test_arena_destroy(&a);

        if (cc_test_failures != failures) {
            fprintf(stderr, "  ^ in vector \"%s\" fed byte by byte\n",
                    vectors[i].name);
        }
    }
}


static void
test_vectors_split(void)
{
    int               rc, failures;
    size_t            i, k, len, idx;
    const char       *err;
    es_vector_t      *exp[1];
    cc_test_arena_t   a;
    cc_es_decoder_t   d;

    for (i = 0; i < NVECTORS; i++) {
        len = vectors[i].len;
        exp[0] = &vectors[i];

        for (k = 0; k <= len; k++) {
            failures = cc_test_failures;

            cc_test_arena_init(&a);
            cc_es_init(&d, &a.alloc, 0);

            idx = 0;

            rc = es_feed(&d, vectors[i].bytes, k, exp, 1, &idx, &err);
            EXPECT_INT(rc, CC_AGAIN);
            EXPECT_INT(idx, k == len);
            EXPECT_INT(cc_es_pending(&d), k > 0 && k < len);

            rc = es_feed(&d, vectors[i].bytes + k, len - k, exp, 1, &idx,
                         &err);
            EXPECT_INT(rc, CC_AGAIN);
            EXPECT_INT(idx, 1);
            EXPECT_INT(cc_es_pending(&d), 0);

            /* a split message is copied once, whole ones not at all */
            EXPECT_INT(a.nallocs, (k > 0 && k < len) ? 1 : 0);

            cc_test_arena_destroy(&a);

            if (cc_test_failures != failures) {
                fprintf(stderr, "  ^ in vector \"%s\" split at %zu\n",
                        vectors[i].name, k);
            }
        }
    }
}


/* all vectors concatenated, fed whole and split in two at every offset */
static void
test_stream_split(void)
{
    int               rc, failures;
    size_t            i, k, len, idx;
    u_char           *s;
    const char       *err;
    es_vector_t      *exp[NVECTORS];
    cc_test_arena_t   a;
    cc_es_decoder_t   d;

    len = 0;

    for (i = 0; i < NVECTORS; i++) {
        exp[i] = &vectors[i];
        len += vectors[i].len;
    }

    s = cc_test_arena_alloc(&arena, len);
    if (s == NULL) {
        abort();
    }

    len = 0;

    for (i = 0; i < NVECTORS; i++) {
        memcpy(s + len, vectors[i].bytes, vectors[i].len);
        len += vectors[i].len;
    }

    for (k = 0; k <= len; k++) {
        failures = cc_test_failures;

        cc_test_arena_init(&a);
        cc_es_init(&d, &a.alloc, 0);

        idx = 0;

        rc = es_feed(&d, s, k, exp, NVECTORS, &idx, &err);
        EXPECT_INT(rc, CC_AGAIN);

        rc = es_feed(&d, s + k, len - k, exp, NVECTORS, &idx, &err);
        EXPECT_INT(rc, CC_AGAIN);
        EXPECT_INT(idx, NVECTORS);
        EXPECT_INT(cc_es_pending(&d), 0);

        /* at most the one message cut by the split is copied */
        CHECK(a.nallocs <= 1);

        if (k == 0 || k == len) {
            EXPECT_INT(a.nallocs, 0);
        }

        cc_test_arena_destroy(&a);

        if (cc_test_failures != failures) {
            fprintf(stderr, "  ^ in stream split at %zu\n", k);
        }
    }
}


/*
 * The vectors, a message bigger than the initial buffer, and the vectors
 * again, fed in chunks of many sizes: the buffer grows once and is then
 * reused.
 */
static void
test_stream_chunks(void)
{
    int                  rc, failures;
    size_t               i, c, off, n, len, nexp, idx;
    u_char              *s;
    const char          *err;
    es_vector_t         *exp[2 * NVECTORS + 1];
    cc_test_arena_t      a;
    cc_es_decoder_t      d;

    static const size_t  sizes[] = {
        1, 2, 3, 4, 5, 7, 11, 12, 13, 15, 16, 17, 31, 64, 100, 159, 160,
        1000, 4095, 4096, 4097, 9999, 10015, 65536
    };

    nexp = 0;

    for (i = 0; i < NVECTORS; i++) {
        exp[nexp++] = &vectors[i];
    }

    exp[nexp++] = &big;

    for (i = 0; i < NVECTORS; i++) {
        exp[nexp++] = &vectors[i];
    }

    len = 0;

    for (i = 0; i < nexp; i++) {
        len += exp[i]->len;
    }

    s = cc_test_arena_alloc(&arena, len);
    if (s == NULL) {
        abort();
    }

    len = 0;

    for (i = 0; i < nexp; i++) {
        memcpy(s + len, exp[i]->bytes, exp[i]->len);
        len += exp[i]->len;
    }

    for (c = 0; c < sizeof(sizes) / sizeof(sizes[0]); c++) {
        failures = cc_test_failures;

        cc_test_arena_init(&a);
        cc_es_init(&d, &a.alloc, 0);

        idx = 0;

        for (off = 0; off < len; off += n) {
            n = len - off < sizes[c] ? len - off : sizes[c];

            rc = es_feed(&d, s + off, n, exp, nexp, &idx, &err);
            if (!EXPECT_INT(rc, CC_AGAIN)) {
                break;
            }
        }

        EXPECT_INT(idx, nexp);
        EXPECT_INT(cc_es_pending(&d), 0);
        CHECK(a.nallocs <= 2);

        if (sizes[c] == 1) {
            /* the 1024-byte initial buffer, then one for the big message */
            EXPECT_INT(a.nallocs, 2);
            EXPECT_INT(a.bytes, 1024 + big.len);
        }

        cc_test_arena_destroy(&a);

        if (cc_test_failures != failures) {
            fprintf(stderr, "  ^ in stream fed in chunks of %zu\n",
                    sizes[c]);
        }
    }
}


/* PROTOCOLS.md 3.5, spelled out */
static void
test_worked_examples(void)
{
    int               rc;
    const char       *err;
    const u_char     *p, *last;
    cc_es_message_t   m;
    cc_es_decoder_t   d;

    cc_es_init(&d, &arena.alloc, 0);

    p = vectors[V_DELTA].bytes;
    last = p + vectors[V_DELTA].len;

    rc = cc_es_decode(&d, &p, last, &m, &err);
    EXPECT_INT(rc, CC_OK);
    EXPECT_STR(m.message_type, "event");
    EXPECT_STR(m.event_type, "contentBlockDelta");
    EXPECT_STR(m.exception_type, NULL);
    EXPECT_STR(m.content_type, "application/json");
    EXPECT_INT(m.headers_len, 87);
    EXPECT_INT(m.payload_len, 56);
    EXPECT_MEM(m.payload, m.payload_len,
               "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hi\"},"
               "\"p\":\"abcd\"}", 56);

    p = vectors[V_STOP].bytes;
    last = p + vectors[V_STOP].len;

    rc = cc_es_decode(&d, &p, last, &m, &err);
    EXPECT_INT(rc, CC_OK);
    EXPECT_STR(m.message_type, "event");
    EXPECT_STR(m.event_type, "messageStop");
    EXPECT_INT(m.length, 122);
    EXPECT_INT(m.headers_len, 81);
    EXPECT_MEM(m.payload, m.payload_len, "{\"stopReason\":\"end_turn\"}", 25);

    p = vectors[V_THROTTLE].bytes;
    last = p + vectors[V_THROTTLE].len;

    rc = cc_es_decode(&d, &p, last, &m, &err);
    EXPECT_INT(rc, CC_OK);
    EXPECT_STR(m.message_type, "exception");
    EXPECT_STR(m.exception_type, "throttlingException");
    EXPECT_STR(m.event_type, NULL);
    EXPECT_STR(m.content_type, "application/json");
    EXPECT_INT(m.length, 178);
    EXPECT_INT(m.headers_len, 97);
    EXPECT_STR(((cc_str_t) { m.payload_len, (u_char *) m.payload }),
               "{\"message\":\"Too many requests, please wait before trying"
               " again.\"}");

    EXPECT_INT(cc_es_pending(&d), 0);
}


static void
test_all_headers(void)
{
    int               rc;
    const char       *err;
    const u_char     *p;
    cc_es_message_t   m;
    cc_es_decoder_t   d;

    /* every header type: each one parsed, none of them reserved */

    cc_es_init(&d, &arena.alloc, 0);

    p = vectors[V_ALL].bytes;

    rc = cc_es_decode(&d, &p, p + vectors[V_ALL].len, &m, &err);
    if (!EXPECT_INT(rc, CC_OK)) {
        return;
    }

    EXPECT_INT(m.length, 204);
    EXPECT_INT(m.headers_len, 175);
    EXPECT_MEM(m.payload, m.payload_len, FOO, 13);

    /* reserved names carry a colon: none of these fill the message */
    EXPECT_STR(m.event_type, NULL);
    EXPECT_STR(m.content_type, NULL);
    EXPECT_STR(m.message_type, NULL);
}


/* values of every width, both bytes of a 16-bit length, empty values */
static void
test_header_values(void)
{
    int               rc;
    size_t            len, i;
    u_char           *f;
    const char       *err;
    const u_char     *p;
    es_buf_t          b;
    cc_es_message_t   m;
    cc_es_decoder_t   d;

    static es_buf_t   hb;
    static char       long_value[301];

    for (i = 0; i < 300; i++) {
        long_value[i] = 'A' + i % 26;
    }

    long_value[300] = '\0';

    hb.len = 0;

    es_put_header(&hb, "b+", CC_ES_BYTE);
    es_put_u8(&hb, 0x7f);
    es_put_header(&hb, "b-", CC_ES_BYTE);
    es_put_u8(&hb, 0x80);
    es_put_header(&hb, "s-", CC_ES_SHORT);
    es_put_u16(&hb, 0xfffe);
    es_put_header(&hb, "s+", CC_ES_SHORT);
    es_put_u16(&hb, 0x7fff);
    es_put_header(&hb, "i-", CC_ES_INTEGER);
    es_put_u32(&hb, 0x80000000);
    es_put_header(&hb, "l-", CC_ES_LONG);
    es_put_hex(&hb, "ffffffffffffffff");
    es_put_header(&hb, "lmin", CC_ES_LONG);
    es_put_hex(&hb, "8000000000000000");
    es_put_header(&hb, "lmax", CC_ES_LONG);
    es_put_hex(&hb, "7fffffffffffffff");
    es_put_header(&hb, "t-", CC_ES_TIMESTAMP);
    es_put_hex(&hb, "fffffffffffffc18");
    es_put_string(&hb, "empty", "");
    es_put_header(&hb, "nobytes", CC_ES_BYTE_ARRAY);
    es_put_u16(&hb, 0);
    es_put_string(&hb, "long", long_value);
    es_put_header(&hb, ":event-type", CC_ES_INTEGER);
    es_put_u32(&hb, 7);

    f = es_frame(&hb, (const u_char *) "x", 1, &len);

    cc_es_init(&d, &arena.alloc, 0);

    p = f;
    rc = cc_es_decode(&d, &p, f + len, &m, &err);
    if (!EXPECT_INT(rc, CC_OK)) {
        return;
    }

    EXPECT_MEM(m.payload, m.payload_len, "x", 1);

    /* not a string: ignored for the message fields */
    EXPECT_STR(m.event_type, NULL);

    /* non-reserved names may repeat */

    b.len = 0;
    es_put_string(&b, "x", "1");
    es_put_string(&b, "x", "2");
    es_put_string(&b, ":message-type", "event");

    f = es_frame(&b, NULL, 0, &len);

    p = f;
    rc = cc_es_decode(&d, &p, f + len, &m, &err);
    EXPECT_INT(rc, CC_OK);
    EXPECT_STR(m.message_type, "event");
    EXPECT_INT(m.payload_len, 0);
}


static void
test_reserved_headers(void)
{
    size_t    len;
    u_char   *f;
    es_buf_t  b;

    b.len = 0;
    es_put_string(&b, ":event-type", "messageStart");
    es_put_string(&b, ":message-type", "event");
    es_put_string(&b, ":event-type", "messageStop");

    f = es_frame(&b, NULL, 0, &len);

    es_expect_error("duplicate :event-type", f, len, 0,
                    "duplicate reserved header", 0);
}


static void
test_corrupt(void)
{
    size_t   len;
    u_char  *f;

    /* smithy-typescript's negative vectors */

    f = cc_test_hex(&arena,
                    "0000003d0000002007fd83960c636f6e74656e742d74797065070010"
                    "6170706c69636174696f6e2f6a736f6e7b61666f6f273a2762617227"
                    "7d8d9c08b1", &len);
    es_expect_error("corrupted_headers", f, len, 0,
                    "message CRC mismatch", 0);

    f = cc_test_hex(&arena,
                    "0000003d0000002107fd83960c636f6e74656e742d74797065070010"
                    "6170706c69636174696f6e2f6a736f6e7b27666f6f273a2762617227"
                    "7d8d9c08b1", &len);
    es_expect_error("corrupted_header_len", f, len, 0,
                    "prelude CRC mismatch", 1);

    f = cc_test_hex(&arena,
                    "0000003e0000002007fd83960c636f6e74656e742d74797065070010"
                    "6170706c69636174696f6e2f6a736f6e7b27666f6f273a2762617227"
                    "7d8d9c08b1", &len);
    es_expect_error("corrupted_length", f, len, 0,
                    "prelude CRC mismatch", 1);

    f = cc_test_hex(&arena,
                    "0000001d00000000fd528c5a5b27666f6f273a27626172277dc36539"
                    "36", &len);
    es_expect_error("corrupted_payload", f, len, 0,
                    "message CRC mismatch", 0);

    /* PROTOCOLS.md 3.5 with one bit flipped in each part */

    len = vectors[V_DELTA].len;

    f = cc_test_arena_alloc(&arena, len);
    memcpy(f, vectors[V_DELTA].bytes, len);
    f[8] ^= 0x01;
    es_expect_error("prelude CRC bit", f, len, 0, "prelude CRC mismatch", 1);

    f = cc_test_arena_alloc(&arena, len);
    memcpy(f, vectors[V_DELTA].bytes, len);
    f[3] ^= 0x80;
    es_expect_error("total length bit", f, len, 0,
                    "prelude CRC mismatch", 1);

    f = cc_test_arena_alloc(&arena, len);
    memcpy(f, vectors[V_DELTA].bytes, len);
    f[0x63 + 10] ^= 0x20;
    es_expect_error("payload bit", f, len, 0, "message CRC mismatch", 0);

    f = cc_test_arena_alloc(&arena, len);
    memcpy(f, vectors[V_DELTA].bytes, len);
    f[0x10] ^= 0x20;
    es_expect_error("header bit", f, len, 0, "message CRC mismatch", 0);

    f = cc_test_arena_alloc(&arena, len);
    memcpy(f, vectors[V_DELTA].bytes, len);
    f[len - 1] ^= 0x01;
    es_expect_error("message CRC bit", f, len, 0, "message CRC mismatch", 0);
}


static void
test_lengths(void)
{
    int               rc;
    size_t            len;
    u_char           *f;
    const char       *err;
    const u_char     *p;
    es_buf_t          b;
    cc_es_message_t   m;
    cc_test_arena_t   a;
    cc_es_decoder_t   d;

    f = cc_test_arena_alloc(&arena, 16);

    es_set_prelude(f, 15, 0);
    es_expect_error("total 15", f, 12, 0, "total length too small", 1);

    es_set_prelude(f, 0, 0);
    es_expect_error("total 0", f, 12, 0, "total length too small", 1);

    es_set_prelude(f, 16, 1);
    es_expect_error("headers 1 of 16", f, 12, 0,
                    "headers length exceeds message", 1);

    es_set_prelude(f, 20, 0xffffffff);
    es_expect_error("headers 2^32-1", f, 12, 0,
                    "headers length exceeds message", 1);

    es_set_prelude(f, CC_ES_MAX_MESSAGE + 1, 0);
    es_expect_error("total 24 MiB + 1", f, 12, 0,
                    "total length exceeds limit", 1);

    es_set_prelude(f, 0xffffffff, 0);
    es_expect_error("total 2^32-1", f, 12, 0,
                    "total length exceeds limit", 1);

    es_expect_error("total 159 over max 158", vectors[V_DELTA].bytes,
                    vectors[V_DELTA].len, 158,
                    "total length exceeds limit", 1);

    /* headers_length == total - 16 exactly is fine, one more is not */

    b.len = 0;
    es_put_header(&b, "x", CC_ES_BOOL_TRUE);
    f = es_frame(&b, NULL, 0, &len);

    cc_es_init(&d, &arena.alloc, 0);
    p = f;
    rc = cc_es_decode(&d, &p, f + len, &m, &err);
    EXPECT_INT(rc, CC_OK);
    EXPECT_INT(m.headers_len, 3);
    EXPECT_INT(m.payload_len, 0);

    es_set_prelude(f, len, 4);
    es_expect_error("headers 4 of 19", f, len, 0,
                    "headers length exceeds message", 1);

    /* a limit equal to the message is inclusive */

    cc_es_init(&d, &arena.alloc, vectors[V_DELTA].len);
    p = vectors[V_DELTA].bytes;
    rc = cc_es_decode(&d, &p, p + vectors[V_DELTA].len, &m, &err);
    EXPECT_INT(rc, CC_OK);

    /* the default limit is 24 MiB, and exactly 24 MiB is accepted */

    cc_test_arena_init(&a);
    cc_es_init(&d, &a.alloc, 0);
    EXPECT_INT(d.max_message, 24 * 1024 * 1024);

    f = cc_test_arena_alloc(&arena, 12);
    es_set_prelude(f, CC_ES_MAX_MESSAGE, 0);

    p = f;
    rc = cc_es_decode(&d, &p, f + 12, &m, &err);
    EXPECT_INT(rc, CC_AGAIN);
    EXPECT_INT(cc_es_pending(&d), 1);
    EXPECT_INT(a.nallocs, 1);
    EXPECT_INT(a.bytes, CC_ES_MAX_MESSAGE);

    cc_test_arena_destroy(&a);
}


/* well-formed CRCs around malformed headers */
static void
test_header_errors(void)
{
    size_t     i, len;
    u_char    *f;
    es_buf_t   b;

    static const struct {
        const char           *name;
        const char           *hex;
        const char           *err;
    } cases[] = {
        { "type 10", "01780a", "invalid header type" },
        { "type 255", "0178ff", "invalid header type" },
        { "type 10 after a good header",
          "0161070001620178" "0a", "invalid header type" },
        { "zero-length name", "00", "zero-length header name" },
        { "zero-length name after a good header", "01610000",
          "zero-length header name" },
        { "name overruns", "3261626364", "header overruns headers section" },
        { "no type byte", "0178", "header overruns headers section" },
        { "byte value missing", "017802", "header overruns headers section" },
        { "short cut short", "01780300", "header overruns headers section" },
        { "integer cut short", "0178040000",
          "header overruns headers section" },
        { "long cut short", "01780500000001",
          "header overruns headers section" },
        { "timestamp cut short", "017808000000000000",
          "header overruns headers section" },
        { "string length cut short", "01780700",
          "header overruns headers section" },
        { "string overruns", "0178070064616263",
          "header overruns headers section" },
        { "byte array overruns", "0178060005ffffffff",
          "header overruns headers section" },
        { "uuid of 15", "017809000102030405060708090a0b0c0d0e",
          "header overruns headers section" },
        { "second header overruns", "016100017803ff",
          "header overruns headers section" }
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        b.len = 0;
        es_put_hex(&b, cases[i].hex);

        /* a payload right after, so an overrun would find bytes to read */
        f = es_frame(&b, (const u_char *) "{\"a\":1}", 7, &len);

        es_expect_error(cases[i].name, f, len, 0, cases[i].err, 0);
    }
}


static void
test_truncation(void)
{
    int               rc;
    size_t            i, k, len, idx;
    u_char            s[159 + 5];
    const char       *err;
    const u_char     *p;
    es_vector_t      *exp[1];
    cc_es_message_t   m;
    cc_test_arena_t   a;
    cc_es_decoder_t   d;

    for (i = 0; i < NVECTORS; i++) {
        len = vectors[i].len;
        exp[0] = &vectors[i];

        for (k = 0; k < len; k++) {
            cc_test_arena_init(&a);
            cc_es_init(&d, &a.alloc, 0);

            idx = 0;

            rc = es_feed(&d, vectors[i].bytes, k, exp, 1, &idx, &err);
            EXPECT_INT(rc, CC_AGAIN);
            EXPECT_INT(idx, 0);

            if (!EXPECT_INT(cc_es_pending(&d), k > 0)) {
                fprintf(stderr, "  ^ in vector \"%s\" cut at %zu\n",
                        vectors[i].name, k);
            }

            /* no more input changes nothing */
            p = vectors[i].bytes;
            rc = cc_es_decode(&d, &p, p, &m, &err);
            EXPECT_INT(rc, CC_AGAIN);
            EXPECT_INT(cc_es_pending(&d), k > 0);

            cc_test_arena_destroy(&a);
        }
    }

    /* a whole message followed by part of the next */

    cc_test_arena_init(&a);
    cc_es_init(&d, &a.alloc, 0);

    memcpy(s, vectors[V_DELTA].bytes, 159);
    memcpy(s + 159, vectors[V_STOP].bytes, 5);

    p = s;
    rc = cc_es_decode(&d, &p, s + sizeof(s), &m, &err);
    EXPECT_INT(rc, CC_OK);
    EXPECT_INT(cc_es_pending(&d), 0);

    rc = cc_es_decode(&d, &p, s + sizeof(s), &m, &err);
    EXPECT_INT(rc, CC_AGAIN);
    CHECK(p == s + sizeof(s));
    EXPECT_INT(cc_es_pending(&d), 1);

    cc_test_arena_destroy(&a);
}


static void
test_sticky(void)
{
    int               rc;
    u_char           *f;
    const char       *err, *first;
    const u_char     *p;
    cc_es_message_t   m;
    cc_test_arena_t   a;
    cc_es_decoder_t   d;

    cc_test_arena_init(&a);
    cc_es_init(&d, &a.alloc, 0);

    f = cc_test_arena_alloc(&arena, vectors[V_STOP].len);
    memcpy(f, vectors[V_STOP].bytes, vectors[V_STOP].len);
    f[20] ^= 0xff;

    /* a good message, then a bad one: the good one still comes out */

    p = vectors[V_DELTA].bytes;
    rc = cc_es_decode(&d, &p, p + vectors[V_DELTA].len, &m, &err);
    EXPECT_INT(rc, CC_OK);

    p = f;
    first = NULL;
    rc = cc_es_decode(&d, &p, f + vectors[V_STOP].len, &m, &first);
    EXPECT_INT(rc, CC_ERROR);
    CHECK(first != NULL && strcmp(first, "message CRC mismatch") == 0);

    /* good input, empty input: still the same error */

    p = vectors[V_DELTA].bytes;
    err = NULL;
    rc = cc_es_decode(&d, &p, p + vectors[V_DELTA].len, &m, &err);
    EXPECT_INT(rc, CC_ERROR);
    CHECK(err == first);

    p = vectors[V_DELTA].bytes;
    err = NULL;
    rc = cc_es_decode(&d, &p, p, &m, &err);
    EXPECT_INT(rc, CC_ERROR);
    CHECK(err == first);

    p = vectors[V_EMPTY].bytes;
    err = NULL;
    rc = cc_es_decode(&d, &p, p + vectors[V_EMPTY].len, &m, &err);
    EXPECT_INT(rc, CC_ERROR);
    CHECK(err == first);

    cc_test_arena_destroy(&a);
}


static void
test_alloc_failure(void)
{
    int               rc;
    const char       *err;
    const u_char     *p;
    cc_es_message_t   m;
    cc_test_arena_t   a;
    cc_es_decoder_t   d;

    /* whole messages need no memory */

    cc_test_arena_init(&a);
    a.fail_after = 0;
    cc_es_init(&d, &a.alloc, 0);

    p = vectors[V_DELTA].bytes;
    rc = cc_es_decode(&d, &p, p + vectors[V_DELTA].len, &m, &err);
    EXPECT_INT(rc, CC_OK);

    /* a split one does, past the prelude */

    p = vectors[V_DELTA].bytes;
    rc = cc_es_decode(&d, &p, p + 11, &m, &err);
    EXPECT_INT(rc, CC_AGAIN);

    err = NULL;
    rc = cc_es_decode(&d, &p, p + 1, &m, &err);
    EXPECT_INT(rc, CC_ERROR);
    CHECK(err != NULL && strcmp(err, "memory allocation failed") == 0);

    p = vectors[V_DELTA].bytes;
    rc = cc_es_decode(&d, &p, p + vectors[V_DELTA].len, &m, &err);
    EXPECT_INT(rc, CC_ERROR);

    cc_test_arena_destroy(&a);

    /* the same when the first input already holds the prelude */

    cc_test_arena_init(&a);
    a.fail_after = 0;
    cc_es_init(&d, &a.alloc, 0);

    p = vectors[V_DELTA].bytes;
    err = NULL;
    rc = cc_es_decode(&d, &p, p + 100, &m, &err);
    EXPECT_INT(rc, CC_ERROR);
    CHECK(err != NULL && strcmp(err, "memory allocation failed") == 0);

    cc_test_arena_destroy(&a);
}
