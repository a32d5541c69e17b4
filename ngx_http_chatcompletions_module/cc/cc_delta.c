
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * A text delta read with yajl's callbacks alone: what the DOM would hold
 * of it (a value per member, a copy per string and key) is not built.
 * Whatever is not plainly {"delta":{"text":"..."}, ...} is declined, so
 * the DOM path keeps every other case as it was.
 */


#include <string.h>
#include <yajl/yajl_parse.h>

#include "cc_delta.h"
#include "cc_json.h"


typedef struct {
    cc_alloc_t               *alloc;
    cc_str_t                 *text;
    int                       depth;        /* containers open */
    unsigned                  key_delta:1;  /* the top level's key */
    unsigned                  in_delta:1;   /* in delta's object */
    unsigned                  seen_delta:1;
    unsigned                  seen_text:1;
    unsigned                  done:1;       /* the top object closed */
} cc_delta_scan_t;


static int cc_delta_scalar(cc_delta_scan_t *d);
static int cc_delta_on_null(void *ctx);
static int cc_delta_on_boolean(void *ctx, int b);
static int cc_delta_on_number(void *ctx, const char *s, size_t len);
static int cc_delta_on_string(void *ctx, const unsigned char *s,
    size_t len);
static int cc_delta_on_start_map(void *ctx);
static int cc_delta_on_map_key(void *ctx, const unsigned char *s,
    size_t len);
static int cc_delta_on_end_map(void *ctx);
static int cc_delta_on_start_array(void *ctx);
static int cc_delta_on_end_array(void *ctx);


static const yajl_callbacks  cc_delta_callbacks = {
    cc_delta_on_null,
    cc_delta_on_boolean,
    NULL,
    NULL,
    cc_delta_on_number,
    cc_delta_on_string,
    cc_delta_on_start_map,
    cc_delta_on_map_key,
    cc_delta_on_end_map,
    cc_delta_on_start_array,
    cc_delta_on_end_array
};


int
cc_delta_text(cc_alloc_t *a, const u_char *payload, size_t len,
    cc_str_t *text)
{
    cc_delta_scan_t  d;

    memset(&d, 0, sizeof(cc_delta_scan_t));
    d.alloc = a;
    d.text = text;

    text->data = NULL;
    text->len = 0;

    if (cc_json_scan(a, payload, len, &cc_delta_callbacks, &d) != CC_OK
        || !d.done)
    {
        return CC_DECLINED;
    }

    return CC_OK;
}


/*
 * Where a value goes: 1 if the scan goes on past it, 0 if it is declined
 * (a value at the top level, delta's "text" that is no string, or delta
 * that is no object).
 */
static int
cc_delta_scalar(cc_delta_scan_t *d)
{
    if (d->depth == 0 || d->in_delta || (d->depth == 1 && d->key_delta)) {
        return 0;
    }

    return 1;
}


static int
cc_delta_on_null(void *ctx)
{
    return cc_delta_scalar(ctx);
}


static int
cc_delta_on_boolean(void *ctx, int b)
{
    (void) b;

    return cc_delta_scalar(ctx);
}


static int
cc_delta_on_number(void *ctx, const char *s, size_t len)
{
    (void) s;
    (void) len;

    return cc_delta_scalar(ctx);
}


static int
cc_delta_on_string(void *ctx, const unsigned char *s, size_t len)
{
    cc_delta_scan_t  *d;

    d = ctx;

    if (!(d->in_delta && d->depth == 2)) {
        return cc_delta_scalar(d);
    }

    /* delta's "text" (cc_delta_on_map_key() let no other key in) */

    /* yajl's bytes are its input's or its decoding buffer's: copied */

    d->text->data = cc_alloc(d->alloc, len ? len : 1);
    if (d->text->data == NULL) {
        return 0;
    }

    if (len) {
        memcpy(d->text->data, s, len);
    }

    d->text->len = len;

    return 1;
}


static int
cc_delta_on_start_map(void *ctx)
{
    cc_delta_scan_t  *d;

    d = ctx;

    if (d->done || d->in_delta) {
        /* a second document, or an object in delta */
        return 0;
    }

    if (d->depth == 1 && d->key_delta) {
        d->in_delta = 1;
        d->seen_delta = 1;
        d->key_delta = 0;
    }

    d->depth++;

    return 1;
}


static int
cc_delta_on_map_key(void *ctx, const unsigned char *s, size_t len)
{
    cc_delta_scan_t  *d;

    d = ctx;

    if (d->depth == 1) {
        d->key_delta = (len == 5 && memcmp(s, "delta", 5) == 0);

        /* a second "delta": the DOM says which one counts */
        return !(d->key_delta && d->seen_delta);
    }

    if (d->in_delta && d->depth == 2) {
        /* only {"text":...}, once; toolUse, reasoningContent: the DOM */

        if (len != 4 || memcmp(s, "text", 4) != 0 || d->seen_text) {
            return 0;
        }

        d->seen_text = 1;
    }

    return 1;
}


static int
cc_delta_on_end_map(void *ctx)
{
    cc_delta_scan_t  *d;

    d = ctx;

    if (d->in_delta && d->depth == 2) {
        d->in_delta = 0;
    }

    if (--d->depth == 0) {
        d->done = 1;
    }

    return 1;
}


static int
cc_delta_on_start_array(void *ctx)
{
    cc_delta_scan_t  *d;

    d = ctx;

    if (!cc_delta_scalar(d)) {
        return 0;
    }

    d->depth++;

    return 1;
}


static int
cc_delta_on_end_array(void *ctx)
{
    cc_delta_scan_t  *d;

    d = ctx;

    d->depth--;

    return 1;
}
