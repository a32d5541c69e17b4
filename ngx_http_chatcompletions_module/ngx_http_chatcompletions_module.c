
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"


static ngx_int_t ngx_http_chatcompletions_handler(ngx_http_request_t *r);
static void ngx_http_chatcompletions_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_chatcompletions_process(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx);
static cc_json_t *ngx_http_chatcompletions_parse_body(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx, char *err, size_t errlen);
static ngx_int_t ngx_http_chatcompletions_map_model(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx);
static ngx_int_t ngx_http_chatcompletions_wants_json(ngx_http_request_t *r);
static ngx_int_t ngx_http_chatcompletions_make_id(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx);

static void *ngx_http_chatcompletions_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_chatcompletions_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_chatcompletions_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_chatcompletions(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_chatcompletions_model_alias(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_chatcompletions_check_country(ngx_str_t *cc);
static char *ngx_http_chatcompletions_phone_metadata(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_chatcompletions_endpoint_host(ngx_conf_t *cf,
    ngx_http_chatcompletions_loc_conf_t *cclcf);
static ngx_int_t ngx_http_chatcompletions_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_chatcompletions_preconfiguration(ngx_conf_t *cf);


static ngx_command_t  ngx_http_chatcompletions_commands[] = {

    { ngx_string("chat_completions"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_chatcompletions,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_bedrock_location"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, bedrock_location),
      NULL },

    { ngx_string("chat_completions_region"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, region),
      NULL },

    { ngx_string("chat_completions_endpoint"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, endpoint),
      NULL },

    { ngx_string("chat_completions_access_key_id"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, access_key_id),
      NULL },

    { ngx_string("chat_completions_secret_access_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, secret_access_key),
      NULL },

    { ngx_string("chat_completions_session_token"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, session_token),
      NULL },

    { ngx_string("chat_completions_api_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, api_key),
      NULL },

    { ngx_string("chat_completions_model"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, model),
      NULL },

    { ngx_string("chat_completions_model_alias"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_chatcompletions_model_alias,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_model_passthrough"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, model_passthrough),
      NULL },

    { ngx_string("chat_completions_stream_default"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, stream_default),
      NULL },

    { ngx_string("chat_completions_keepalive_interval"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, keepalive_interval),
      NULL },

    { ngx_string("chat_completions_read_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, read_timeout),
      NULL },

    { ngx_string("chat_completions_first_user_message"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, first_user_message),
      NULL },

    { ngx_string("chat_completions_max_tokens"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, max_tokens),
      NULL },

    { ngx_string("chat_completions_system_prompt"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, system_prompt),
      NULL },

    { ngx_string("chat_completions_system_prompt_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_chatcompletions_system_prompt_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_tool"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_2MORE,
      ngx_http_chatcompletions_tool,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_tool_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, tool_timeout),
      NULL },

    { ngx_string("chat_completions_tool_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, tool_max_size),
      NULL },

    { ngx_string("chat_completions_max_rounds"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, max_rounds),
      NULL },

    { ngx_string("chat_completions_phone_metadata"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_chatcompletions_phone_metadata,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_phone_header"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, phone_header),
      NULL },

    { ngx_string("chat_completions_phone_country_code"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, phone_country),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_chatcompletions_module_ctx = {
    ngx_http_chatcompletions_preconfiguration, /* preconfiguration */
    ngx_http_chatcompletions_init,         /* postconfiguration */

    ngx_http_chatcompletions_create_main_conf, /* create main conf */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_chatcompletions_create_loc_conf, /* create location conf */
    ngx_http_chatcompletions_merge_loc_conf   /* merge location conf */
};


ngx_module_t  ngx_http_chatcompletions_module = {
    NGX_MODULE_V1,
    &ngx_http_chatcompletions_module_ctx,  /* module context */
    ngx_http_chatcompletions_commands,     /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_str_t  ngx_http_chatcompletions_allow = ngx_string("POST");


static ngx_int_t
ngx_http_chatcompletions_handler(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_str_t                        msg;
    ngx_table_elt_t                 *h;
    ngx_http_chatcompletions_ctx_t  *ctx;

    if (r->method != NGX_HTTP_POST) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Allow");
        h->value = ngx_http_chatcompletions_allow;

        msg.data = ngx_pnalloc(r->pool, r->method_name.len + 64);
        if (msg.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        msg.len = ngx_sprintf(msg.data, "Method %V is not allowed here; "
                              "use POST.", &r->method_name)
                  - msg.data;

        return ngx_http_chatcompletions_send_error(r,
                                                NGX_HTTP_NOT_ALLOWED,
                                                "invalid_request_error",
                                                "method_not_allowed",
                                                NULL, &msg);
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_chatcompletions_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     ctx->sr = NULL;
     *     ctx->fault = NGX_HTTP_CHATCOMPLETIONS_FAULT_NONE;
     *     ctx->free = ctx->busy = NULL;
     *     ctx->rounds = 0;
     */

    ctx->request = r;
    ctx->alloc.alloc = ngx_http_chatcompletions_pool_alloc;
    ctx->alloc.data = r->pool;
    ctx->start = ngx_current_msec;

    ngx_http_set_ctx(r, ctx, ngx_http_chatcompletions_module);

    rc = ngx_http_read_client_request_body(r,
                                         ngx_http_chatcompletions_body_handler);

    /* a 413 becomes an OpenAI error in the header filter */

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_chatcompletions_body_handler(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_http_chatcompletions_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_chatcompletions_module);

    rc = ngx_http_chatcompletions_process(r, ctx);

    if (rc == NGX_DONE) {
        /* a Bedrock subrequest runs; it resumes this request when done */
        return;
    }

    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_http_chatcompletions_process(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx)
{
    char                                  err[128];
    ngx_str_t                             msg;
    cc_json_t                            *root;
    cc_error_t                            cerr;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);

    err[0] = '\0';

    root = ngx_http_chatcompletions_parse_body(r, ctx, err, sizeof(err));
    if (root == NULL) {
        if (ngx_strcmp(err, "out of memory") == 0
            || ngx_strcmp(err, "cannot read the body file") == 0)
        {
            /* ngx_read_file() logged the reason */
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "client sent invalid JSON body: %s", err);

        msg.data = ngx_pnalloc(r->pool, sizeof(err) + 128);
        if (msg.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        msg.len = ngx_sprintf(msg.data, "We could not parse the JSON body "
                              "of your request (%s). The body must be a "
                              "JSON object.", err)
                  - msg.data;

        return ngx_http_chatcompletions_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                "invalid_request_error",
                                                "invalid_json", NULL, &msg);
    }

    if (root->type != CC_JSON_OBJECT) {
        ngx_str_set(&msg, "The request body must be a JSON object.");
        return ngx_http_chatcompletions_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                "invalid_request_error",
                                                "invalid_type", NULL, &msg);
    }

    ctx->opts.first_user_text.data = cclcf->first_user_message.data;
    ctx->opts.first_user_text.len = cclcf->first_user_message.len;
    ctx->opts.max_tokens_limit = cclcf->max_tokens;
    ctx->opts.system_prompt.data = cclcf->system_prompt.data;
    ctx->opts.system_prompt.len = cclcf->system_prompt.len;

    if (cclcf->tools) {
        ctx->opts.server_tools = cclcf->cc_tools;
        ctx->opts.nserver_tools = cclcf->tools->nelts;
    }

    ngx_memzero(&cerr, sizeof(cc_error_t));

    if (cc_chat_parse(&ctx->alloc, root, &ctx->opts, &ctx->chat, &cerr)
        != CC_OK)
    {
        if (cerr.status == 0) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        msg.data = cerr.message.data;
        msg.len = cerr.message.len;

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "client sent invalid request: %V", &msg);

        return ngx_http_chatcompletions_send_error(r, cerr.status,
                          cerr.type, cerr.code,
                          cerr.param.len ? (ngx_str_t *) &cerr.param : NULL,
                          &msg);
    }

    if (ngx_http_chatcompletions_map_model(r, ctx) != NGX_OK) {
        msg.data = ngx_pnalloc(r->pool, ctx->model_name.len + 128);
        if (msg.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        msg.len = ngx_sprintf(msg.data, "The model `%V` does not exist or "
                              "you do not have access to it.",
                              &ctx->model_name)
                  - msg.data;

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "client asked for unknown model \"%V\"",
                      &ctx->model_name);

        return ngx_http_chatcompletions_send_error(r, NGX_HTTP_NOT_FOUND,
                                                "invalid_request_error",
                                                "model_not_found", NULL,
                                                &msg);
    }

    if (ctx->chat.stream == -1) {
        ctx->streaming = cclcf->stream_default
                         && !ngx_http_chatcompletions_wants_json(r);

    } else {
        ctx->streaming = ctx->chat.stream ? 1 : 0;
    }

    if (ngx_http_chatcompletions_make_id(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (cclcf->tools) {
        ctx->stream.is_server_tool = ngx_http_chatcompletions_is_server_tool;
        ctx->stream.is_server_tool_data = cclcf;
    }

    ngx_http_chatcompletions_find_phone(r, ctx, root);

    return ngx_http_chatcompletions_start_round(ctx);
}


static cc_json_t *
ngx_http_chatcompletions_parse_body(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx, char *err, size_t errlen)
{
    off_t              offset, total;
    u_char            *buf;
    ssize_t            n;
    ngx_buf_t         *b;
    ngx_chain_t       *cl;
    cc_json_parser_t  *p;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        ngx_cpystrn((u_char *) err, (u_char *) "the request body is empty",
                    errlen);
        return NULL;
    }

    p = cc_json_parser_create(&ctx->alloc);
    if (p == NULL) {
        ngx_cpystrn((u_char *) err, (u_char *) "out of memory", errlen);
        return NULL;
    }

    buf = NULL;
    total = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            total += b->last - b->pos;

            if (cc_json_parser_feed(p, b->pos, b->last - b->pos, err, errlen)
                != CC_OK)
            {
                return NULL;
            }

            continue;
        }

        /* client_body_buffer_size was exceeded: the body is in a file */

        if (buf == NULL) {
            buf = ngx_palloc(r->pool, 8192);
            if (buf == NULL) {
                ngx_cpystrn((u_char *) err, (u_char *) "out of memory",
                            errlen);
                return NULL;
            }
        }

        for (offset = b->file_pos; offset < b->file_last; offset += n) {
            n = ngx_read_file(b->file, buf,
                              ngx_min(8192, b->file_last - offset), offset);

            if (n == NGX_ERROR || n == 0) {
                ngx_cpystrn((u_char *) err,
                            (u_char *) "cannot read the body file", errlen);
                return NULL;
            }

            total += n;

            if (cc_json_parser_feed(p, buf, n, err, errlen) != CC_OK) {
                return NULL;
            }
        }
    }

    if (total == 0) {
        ngx_cpystrn((u_char *) err, (u_char *) "the request body is empty",
                    errlen);
        return NULL;
    }

    return cc_json_parser_finish(p, err, errlen);
}


static ngx_int_t
ngx_http_chatcompletions_map_model(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx)
{
    ngx_uint_t                            i;
    ngx_http_chatcompletions_alias_t     *alias;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);

    ctx->model_name.data = ctx->chat.model.data;
    ctx->model_name.len = ctx->chat.model.len;

    if (ctx->model_name.len == 0
        || (ctx->model_name.len == cclcf->model.len
            && ngx_strncmp(ctx->model_name.data, cclcf->model.data,
                           cclcf->model.len) == 0))
    {
        ctx->model_id = cclcf->model;

        if (ctx->model_name.len == 0) {
            ctx->model_name = cclcf->model;
        }

        return NGX_OK;
    }

    if (cclcf->aliases) {
        alias = cclcf->aliases->elts;

        for (i = 0; i < cclcf->aliases->nelts; i++) {
            if (alias[i].name.len == ctx->model_name.len
                && ngx_strncmp(alias[i].name.data, ctx->model_name.data,
                               ctx->model_name.len) == 0)
            {
                ctx->model_id = alias[i].model_id;
                return NGX_OK;
            }
        }
    }

    if (cclcf->model_passthrough) {
        ctx->model_id = ctx->model_name;
        return NGX_OK;
    }

    return NGX_DECLINED;
}


/*
 * The official SDKs leave "stream" out of non-streaming calls and send
 * "Accept: application/json"; a bare curl sends "*" "/" "*" and gets the
 * stream.  Vapi sends no Accept at all.
 */

static ngx_int_t
ngx_http_chatcompletions_wants_json(ngx_http_request_t *r)
{
    ngx_str_t        *accept;
    ngx_table_elt_t  *h;

    h = ngx_http_chatcompletions_find_header(&r->headers_in.headers,
                                             (u_char *) "Accept", 6);
    if (h == NULL) {
        return 0;
    }

    accept = &h->value;

    if (ngx_strlcasestrn(accept->data, accept->data + accept->len,
                         (u_char *) "text/event-stream", 17 - 1)
        != NULL)
    {
        return 0;
    }

    return ngx_strlcasestrn(accept->data, accept->data + accept->len,
                            (u_char *) "application/json", 16 - 1)
           != NULL;
}


static ngx_int_t
ngx_http_chatcompletions_make_id(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx)
{
    u_char      *p;
    ngx_uint_t   i;

    static u_char  alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    p = ngx_pnalloc(r->pool, sizeof("chatcmpl-") - 1 + 24);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->id.data = p;
    p = ngx_cpymem(p, "chatcmpl-", sizeof("chatcmpl-") - 1);

    for (i = 0; i < 24; i++) {
        *p++ = alphabet[(ngx_uint_t) ngx_random() % (sizeof(alphabet) - 1)];
    }

    ctx->id.len = p - ctx->id.data;

    cc_stream_init(&ctx->stream);

    ctx->stream.id.data = ctx->id.data;
    ctx->stream.id.len = ctx->id.len;
    ctx->stream.created = ngx_time();
    ctx->stream.model.data = ctx->model_name.data;
    ctx->stream.model.len = ctx->model_name.len;
    ctx->stream.include_usage = ctx->chat.include_usage;

    /*
     * "Let me check." and, a tool round later, "You owe $5." must not run
     * together, in the stream or in the JSON answer: a voice speaks it.
     */
    ctx->stream.separator.data = (u_char *) " ";
    ctx->stream.separator.len = 1;

    return NGX_OK;
}


void *
ngx_http_chatcompletions_pool_alloc(void *data, size_t size)
{
    return ngx_palloc(data, size);
}


static void *
ngx_http_chatcompletions_create_main_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool,
                       sizeof(ngx_http_chatcompletions_main_conf_t));
}


static void *
ngx_http_chatcompletions_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_chatcompletions_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_chatcompletions_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->bedrock_location = { 0, NULL };
     *     conf->region = { 0, NULL };
     *     conf->endpoint = { 0, NULL };
     *     conf->host = { 0, NULL };
     *     conf->model = { 0, NULL };
     *     conf->first_user_message = { 0, NULL };
     *     conf->aliases = NULL;
     *     conf->system_prompt = { 0, NULL };
     *     conf->tools = NULL;
     *     conf->cc_tools = NULL;
     *     conf->phone_metadata = NULL;
     *     conf->phone_header = { 0, NULL };
     *     conf->phone_country = { 0, NULL };
     */

    conf->enable = NGX_CONF_UNSET;
    conf->access_key_id = NGX_CONF_UNSET_PTR;
    conf->secret_access_key = NGX_CONF_UNSET_PTR;
    conf->session_token = NGX_CONF_UNSET_PTR;
    conf->api_key = NGX_CONF_UNSET_PTR;
    conf->model_passthrough = NGX_CONF_UNSET;
    conf->stream_default = NGX_CONF_UNSET;
    conf->keepalive_interval = NGX_CONF_UNSET_MSEC;
    conf->read_timeout = NGX_CONF_UNSET_MSEC;
    conf->max_tokens = NGX_CONF_UNSET;
    conf->tool_timeout = NGX_CONF_UNSET_MSEC;
    conf->tool_max_size = NGX_CONF_UNSET_SIZE;
    conf->max_rounds = NGX_CONF_UNSET_UINT;

    return conf;
}


static char *
ngx_http_chatcompletions_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_chatcompletions_loc_conf_t *prev = parent;
    ngx_http_chatcompletions_loc_conf_t *conf = child;

    char        *env;
    u_char       c;
    size_t       len;
    ngx_uint_t   i;

    /* like the content handler it sets, chat_completions is not inherited */
    if (conf->enable == NGX_CONF_UNSET) {
        conf->enable = 0;
    }

    ngx_conf_merge_str_value(conf->bedrock_location, prev->bedrock_location,
                             "/_bedrock");

    if (conf->bedrock_location.data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "chat_completions_bedrock_location \"%V\" "
                           "must start with \"/\"", &conf->bedrock_location);
        return NGX_CONF_ERROR;
    }

    /* region and endpoint follow the AWS SDKs' environment variables */

    if (conf->region.data == NULL) {
        conf->region = prev->region;
    }

    if (conf->region.data == NULL) {
        env = getenv("AWS_REGION");
        if (env == NULL || *env == '\0') {
            env = getenv("AWS_DEFAULT_REGION");
        }

        if (env == NULL || *env == '\0') {
            env = "us-east-1";
        }

        conf->region.len = ngx_strlen(env);
        conf->region.data = ngx_pnalloc(cf->pool, conf->region.len);
        if (conf->region.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(conf->region.data, env, conf->region.len);
    }

    for (i = 0; i < conf->region.len; i++) {
        c = conf->region.data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid Bedrock region \"%V\"",
                               &conf->region);
            return NGX_CONF_ERROR;
        }
    }

    if (conf->region.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "empty Bedrock region");
        return NGX_CONF_ERROR;
    }

    /*
     * An endpoint that was only derived from the region is derived again
     * where the region changes.
     */

    if (conf->endpoint.data == NULL
        && !(prev->endpoint_derived
             && (conf->region.len != prev->region.len
                 || ngx_strncmp(conf->region.data, prev->region.data,
                                conf->region.len) != 0)))
    {
        conf->endpoint = prev->endpoint;
        conf->host = prev->host;
        conf->endpoint_derived = prev->endpoint_derived;
    }

    if (conf->endpoint.data == NULL) {
        env = getenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME");
        if (env == NULL || *env == '\0') {
            env = getenv("AWS_ENDPOINT_URL");
        }

        if (env != NULL && *env != '\0') {
            conf->endpoint.len = ngx_strlen(env);
            conf->endpoint.data = ngx_pnalloc(cf->pool, conf->endpoint.len);
            if (conf->endpoint.data == NULL) {
                return NGX_CONF_ERROR;
            }

            ngx_memcpy(conf->endpoint.data, env, conf->endpoint.len);

        } else {
            conf->endpoint_derived = 1;

            len = sizeof("https://bedrock-runtime..amazonaws.com") - 1
                  + conf->region.len;

            conf->endpoint.data = ngx_pnalloc(cf->pool, len);
            if (conf->endpoint.data == NULL) {
                return NGX_CONF_ERROR;
            }

            conf->endpoint.len = ngx_sprintf(conf->endpoint.data,
                                        "https://bedrock-runtime.%V"
                                        ".amazonaws.com", &conf->region)
                                 - conf->endpoint.data;
        }
    }

    if (conf->host.data == NULL) {
        if (ngx_http_chatcompletions_endpoint_host(cf, conf) != NGX_CONF_OK) {
            return NGX_CONF_ERROR;
        }
    }

    /* a key pair set here does not take an outer pair's session token */
    if (conf->access_key_id != NGX_CONF_UNSET_PTR
        && conf->session_token == NGX_CONF_UNSET_PTR)
    {
        conf->session_token = NULL;
    }

    ngx_conf_merge_ptr_value(conf->access_key_id, prev->access_key_id, NULL);
    ngx_conf_merge_ptr_value(conf->secret_access_key,
                             prev->secret_access_key, NULL);
    ngx_conf_merge_ptr_value(conf->session_token, prev->session_token, NULL);
    ngx_conf_merge_ptr_value(conf->api_key, prev->api_key, NULL);

    if ((conf->access_key_id == NULL) != (conf->secret_access_key == NULL)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "chat_completions_access_key_id and "
                           "chat_completions_secret_access_key "
                           "must be set together");
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_str_value(conf->model, prev->model,
                             NGX_HTTP_CHATCOMPLETIONS_DEFAULT_MODEL);

    if (conf->aliases == NULL) {
        conf->aliases = prev->aliases;
    }

    ngx_conf_merge_value(conf->model_passthrough, prev->model_passthrough, 0);
    ngx_conf_merge_value(conf->stream_default, prev->stream_default, 1);
    ngx_conf_merge_msec_value(conf->keepalive_interval,
                              prev->keepalive_interval, 10000);
    ngx_conf_merge_msec_value(conf->read_timeout, prev->read_timeout, 60000);
    ngx_conf_merge_str_value(conf->first_user_message,
                             prev->first_user_message, "Hello.");
    ngx_conf_merge_value(conf->max_tokens, prev->max_tokens, 0);

    ngx_conf_merge_str_value(conf->system_prompt, prev->system_prompt, "");
    ngx_conf_merge_msec_value(conf->tool_timeout, prev->tool_timeout, 10000);
    ngx_conf_merge_size_value(conf->tool_max_size, prev->tool_max_size,
                              64 * 1024);
    ngx_conf_merge_uint_value(conf->max_rounds, prev->max_rounds, 5);

    if (conf->phone_metadata == NULL) {
        conf->phone_metadata = prev->phone_metadata;
    }

    ngx_conf_merge_str_value(conf->phone_header, prev->phone_header, "");
    ngx_conf_merge_str_value(conf->phone_country, prev->phone_country, "1");

    if (conf->max_rounds < 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "chat_completions_max_rounds must be at least 1");
        return NGX_CONF_ERROR;
    }

    if (conf->tool_timeout == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "chat_completions_tool_timeout must not be 0");
        return NGX_CONF_ERROR;
    }

    if (ngx_http_chatcompletions_check_country(&conf->phone_country)
        != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid chat_completions_phone_country_code "
                           "\"%V\": 1 to 3 digits, such as \"1\" or "
                           "\"44\"", &conf->phone_country);
        return NGX_CONF_ERROR;
    }

    if (conf->tool_max_size == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "chat_completions_tool_max_size must not be 0");
        return NGX_CONF_ERROR;
    }

    if (ngx_http_chatcompletions_merge_tools(cf, prev, conf) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (conf->max_tokens < 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "chat_completions_max_tokens must not be "
                           "negative");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_chatcompletions_endpoint_host(ngx_conf_t *cf,
    ngx_http_chatcompletions_loc_conf_t *cclcf)
{
    u_char  *p, *last, *host;

    p = cclcf->endpoint.data;
    last = p + cclcf->endpoint.len;

    if (cclcf->endpoint.len > 8
        && ngx_strncasecmp(p, (u_char *) "https://", 8) == 0)
    {
        p += 8;

    } else if (cclcf->endpoint.len > 7
               && ngx_strncasecmp(p, (u_char *) "http://", 7) == 0)
    {
        p += 7;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid Bedrock endpoint \"%V\": "
                           "it must start with \"https://\" or \"http://\"",
                           &cclcf->endpoint);
        return NGX_CONF_ERROR;
    }

    host = p;

    while (p < last && *p != '/' && *p != '?') {
        p++;
    }

    if (p == host || (p < last && !(*p == '/' && p + 1 == last))) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid Bedrock endpoint \"%V\": "
                           "expected a scheme and a host, with no path",
                           &cclcf->endpoint);
        return NGX_CONF_ERROR;
    }

    cclcf->host.data = host;
    cclcf->host.len = p - host;

    return NGX_CONF_OK;
}


