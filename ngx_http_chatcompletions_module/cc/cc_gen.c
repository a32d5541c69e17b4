
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * yajl in the arena: its allocator hooks, and generators that print into
 * an arena buffer.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cc_gen.h"


#define CC_GEN_OUT_MIN   1024


/* yajl's realloc needs the old size, so each block carries it in front */
typedef union {
    size_t                    size;
    long double               align;
} cc_yajl_block_t;


static void *cc_yajl_malloc(void *ctx, size_t size);
static void *cc_yajl_realloc(void *ctx, void *ptr, size_t size);
static void cc_yajl_free(void *ctx, void *ptr);
static void *cc_yajl_refused(cc_yajl_mem_t *m, size_t size);
static void cc_gen_print(void *ctx, const char *str, size_t len);


/* the last resort of a hook called outside a guarded call, see cc_gen.h */
#define CC_YAJL_SPARE  4096

static union {
    u_char                    data[CC_YAJL_SPARE];
    long double               align;
} cc_yajl_spare;


static void *
cc_yajl_refused(cc_yajl_mem_t *m, size_t size)
{
    m->failed = 1;

    if (m->abort != NULL) {
        longjmp(*m->abort, 1);
    }

    if (size > CC_YAJL_SPARE) {
        abort();
    }

    return cc_yajl_spare.data;
}


static void *
cc_yajl_malloc(void *ctx, size_t size)
{
    cc_yajl_mem_t    *m;
    cc_yajl_block_t  *b;

    m = ctx;

    if (size > SIZE_MAX - sizeof(cc_yajl_block_t)) {
        return cc_yajl_refused(m, size);
    }

    b = cc_alloc(m->alloc, sizeof(cc_yajl_block_t) + size);
    if (b == NULL) {
        return cc_yajl_refused(m, size);
    }

    b->size = size;

    return b + 1;
}


static void *
cc_yajl_realloc(void *ctx, void *ptr, size_t size)
{
    void             *p;
    cc_yajl_block_t  *b;

    if (ptr == NULL) {
        return cc_yajl_malloc(ctx, size);
    }

    b = (cc_yajl_block_t *) ptr - 1;

    if (size <= b->size) {
        return ptr;
    }

    p = cc_yajl_malloc(ctx, size);

    memcpy(p, ptr, b->size);

    return p;
}


static void
cc_yajl_free(void *ctx, void *ptr)
{
    /* the arena owns everything */
    (void) ctx;
    (void) ptr;
}


void
cc_yajl_alloc_funcs(cc_yajl_mem_t *m, yajl_alloc_funcs *funcs)
{
    funcs->malloc = cc_yajl_malloc;
    funcs->realloc = cc_yajl_realloc;
    funcs->free = cc_yajl_free;
    funcs->ctx = m;
}


/* generators that print into an arena buffer */

static void
cc_gen_print(void *ctx, const char *str, size_t len)
{
    cc_gen_add(ctx, str, len);
}


yajl_gen
cc_gen_create(cc_alloc_t *a, cc_gen_out_t *o)
{
    jmp_buf           abort;
    yajl_gen          g;
    yajl_alloc_funcs  funcs;

    o->mem.alloc = a;
    o->mem.failed = 0;
    o->mem.abort = &abort;

    cc_yajl_alloc_funcs(&o->mem, &funcs);

    if (setjmp(abort) != 0) {
        /* the arena refused: the handle is dropped with the arena */
        o->mem.abort = NULL;
        return NULL;
    }

    g = yajl_gen_alloc(&funcs);

    if (g != NULL
        && !yajl_gen_config(g, yajl_gen_print_callback, cc_gen_print, o))
    {
        g = NULL;
    }

    o->mem.abort = NULL;

    return g;
}


cc_gen_t *
cc_gen_new(cc_alloc_t *a)
{
    cc_gen_t  *g;

    g = cc_alloc(a, sizeof(cc_gen_t));
    if (g == NULL) {
        return NULL;
    }

    cc_gen_out_init(&g->out, a);

    g->gen = cc_gen_create(a, &g->out);
    if (g->gen == NULL) {
        return NULL;
    }

    return g;
}


void
cc_gen_out_init(cc_gen_out_t *o, cc_alloc_t *a)
{
    memset(o, 0, sizeof(cc_gen_out_t));

    o->alloc = a;
    o->buf.min = CC_GEN_OUT_MIN;
}


void
cc_gen_add(cc_gen_out_t *o, const char *p, size_t len)
{
    /* yajl prints empty strings with whatever pointer it was given */
    if (o->nomem || len == 0) {
        return;
    }

    /*
     * Checked once, in cc_gen_output(): yajl prints a document in many
     * small pieces (a token each), and one check of the whole costs far
     * less than one per piece.
     */

    if (cc_buf_append(o->alloc, &o->buf, (const u_char *) p, len) != CC_OK) {
        o->nomem = 1;
    }
}


int
cc_gen_output(cc_alloc_t *a, cc_gen_out_t *o, cc_str_t *out)
{
    size_t    n;
    cc_buf_t  b;
    cc_str_t  text;

    if (o->nomem) {
        return CC_ERROR;
    }

    /* every byte UTF-8: an invalid byte becomes U+FFFD */

    text.data = o->buf.data;
    text.len = o->buf.len;

    /* what a printer knew to be UTF-8 is known for this output only */

    n = (o->valid <= text.len) ? o->valid : 0;
    o->valid = 0;

    if (n < text.len
        && n + cc_utf8_check(text.data + n, text.len - n) != text.len)
    {
        if (cc_utf8_sanitize(a, o->buf.data, o->buf.len, &text) != CC_OK) {
            return CC_ERROR;
        }

        /* each invalid byte (1) became U+FFFD (3 bytes) */
        o->replaced += (text.len - o->buf.len) / 2;
    }

    /* *out is not a buffer of its own: it is copied once, exactly */

    b.data = out->data;
    b.len = out->len;
    b.cap = 0;
    b.min = 0;

    if (cc_buf_append(a, &b, text.data, text.len) != CC_OK) {
        return CC_ERROR;
    }

    out->data = b.data;
    out->len = b.len;

    return CC_OK;
}
