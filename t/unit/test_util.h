
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_TEST_UTIL_H_INCLUDED_
#define _CC_TEST_UTIL_H_INCLUDED_


/*
 * Helpers shared by the unit tests of the pure units.  Include this first
 * in a test (it turns on the names <sys/types.h> needs for u_char).  All
 * functions are static inline so that a test using only some of them
 * still compiles cleanly with -Wall -Wextra -Werror.
 *
 *   cc_test_arena_t   a malloc-backed cc_alloc_t that frees everything at
 *                     destroy, counts allocations, and can be told to fail
 *   CHECK(cond)       counts a check; prints file:line and the expression
 *                     on failure; evaluates to non-zero if cond held
 *   EXPECT_INT(a, b)  signed compare, printing both values
 *   EXPECT_UINT(a, b) unsigned compare, printing both values in hex
 *   EXPECT_MEM(p, n, ep, en)    byte compare, printing both escaped
 *   EXPECT_STR(s, "lit")        cc_str_t vs C string; NULL means absent
 *                               (s.data == NULL)
 *   cc_test_hex()     hex text (whitespace ignored) to bytes in an arena
 *   cc_test_done()    prints the summary, returns the exit status
 */


#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cc_core.h"


typedef union cc_test_block_u  cc_test_block_t;

/* a block header sized and aligned for any payload type */
union cc_test_block_u {
    cc_test_block_t          *next;
    long double               align_ld;
    void                     *align_p;
    uint64_t                  align_64;
};


typedef struct {
    cc_alloc_t                alloc;      /* pass &arena.alloc */
    cc_test_block_t          *blocks;
    size_t                    nallocs;    /* successful allocations */
    size_t                    bytes;      /* bytes handed out */
    long                      fail_after; /* < 0: never fail; n: only n
                                             more allocations succeed */
} cc_test_arena_t;


static int  cc_test_checks;
static int  cc_test_failures;


static inline void *
cc_test_arena_alloc(void *data, size_t size)
{
    cc_test_arena_t  *a;
    cc_test_block_t  *b;

    a = data;

    if (a->fail_after == 0) {
        return NULL;
    }

    if (a->fail_after > 0) {
        a->fail_after--;
    }

    /* size 0 still gets a distinct block, as from an nginx pool */
    b = malloc(sizeof(cc_test_block_t) + size);
    if (b == NULL) {
        return NULL;
    }

    b->next = a->blocks;
    a->blocks = b;
    a->nallocs++;
    a->bytes += size;

    return b + 1;
}


static inline void
cc_test_arena_init(cc_test_arena_t *a)
{
    memset(a, 0, sizeof(cc_test_arena_t));

    a->alloc.alloc = cc_test_arena_alloc;
    a->alloc.data = a;
    a->fail_after = -1;
}


static inline void
cc_test_arena_destroy(cc_test_arena_t *a)
{
    cc_test_block_t  *b, *next;

    for (b = a->blocks; b; b = next) {
        next = b->next;
        free(b);
    }

    a->blocks = NULL;
    a->nallocs = 0;
    a->bytes = 0;
}


static inline void
cc_test_print_mem(const char *label, const void *data, size_t len)
{
    size_t          i, n;
    const u_char   *p;

    if (data == NULL) {
        fprintf(stderr, "    %s: (null)\n", label);
        return;
    }

    p = data;
    n = len > 240 ? 240 : len;

    fprintf(stderr, "    %s (%zu bytes): \"", label, len);

    for (i = 0; i < n; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\') {
            fputc(p[i], stderr);

        } else {
            fprintf(stderr, "\\x%02x", p[i]);
        }
    }

    fprintf(stderr, "\"%s\n", n < len ? "..." : "");
}


static inline int
cc_test_check(int ok, const char *expr, const char *file, int line)
{
    cc_test_checks++;

    if (!ok) {
        cc_test_failures++;
        fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, expr);
    }

    return ok;
}


static inline int
cc_test_expect_int(int64_t a, int64_t b, const char *ea, const char *eb,
    const char *file, int line)
{
    cc_test_checks++;

    if (a != b) {
        cc_test_failures++;
        fprintf(stderr, "%s:%d: EXPECT failed: %s == %s\n"
                "    got %lld, expected %lld\n",
                file, line, ea, eb, (long long) a, (long long) b);
        return 0;
    }

    return 1;
}


