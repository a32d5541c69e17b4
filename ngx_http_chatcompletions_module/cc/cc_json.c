
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The JSON DOM's parser: yajl's callbacks that build it, the incremental
 * parser around them, its errors, and a whole document given to a
 * caller's callbacks.  The filter between the input and yajl is
 * cc_json_filter.c; access to values, their printing and values built by
 * hand are cc_json_value.c.
 */


#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "cc_json.h"
#include "cc_json_parser.h"


/*
 * A value under construction: members are collected in growable arrays
 * (keys for objects only) that the value takes when its container
 * closes.
 */
typedef struct {
    cc_json_t                *value;
    cc_buf_t                  keys;         /* cc_str_t */
    cc_buf_t                  values;       /* cc_json_t * */
} cc_json_frame_t;


/* members a container, and containers the stack, have room for at first */
#define CC_JSON_MEMBERS  8
#define CC_JSON_FRAMES   4


static cc_json_t *cc_json_new(cc_json_parser_t *p, cc_json_type_e type);
static int cc_json_add(cc_json_parser_t *p, cc_json_t *v);
static int cc_json_open(cc_json_parser_t *p, cc_json_type_e type);
static int cc_json_close(cc_json_parser_t *p);
static int cc_json_on_null(void *ctx);
static int cc_json_on_boolean(void *ctx, int b);
static int cc_json_on_number(void *ctx, const char *s, size_t len);
static int cc_json_on_string(void *ctx, const unsigned char *s, size_t len);
static int cc_json_on_start_map(void *ctx);
static int cc_json_on_map_key(void *ctx, const unsigned char *s, size_t len);
static int cc_json_on_end_map(void *ctx);
static int cc_json_on_start_array(void *ctx);
static int cc_json_on_end_array(void *ctx);
static int cc_json_utf8(cc_json_parser_t *p, const unsigned char *s,
    size_t len, int key);
static void cc_json_path(cc_json_parser_t *p);
static int cc_json_yajl(cc_json_parser_t *p, const u_char *data, size_t len,
    int complete);
static cc_json_t *cc_json_parse_doc(cc_alloc_t *a, const u_char *data,
    size_t len, int strict, char *err, size_t errlen);
static void cc_json_error(cc_json_parser_t *p, int end, char *err,
    size_t errlen);


static yajl_callbacks  cc_json_callbacks = {
    cc_json_on_null,
    cc_json_on_boolean,
    NULL,
    NULL,
    cc_json_on_number,
    cc_json_on_string,
    cc_json_on_start_map,
    cc_json_on_map_key,
    cc_json_on_end_map,
    cc_json_on_start_array,
    cc_json_on_end_array
};


static cc_json_t *
cc_json_new(cc_json_parser_t *p, cc_json_type_e type)
{
    cc_json_t  *v;

    v = cc_calloc(p->alloc, sizeof(cc_json_t));
    if (v == NULL) {
        p->no_memory = 1;
        return NULL;
    }

    v->type = type;

    return v;
}


static int
cc_json_add(cc_json_parser_t *p, cc_json_t *v)
{
    cc_json_frame_t  *f;

    if (p->depth == 0) {
        p->root = v;
        return 1;
    }

    f = (cc_json_frame_t *) p->stack.data + p->depth - 1;

    if (f->value->type == CC_JSON_OBJECT) {
        if (cc_buf_append(p->alloc, &f->keys, (u_char *) &p->key,
                          sizeof(cc_str_t))
            != CC_OK)
        {
            p->no_memory = 1;
            return 0;
        }

        p->have_key = 0;
    }

    if (cc_buf_append(p->alloc, &f->values, (u_char *) &v,
                      sizeof(cc_json_t *))
        != CC_OK)
    {
        p->no_memory = 1;
        return 0;
    }

    return 1;
}


