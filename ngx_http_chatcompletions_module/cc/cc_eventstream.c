
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/* u_char comes from <sys/types.h> only with the BSD/default names on */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include <string.h>

#include "cc_eventstream.h"


/*
 * x86-64: the CRC by carry-less multiplication (PCLMULQDQ), compiled for
 * that instruction set whatever the build's flags and used only when
 * CPUID reports it (cc_crc32_clmul() below).
 */

#if (defined __x86_64__ && (defined __GNUC__ || defined __clang__))
#define CC_CRC32_CLMUL  1
#else
#define CC_CRC32_CLMUL  0
#endif

#if (CC_CRC32_CLMUL)
#include <cpuid.h>
#include <smmintrin.h>
#include <wmmintrin.h>

#define CC_CRC32_TARGET  __attribute__((target("pclmul,sse4.1")))

/* shorter inputs (the 8 bytes of a prelude) go through the tables */
#define CC_CRC32_CLMUL_MIN  16
#endif


/*
 * A message split across inputs is assembled in a buffer of at least this
 * size, so that the typical Bedrock event (a few hundred bytes) never
 * needs a second allocation; a larger message gets a buffer of its size.
 * A stream keeps it to its end: no more than a frame needs.
 */
#define CC_ES_MIN_BUFFER  1024


typedef struct {
    cc_str_t                  name;
    size_t                    offset;
} cc_es_known_t;


/* a header: its name, its type, the bytes of a string-like value */
typedef struct {
    cc_str_t                  name;
    cc_es_header_type_e       type;
    cc_str_t                  bytes;        /* STRING, BYTE_ARRAY, UUID */
} cc_es_header_t;


static int cc_es_prelude(cc_es_decoder_t *d, const u_char *p);
static int cc_es_buffer(cc_es_decoder_t *d);
static int cc_es_message(cc_es_decoder_t *d, const u_char *p,
    cc_es_message_t *msg);
static int cc_es_parse_header(const u_char *start, size_t len,
    size_t *offset, cc_es_header_t *h, const char **err);
static uint32_t cc_es_be32(const u_char *p);
static void cc_crc32_init(void);
static uint32_t cc_crc32_slice8(uint32_t crc, const u_char *p, size_t n);
#if (CC_CRC32_CLMUL)
static int cc_crc32_detect(void);
static uint32_t cc_crc32_clmul(uint32_t crc, const u_char *p, size_t n)
    CC_CRC32_TARGET;
static inline __m128i cc_crc32_fold(__m128i a, __m128i k, __m128i b)
    CC_CRC32_TARGET;
#endif


/* zlib's CRC-32 (not CRC-32C): reflected polynomial 0xedb88320 */
static const uint32_t  cc_crc32_table[256] = {
    0x00000000, 0x77073096, 0xee0e612c, 0x990951ba, 0x076dc419, 0x706af48f,
    0xe963a535, 0x9e6495a3, 0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988,
    0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91, 0x1db71064, 0x6ab020f2,
    0xf3b97148, 0x84be41de, 0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
    0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec, 0x14015c4f, 0x63066cd9,
    0xfa0f3d63, 0x8d080df5, 0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172,
    0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b, 0x35b5a8fa, 0x42b2986c,
    0xdbbbc9d6, 0xacbcf940, 0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
    0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116, 0x21b4f4b5, 0x56b3c423,
    0xcfba9599, 0xb8bda50f, 0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924,
    0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d, 0x76dc4190, 0x01db7106,
    0x98d220bc, 0xefd5102a, 0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
    0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818, 0x7f6a0dbb, 0x086d3d2d,
    0x91646c97, 0xe6635c01, 0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e,
    0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457, 0x65b0d9c6, 0x12b7e950,
    0x8bbeb8ea, 0xfcb9887c, 0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
    0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2, 0x4adfa541, 0x3dd895d7,
    0xa4d1c46d, 0xd3d6f4fb, 0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0,
    0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9, 0x5005713c, 0x270241aa,
    0xbe0b1010, 0xc90c2086, 0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
    0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4, 0x59b33d17, 0x2eb40d81,
    0xb7bd5c3b, 0xc0ba6cad, 0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a,
    0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683, 0xe3630b12, 0x94643b84,
    0x0d6d6a3e, 0x7a6a5aa8, 0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
    0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe, 0xf762575d, 0x806567cb,
    0x196c3671, 0x6e6b06e7, 0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc,
    0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5, 0xd6d6a3e8, 0xa1d1937e,
    0x38d8c2c4, 0x4fdff252, 0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
    0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60, 0xdf60efc3, 0xa867df55,
    0x316e8eef, 0x4669be79, 0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236,
    0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f, 0xc5ba3bbe, 0xb2bd0b28,
    0x2bb45a92, 0x5cb36a04, 0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
    0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a, 0x9c0906a9, 0xeb0e363f,
    0x72076785, 0x05005713, 0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38,
    0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21, 0x86d3d2d4, 0xf1d4e242,
    0x68ddb3f8, 0x1fda836e, 0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
    0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c, 0x8f659eff, 0xf862ae69,
    0x616bffd3, 0x166ccf45, 0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2,
    0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db, 0xaed16a4a, 0xd9d65adc,
    0x40df0b66, 0x37d83bf0, 0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
    0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6, 0xbad03605, 0xcdd70693,
    0x54de5729, 0x23d967bf, 0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94,
    0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d
};


