
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * Unit tests for cc_crc32(), the eventstream's CRC-32, by both of its
 * paths: the slice-by-8 tables (forced through cc_crc32_use_clmul(0))
 * and, on x86-64 CPUs with PCLMULQDQ, the carry-less multiplication.
 * Each is checked against the CRC computed bit by bit from its
 * definition, for every length 0..1024 at every alignment 0..15 of
 * pseudo-random data, from several starting values, and split in two
 * (every split up to 256 bytes, some beyond).  Every input is copied
 * into a heap block that ends where it ends, so ASan catches a read past
 * it.  The constants of the carry-less path are derived here from the
 * polynomial, and the derivation checked against Intel's published
 * constants.
 */


#include "test_util.h"

#include "cc_eventstream.h"

#if (defined __x86_64__ && (defined __GNUC__ || defined __clang__))
#include <cpuid.h>
#endif


#define CRC_MAX    1024
#define CRC_ALIGN  16


static uint32_t crc32_bitwise(uint32_t crc, const u_char *p, size_t n);
static uint32_t crc32_xpow(unsigned n);
static uint64_t crc32_mu(void);
static uint32_t crc32_random(void);
static int crc32_cpu_has_clmul(void);
static void test_crc32_constants(void);
static void test_crc32_vectors(void);
static void test_crc32_lengths(const u_char *data, const uint32_t *want);
static void test_crc32_splits(const u_char *data);
static void test_crc32_large(void);


static uint32_t  crc32_state = 0x2545f491;


int
main(void)
{
    int        mode, modes;
    size_t     i;
    u_char    *data;
    uint32_t  *want;

    data = malloc(CRC_MAX);
    want = malloc((CRC_MAX + 1) * sizeof(uint32_t));
    if (data == NULL || want == NULL) {
        abort();
    }

    for (i = 0; i < CRC_MAX; i++) {
        data[i] = (u_char) crc32_random();
    }

    /* the CRC of every prefix, bit by bit */

    want[0] = 0;

    for (i = 0; i < CRC_MAX; i++) {
        want[i + 1] = crc32_bitwise(want[i], data + i, 1);
    }

    test_crc32_constants();

    /* on an x86-64 that has it, the carry-less path must be taken */

    EXPECT_INT(cc_crc32_use_clmul(1), crc32_cpu_has_clmul());

    modes = 0;

    for (mode = 0; mode < 2; mode++) {

        if (cc_crc32_use_clmul(mode) != mode) {
            continue;
        }

        modes++;

        test_crc32_vectors();
        test_crc32_lengths(data, want);
        test_crc32_splits(data);
        test_crc32_large();

        if (cc_test_failures) {
            fprintf(stderr, "  ^ with the %s\n",
                    mode ? "carry-less multiplication" : "tables");
        }
    }

    fprintf(stderr, "crc32: %s checked\n",
            modes == 2 ? "tables and carry-less multiplication" : "tables");

    cc_crc32_use_clmul(1);

    free(data);
    free(want);

    return cc_test_done("test_crc32");
}


/* the CRC bit by bit, as its definition states it (reflected 0xEDB88320) */
static uint32_t
crc32_bitwise(uint32_t crc, const u_char *p, size_t n)
{
    int  k;

    crc = ~crc;

    while (n--) {
        crc ^= *p++;

        for (k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xedb88320 & (0 - (crc & 1)));
        }
    }

    return ~crc;
}


/*
 * The generator of the carry-less path's constants: x^n mod P, reflected
 * (bit j is the coefficient of x^(31 - j)): x^0, multiplied n times by
 * x, a shift with P subtracted when x^32 appears.
 */
static uint32_t
crc32_xpow(unsigned n)
{
    uint32_t  v;

    v = 0x80000000;

    while (n--) {
        v = (v >> 1) ^ (0xedb88320 & (0 - (v & 1)));
    }

    return v;
}


/* x^64 div P by long division, reflected in 33 bits (bit j: x^(32 - j)) */
static uint64_t
crc32_mu(void)
{
    int       i;
    uint64_t  r, q, mu;

    /* the first step: x^64 - x^32 * P leaves x^32 * (P - x^32) */

    q = 1ULL << 32;
    r = 0x04c11db7ULL << 32;

    for (i = 63; i >= 32; i--) {
        if (r >> i & 1) {
            q |= 1ULL << (i - 32);
            r ^= 0x104c11db7ULL << (i - 32);
        }
    }

    mu = 0;

    for (i = 0; i <= 32; i++) {
        if (q >> i & 1) {
            mu |= 1ULL << (32 - i);
        }
    }

    return mu;
}


static void
test_crc32_constants(void)
{
    /*
     * Intel's paper lists its constants as x^n mod P reflected in 33
     * bits, one bit up from these: k1 = x^(4 * 128 + 32), k2 = x^(4 *
     * 128 - 32), k3 = x^(128 + 32), k4 = x^(128 - 32), k5 = x^64, and
     * mu and P themselves.
     */

    EXPECT_UINT((uint64_t) crc32_xpow(544) << 1, 0x154442bd4);
    EXPECT_UINT((uint64_t) crc32_xpow(480) << 1, 0x1c6e41596);
    EXPECT_UINT((uint64_t) crc32_xpow(160) << 1, 0x1751997d0);
    EXPECT_UINT((uint64_t) crc32_xpow(96) << 1, 0x0ccaa009e);
    EXPECT_UINT((uint64_t) crc32_xpow(64) << 1, 0x163cd6124);
    EXPECT_UINT(crc32_mu(), 0x1f7011641);
    EXPECT_UINT(((uint64_t) crc32_xpow(32) << 1) | 1, 0x1db710641);

    /* those of cc_eventstream.c (CC_CRC32_X543 ...) */

    EXPECT_UINT(crc32_xpow(543), 0x8f352d95);
    EXPECT_UINT(crc32_xpow(479), 0x1d9513d7);
    EXPECT_UINT(crc32_xpow(159), 0xae689191);
    EXPECT_UINT(crc32_xpow(95), 0xccaa009e);
    EXPECT_UINT(crc32_xpow(63), 0xb8bc6765);
}