static int
cc_json_open(cc_json_parser_t *p, cc_json_type_e type)
{
    cc_json_t        *v;
    cc_json_frame_t  *f;

    if (p->depth == CC_JSON_MAX_DEPTH) {
        p->too_deep = 1;
        return 0;
    }

    v = cc_json_new(p, type);
    if (v == NULL) {
        return 0;
    }

    if (!cc_json_add(p, v)) {
        return 0;
    }

    if (cc_buf_reserve(p->alloc, &p->stack, sizeof(cc_json_frame_t))
        != CC_OK)
    {
        p->no_memory = 1;
        return 0;
    }

    f = (cc_json_frame_t *) p->stack.data + p->depth++;
    p->stack.len += sizeof(cc_json_frame_t);

    memset(f, 0, sizeof(cc_json_frame_t));

    f->value = v;
    f->keys.min = CC_JSON_MEMBERS * sizeof(cc_str_t);
    f->values.min = CC_JSON_MEMBERS * sizeof(cc_json_t *);

    return 1;
}


static int
cc_json_close(cc_json_parser_t *p)
{
    cc_json_frame_t  *f;

    f = (cc_json_frame_t *) p->stack.data + --p->depth;
    p->stack.len -= sizeof(cc_json_frame_t);

    f->value->n = f->values.len / sizeof(cc_json_t *);
    f->value->keys = (cc_str_t *) f->keys.data;
    f->value->values = (cc_json_t **) f->values.data;

    return 1;
}


static int
cc_json_on_null(void *ctx)
{
    cc_json_t  *v;

    v = cc_json_new(ctx, CC_JSON_NULL);

    return v != NULL && cc_json_add(ctx, v);
}


static int
cc_json_on_boolean(void *ctx, int b)
{
    cc_json_t  *v;

    v = cc_json_new(ctx, b ? CC_JSON_TRUE : CC_JSON_FALSE);

    return v != NULL && cc_json_add(ctx, v);
}


static int
cc_json_on_number(void *ctx, const char *s, size_t len)
{
    cc_json_t         *v;
    cc_json_parser_t  *p;

    p = ctx;

    v = cc_json_new(p, CC_JSON_NUMBER);
    if (v == NULL) {
        return 0;
    }

    v->str.len = len;
    v->str.data = cc_strdup(p->alloc, (const u_char *) s, len);
    if (v->str.data == NULL) {
        p->no_memory = 1;
        return 0;
    }

    return cc_json_add(p, v);
}


static int
cc_json_on_string(void *ctx, const unsigned char *s, size_t len)
{
    cc_json_t         *v;
    cc_json_parser_t  *p;

    p = ctx;

    if (!cc_json_utf8(p, s, len, 0)) {
        return 0;
    }

    v = cc_json_new(p, CC_JSON_STRING);
    if (v == NULL) {
        return 0;
    }

    v->str.len = len;
    v->str.data = cc_strdup(p->alloc, s, len);
    if (v->str.data == NULL) {
        p->no_memory = 1;
        return 0;
    }

    return cc_json_add(p, v);
}


static int
cc_json_on_start_map(void *ctx)
{
    return cc_json_open(ctx, CC_JSON_OBJECT);
}


static int
cc_json_on_map_key(void *ctx, const unsigned char *s, size_t len)
{
    cc_json_parser_t  *p;

    p = ctx;

    if (!cc_json_utf8(p, s, len, 1)) {
        return 0;
    }

    p->key.len = len;
    p->key.data = cc_strdup(p->alloc, s, len);
    if (p->key.data == NULL) {
        p->no_memory = 1;
        return 0;
    }

    p->have_key = 1;

    return 1;
}


static int
cc_json_on_end_map(void *ctx)
{
    return cc_json_close(ctx);
}


static int
cc_json_on_start_array(void *ctx)
{
    return cc_json_open(ctx, CC_JSON_ARRAY);
}


static int
cc_json_on_end_array(void *ctx)
{
    return cc_json_close(ctx);
}


