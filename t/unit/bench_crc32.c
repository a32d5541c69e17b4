
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * A microbenchmark of the eventstream's CRC-32, outside the test run:
 * `make -C t/unit bench-crc32` runs it under callgrind and prints the
 * instructions per event.
 *
 *     bench_crc32 N [clmul|slice] [big]
 *
 * decodes one Bedrock contentBlockDelta event of 188 bytes N times (its
 * prelude CRC, its message CRC, its headers); with "big", cc_crc32()
 * over 1 KiB and 64 KiB instead, N times each.  "slice" forces the
 * slice-by-8 tables.
 */


#include "test_util.h"

#include "cc_eventstream.h"


static size_t bench_frame(u_char *f);
static void bench_put32(u_char *p, uint32_t v);
static void bench_header(u_char **p, const char *name, const char *value);


static size_t
bench_frame(u_char *f)
{
    size_t         len, hlen;
    u_char        *p;
    static char    payload[] = "{\"contentBlockIndex\":0,\"delta\":"
                               "{\"text\":\" word\"},\"p\":\"abcdefghijklmn"
                               "opqrstuvwxyzABCD\"}";

    p = f + 12;
    bench_header(&p, ":event-type", "contentBlockDelta");
    bench_header(&p, ":content-type", "application/json");
    bench_header(&p, ":message-type", "event");
    hlen = p - (f + 12);

    memcpy(p, payload, sizeof(payload) - 1);
    p += sizeof(payload) - 1;

    len = p - f + 4;

    bench_put32(f, (uint32_t) len);
    bench_put32(f + 4, (uint32_t) hlen);
    bench_put32(f + 8, cc_crc32(0, f, 8));
    bench_put32(f + len - 4, cc_crc32(0, f, len - 4));

    return len;
}


static void
bench_put32(u_char *p, uint32_t v)
{
    p[0] = (u_char) (v >> 24);
    p[1] = (u_char) (v >> 16);
    p[2] = (u_char) (v >> 8);
    p[3] = (u_char) v;
}


static void
bench_header(u_char **p, const char *name, const char *value)
{
    size_t  n, v;

    n = strlen(name);
    v = strlen(value);

    *(*p)++ = (u_char) n;
    memcpy(*p, name, n);
    *p += n;
    *(*p)++ = CC_ES_STRING;
    *(*p)++ = (u_char) (v >> 8);
    *(*p)++ = (u_char) v;
    memcpy(*p, value, v);
    *p += v;
}


int
main(int argc, char **argv)
{
    long               i, n;
    size_t             len;
    u_char             frame[256];
    u_char            *big;
    uint32_t           sum;
    const char        *err;
    const u_char      *p;
    cc_es_message_t    m;
    cc_es_decoder_t    d;
    cc_test_arena_t    a;

    n = argc > 1 ? atol(argv[1]) : 100000;

    cc_crc32_use_clmul(argc > 2 && strcmp(argv[2], "slice") == 0 ? 0 : 1);

    sum = 0;

    if (argc > 3 && strcmp(argv[3], "big") == 0) {
        big = calloc(65536, 1);
        if (big == NULL) {
            return 1;
        }

        for (i = 0; i < n; i++) {
            sum += cc_crc32(sum, big, 1024);
            sum += cc_crc32(sum, big, 65536);
        }

        free(big);

        printf("1 KiB and 64 KiB, %ld times, clmul %d, sum %08x\n", n,
               cc_crc32_use_clmul(-1), (unsigned) sum);

        return 0;
    }

    len = bench_frame(frame);

    cc_test_arena_init(&a);
    cc_es_init(&d, &a.alloc, 0);

    for (i = 0; i < n; i++) {
        p = frame;

        if (cc_es_decode(&d, &p, frame + len, &m, &err) != CC_OK) {
            fprintf(stderr, "decode: %s\n", err);
            return 1;
        }

        sum += (uint32_t) m.payload_len;
    }

    cc_test_arena_destroy(&a);

    printf("frame %zu bytes, %ld events, clmul %d, sum %08x\n", len, n,
           cc_crc32_use_clmul(-1), (unsigned) sum);

    return 0;
}