static uint32_t
crc32_random(void)
{
    crc32_state ^= crc32_state << 13;
    crc32_state ^= crc32_state >> 17;
    crc32_state ^= crc32_state << 5;

    return crc32_state;
}


static int
crc32_cpu_has_clmul(void)
{
#if (defined __x86_64__ && (defined __GNUC__ || defined __clang__))

    unsigned int  eax, ebx, ecx, edx;

    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        return 0;
    }

    return (ecx & bit_PCLMUL) && (ecx & bit_SSE4_1);

#else

    return 0;

#endif
}


static void
test_crc32_vectors(void)
{
    size_t                i;
    u_char                buf[64];
    static const u_char   check[] = "123456789";

    EXPECT_UINT(cc_crc32(0, check, 9), 0xcbf43926);
    EXPECT_UINT(cc_crc32(cc_crc32(0, check, 4), check + 4, 5), 0xcbf43926);
    EXPECT_UINT(cc_crc32(0, NULL, 0), 0);
    EXPECT_UINT(cc_crc32(0x12345678, NULL, 0), 0x12345678);

    /* zlib's values: 32 zeros, 32 0xff, "123456789" four times */

    memset(buf, 0, 32);
    EXPECT_UINT(cc_crc32(0, buf, 32), 0x190a55ad);

    memset(buf, 0xff, 32);
    EXPECT_UINT(cc_crc32(0, buf, 32), 0xff6cab0b);

    for (i = 0; i < 4; i++) {
        memcpy(buf + 9 * i, check, 9);
    }

    EXPECT_UINT(cc_crc32(0, buf, 36), crc32_bitwise(0, buf, 36));
}


/*
 * Every length at every alignment, from 0 and from other starting
 * values; the bytes before the input are junk, so a read before it
 * would change the CRC.
 */
static void
test_crc32_lengths(const u_char *data, const uint32_t *want)
{
    int        failures;
    size_t     len, off;
    u_char    *b;
    uint32_t   seed;

    for (len = 0; len <= CRC_MAX; len++) {
        failures = cc_test_failures;

        for (off = 0; off < CRC_ALIGN; off++) {
            b = malloc(off + len ? off + len : 1);
            if (b == NULL) {
                abort();
            }

            memset(b, 0xa5, off);
            memcpy(b + off, data, len);

            EXPECT_UINT(cc_crc32(0, b + off, len), want[len]);

            seed = crc32_random();
            EXPECT_UINT(cc_crc32(seed, b + off, len),
                        crc32_bitwise(seed, data, len));

            free(b);
        }

        if (cc_test_failures != failures) {
            fprintf(stderr, "  ^ at length %zu\n", len);
            return;
        }
    }
}


/*
 * Incremental use: the CRC of a prefix continued over the rest, at every
 * split up to 256 bytes at every alignment, and at a few splits beyond.
 */
static void
test_crc32_splits(const u_char *data)
{
    int        failures;
    size_t     len, off, cut, i;
    u_char    *b;
    uint32_t   want;

    static const size_t  cuts[] = { 1, 7, 8, 15, 16, 17, 31, 63, 64, 65,
                                    127, 200, 511, 513 };

    for (len = 0; len <= CRC_MAX; len++) {
        failures = cc_test_failures;
        want = crc32_bitwise(0, data, len);

        for (off = 0; off < CRC_ALIGN; off++) {

            if (len > 256 && off != len % CRC_ALIGN) {
                continue;
            }

            b = malloc(off + len ? off + len : 1);
            if (b == NULL) {
                abort();
            }

            memcpy(b + off, data, len);

            if (len <= 256) {
                for (cut = 0; cut <= len; cut++) {
                    EXPECT_UINT(cc_crc32(cc_crc32(0, b + off, cut),
                                         b + off + cut, len - cut),
                                want);
                }

            } else {
                for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
                    cut = cuts[i];

                    if (cut > len) {
                        break;
                    }

                    EXPECT_UINT(cc_crc32(cc_crc32(0, b + off, cut),
                                         b + off + cut, len - cut),
                                want);
                }

                cut = crc32_random() % (len + 1);
                EXPECT_UINT(cc_crc32(cc_crc32(0, b + off, cut),
                                     b + off + cut, len - cut),
                            want);
            }

            free(b);
        }

        if (cc_test_failures != failures) {
            fprintf(stderr, "  ^ split, at length %zu\n", len);
            return;
        }
    }
}


/* 64 KiB and a bit, in random pieces, against the whole */
static void
test_crc32_large(void)
{
    size_t     n, i, piece;
    u_char    *b;
    uint32_t   crc, want;

    n = 65536 + 13;

    b = malloc(n);
    if (b == NULL) {
        abort();
    }

    for (i = 0; i < n; i++) {
        b[i] = (u_char) crc32_random();
    }

    want = crc32_bitwise(0, b, n);

    EXPECT_UINT(cc_crc32(0, b, n), want);

    crc = 0;

    for (i = 0; i < n; i += piece) {
        piece = crc32_random() % 3000;

        if (piece > n - i) {
            piece = n - i;
        }

        crc = cc_crc32(crc, b + i, piece);
    }

    EXPECT_UINT(crc, want);

    free(b);
}