cc_json_parser_t *
cc_json_parser_create(cc_alloc_t *a)
{
    jmp_buf            abort;
    yajl_handle        h;
    yajl_alloc_funcs   funcs;
    cc_json_parser_t  *p;

    p = cc_calloc(a, sizeof(cc_json_parser_t));
    if (p == NULL) {
        return NULL;
    }

    p->alloc = a;
    p->stack.min = CC_JSON_FRAMES * sizeof(cc_json_frame_t);
    p->mem.alloc = a;
    p->mem.abort = &abort;

    cc_yajl_alloc_funcs(&p->mem, &funcs);

    if (setjmp(abort) != 0) {
        return NULL;
    }

    h = yajl_alloc(&cc_json_callbacks, &funcs, p);

    /* the filter checks UTF-8 itself, more strictly than yajl does */
    if (h == NULL || !yajl_config(h, yajl_dont_validate_strings, 1)) {
        return NULL;
    }

    p->mem.abort = NULL;
    p->yajl = h;

    return p;
}


void
cc_json_parser_strict(cc_json_parser_t *p)
{
    p->strict = 1;
}


int
cc_json_parser_bad_utf8(cc_json_parser_t *p, const char **path, size_t *at)
{
    if (!p->bad_utf8) {
        return 0;
    }

    *path = p->path[0] ? p->path : NULL;
    *at = p->path[0] ? p->utf8_at : p->bad_at;

    return 1;
}


/*
 * A string (key is 0) or a key checked to be UTF-8, see cc_json.h: 1, or
 * 0 with the place recorded.
 */

static int
cc_json_utf8(cc_json_parser_t *p, const unsigned char *s, size_t len,
    int key)
{
    size_t  n;

    /*
     * The filter checked every byte of the text and left no escape of a
     * surrogate alone: until it found one, yajl decodes only UTF-8.
     */
    if (!p->has_bad) {
        return 1;
    }

    n = cc_utf8_check(s, len);
    if (n == len) {
        return 1;
    }

    p->bad_utf8 = 1;
    p->utf8_at = n;
    p->path[0] = '\0';

    if (!key && p->depth > 0) {
        cc_json_path(p);
    }

    if (p->path[0] == '\0' && !p->has_bad) {
        /* an escape that made a lone surrogate in a key: where it ends */
        p->has_bad = 1;
        p->bad_at = p->offset + yajl_get_bytes_consumed(p->yajl);
    }

    return 0;
}


/* the path of the value being added, as cc_check.h writes paths */

static void
cc_json_path(cc_json_parser_t *p)
{
    int               i, n;
    size_t            len, idx;
    cc_str_t         *key;
    cc_json_frame_t  *f;

    len = 0;

    for (i = 0; i < p->depth; i++) {
        f = (cc_json_frame_t *) p->stack.data + i;

        idx = f->values.len / sizeof(cc_json_t *);

        if (f->value->type == CC_JSON_OBJECT) {
            key = (i == p->depth - 1) ? &p->key
                                      : (cc_str_t *) f->keys.data + idx - 1;

            n = snprintf(p->path + len, CC_JSON_PATH - len, "%s%.*s",
                         len ? "." : "", (int) key->len, key->data);

        } else {
            n = snprintf(p->path + len, CC_JSON_PATH - len, "[%zu]",
                         (i == p->depth - 1) ? idx : idx - 1);
        }

        if (n < 0 || (size_t) n >= CC_JSON_PATH - len) {
            break;
        }

        len += n;
    }
}


/*
 * Bytes for yajl: what the filter collected (data is p->text's), or a
 * feed that needs no rewriting, as it is; complete: the input's end.
 */

static int
cc_json_yajl(cc_json_parser_t *p, const u_char *data, size_t len,
    int complete)
{
    jmp_buf      abort;
    yajl_status  st;

    p->mem.abort = &abort;

    if (setjmp(abort) != 0) {
        /* the arena refused yajl: its handle is not used again */
        p->mem.abort = NULL;
        p->no_memory = 1;
        p->dead = 1;
        return CC_ERROR;
    }

    st = complete ? yajl_complete_parse(p->yajl)
                  : yajl_parse(p->yajl, data, len);

    p->mem.abort = NULL;

    if (st != yajl_status_ok) {
        p->dead = 1;
        return CC_ERROR;
    }

    p->offset += len;

    if (data == p->text.data) {
        p->text.len = 0;
    }

    return CC_OK;
}


