
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_FUZZ_UTIL_H_INCLUDED_
#define _CC_FUZZ_UTIL_H_INCLUDED_


/*
 * Helpers shared by the libFuzzer harnesses of the pure units.  Include
 * this first.  All functions are static inline.
 *
 *   fz_arena_t        a malloc-backed cc_alloc_t whose blocks are all
 *                     freed at reset: anything still pointing into an
 *                     arena after its reset trips ASan
 *   fz_fail()         a finding: prints what and aborts (libFuzzer then
 *                     saves the input)
 *   fz_utf8()         strict UTF-8 (RFC 3629: no overlong forms, no
 *                     surrogates, nothing above U+10FFFF)
 *   fz_json()         one complete JSON text, parsed back with yajl
 *                     (which also checks its strings' UTF-8), and
 *                     fz_utf8()
 *   fz_sse()          "data: " JSON "\n\n" events, and "data: [DONE]\n\n"
 *                     last when the stream ends (only then)
 *   fz_mem()          the bytes in a malloc'ed block of their own, so
 *                     that a read one past the end trips ASan
 *   fz_pct_next()     the next byte of a percent-encoded text
 */


#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <yajl/yajl_parse.h>

#include "cc_core.h"


typedef union fz_block_u  fz_block_t;

union fz_block_u {
    fz_block_t               *next;
    long double               align_ld;
    void                     *align_p;
    uint64_t                  align_64;
};


typedef struct {
    cc_alloc_t                alloc;      /* pass &arena.alloc */
    fz_block_t               *blocks;
    size_t                    bytes;      /* handed out since the reset */
} fz_arena_t;


/* an arena this large is a finding (a loop that allocates without end) */
#define FZ_ARENA_MAX  (512 * 1024 * 1024)


static inline void
fz_fail(const char *what, const u_char *p, size_t len)
{
    size_t  i, n;

    fprintf(stderr, "FUZZ FINDING: %s\n", what);

    if (p != NULL) {
        n = len > 512 ? 512 : len;

        fprintf(stderr, "  (%zu bytes) \"", len);

        for (i = 0; i < n; i++) {
            if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\') {
                fputc(p[i], stderr);

            } else {
                fprintf(stderr, "\\x%02x", p[i]);
            }
        }

        fprintf(stderr, "\"%s\n", n < len ? "..." : "");
    }

    abort();
}


static inline void *
fz_arena_alloc(void *data, size_t size)
{
    fz_arena_t  *a;
    fz_block_t  *b;

    a = data;

    if (size > FZ_ARENA_MAX || a->bytes > FZ_ARENA_MAX - size) {
        fz_fail("the arena grew beyond 512 MiB", NULL, 0);
    }

    /* size 0 still gets a distinct block, as from an nginx pool */
    b = malloc(sizeof(fz_block_t) + size);
    if (b == NULL) {
        fz_fail("malloc failed", NULL, 0);
    }

    b->next = a->blocks;
    a->blocks = b;
    a->bytes += size;

    return b + 1;
}


static inline void
fz_arena_init(fz_arena_t *a)
{
    memset(a, 0, sizeof(fz_arena_t));

    a->alloc.alloc = fz_arena_alloc;
    a->alloc.data = a;
}


static inline void
fz_arena_reset(fz_arena_t *a)
{
    fz_block_t  *b, *next;

    for (b = a->blocks; b; b = next) {
        next = b->next;
        free(b);
    }

    a->blocks = NULL;
    a->bytes = 0;
}


static inline u_char *
fz_mem(const u_char *p, size_t len)
{
    u_char  *m;

    /* malloc(0) may give NULL or a block: one of our own either way */
    m = malloc(len ? len : 1);
    if (m == NULL) {
        fz_fail("malloc failed", NULL, 0);
    }

    if (len) {
        memcpy(m, p, len);
    }

    return m;
}


/*
 * FZ_LAX_UTF8=1 in the environment accepts what yajl's own check accepts
 * (lead and continuation bytes only): overlong forms, encoded surrogates
 * and code points above U+10FFFF.  Only to keep fuzzing while a known
 * bug of that kind is being fixed elsewhere (t/fuzz/Makefile).
 */
static inline int
fz_lax_utf8(void)
{
    const char  *s;

    static int  lax = -1;

    if (lax < 0) {
        s = getenv("FZ_LAX_UTF8");
        lax = (s != NULL && strcmp(s, "1") == 0);
    }

    return lax;
}


/* the offset of the first invalid byte, or len when all is valid */
static inline size_t
fz_utf8_check(const u_char *p, size_t len)
{
    size_t    i, n, k;
    uint32_t  c, min;

    for (i = 0; i < len; i += n) {
        c = p[i];

        if (c < 0x80) {
            n = 1;
            continue;
        }

        if (c >= 0xc0 && c <= 0xdf) {
            n = 2;
            c &= 0x1f;
            min = 0x80;

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3;
            c &= 0x0f;
            min = 0x800;

        } else if (c >= 0xf0 && c <= 0xf7) {
            n = 4;
            c &= 0x07;
            min = 0x10000;

        } else {
            return i;
        }

        if (n > len - i) {
            return i;
        }

        for (k = 1; k < n; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                return i;
            }

            c = (c << 6) | (p[i + k] & 0x3f);
        }

        if (fz_lax_utf8()) {
            continue;
        }

        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
            return i;
        }
    }

    return len;
}


