
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The most frequent events read with yajl's callbacks alone: what the
 * DOM would hold of them (a value per member, a copy per string and
 * key) is not built.  Whatever is not plainly one of their shapes is
 * declined, so the DOM path keeps every other case as it was.
 */


#include <string.h>
#include <yajl/yajl_parse.h>

#include "cc_delta.h"
#include "cc_json.h"


/* the longest contentBlockIndex read here: no overflow to think about */
#define CC_DELTA_INDEX_DIGITS  9


/* which value comes next, by its key */
typedef enum {
    CC_DELTA_OTHER = 0,                     /* skipped */
    CC_DELTA_INDEX,                         /* contentBlockIndex */
    CC_DELTA_STOP,                          /* stopReason */
    CC_DELTA_DELTA,                         /* delta */
    CC_DELTA_TEXT                           /* delta's text */
} cc_delta_key_e;


typedef struct {
    cc_alloc_t               *alloc;
    cc_delta_t               *ev;
    int                       depth;        /* containers open */
    cc_delta_key_e            key;          /* the last key's, this level */
    unsigned                  in_delta:1;   /* in delta's object */
    unsigned                  seen_index:1;
    unsigned                  seen_delta:1;
    unsigned                  done:1;       /* the top object closed */
} cc_delta_scan_t;


static int cc_delta_scalar(cc_delta_scan_t *d);
static int cc_delta_copy(cc_delta_scan_t *d, cc_str_t *to,
    const unsigned char *s, size_t len);
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
cc_delta_scan(cc_alloc_t *a, const u_char *payload, size_t len,
    cc_delta_t *ev)
{
    cc_delta_scan_t  d;

    memset(&d, 0, sizeof(cc_delta_scan_t));
    d.alloc = a;
    d.ev = ev;

    memset(ev, 0, sizeof(cc_delta_t));
    ev->index = -1;

    if (cc_json_scan(a, payload, len, &cc_delta_callbacks, &d) != CC_OK
        || !d.done)
    {
        return CC_DECLINED;
    }

    return CC_OK;
}


/*
 * A value that is no string: 1 if the scan goes on past it, 0 if it is
 * declined (at the top level; where one of the values read is, unless
 * it is the index).
 */
static int
cc_delta_scalar(cc_delta_scan_t *d)
{
    if (d->depth == 0) {
        return 0;
    }

    if (d->depth == 1) {
        return d->key == CC_DELTA_OTHER;
    }

    return !d->in_delta;
}


static int
cc_delta_copy(cc_delta_scan_t *d, cc_str_t *to, const unsigned char *s,
    size_t len)
{
    /* a key twice: which one counts is the DOM's to say */

    if (to->data != NULL) {
        return 0;
    }

    /* yajl's bytes are its input's or its decoding buffer's: copied */

    to->data = cc_alloc(d->alloc, len ? len : 1);
    if (to->data == NULL) {
        return 0;
    }

    if (len) {
        memcpy(to->data, s, len);
    }

    to->len = len;

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
    size_t            i;
    int64_t           n;
    cc_delta_scan_t  *d;

    d = ctx;

    if (!(d->depth == 1 && d->key == CC_DELTA_INDEX)) {
        return cc_delta_scalar(d);
    }

    /* only digits: a sign, a fraction or an exponent go to the DOM */

    if (d->seen_index || len == 0 || len > CC_DELTA_INDEX_DIGITS) {
        return 0;
    }

    n = 0;

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }

        n = n * 10 + (s[i] - '0');
    }

    d->ev->index = n;
    d->seen_index = 1;

    return 1;
}


static int
cc_delta_on_string(void *ctx, const unsigned char *s, size_t len)
{
    cc_delta_scan_t  *d;

    d = ctx;

    if (d->depth == 1 && d->key == CC_DELTA_STOP) {
        return cc_delta_copy(d, &d->ev->stop_reason, s, len);
    }

    if (d->in_delta && d->depth == 2) {
        /* delta's "text" (cc_delta_on_map_key() let no other key in) */
        return cc_delta_copy(d, &d->ev->text, s, len);
    }

    return cc_delta_scalar(d);
}


static int
cc_delta_on_start_map(void *ctx)
{
    cc_delta_scan_t  *d;

    d = ctx;

    if (d->depth == 1 && d->key == CC_DELTA_DELTA) {
        if (d->seen_delta) {
            return 0;
        }

        d->in_delta = 1;
        d->seen_delta = 1;

    } else if (d->depth > 0 && !cc_delta_scalar(d)) {
        /* an object where a value read is, or in delta */
        return 0;
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
        d->key = CC_DELTA_OTHER;

        if (len == 5 && memcmp(s, "delta", 5) == 0) {
            d->key = CC_DELTA_DELTA;

        } else if (len == 10 && memcmp(s, "stopReason", 10) == 0) {
            d->key = CC_DELTA_STOP;

        } else if (len == 17 && memcmp(s, "contentBlockIndex", 17) == 0) {
            d->key = CC_DELTA_INDEX;
        }

        return 1;
    }

    if (d->in_delta && d->depth == 2) {
        /* only {"text":...}; toolUse, reasoningContent: the DOM */
        return len == 4 && memcmp(s, "text", 4) == 0;
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