static void
cc_json_error(cc_json_parser_t *p, int end, char *err, size_t errlen)
{
    size_t          n, at;
    jmp_buf         abort;
    unsigned char  *msg;

    if (errlen == 0) {
        return;
    }

    if (p->no_memory) {
        snprintf(err, errlen, "out of memory");
        return;
    }

    if (p->too_deep) {
        snprintf(err, errlen, "nesting deeper than %d levels",
                 CC_JSON_MAX_DEPTH);
        return;
    }

    /* the input ended in a string with a byte that is not UTF-8 */

    if (!p->bad_utf8 && p->has_bad && end) {
        p->bad_utf8 = 1;
        p->path[0] = '\0';
    }

    if (p->bad_utf8) {
        if (p->path[0]) {
            snprintf(err, errlen, "invalid UTF-8 in %s at byte %zu",
                     p->path, p->utf8_at);

        } else {
            snprintf(err, errlen, "invalid UTF-8 at offset %zu", p->bad_at);
        }

        return;
    }

    /*
     * yajl's message reads like "lexical error: invalid char in json
     * text.\n <context>\n (right here) ------^\n"; keep the first line,
     * the context is the client's own text and does not belong in logs.
     */

    p->mem.abort = &abort;

    if (setjmp(abort) != 0) {
        p->mem.abort = NULL;
        snprintf(err, errlen, "invalid JSON");
        return;
    }

    msg = yajl_get_error(p->yajl, 0, p->text.data, p->text.len);

    p->mem.abort = NULL;

    if (msg == NULL) {
        snprintf(err, errlen, "invalid JSON");
        return;
    }

    n = strcspn((char *) msg, "\n");
    while (n && (msg[n - 1] == ' ' || msg[n - 1] == '.')) {
        n--;
    }

    if (!end) {
        at = p->offset + yajl_get_bytes_consumed(p->yajl);
        snprintf(err, errlen, "%.*s at offset %zu", (int) n, (char *) msg,
                 at);

    } else {
        snprintf(err, errlen, "%.*s", (int) n, (char *) msg);
    }

    yajl_free_error(p->yajl, msg);
}


int
cc_json_parser_feed(cc_json_parser_t *p, const u_char *data, size_t len,
    char *err, size_t errlen)
{
    int     in;
    size_t  i, j;

    if (p->dead) {
        snprintf(err, errlen, "the parser failed before");
        return CC_ERROR;
    }

    /* text that needs no rewriting goes to yajl as it is, not copied */

    if (p->nesc == 0 && p->u8need == 0 && p->text.len == 0
        && (p->state == CC_JSON_OUT || p->state == CC_JSON_IN))
    {
        in = (p->state == CC_JSON_IN);

        if (cc_json_plain(data, len, &in)) {
            p->state = in ? CC_JSON_IN : CC_JSON_OUT;
            p->pos += len;

            if (cc_json_yajl(p, data, len, 0) != CC_OK) {
                cc_json_error(p, 0, err, errlen);
                return CC_ERROR;
            }

            return CC_OK;
        }
    }

    /* room for the feed and an escape held back from the last one */

    if (cc_buf_reserve(p->alloc, &p->text, len + sizeof(p->esc)) != CC_OK) {
        p->no_memory = 1;
        p->dead = 1;
        cc_json_error(p, 0, err, errlen);
        return CC_ERROR;
    }

    for (i = 0; i < len; /* void */) {

        /* a run of ASCII that is no quote and no escape goes at once */

        if (p->state == CC_JSON_OUT
            || (p->state == CC_JSON_IN && p->u8need == 0))
        {
            for (j = i;
                 j < len && data[j] < 0x80 && data[j] != '"'
                 && data[j] != '\\';
                 j++)
            {
                /* void */
            }

            if (j > i) {
                if (cc_json_put(p, data + i, j - i) != CC_OK) {
                    cc_json_error(p, 0, err, errlen);
                    return CC_ERROR;
                }

                p->pos += j - i;
                i = j;
                continue;
            }
        }

        if (cc_json_filter(p, data[i]) != CC_OK) {
            cc_json_error(p, 0, err, errlen);
            return CC_ERROR;
        }

        p->pos++;
        i++;
    }

    if (p->text.len && cc_json_yajl(p, p->text.data, p->text.len, 0)
                       != CC_OK)
    {
        cc_json_error(p, 0, err, errlen);
        return CC_ERROR;
    }

    return CC_OK;
}