static inline void
fz_utf8(const char *what, const u_char *p, size_t len)
{
    char    msg[160];
    size_t  at;

    at = fz_utf8_check(p, len);

    if (at != len) {
        snprintf(msg, sizeof(msg), "%s: invalid UTF-8 at byte %zu", what,
                 at);
        fz_fail(msg, p, len);
    }
}


static inline void
fz_json(const char *what, const u_char *p, size_t len)
{
    char           msg[160];
    yajl_handle    h;
    yajl_status    st;

    if (p == NULL || len == 0) {
        snprintf(msg, sizeof(msg), "%s: empty, not JSON", what);
        fz_fail(msg, NULL, 0);
    }

    fz_utf8(what, p, len);

    /* no callbacks: yajl only checks the grammar and strings' UTF-8 */
    h = yajl_alloc(NULL, NULL, NULL);
    if (h == NULL) {
        fz_fail("yajl_alloc failed", NULL, 0);
    }

    st = yajl_parse(h, p, len);
    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
    }

    yajl_free(h);

    if (st != yajl_status_ok) {
        snprintf(msg, sizeof(msg), "%s: not valid JSON", what);
        fz_fail(msg, p, len);
    }
}


/*
 * What a client reads: "data: " + a JSON object + "\n\n", event after
 * event; with done, "data: [DONE]\n\n" must end them, and without, it
 * must not be there.  len 0 is no event at all.
 */
static inline void
fz_sse(const char *what, const u_char *p, size_t len, int done)
{
    char           msg[160];
    const u_char  *end, *last, *e;

    if (len == 0) {
        if (done) {
            snprintf(msg, sizeof(msg), "%s: no \"data: [DONE]\" at the end",
                     what);
            fz_fail(msg, NULL, 0);
        }

        return;
    }

    end = p + len;
    last = NULL;

    while (p < end) {
        if ((size_t) (end - p) < 8 || memcmp(p, "data: ", 6) != 0) {
            snprintf(msg, sizeof(msg), "%s: an event without \"data: \"",
                     what);
            fz_fail(msg, p, end - p);
        }

        p += 6;

        for (e = p; e + 1 < end; e++) {
            if (e[0] == '\n' && e[1] == '\n') {
                break;
            }
        }

        if (e + 1 >= end) {
            snprintf(msg, sizeof(msg), "%s: an event without \"\\n\\n\"",
                     what);
            fz_fail(msg, p, end - p);
        }

        if (memchr(p, '\n', e - p) != NULL || memchr(p, '\r', e - p)) {
            snprintf(msg, sizeof(msg), "%s: a line break in an event",
                     what);
            fz_fail(msg, p, e - p);
        }

        if (last != NULL) {
            snprintf(msg, sizeof(msg), "%s: an event after [DONE]", what);
            fz_fail(msg, p, e - p);
        }

        if (e - p == 6 && memcmp(p, "[DONE]", 6) == 0) {
            if (!done) {
                snprintf(msg, sizeof(msg), "%s: [DONE] before the end",
                         what);
                fz_fail(msg, NULL, 0);
            }

            last = p;

        } else {
            if (p[0] != '{') {
                snprintf(msg, sizeof(msg), "%s: an event not an object",
                         what);
                fz_fail(msg, p, e - p);
            }

            fz_json(what, p, e - p);
        }

        p = e + 2;
    }

    if (done && last == NULL) {
        snprintf(msg, sizeof(msg), "%s: no \"data: [DONE]\" at the end",
                 what);
        fz_fail(msg, NULL, 0);
    }
}


/* upper-case hex digits only: SigV4 signs paths and bodies as they are */
static inline int
fz_hex(u_char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    return -1;
}


/*
 * The next byte of a percent-encoded text (RFC 3986 unreserved bytes as
 * they are, any other as "%XX" in upper case) at *p, before end; what and
 * all (len bytes) name the whole text in a finding.
 */
static inline u_char
fz_pct_next(const char *what, const u_char **p, const u_char *end,
    const u_char *all, size_t len)
{
    int            hi, lo;
    char           msg[160];
    u_char         c;
    const u_char  *q;

    q = *p;
    c = *q++;

    if (c == '%') {
        hi = (end - q >= 2) ? fz_hex(q[0]) : -1;
        lo = (end - q >= 2) ? fz_hex(q[1]) : -1;

        if (hi < 0 || lo < 0) {
            snprintf(msg, sizeof(msg), "%s: a bad escape", what);
            fz_fail(msg, all, len);
        }

        c = (u_char) (hi << 4 | lo);
        q += 2;

    } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                 || (c >= '0' && c <= '9') || c == '-' || c == '_'
                 || c == '.' || c == '~'))
    {
        snprintf(msg, sizeof(msg), "%s: a byte left unescaped", what);
        fz_fail(msg, all, len);
    }

    *p = q;

    return c;
}


#endif /* _CC_FUZZ_UTIL_H_INCLUDED_ */