/* the headers a message is dispatched on (PROTOCOLS.md 2.4) */
static const cc_es_known_t  cc_es_known[] = {
    { cc_string(":message-type"),
      offsetof(cc_es_message_t, message_type) },
    { cc_string(":event-type"),
      offsetof(cc_es_message_t, event_type) },
    { cc_string(":exception-type"),
      offsetof(cc_es_message_t, exception_type) },
    { cc_string(":error-code"),
      offsetof(cc_es_message_t, error_code) },
    { cc_string(":error-message"),
      offsetof(cc_es_message_t, error_message) },
    { cc_string(":content-type"),
      offsetof(cc_es_message_t, content_type) }
};


/*
 * Slicing by 8: eight bytes per step through eight tables derived from
 * the one above at first use (a process's; nginx workers are single
 * threaded).  The bytes are read one by one: any alignment, any byte
 * order.
 */

static uint32_t  cc_crc32_slices[8][256];
static int       cc_crc32_ready;

#if (CC_CRC32_CLMUL)
/* 0: CPUID not asked yet; -1: the tables; 1: carry-less multiplication */
static int       cc_crc32_use;
#endif


uint32_t
cc_crc32(uint32_t crc, const u_char *p, size_t n)
{
#if (CC_CRC32_CLMUL)

    if (n >= CC_CRC32_CLMUL_MIN) {

        if (cc_crc32_use == 0) {
            cc_crc32_use = cc_crc32_detect() ? 1 : -1;
        }

        if (cc_crc32_use > 0) {
            return ~cc_crc32_clmul(~crc, p, n);
        }
    }

#endif

    return ~cc_crc32_slice8(~crc, p, n);
}


int
cc_crc32_use_clmul(int on)
{
#if (CC_CRC32_CLMUL)

    if (on >= 0 || cc_crc32_use == 0) {
        cc_crc32_use = (on != 0 && cc_crc32_detect()) ? 1 : -1;
    }

    return cc_crc32_use > 0;

#else

    (void) on;

    return 0;

#endif
}


static void
cc_crc32_init(void)
{
    size_t    i, k;
    uint32_t  c;

    for (i = 0; i < 256; i++) {
        c = cc_crc32_table[i];
        cc_crc32_slices[0][i] = c;

        for (k = 1; k < 8; k++) {
            c = cc_crc32_table[c & 0xff] ^ (c >> 8);
            cc_crc32_slices[k][i] = c;
        }
    }

    cc_crc32_ready = 1;
}


/* the register in, the register out (no inversions) */

