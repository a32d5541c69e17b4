
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The JSON DOM: the incremental parser that builds it, member and number
 * access, its printing through a generator, values built by hand.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "cc_json.h"


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


struct cc_json_parser_s {
    cc_alloc_t               *alloc;
    yajl_handle               yajl;
    cc_json_t                *root;
    cc_buf_t                  stack;        /* depth cc_json_frame_t */
    int                       depth;
    cc_str_t                  key;
    size_t                    offset;
    unsigned                  have_key:1;
    unsigned                  too_deep:1;
    unsigned                  no_memory:1;
};


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
static void cc_json_error(cc_json_parser_t *p, const u_char *data, size_t len,
    char *err, size_t errlen);
static int cc_json_gen_depth(yajl_gen g, const cc_json_t *v, int depth);


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
    yajl_alloc_funcs   funcs;
    cc_json_parser_t  *p;

    p = cc_calloc(a, sizeof(cc_json_parser_t));
    if (p == NULL) {
        return NULL;
    }

    p->alloc = a;
    p->stack.min = CC_JSON_FRAMES * sizeof(cc_json_frame_t);

    cc_yajl_alloc_funcs(a, &funcs);

    p->yajl = yajl_alloc(&cc_json_callbacks, &funcs, p);
    if (p->yajl == NULL) {
        return NULL;
    }

    return p;
}


static void
cc_json_error(cc_json_parser_t *p, const u_char *data, size_t len,
    char *err, size_t errlen)
{
    size_t          n;
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

    /*
     * yajl's message reads like "lexical error: invalid char in json
     * text.\n <context>\n (right here) ------^\n"; keep the first line,
     * the context is the client's own text and does not belong in logs.
     */
    msg = yajl_get_error(p->yajl, 0, data, len);
    if (msg == NULL) {
        snprintf(err, errlen, "invalid JSON");
        return;
    }

    n = strcspn((char *) msg, "\n");
    while (n && (msg[n - 1] == ' ' || msg[n - 1] == '.')) {
        n--;
    }

    if (data != NULL) {
        snprintf(err, errlen, "%.*s at offset %zu", (int) n, (char *) msg,
                 p->offset + yajl_get_bytes_consumed(p->yajl));

    } else {
        snprintf(err, errlen, "%.*s", (int) n, (char *) msg);
    }

    yajl_free_error(p->yajl, msg);
}


int
cc_json_parser_feed(cc_json_parser_t *p, const u_char *data, size_t len,
    char *err, size_t errlen)
{
    yajl_status  st;

    st = yajl_parse(p->yajl, data, len);
    if (st != yajl_status_ok) {
        cc_json_error(p, data, len, err, errlen);
        return CC_ERROR;
    }

    p->offset += len;

    return CC_OK;
}


cc_json_t *
cc_json_parser_finish(cc_json_parser_t *p, char *err, size_t errlen)
{
    yajl_status  st;

    st = yajl_complete_parse(p->yajl);
    if (st != yajl_status_ok) {
        cc_json_error(p, NULL, 0, err, errlen);
        return NULL;
    }

    if (p->root == NULL) {
        snprintf(err, errlen, "empty input");
        return NULL;
    }

    return p->root;
}


cc_json_t *
cc_json_parse(cc_alloc_t *a, const u_char *data, size_t len, char *err,
    size_t errlen)
{
    cc_json_parser_t  *p;

    p = cc_json_parser_create(a);
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    if (cc_json_parser_feed(p, data, len, err, errlen) != CC_OK) {
        return NULL;
    }

    return cc_json_parser_finish(p, err, errlen);
}


cc_json_t *
cc_json_get(const cc_json_t *obj, const char *key)
{
    size_t  i, len;

    if (obj == NULL || obj->type != CC_JSON_OBJECT) {
        return NULL;
    }

    len = strlen(key);

    /* the last duplicate wins, as in most JSON parsers */
    for (i = obj->n; i > 0; i--) {
        if (obj->keys[i - 1].len == len
            && memcmp(obj->keys[i - 1].data, key, len) == 0)
        {
            return obj->values[i - 1];
        }
    }

    return NULL;
}


int
cc_json_double(const cc_json_t *v, double *out)
{
    char    *end;
    double   d;

    if (v == NULL || v->type != CC_JSON_NUMBER) {
        return CC_ERROR;
    }

    /* str.data is NUL-terminated: cc_strdup() */
    errno = 0;
    d = strtod((char *) v->str.data, &end);

    if (errno == ERANGE || *end != '\0') {
        return CC_ERROR;
    }

    *out = d;

    return CC_OK;
}


