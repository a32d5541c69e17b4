
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The most frequent events read with yajl's callbacks alone: what the
 * DOM would hold of them (a value per member, a copy per string and
 * key) is not built.  Whatever is not plainly one of their shapes is
 * declined, so the DOM path keeps every other case as it was.
 */


#include <stddef.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "cc_delta.h"
#include "cc_json.h"


/* the longest contentBlockIndex read here: no overflow to think about */
#define CC_DELTA_INDEX_DIGITS  9

/* the longest count: below 10^18, clamped to CC_USAGE_MAX after */
#define CC_DELTA_COUNT_DIGITS  18

/* the counts of usage: cc_delta_counts[]; totalTokens is the third */
#define CC_DELTA_COUNTS        5
#define CC_DELTA_TOTAL         (1u << 2)


/* which value comes next, by its key */
typedef enum {
    CC_DELTA_OTHER = 0,                     /* skipped */
    CC_DELTA_INDEX,                         /* contentBlockIndex */
    CC_DELTA_STOP,                          /* stopReason */
    CC_DELTA_DELTA,                         /* delta */
    CC_DELTA_USAGE                          /* usage */
} cc_delta_key_e;


typedef struct {
    cc_alloc_t               *alloc;
    cc_delta_t               *ev;
    int                       depth;        /* containers open */
    cc_delta_key_e            key;          /* the top level's last key */
    int                       count;        /* usage's, or -1 */
    unsigned                  counts;       /* those seen, a bit each */
    unsigned                  in_delta:1;   /* in delta's object */
    unsigned                  in_usage:1;   /* in usage's object */
    unsigned                  seen_index:1;
    unsigned                  seen_delta:1;
    unsigned                  done:1;       /* the top object closed */
} cc_delta_scan_t;


typedef struct {
    cc_str_t                  name;
    size_t                    offset;       /* in cc_usage_t */
} cc_delta_count_t;


static const cc_delta_count_t  cc_delta_counts[CC_DELTA_COUNTS] = {
    { cc_string("inputTokens"), offsetof(cc_usage_t, input) },
    { cc_string("outputTokens"), offsetof(cc_usage_t, output) },
    { cc_string("totalTokens"), offsetof(cc_usage_t, total) },
    { cc_string("cacheReadInputTokens"), offsetof(cc_usage_t, cache_read) },
    { cc_string("cacheWriteInputTokens"),
      offsetof(cc_usage_t, cache_write) }
};


static int cc_delta_scalar(cc_delta_scan_t *d);
static int cc_delta_digits(const char *s, size_t len, size_t max,
    int64_t *n);
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

    /* as cc_round.c reads usage: no totalTokens, the sum */

    if (ev->has_usage && !(d.counts & CC_DELTA_TOTAL)) {
        ev->usage.total = ev->usage.input + ev->usage.output;

        if (ev->usage.total > CC_USAGE_MAX) {
            ev->usage.total = CC_USAGE_MAX;
        }
    }

    return CC_OK;
}


/*
 * A value the scan does not read: 1 if it goes on past it, 0 if it is
 * declined (at the top level; where one of the values read is).
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

    if (d->in_usage && d->depth == 2) {
        return d->count < 0;
    }

    return !d->in_delta;
}


/* a plain integer of at most max digits */
static int
cc_delta_digits(const char *s, size_t len, size_t max, int64_t *n)
{
    size_t   i;
    int64_t  v;

    if (len == 0 || len > max) {
        return 0;
    }

    v = 0;

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }

        v = v * 10 + (s[i] - '0');
    }

    *n = v;

    return 1;
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
    int64_t           n;
    cc_delta_scan_t  *d;

    d = ctx;

    /* only digits: a sign, a fraction or an exponent go to the DOM */

    if (d->depth == 1 && d->key == CC_DELTA_INDEX) {
        if (d->seen_index
            || !cc_delta_digits(s, len, CC_DELTA_INDEX_DIGITS, &n))
        {
            return 0;
        }

        d->ev->index = n;
        d->seen_index = 1;

        return 1;
    }

    if (d->in_usage && d->depth == 2 && d->count >= 0) {
        if ((d->counts & (1u << d->count))
            || !cc_delta_digits(s, len, CC_DELTA_COUNT_DIGITS, &n))
        {
            return 0;
        }

        if (n > CC_USAGE_MAX) {
            n = CC_USAGE_MAX;
        }

        *(int64_t *) ((u_char *) &d->ev->usage
                      + cc_delta_counts[d->count].offset) = n;

        d->counts |= 1u << d->count;
        d->count = -1;

        return 1;
    }

    return cc_delta_scalar(d);
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

    } else if (d->depth == 1 && d->key == CC_DELTA_USAGE) {
        if (d->ev->has_usage) {
            return 0;
        }

        d->in_usage = 1;
        d->ev->has_usage = 1;
        d->count = -1;

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
    int               i;
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

        } else if (len == 5 && memcmp(s, "usage", 5) == 0) {
            d->key = CC_DELTA_USAGE;

        } else if ((len == 5 && memcmp(s, "trace", 5) == 0)
                   || (len == 11 && memcmp(s, "serviceTier", 11) == 0))
        {
            /* a guardrail's assessment, the tier: cc_extras_meta() */
            return 0;
        }

        return 1;
    }

    if (d->in_delta && d->depth == 2) {
        /* only {"text":...}; toolUse, reasoningContent: the DOM */
        return len == 4 && memcmp(s, "text", 4) == 0;
    }

    if (d->in_usage && d->depth == 2) {
        d->count = -1;

        for (i = 0; i < CC_DELTA_COUNTS; i++) {
            if (len == cc_delta_counts[i].name.len
                && memcmp(s, cc_delta_counts[i].name.data, len) == 0)
            {
                d->count = i;
                break;
            }
        }
    }

    return 1;
}


static int
cc_delta_on_end_map(void *ctx)
{
    cc_delta_scan_t  *d;

    d = ctx;

    if (d->depth == 2) {
        d->in_delta = 0;
        d->in_usage = 0;
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
