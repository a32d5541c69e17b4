
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_CORE_H_INCLUDED_
#define _CC_CORE_H_INCLUDED_


/*
 * The pure units, the cc_*.[ch] of this folder, compile without nginx, as
 * njs keeps its engine apart from its nginx glue.  They use the short
 * "cc_" prefix; the glue is prefixed ngx_http_chatcompletions_.  This one
 * is the base of all: the return codes, the arena, strings and growable
 * buffers.
 *
 * Memory comes from an arena the caller owns: an nginx pool in the module,
 * a malloc arena in the unit tests.  Nothing is freed piecemeal; yajl is
 * routed to the same arena through its allocator hooks (cc_gen.h).
 */


#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>


#define CC_OK         0
#define CC_ERROR     -1
#define CC_AGAIN     -2
#define CC_DONE      -4
#define CC_DECLINED  -5


typedef struct {
    void                    *(*alloc)(void *data, size_t size);
    void                     *data;
} cc_alloc_t;


typedef struct {
    size_t                    len;
    u_char                   *data;
} cc_str_t;


#define cc_string(s)         { sizeof(s) - 1, (u_char *) s }
#define cc_null_string       { 0, NULL }


/*
 * A growable buffer in an arena, for bytes or for an array (len and cap
 * count bytes then).  When an append does not fit, the buffer moves to a
 * new allocation of the largest of twice cap, what is needed, and min,
 * and the old one stays in the arena until the arena goes.  A zeroed
 * cc_buf_t is empty.  cap less than len means data is not the buffer's
 * own (a literal, say): the first append copies it.
 */
typedef struct {
    u_char                   *data;
    size_t                    len;
    size_t                    cap;
    size_t                    min;          /* the smallest allocation */
} cc_buf_t;


void *cc_alloc(cc_alloc_t *a, size_t size);
void *cc_calloc(cc_alloc_t *a, size_t size);
u_char *cc_strdup(cc_alloc_t *a, const u_char *s, size_t len);

/*
 * Room for n more bytes, or n bytes appended: CC_OK, or CC_ERROR when out
 * of memory (b is then unchanged).
 */
int cc_buf_reserve(cc_alloc_t *a, cc_buf_t *b, size_t n);
int cc_buf_append_grow(cc_alloc_t *a, cc_buf_t *b, const u_char *p,
    size_t n);


/* the common case, with room, is a copy: yajl prints a token at a time */

static inline int
cc_buf_append(cc_alloc_t *a, cc_buf_t *b, const u_char *p, size_t n)
{
    if (b->cap >= b->len && n <= b->cap - b->len) {
        if (n) {
            memcpy(b->data + b->len, p, n);
            b->len += n;
        }

        return CC_OK;
    }

    return cc_buf_append_grow(a, b, p, n);
}


/*
 * Strict UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF): cc_utf8_valid() is the length of the valid sequence at p
 * (p < last), 0 when there is none; cc_utf8_check() is the offset of the
 * first byte that does not start a valid sequence, len when all is valid.
 */
size_t cc_utf8_valid(const u_char *p, const u_char *last);
size_t cc_utf8_check(const u_char *p, size_t len);

/*
 * Valid UTF-8 for bytes of unknown origin (a tool's answer): every
 * invalid sequence becomes U+FFFD.  out points at the input itself when
 * it is valid.
 */
int cc_utf8_sanitize(cc_alloc_t *a, const u_char *p, size_t len,
    cc_str_t *out);

/* strings: s equals the literal; a copy into the arena (NUL-terminated) */
int cc_str_eq(const cc_str_t *s, const char *lit);
int cc_str_dup(cc_alloc_t *a, const cc_str_t *src, cc_str_t *dst);

/* JSON's whitespace: space, tab, CR, LF */
int cc_is_space(u_char c);

/* memcmp() order, a prefix first */
int cc_str_cmp(const cc_str_t *s1, const cc_str_t *s2);


#endif /* _CC_CORE_H_INCLUDED_ */