cc_json_t *
cc_json_parser_finish(cc_json_parser_t *p, char *err, size_t errlen)
{
    if (p->dead) {
        snprintf(err, errlen, "the parser failed before");
        return NULL;
    }

    /* the input ended in a character or an escape: yajl says the rest */

    if (p->u8need) {
        cc_json_filter_utf8(p, 0);
    }

    if (p->state == CC_JSON_PAIR || p->state == CC_JSON_PAIR_U) {
        if (cc_json_lone(p) != CC_OK) {
            cc_json_error(p, 0, err, errlen);
            return NULL;
        }
    }

    if ((cc_json_flush(p) != CC_OK)
        || (p->text.len
            && cc_json_yajl(p, p->text.data, p->text.len, 0) != CC_OK))
    {
        cc_json_error(p, 0, err, errlen);
        return NULL;
    }

    if (cc_json_yajl(p, NULL, 0, 1) != CC_OK) {
        cc_json_error(p, 1, err, errlen);
        return NULL;
    }

    if (p->root == NULL) {
        snprintf(err, errlen, "empty input");
        return NULL;
    }

    return p->root;
}


int
cc_json_scan(cc_alloc_t *a, const u_char *data, size_t len,
    const yajl_callbacks *cb, void *ctx)
{
    jmp_buf           abort;
    yajl_handle       h;
    yajl_status       st;
    cc_yajl_mem_t     mem;
    yajl_alloc_funcs  funcs;

    if (!cc_json_plain_doc(data, len)) {
        return CC_DECLINED;
    }

    mem.alloc = a;
    mem.abort = &abort;
    mem.failed = 0;

    cc_yajl_alloc_funcs(&mem, &funcs);

    if (setjmp(abort) != 0) {
        /* the arena refused yajl: the handle is not used again */
        return CC_DECLINED;
    }

    h = yajl_alloc(cb, &funcs, ctx);

    /* cc_json_plain_doc() checked the text */
    if (h == NULL || !yajl_config(h, yajl_dont_validate_strings, 1)) {
        return CC_DECLINED;
    }

    st = yajl_parse(h, data, len);

    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
    }

    return (st == yajl_status_ok) ? CC_OK : CC_DECLINED;
}


cc_json_t *
cc_json_parse(cc_alloc_t *a, const u_char *data, size_t len, char *err,
    size_t errlen)
{
    return cc_json_parse_doc(a, data, len, 0, err, errlen);
}


cc_json_t *
cc_json_parse_strict(cc_alloc_t *a, const u_char *data, size_t len,
    char *err, size_t errlen)
{
    return cc_json_parse_doc(a, data, len, 1, err, errlen);
}


static cc_json_t *
cc_json_parse_doc(cc_alloc_t *a, const u_char *data, size_t len, int strict,
    char *err, size_t errlen)
{
    cc_json_parser_t  *p;

    p = cc_json_parser_create(a);
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    p->strict = strict;

    if (cc_json_parser_feed(p, data, len, err, errlen) != CC_OK) {
        return NULL;
    }

    return cc_json_parser_finish(p, err, errlen);
}