int
cc_json_int(const cc_json_t *v, int64_t *out)
{
    char       *end;
    long long   n;

    if (v == NULL || v->type != CC_JSON_NUMBER) {
        return CC_ERROR;
    }

    errno = 0;
    n = strtoll((char *) v->str.data, &end, 10);

    if (errno == ERANGE || *end != '\0') {
        return CC_ERROR;
    }

    *out = n;

    return CC_OK;
}


static int
cc_json_gen_depth(yajl_gen g, const cc_json_t *v, int depth)
{
    size_t  i;

    if (depth > CC_JSON_MAX_DEPTH) {
        return CC_ERROR;
    }

    switch (v->type) {

    case CC_JSON_NULL:
        return yajl_gen_null(g) == yajl_gen_status_ok ? CC_OK : CC_ERROR;

    case CC_JSON_FALSE:
    case CC_JSON_TRUE:
        return yajl_gen_bool(g, v->type == CC_JSON_TRUE)
               == yajl_gen_status_ok ? CC_OK : CC_ERROR;

    case CC_JSON_NUMBER:
        return yajl_gen_number(g, (const char *) v->str.data, v->str.len)
               == yajl_gen_status_ok ? CC_OK : CC_ERROR;

    case CC_JSON_STRING:
        return yajl_gen_string(g, v->str.data, v->str.len)
               == yajl_gen_status_ok ? CC_OK : CC_ERROR;

    case CC_JSON_ARRAY:
        if (yajl_gen_array_open(g) != yajl_gen_status_ok) {
            return CC_ERROR;
        }

        for (i = 0; i < v->n; i++) {
            if (cc_json_gen_depth(g, v->values[i], depth + 1) != CC_OK) {
                return CC_ERROR;
            }
        }

        return yajl_gen_array_close(g) == yajl_gen_status_ok
               ? CC_OK : CC_ERROR;

    case CC_JSON_OBJECT:
        if (yajl_gen_map_open(g) != yajl_gen_status_ok) {
            return CC_ERROR;
        }

        for (i = 0; i < v->n; i++) {
            if (yajl_gen_string(g, v->keys[i].data, v->keys[i].len)
                != yajl_gen_status_ok
                || cc_json_gen_depth(g, v->values[i], depth + 1) != CC_OK)
            {
                return CC_ERROR;
            }
        }

        return yajl_gen_map_close(g) == yajl_gen_status_ok
               ? CC_OK : CC_ERROR;
    }

    return CC_ERROR;
}


int
cc_json_gen(yajl_gen g, const cc_json_t *v)
{
    return cc_json_gen_depth(g, v, 1);
}


int
cc_json_serialize(cc_alloc_t *a, const cc_json_t *v, cc_str_t *out)
{
    int       rc;
    yajl_gen  g;

    g = cc_gen_alloc(a);
    if (g == NULL) {
        return CC_ERROR;
    }

    rc = cc_json_gen(g, v);
    if (rc == CC_OK) {
        rc = cc_gen_finish(a, g, out);
    }

    yajl_gen_free(g);

    return rc;
}


int
cc_json_is(const cc_json_t *v, const char *s)
{
    size_t  len;

    if (v == NULL || v->type != CC_JSON_STRING) {
        return 0;
    }

    len = strlen(s);

    return v->str.len == len && memcmp(v->str.data, s, len) == 0;
}


cc_json_t *
cc_json_object(cc_alloc_t *a, size_t n)
{
    cc_json_t  *v;

    v = cc_calloc(a, sizeof(cc_json_t));
    if (v == NULL) {
        return NULL;
    }

    v->type = CC_JSON_OBJECT;

    if (n) {
        v->keys = cc_alloc(a, n * sizeof(cc_str_t));
        v->values = cc_alloc(a, n * sizeof(cc_json_t *));
        if (v->keys == NULL || v->values == NULL) {
            return NULL;
        }
    }

    return v;
}


cc_json_t *
cc_json_string(cc_alloc_t *a, const char *s)
{
    cc_json_t  *v;

    v = cc_calloc(a, sizeof(cc_json_t));
    if (v == NULL) {
        return NULL;
    }

    v->type = CC_JSON_STRING;
    v->str.len = strlen(s);
    v->str.data = (u_char *) s;

    return v;
}
