
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"
#include "cc_models.h"


/*
 * chat_completions_models: a location that answers OpenAI's
 * GET /v1/models (the list) and GET /v1/models/{id} (one model) with the
 * models this location's configuration lets a client name: the default
 * model (chat_completions_model) and the aliases
 * (chat_completions_model_alias), each owned by the provider of the
 * Bedrock model behind it.  With client API keys, the key is required and
 * a key restricted to models sees only those.
 */


static ngx_int_t ngx_http_chatcompletions_models_handler(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_chatcompletions_models_collect(
    ngx_http_request_t *r, void *key, ngx_array_t *out);
static ngx_int_t ngx_http_chatcompletions_models_add(ngx_array_t *out,
    void *key, ngx_str_t *name, ngx_str_t *id);
static ngx_int_t ngx_http_chatcompletions_model_not_found(
    ngx_http_request_t *r, ngx_str_t *id);


/* when the configuration was read: the models' "created" */
static time_t     ngx_http_chatcompletions_models_created;

static ngx_str_t  ngx_http_chatcompletions_get = ngx_string("GET, HEAD");


char *
ngx_http_chatcompletions_models(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler != NULL) {
        return "is duplicate, or the location has another handler";
    }

    clcf->handler = ngx_http_chatcompletions_models_handler;
    ngx_http_chatcompletions_models_created = ngx_time();

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_chatcompletions_models_handler(ngx_http_request_t *r)
{
    u_char                          *p, *last;
    cc_str_t                         json;
    ngx_int_t                        rc;
    ngx_str_t                        id;
    ngx_uint_t                       i;
    ngx_array_t                      list;
    cc_alloc_t                       alloc;
    cc_model_entry_t                *m;
    ngx_http_core_loc_conf_t        *clcf;
    ngx_http_chatcompletions_ctx_t  *ctx;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_chatcompletions_method_not_allowed(r,
                                               &ngx_http_chatcompletions_get,
                                               "GET");
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    /* the key, as for a completion, but no budget: listing costs none */

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_chatcompletions_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;

    if (ngx_http_chatcompletions_key_identify(r, ctx, &rc) != NGX_OK) {
        return rc;
    }

    if (ngx_array_init(&list, r->pool, 8, sizeof(cc_model_entry_t))
        != NGX_OK
        || ngx_http_chatcompletions_models_collect(r, ctx->key, &list)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * /v1/models, /v1/models/ or /v1/models/{id}: what follows the
     * location's prefix, or else the last "/models/"
     */

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    last = r->uri.data + r->uri.len;
    p = NULL;

    if (r->uri.len >= clcf->name.len
        && ngx_strncmp(r->uri.data, clcf->name.data, clcf->name.len) == 0)
    {
        p = r->uri.data + clcf->name.len;

    } else {
        for (id.data = r->uri.data;
             (id.data = ngx_strlcasestrn(id.data, last, (u_char *) "/models/",
                                         8 - 1))
             != NULL;
             id.data++)
        {
            p = id.data + 7;
        }
    }

    ngx_str_null(&id);

    if (p != NULL) {
        while (p < last && *p == '/') {
            p++;
        }

        id.data = p;
        id.len = last - p;
    }

    alloc.data = r->pool;
    alloc.alloc = ngx_http_chatcompletions_pool_alloc;

    m = list.elts;

    if (id.len == 0) {
        if (cc_models_list(&alloc, m, list.nelts,
                           ngx_http_chatcompletions_models_created, &json)
            != CC_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_chatcompletions_send_json(r, NGX_HTTP_OK,
                                                  (ngx_str_t *) &json);
    }

    for (i = 0; i < list.nelts; i++) {
        if (m[i].id.len == id.len
            && ngx_strncmp(m[i].id.data, id.data, id.len) == 0)
        {
            if (cc_model_object(&alloc, &m[i],
                                ngx_http_chatcompletions_models_created,
                                &json)
                != CC_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            return ngx_http_chatcompletions_send_json(r, NGX_HTTP_OK,
                                                      (ngx_str_t *) &json);
        }
    }

    return ngx_http_chatcompletions_model_not_found(r, &id);
}


/* the default model and the aliases, once each, as the key may use them */

static ngx_int_t
ngx_http_chatcompletions_models_collect(ngx_http_request_t *r, void *key,
    ngx_array_t *out)
{
    ngx_uint_t                            i;
    ngx_http_chatcompletions_alias_t     *alias;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);

    if (ngx_http_chatcompletions_models_add(out, key, &cclcf->model,
                                            &cclcf->model)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (cclcf->aliases == NULL) {
        return NGX_OK;
    }

    alias = cclcf->aliases->elts;

    for (i = 0; i < cclcf->aliases->nelts; i++) {
        if (ngx_http_chatcompletions_models_add(out, key, &alias[i].name,
                                                &alias[i].model_id)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_chatcompletions_models_add(ngx_array_t *out, void *key,
    ngx_str_t *name, ngx_str_t *id)
{
    ngx_uint_t         i;
    cc_model_entry_t  *m;

    if (ngx_http_chatcompletions_key_allows(key, name, id) != NGX_OK) {
        return NGX_OK;
    }

    m = out->elts;

    for (i = 0; i < out->nelts; i++) {
        if (m[i].id.len == name->len
            && ngx_strncmp(m[i].id.data, name->data, name->len) == 0)
        {
            return NGX_OK;
        }
    }

    m = ngx_array_push(out);
    if (m == NULL) {
        return NGX_ERROR;
    }

    m->id.data = name->data;
    m->id.len = name->len;
    m->model_id.data = id->data;
    m->model_id.len = id->len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_chatcompletions_model_not_found(ngx_http_request_t *r,
    ngx_str_t *id)
{
    ngx_str_t         msg;
    static ngx_str_t  param = ngx_string("model");

    msg.data = ngx_pnalloc(r->pool, ngx_min(id->len, 256) + 64);
    if (msg.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    msg.len = ngx_sprintf(msg.data, "The model '%*s' does not exist",
                          ngx_min(id->len, 256), id->data)
              - msg.data;

    return ngx_http_chatcompletions_send_error(r, NGX_HTTP_NOT_FOUND,
                                               "invalid_request_error",
                                               "model_not_found", &param,
                                               &msg);
}