static uint32_t
cc_crc32_slice8(uint32_t crc, const u_char *p, size_t n)
{
    uint32_t         lo, hi;
    const uint32_t  (*t)[256];

    if (!cc_crc32_ready) {
        cc_crc32_init();
    }

    t = (const uint32_t (*)[256]) cc_crc32_slices;

    for ( /* void */ ; n >= 8; n -= 8, p += 8) {
        lo = crc ^ ((uint32_t) p[0] | (uint32_t) p[1] << 8
                    | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24);
        hi = (uint32_t) p[4] | (uint32_t) p[5] << 8
             | (uint32_t) p[6] << 16 | (uint32_t) p[7] << 24;

        crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff]
              ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24]
              ^ t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff]
              ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    }

    for ( /* void */ ; n; n--) {
        crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    }

    return crc;
}


#if (CC_CRC32_CLMUL)

/*
 * Folding by carry-less multiplication (Gopal et al., "Fast CRC
 * Computation for Generic Polynomials Using PCLMULQDQ Instruction",
 * Intel, 2009), for the reflected CRC.
 *
 * A 16-byte register holds a piece of the message as a polynomial of
 * degree < 128, its first byte's lowest bit the coefficient of x^127:
 * register bit k is x^(127 - k).  Moving such a piece D bits further
 * into the message multiplies it by x^D; modulo P it becomes
 *
 *     hi(x) * (x^(D + 64) mod P) + lo(x) * (x^D mod P)
 *
 * (hi: the register's low 64 bits, which hold the higher degrees), two
 * carry-less products of at most 96 bits that are XORed into the piece
 * found D bits on.  A constant below is x^n mod P as a 32-bit reflected
 * value (bit j is x^(31 - j)) in the low half of a 64-bit lane.  A
 * product's bit k sums the operands' bits i + j = k, so the exponents
 * add: a lane L whose bit i is x^(a - i), times the constant for x^n,
 * is a register R whose bit k is x^(a + 31 - k) in L * (x^n mod P).
 * Read with bit k as x^(b - k), R is L * x^(n + b - a - 31) mod P: the
 * lane itself when n = a + 31 - b.  For a fold by D: a = 127 + D (hi)
 * or 63 + D (lo), b = 127, so n = D + 31 and n = D - 33.
 * t/unit/test_crc32.c derives every constant (test_crc32_constants())
 * and checks its generator against the constants Intel's paper lists.
 *
 * The message is read 64 bytes a step (four pieces folded by 512 bits),
 * the four then folded into one, then 16 bytes a step; a last piece of
 * r < 16 bytes is taken by shifting the register r bytes (the bytes
 * that leave it are folded by 128 bits) with the last 16 bytes of the
 * input, already read but for r, blended in.  The one piece left,
 * A(x), is the message's: the CRC is A(x) * x^32 mod P, by two more
 * folds to 64 bits and Barrett's reduction:
 *
 *     mu = x^64 div P;  q = ((Y div x^32) * mu) div x^32;  Y - q * P
 *
 * Any length >= 16, any alignment: all loads are unaligned and inside
 * the input.
 */

#define CC_CRC32_X543   0x8f352d95      /* fold by 512: x^(512 + 31) */
#define CC_CRC32_X479   0x1d9513d7      /* x^(512 - 33) */
#define CC_CRC32_X159   0xae689191      /* fold by 128: x^(128 + 31) */
#define CC_CRC32_X95    0xccaa009e      /* x^(128 - 33), x^(159 + 31 - 95) */
#define CC_CRC32_X63    0xb8bc6765      /* x^(95 + 31 - 63) */
#define CC_CRC32_MU     0x1f7011641     /* x^64 div P, 33 bits, reflected */
#define CC_CRC32_P      0x1db710641     /* P, 33 bits, reflected */


/* byte shifts by pshufb: 0x80 clears a byte */
static const u_char  cc_crc32_shift[48] = {
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80
};


static int
cc_crc32_detect(void)
{
    unsigned int  eax, ebx, ecx, edx;

    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        return 0;
    }

    return (ecx & bit_PCLMUL) && (ecx & bit_SSE4_1);
}


/* the register in, the register out; n >= 16 */