static char *
ngx_http_chatcompletions(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_chatcompletions_loc_conf_t *cclcf = conf;

    ngx_http_core_loc_conf_t              *clcf;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    if (cclcf->enable != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    cclcf->enable = 1;

    ccmcf = ngx_http_conf_get_module_main_conf(cf,
                                             ngx_http_chatcompletions_module);
    ccmcf->used = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_chatcompletions_handler;

    return NGX_CONF_OK;
}


static char *
ngx_http_chatcompletions_model_alias(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_chatcompletions_loc_conf_t *cclcf = conf;

    ngx_str_t                         *value;
    ngx_uint_t                         i;
    ngx_http_chatcompletions_alias_t  *alias;

    value = cf->args->elts;

    if (value[1].len == 0 || value[2].len == 0 || value[2].len > 2048) {
        return "takes a non-empty model name and Bedrock model id";
    }

    if (cclcf->aliases == NULL) {
        cclcf->aliases = ngx_array_create(cf->pool, 4,
                                     sizeof(ngx_http_chatcompletions_alias_t));
        if (cclcf->aliases == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    alias = cclcf->aliases->elts;

    for (i = 0; i < cclcf->aliases->nelts; i++) {
        if (alias[i].name.len == value[1].len
            && ngx_strncmp(alias[i].name.data, value[1].data, value[1].len)
               == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate model alias \"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    alias = ngx_array_push(cclcf->aliases);
    if (alias == NULL) {
        return NGX_CONF_ERROR;
    }

    alias->name = value[1];
    alias->model_id = value[2];

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_chatcompletions_check_country(ngx_str_t *cc)
{
    size_t   i, start;

    start = (cc->len && cc->data[0] == '+') ? 1 : 0;

    if (cc->len - start < 1 || cc->len - start > 3
        || cc->data[start] == '0')
    {
        return NGX_ERROR;
    }

    for (i = start; i < cc->len; i++) {
        if (cc->data[i] < '0' || cc->data[i] > '9') {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static char *
ngx_http_chatcompletions_phone_metadata(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_chatcompletions_loc_conf_t *cclcf = conf;

    ngx_str_t   *value;
    cc_str_t    *name;
    ngx_uint_t   i;

    if (cclcf->phone_metadata) {
        return "is duplicate";
    }

    cclcf->phone_metadata = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                             sizeof(cc_str_t));
    if (cclcf->phone_metadata == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        name = ngx_array_push(cclcf->phone_metadata);
        if (name == NULL) {
            return NGX_CONF_ERROR;
        }

        name->data = value[i].data;
        name->len = value[i].len;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_chatcompletions_preconfiguration(ngx_conf_t *cf)
{
    return ngx_http_chatcompletions_add_variables(cf);
}


static ngx_int_t
ngx_http_chatcompletions_init(ngx_conf_t *cf)
{
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = ngx_http_conf_get_module_main_conf(cf,
                                             ngx_http_chatcompletions_module);

    /* the filters cost nothing where no location uses the module */
    if (!ccmcf->used) {
        return NGX_OK;
    }

    return ngx_http_chatcompletions_filter_init(cf);
}
