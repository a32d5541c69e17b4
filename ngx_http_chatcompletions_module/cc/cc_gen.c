
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * yajl in the arena: its allocator hooks, and generators that print into
 * an arena buffer.
 */


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
static void cc_gen_print(void *ctx, const char *str, size_t len);


static void *
cc_yajl_malloc(void *ctx, size_t size)
{
    cc_yajl_block_t  *b;

    b = cc_alloc(ctx, sizeof(cc_yajl_block_t) + size);
    if (b == NULL) {
        return NULL;
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
    if (p == NULL) {
        return NULL;
    }

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
cc_yajl_alloc_funcs(cc_alloc_t *a, yajl_alloc_funcs *funcs)
{
    funcs->malloc = cc_yajl_malloc;
    funcs->realloc = cc_yajl_realloc;
    funcs->free = cc_yajl_free;
    funcs->ctx = a;
}


int
cc_gen_finish(cc_alloc_t *a, yajl_gen g, cc_str_t *out)
{
    size_t                len;
    const unsigned char  *buf;

    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
        return CC_ERROR;
    }

    out->data = cc_strdup(a, buf, len);
    if (out->data == NULL) {
        return CC_ERROR;
    }

    out->len = len;

    return CC_OK;
}


/* generators that print into an arena buffer */

static void
cc_gen_print(void *ctx, const char *str, size_t len)
{
    cc_gen_add(ctx, str, len);
}


yajl_gen
cc_gen_alloc(cc_alloc_t *a)
{
    yajl_alloc_funcs  funcs;

    cc_yajl_alloc_funcs(a, &funcs);

    return yajl_gen_alloc(&funcs);
}


yajl_gen
cc_gen_create(cc_alloc_t *a, cc_gen_out_t *o)
{
    yajl_gen  g;

    g = cc_gen_alloc(a);
    if (g == NULL) {
        return NULL;
    }

    if (!yajl_gen_config(g, yajl_gen_print_callback, cc_gen_print, o)) {
        yajl_gen_free(g);
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

    if (cc_buf_append(o->alloc, &o->buf, (const u_char *) p, len) != CC_OK) {
        o->nomem = 1;
    }
}


int
cc_gen_output(cc_alloc_t *a, cc_gen_out_t *o, cc_str_t *out)
{
    cc_buf_t  b;

    if (o->nomem) {
        return CC_ERROR;
    }

    /* *out is not a buffer of its own: it is copied once, exactly */

    b.data = out->data;
    b.len = out->len;
    b.cap = 0;
    b.min = 0;

    if (cc_buf_append(a, &b, o->buf.data, o->buf.len) != CC_OK) {
        return CC_ERROR;
    }

    out->data = b.data;
    out->len = b.len;

    return CC_OK;
}