static uint32_t
cc_crc32_clmul(uint32_t crc, const u_char *p, size_t n)
{
    __m128i  x0, x1, x2, x3, k, lo, hi, mask;

#define cc_crc32_load(p)  _mm_loadu_si128((const __m128i *) (p))

    x0 = _mm_xor_si128(cc_crc32_load(p), _mm_cvtsi32_si128((int) crc));

    k = _mm_set_epi64x(CC_CRC32_X95, CC_CRC32_X159);

    if (n >= 64) {
        x1 = cc_crc32_load(p + 16);
        x2 = cc_crc32_load(p + 32);
        x3 = cc_crc32_load(p + 48);

        p += 64;
        n -= 64;

        if (n >= 64) {
            lo = _mm_set_epi64x(CC_CRC32_X479, CC_CRC32_X543);

            do {
                x0 = cc_crc32_fold(x0, lo, cc_crc32_load(p));
                x1 = cc_crc32_fold(x1, lo, cc_crc32_load(p + 16));
                x2 = cc_crc32_fold(x2, lo, cc_crc32_load(p + 32));
                x3 = cc_crc32_fold(x3, lo, cc_crc32_load(p + 48));

                p += 64;
                n -= 64;

            } while (n >= 64);
        }

        x0 = cc_crc32_fold(x0, k, x1);
        x0 = cc_crc32_fold(x0, k, x2);
        x0 = cc_crc32_fold(x0, k, x3);

    } else {
        p += 16;
        n -= 16;
    }

    for ( /* void */ ; n >= 16; n -= 16, p += 16) {
        x0 = cc_crc32_fold(x0, k, cc_crc32_load(p));
    }

    if (n) {

        /*
         * The last n bytes: x0's first n bytes (hi) are folded by 128
         * bits onto x0 moved n bytes down with the input's last n bytes
         * after it (lo); p - 16 + n is inside the input.
         */

        mask = cc_crc32_load(cc_crc32_shift + 16 + n);
        hi = _mm_shuffle_epi8(x0, cc_crc32_load(cc_crc32_shift + n));
        lo = _mm_blendv_epi8(_mm_shuffle_epi8(x0, mask),
                             cc_crc32_load(p + n - 16), mask);

        x0 = cc_crc32_fold(hi, k, lo);
    }

#undef cc_crc32_load

    /* A(x) * x^32: the high 64 bits by x^95 onto the low ones, 96 bits */

    x0 = _mm_xor_si128(_mm_clmulepi64_si128(x0, k, 0x10),
                       _mm_srli_si128(x0, 8));

    /* the high 32 bits by x^63 onto the low ones: Y(x), 64 bits */

    mask = _mm_set_epi32(0, 0, 0, -1);
    k = _mm_set_epi64x(CC_CRC32_P, CC_CRC32_MU);

    x0 = _mm_xor_si128(
             _mm_clmulepi64_si128(_mm_and_si128(x0, mask),
                                  _mm_set_epi64x(0, CC_CRC32_X63),
                                  0x00),
             _mm_srli_si128(x0, 4));

    /* Barrett: q in the low 32 bits, then Y - q * P */

    lo = _mm_and_si128(_mm_clmulepi64_si128(x0, k, 0x00), mask);
    x0 = _mm_xor_si128(x0, _mm_clmulepi64_si128(lo, k, 0x10));

    return (uint32_t) _mm_extract_epi32(x0, 1);
}


/* a folded onto b: a's high half times k's low, a's low times k's high */

static inline __m128i
cc_crc32_fold(__m128i a, __m128i k, __m128i b)
{
    return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(a, k, 0x00),
                                       _mm_clmulepi64_si128(a, k, 0x11)),
                         b);
}

#endif


void
cc_es_init(cc_es_decoder_t *d, cc_alloc_t *a, size_t max_message)
{
    memset(d, 0, sizeof(cc_es_decoder_t));

    d->alloc = a;
    d->max_message = max_message ? max_message : CC_ES_MAX_MESSAGE;
}


