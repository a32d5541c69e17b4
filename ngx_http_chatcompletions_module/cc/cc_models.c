
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <string.h>

#include "cc_models.h"
#include "cc_gen.h"


static int cc_model_gen(yajl_gen g, const cc_model_entry_t *m,
    int64_t created);


/* the geography prefixes of cross-region inference profiles */
static const char  *cc_model_regions[] = {
    "us", "eu", "apac", "global", "us-gov", "ca", "jp", "au", NULL
};


void
cc_model_owner(const cc_str_t *model_id, cc_str_t *owner)
{
    size_t          i, n;
    const u_char   *p, *dot, *end;

    p = model_id->data;
    end = p + model_id->len;

    owner->data = (u_char *) "aws-bedrock";
    owner->len = sizeof("aws-bedrock") - 1;

    if (model_id->len >= 4 && memcmp(p, "arn:", 4) == 0) {
        return;
    }

    dot = memchr(p, '.', end - p);
    if (dot == NULL) {
        return;
    }

    for (i = 0; cc_model_regions[i]; i++) {
        n = strlen(cc_model_regions[i]);

        if ((size_t) (dot - p) == n && memcmp(p, cc_model_regions[i], n) == 0
            && memchr(dot + 1, '.', end - dot - 1) != NULL)
        {
            p = dot + 1;
            dot = memchr(p, '.', end - p);
            break;
        }
    }

    if (dot == p) {
        return;
    }

    owner->data = (u_char *) p;
    owner->len = dot - p;
}


int
cc_model_object(cc_alloc_t *a, const cc_model_entry_t *m, int64_t created,
    cc_str_t *out)
{
    yajl_gen      g;
    cc_gen_out_t  o;

    cc_gen_out_init(&o, a);

    g = cc_gen_create(a, &o);
    if (g == NULL || cc_model_gen(g, m, created) != CC_OK) {
        return CC_ERROR;
    }

    out->data = NULL;
    out->len = 0;

    return cc_gen_output(a, &o, out);
}


int
cc_models_list(cc_alloc_t *a, const cc_model_entry_t *m, size_t n,
    int64_t created, cc_str_t *out)
{
    size_t        i;
    yajl_gen      g;
    cc_gen_out_t  o;

    cc_gen_out_init(&o, a);

    g = cc_gen_create(a, &o);
    if (g == NULL) {
        return CC_ERROR;
    }

    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "object") || cc_gen_lit(g, "list")
        || cc_gen_lit(g, "data") || yajl_gen_array_open(g))
    {
        return CC_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (cc_model_gen(g, &m[i], created) != CC_OK) {
            return CC_ERROR;
        }
    }

    if (yajl_gen_array_close(g) || yajl_gen_map_close(g)) {
        return CC_ERROR;
    }

    out->data = NULL;
    out->len = 0;

    return cc_gen_output(a, &o, out);
}


static int
cc_model_gen(yajl_gen g, const cc_model_entry_t *m, int64_t created)
{
    cc_str_t  owner;

    cc_model_owner(&m->model_id, &owner);

    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "id") || cc_gen_str(g, &m->id)
        || cc_gen_lit(g, "object") || cc_gen_lit(g, "model")
        || cc_gen_lit(g, "created") || yajl_gen_integer(g, created)
        || cc_gen_lit(g, "owned_by") || cc_gen_str(g, &owner)
        || yajl_gen_map_close(g))
    {
        return CC_ERROR;
    }

    return CC_OK;
}
