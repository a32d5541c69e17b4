
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The JSON DOM's values: member and number access, printing through a
 * generator (cc_gen.h), values built by hand.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_json.h"


static int cc_json_gen_depth(yajl_gen g, const cc_json_t *v, int depth);


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
    yajl_gen      g;
    cc_gen_out_t  o;

    cc_gen_out_init(&o, a);

    g = cc_gen_create(a, &o);
    if (g == NULL) {
        return CC_ERROR;
    }

    out->data = NULL;
    out->len = 0;

    if (cc_json_gen(g, v) != CC_OK) {
        return CC_ERROR;
    }

    return cc_gen_output(a, &o, out);
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