static inline int
cc_test_expect_uint(uint64_t a, uint64_t b, const char *ea, const char *eb,
    const char *file, int line)
{
    cc_test_checks++;

    if (a != b) {
        cc_test_failures++;
        fprintf(stderr, "%s:%d: EXPECT failed: %s == %s\n"
                "    got 0x%llx, expected 0x%llx\n",
                file, line, ea, eb, (unsigned long long) a,
                (unsigned long long) b);
        return 0;
    }

    return 1;
}


static inline int
cc_test_expect_mem(const void *p, size_t n, const void *ep, size_t en,
    const char *expr, const char *file, int line)
{
    int  ok;

    cc_test_checks++;

    if (p == NULL || ep == NULL) {
        ok = (p == NULL && ep == NULL);

    } else {
        ok = (n == en && (n == 0 || memcmp(p, ep, n) == 0));
    }

    if (!ok) {
        cc_test_failures++;
        fprintf(stderr, "%s:%d: EXPECT failed: %s\n", file, line, expr);
        cc_test_print_mem("got", p, n);
        cc_test_print_mem("expected", ep, en);
    }

    return ok;
}


static inline int
cc_test_expect_str(const u_char *data, size_t len, const char *lit,
    const char *expr, const char *file, int line)
{
    return cc_test_expect_mem(data, len, lit, lit ? strlen(lit) : 0, expr,
                              file, line);
}


#define CHECK(cond)                                                         \
    cc_test_check(!!(cond), #cond, __FILE__, __LINE__)

#define EXPECT_INT(a, b)                                                    \
    cc_test_expect_int((int64_t) (a), (int64_t) (b), #a, #b,                \
                       __FILE__, __LINE__)

#define EXPECT_UINT(a, b)                                                   \
    cc_test_expect_uint((uint64_t) (a), (uint64_t) (b), #a, #b,             \
                        __FILE__, __LINE__)

#define EXPECT_MEM(p, n, ep, en)                                            \
    cc_test_expect_mem(p, n, ep, en, #p " == " #ep, __FILE__, __LINE__)

#define EXPECT_STR(s, lit)                                                  \
    cc_test_expect_str((s).data, (s).len, lit, #s " == " #lit,              \
                       __FILE__, __LINE__)


/*
 * Hex text to bytes, allocated in the arena; whitespace is skipped so that
 * dumps can be pasted as they are.  Bad input is a bug in the test: abort.
 */
static inline u_char *
cc_test_hex(cc_test_arena_t *a, const char *hex, size_t *len)
{
    int          hi, v;
    size_t       n;
    u_char      *buf;
    const char  *s;

    buf = cc_test_arena_alloc(a, strlen(hex) / 2 + 1);
    if (buf == NULL) {
        fprintf(stderr, "cc_test_hex: out of memory\n");
        abort();
    }

    n = 0;
    hi = -1;

    for (s = hex; *s; s++) {

        if (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r') {
            continue;
        }

        if (*s >= '0' && *s <= '9') {
            v = *s - '0';

        } else if (*s >= 'a' && *s <= 'f') {
            v = *s - 'a' + 10;

        } else if (*s >= 'A' && *s <= 'F') {
            v = *s - 'A' + 10;

        } else {
            fprintf(stderr, "cc_test_hex: bad character '%c'\n", *s);
            abort();
        }

        if (hi < 0) {
            hi = v;

        } else {
            buf[n++] = (u_char) (hi << 4 | v);
            hi = -1;
        }
    }

    if (hi >= 0) {
        fprintf(stderr, "cc_test_hex: odd number of digits\n");
        abort();
    }

    *len = n;

    return buf;
}


static inline int
cc_test_done(const char *name)
{
    fprintf(stderr, "%s: %d checks, %d failed\n", name, cc_test_checks,
            cc_test_failures);

    return cc_test_failures ? EXIT_FAILURE : EXIT_SUCCESS;
}


#endif /* _CC_TEST_UTIL_H_INCLUDED_ */