int
cc_es_decode(cc_es_decoder_t *d, const u_char **pos, const u_char *last,
    cc_es_message_t *msg, const char **err)
{
    size_t         n, avail;
    const u_char  *p;

    if (d->err != NULL) {
        goto failed;
    }

    p = *pos;
    avail = last - p;

    if (d->have == 0) {

        if (avail == 0) {
            return CC_AGAIN;
        }

        if (avail >= CC_ES_PRELUDE_LEN) {

            if (cc_es_prelude(d, p) != CC_OK) {
                goto failed;
            }

            if (avail >= d->total) {

                /* the whole message is in the input: decode it in place */

                if (cc_es_message(d, p, msg) != CC_OK) {
                    goto failed;
                }

                *pos = p + d->total;

                return CC_OK;
            }

            if (cc_es_buffer(d) != CC_OK) {
                goto failed;
            }

            memcpy(d->buf, p, avail);
            d->have = avail;
            *pos = last;

            return CC_AGAIN;
        }
    }

    if (d->have < CC_ES_PRELUDE_LEN) {

        /*
         * The prelude is collected apart, so that a bad length or CRC is
         * rejected before anything is allocated for the message.
         */

        n = CC_ES_PRELUDE_LEN - d->have;
        if (n > avail) {
            n = avail;
        }

        if (n) {
            memcpy(d->prelude + d->have, p, n);
            d->have += n;
            p += n;
            avail -= n;
        }

        *pos = p;

        if (d->have < CC_ES_PRELUDE_LEN) {
            return CC_AGAIN;
        }

        if (cc_es_prelude(d, d->prelude) != CC_OK) {
            goto failed;
        }

        if (cc_es_buffer(d) != CC_OK) {
            goto failed;
        }

        memcpy(d->buf, d->prelude, CC_ES_PRELUDE_LEN);
    }

    n = d->total - d->have;
    if (n > avail) {
        n = avail;
    }

    if (n) {
        memcpy(d->buf + d->have, p, n);
        d->have += n;
        p += n;
    }

    *pos = p;

    if (d->have < d->total) {
        return CC_AGAIN;
    }

    d->have = 0;

    if (cc_es_message(d, d->buf, msg) != CC_OK) {
        goto failed;
    }

    return CC_OK;

failed:

    *err = d->err;

    return CC_ERROR;
}


int
cc_es_pending(const cc_es_decoder_t *d)
{
    return d->have != 0;
}


static int
cc_es_prelude(cc_es_decoder_t *d, const u_char *p)
{
    uint32_t  total, headers_len, crc;

    total = cc_es_be32(p);
    headers_len = cc_es_be32(p + 4);
    crc = cc_es_be32(p + 8);

    /* the lengths mean nothing until their CRC matches */

    if (cc_crc32(0, p, 8) != crc) {
        d->err = "prelude CRC mismatch";
        return CC_ERROR;
    }

    if (total < CC_ES_MIN_MESSAGE) {
        d->err = "total length too small";
        return CC_ERROR;
    }

    if (total > d->max_message) {
        d->err = "total length exceeds limit";
        return CC_ERROR;
    }

    if (headers_len > total - CC_ES_MIN_MESSAGE) {
        d->err = "headers length exceeds message";
        return CC_ERROR;
    }

    d->total = total;
    d->headers_len = headers_len;
    d->prelude_crc = crc;

    return CC_OK;
}


static int
cc_es_buffer(cc_es_decoder_t *d)
{
    size_t   size;
    u_char  *buf;

    if (d->size >= d->total) {
        return CC_OK;
    }

    /*
     * Arena memory is only released with the arena, so a buffer that is
     * outgrown is lost: grow at least twofold to keep the waste bounded
     * by the size of the largest message.
     */

    size = 2 * d->size;

    if (size < CC_ES_MIN_BUFFER) {
        size = CC_ES_MIN_BUFFER;
    }

    if (size > d->max_message) {
        size = d->max_message;
    }

    if (size < d->total) {
        size = d->total;
    }

    buf = d->alloc->alloc(d->alloc->data, size);
    if (buf == NULL) {
        d->err = "memory allocation failed";
        return CC_ERROR;
    }

    d->buf = buf;
    d->size = size;

    return CC_OK;
}


