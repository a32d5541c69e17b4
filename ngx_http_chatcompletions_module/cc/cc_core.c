
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The base of the pure units: the arena, growable buffers, UTF-8 checks
 * and strings.
 */


#include <stdint.h>
#include <string.h>

#include "cc_core.h"


void *
cc_alloc(cc_alloc_t *a, size_t size)
{
    return a->alloc(a->data, size);
}


void *
cc_calloc(cc_alloc_t *a, size_t size)
{
    void  *p;

    p = a->alloc(a->data, size);
    if (p != NULL) {
        memset(p, 0, size);
    }

    return p;
}


u_char *
cc_strdup(cc_alloc_t *a, const u_char *s, size_t len)
{
    u_char  *p;

    p = a->alloc(a->data, len + 1);
    if (p == NULL) {
        return NULL;
    }

    if (len) {
        memcpy(p, s, len);
    }

    p[len] = '\0';

    return p;
}


int
cc_buf_reserve(cc_alloc_t *a, cc_buf_t *b, size_t n)
{
    u_char  *p;
    size_t   size;

    if (b->cap >= b->len && n <= b->cap - b->len) {
        return CC_OK;
    }

    if (n > SIZE_MAX - b->len) {
        return CC_ERROR;
    }

    size = b->len + n;

    if (b->cap <= SIZE_MAX / 2 && size < 2 * b->cap) {
        size = 2 * b->cap;
    }

    if (size < b->min) {
        size = b->min;
    }

    p = cc_alloc(a, size);
    if (p == NULL) {
        return CC_ERROR;
    }

    if (b->len) {
        memcpy(p, b->data, b->len);
    }

    b->data = p;
    b->cap = size;

    return CC_OK;
}


int
cc_buf_append_grow(cc_alloc_t *a, cc_buf_t *b, const u_char *p, size_t n)
{
    if (n == 0) {
        return CC_OK;
    }

    if (cc_buf_reserve(a, b, n) != CC_OK) {
        return CC_ERROR;
    }

    memcpy(b->data + b->len, p, n);
    b->len += n;

    return CC_OK;
}


/* the length of the valid UTF-8 sequence at p, or 0 (RFC 3629) */

size_t
cc_utf8_valid(const u_char *p, const u_char *last)
{
    size_t   n, i;
    u_char   c, lo, hi;

    c = *p;

    if (c < 0x80) {
        return 1;
    }

    lo = 0x80;
    hi = 0xbf;

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;

    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        lo = (c == 0xe0) ? 0xa0 : 0x80;
        hi = (c == 0xed) ? 0x9f : 0xbf;    /* no surrogates */

    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        lo = (c == 0xf0) ? 0x90 : 0x80;
        hi = (c == 0xf4) ? 0x8f : 0xbf;    /* up to U+10FFFF */

    } else {
        return 0;
    }

    if ((size_t) (last - p) < n || p[1] < lo || p[1] > hi) {
        return 0;
    }

    for (i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }

    return n;
}


size_t
cc_utf8_check(const u_char *p, size_t len)
{
    size_t         n;
    uint64_t       w;
    const u_char  *s, *last;

    if (len == 0) {
        return 0;
    }

    last = p + len;
    s = p;

    while (s < last) {

        /* ASCII, most of the text: eight bytes at a time */

        while (last - s >= 8) {
            memcpy(&w, s, 8);

            if (w & 0x8080808080808080ULL) {
                break;
            }

            s += 8;
        }

        while (s < last && *s < 0x80) {
            s++;
        }

        if (s == last) {
            break;
        }

        n = cc_utf8_valid(s, last);
        if (n == 0) {
            break;
        }

        s += n;
    }

    return s - p;
}


int
cc_utf8_sanitize(cc_alloc_t *a, const u_char *p, size_t len, cc_str_t *out)
{
    size_t         n, bad;
    u_char        *d;
    const u_char  *s, *last;

    if (len == 0) {
        out->data = (u_char *) p;
        out->len = 0;
        return CC_OK;
    }

    last = p + len;
    bad = 0;

    for (s = p; s < last; s += n ? n : 1) {
        n = cc_utf8_valid(s, last);
        bad += (n == 0);
    }

    if (bad == 0) {
        out->data = (u_char *) p;
        out->len = len;
        return CC_OK;
    }

    /* each bad byte (1 byte) becomes U+FFFD (3 bytes) */

    d = cc_alloc(a, len + 2 * bad);
    if (d == NULL) {
        return CC_ERROR;
    }

    out->data = d;

    for (s = p; s < last; /* void */) {
        n = cc_utf8_valid(s, last);

        if (n == 0) {
            *d++ = 0xef;
            *d++ = 0xbf;
            *d++ = 0xbd;
            s++;
            continue;
        }

        memcpy(d, s, n);
        d += n;
        s += n;
    }

    out->len = d - out->data;

    return CC_OK;
}


/* strings */

int
cc_str_eq(const cc_str_t *s, const char *lit)
{
    size_t  n;

    n = strlen(lit);

    return s != NULL && s->len == n
           && (n == 0 || memcmp(s->data, lit, n) == 0);
}


int
cc_str_dup(cc_alloc_t *a, const cc_str_t *src, cc_str_t *dst)
{
    dst->data = cc_strdup(a, src->data, src->len);
    if (dst->data == NULL) {
        return CC_ERROR;
    }

    dst->len = src->len;

    return CC_OK;
}


int
cc_is_space(u_char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}


int
cc_str_cmp(const cc_str_t *s1, const cc_str_t *s2)
{
    int     rc;
    size_t  n;

    n = s1->len < s2->len ? s1->len : s2->len;

    /* an empty string may have a NULL pointer, which memcmp() may not see */
    rc = n ? memcmp(s1->data, s2->data, n) : 0;
    if (rc != 0) {
        return rc;
    }

    return (s1->len > s2->len) - (s1->len < s2->len);
}