static int
cc_es_message(cc_es_decoder_t *d, const u_char *p, cc_es_message_t *msg)
{
    int              rc;
    size_t           offset, i;
    uint32_t         crc;
    cc_str_t        *field;
    const char      *err;
    cc_es_header_t   h;

    /*
     * The message CRC covers the prelude and its CRC; continuing the
     * running CRC from the prelude CRC avoids hashing the first 8 bytes
     * twice.
     */

    crc = cc_crc32(d->prelude_crc, p + 8, d->total - 12);

    if (crc != cc_es_be32(p + d->total - 4)) {
        d->err = "message CRC mismatch";
        return CC_ERROR;
    }

    memset(msg, 0, sizeof(cc_es_message_t));

    msg->headers = p + CC_ES_PRELUDE_LEN;
    msg->headers_len = d->headers_len;
    msg->payload = msg->headers + d->headers_len;
    msg->payload_len = d->total - CC_ES_MIN_MESSAGE - d->headers_len;
    msg->length = d->total;

    /*
     * Every header is walked, not only the ones looked for: a message
     * whose headers cannot be parsed is as untrustworthy as one with a
     * bad CRC.
     */

    offset = 0;

    for ( ;; ) {
        rc = cc_es_parse_header(msg->headers, msg->headers_len, &offset, &h,
                                &err);

        if (rc == CC_DONE) {
            break;
        }

        if (rc != CC_OK) {
            d->err = err;
            return CC_ERROR;
        }

        if (h.type != CC_ES_STRING) {
            continue;
        }

        for (i = 0; i < sizeof(cc_es_known) / sizeof(cc_es_known[0]); i++) {

            if (h.name.len != cc_es_known[i].name.len
                || memcmp(h.name.data, cc_es_known[i].name.data, h.name.len)
                   != 0)
            {
                continue;
            }

            field = (cc_str_t *) ((u_char *) msg + cc_es_known[i].offset);

            /*
             * Two values for the header that selects how the payload is
             * interpreted would make the message ambiguous.
             */

            if (field->data != NULL) {
                d->err = "duplicate reserved header";
                return CC_ERROR;
            }

            *field = h.bytes;
            break;
        }
    }

    return CC_OK;
}


/*
 * One header at *offset: CC_OK with *h filled (pointers into the
 * section) and *offset past it; CC_DONE at the end of the section.  The
 * values of the other types are checked for length only: a message is
 * dispatched on string headers.
 */

static int
cc_es_parse_header(const u_char *start, size_t len, size_t *offset,
    cc_es_header_t *h, const char **err)
{
    size_t         need, name_len;
    u_char         type;
    const u_char  *p, *end;

    if (*offset == len) {
        return CC_DONE;
    }

    p = start + *offset;
    end = start + len;

    name_len = *p++;

    if (name_len == 0) {
        *err = "zero-length header name";
        return CC_ERROR;
    }

    /* the name and the type byte */

    if ((size_t) (end - p) < name_len + 1) {
        *err = "header overruns headers section";
        return CC_ERROR;
    }

    h->name.len = name_len;
    h->name.data = (u_char *) p;
    p += name_len;

    type = *p++;

    h->bytes.len = 0;
    h->bytes.data = NULL;

    switch (type) {

    case CC_ES_BOOL_TRUE:
    case CC_ES_BOOL_FALSE:
        need = 0;
        break;

    case CC_ES_BYTE:
        need = 1;
        break;

    case CC_ES_SHORT:
        need = 2;
        break;

    case CC_ES_INTEGER:
        need = 4;
        break;

    case CC_ES_LONG:
    case CC_ES_TIMESTAMP:
        need = 8;
        break;

    case CC_ES_BYTE_ARRAY:
    case CC_ES_STRING:

        if (end - p < 2) {
            *err = "header overruns headers section";
            return CC_ERROR;
        }

        need = ((size_t) p[0] << 8) | p[1];
        p += 2;

        h->bytes.len = need;
        h->bytes.data = (u_char *) p;
        break;

    case CC_ES_UUID:
        need = 16;

        h->bytes.len = need;
        h->bytes.data = (u_char *) p;
        break;

    default:

        /* no length to skip an unknown type by: the rest is unparseable */

        *err = "invalid header type";
        return CC_ERROR;
    }

    if ((size_t) (end - p) < need) {
        *err = "header overruns headers section";
        return CC_ERROR;
    }

    h->type = (cc_es_header_type_e) type;

    *offset = p + need - start;

    return CC_OK;
}


static uint32_t
cc_es_be32(const u_char *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
           | ((uint32_t) p[2] << 8) | (uint32_t) p[3];
}
