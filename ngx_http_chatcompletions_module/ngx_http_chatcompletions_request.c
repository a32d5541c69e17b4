
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"


/*
 * The client's request: its method, its JSON body parsed and checked
 * (cc_chat_parse), the model mapped to a Bedrock model id, stream or not,
 * and the completion's id.  Errors are OpenAI's, with their statuses.
 */


static ngx_uint_t ngx_http_chatcompletions_keep_json(ngx_http_request_t *r,
    ngx_http_chatcompletions_loc_conf_t *cclcf);
static ngx_int_t ngx_http_chatcompletions_read(
    ngx_http_chatcompletions_ctx_t *ctx, cc_alloc_t *a);
static cc_json_t *ngx_http_chatcompletions_parse_body(ngx_http_request_t *r,
    cc_alloc_t *a, cc_json_parser_t **parser, char *err, size_t errlen);
static ngx_int_t ngx_http_chatcompletions_bad_utf8(ngx_http_request_t *r,
    const char *path, size_t at);
static ngx_int_t ngx_http_chatcompletions_map_model(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx);
static ngx_int_t ngx_http_chatcompletions_wants_json(ngx_http_request_t *r);
static ngx_int_t ngx_http_chatcompletions_make_id(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx);
static ngx_int_t ngx_http_chatcompletions_invalid(ngx_http_request_t *r,
    cc_error_t *cerr);
static void ngx_http_chatcompletions_features(
    ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_loc_conf_t *cclcf);
static ngx_int_t ngx_http_chatcompletions_check_model(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx, cc_alloc_t *a);


static ngx_str_t  ngx_http_chatcompletions_allow = ngx_string("POST");


/* a 405 for any method but POST, with the Allow header */

ngx_int_t
ngx_http_chatcompletions_not_allowed(ngx_http_request_t *r)
{
    return ngx_http_chatcompletions_method_not_allowed(r,
                                          &ngx_http_chatcompletions_allow,
                                          "POST");
}


/* a 405 with "Allow: allow" and a message that says to use "use" */

ngx_int_t
ngx_http_chatcompletions_method_not_allowed(ngx_http_request_t *r,
    ngx_str_t *allow, const char *use)
{
    ngx_int_t         rc;
    ngx_str_t         msg;
    ngx_table_elt_t  *h;

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
    h->value = *allow;

    msg.data = ngx_pnalloc(r->pool, r->method_name.len + 64
                                    + ngx_strlen(use));
    if (msg.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    msg.len = ngx_sprintf(msg.data, "Method %V is not allowed here; "
                          "use %s.", &r->method_name, use)
              - msg.data;

    return ngx_http_chatcompletions_send_error(r,
                                            NGX_HTTP_NOT_ALLOWED,
                                            "invalid_request_error",
                                            "method_not_allowed",
                                            NULL, &msg);
}


/*
 * The client's request, read: NGX_DONE when it is valid and the Bedrock
 * request can be built from ctx; otherwise an OpenAI error was sent, and
 * what that returned (or a status) is what the request ends with.
 *
 * Unless a later attempt or round builds the body again or the caller's
 * number may be looked up, the JSON and its translation (ctx->conv) are
 * needed only until the body is built: they are parsed in the worker's
 * scratch arena, the body is built at once and copied into the request's
 * pool (ctx->body_once), and the arena is emptied.  A stream then keeps
 * none of the client's request but the body.
 */

ngx_int_t
ngx_http_chatcompletions_prepare(ngx_http_chatcompletions_ctx_t *ctx)
{
    ngx_int_t                             rc;
    ngx_str_t                            *model;
    cc_alloc_t                           *a;
    ngx_http_chatcompletions_target_t    *t;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                         ngx_http_chatcompletions_module);

    if (ngx_http_chatcompletions_keep_json(ctx->request, cclcf)) {
        a = &ctx->alloc;

    } else {
        a = ngx_http_chatcompletions_scratch();
        if (a == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    ctx->conv = cc_calloc(a, sizeof(ngx_http_chatcompletions_conv_t));
    if (ctx->conv == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_chatcompletions_read(ctx, a);

    if (a == &ctx->alloc) {
        return rc;
    }

    if (rc == NGX_DONE) {
        /* every target asks for the same model */
        t = cclcf->targets->elts;
        model = ngx_http_chatcompletions_target_model_id(ctx, &t[0]);

        if (ngx_http_chatcompletions_build_body(ctx, model, a) == NGX_OK) {
            ctx->body_once = 1;

            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ctx->request->connection->log,
                           0, "chatcompletions body of %uz bytes built once, "
                           "the request's JSON let go", ctx->round.body.len);

        } else {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    /* nothing may point into the arena once it is emptied */

    ctx->conv = NULL;

    ngx_http_chatcompletions_scratch_reset();

    return rc;
}


/*
 * Whether the client's JSON and its translation are kept for the
 * request's life: for a tool round (the conversation grows), for an
 * attempt on a target that may ask for another model (the model decides
 * some of the body's fields), or for the caller's number, looked up when
 * the configuration reads its variables.
 */

static ngx_uint_t
ngx_http_chatcompletions_keep_json(ngx_http_request_t *r,
    ngx_http_chatcompletions_loc_conf_t *cclcf)
{
    ngx_uint_t                          i;
    ngx_http_chatcompletions_target_t  *t;

    if (cclcf->tools || ngx_http_chatcompletions_phone_read(r)) {
        return 1;
    }

    if (cclcf->targets->nelts == 1) {
        return 0;
    }

    t = cclcf->targets->elts;

    for (i = 0; i < cclcf->targets->nelts; i++) {
        if (t[i].model.len || t[i].maps) {
            return 1;
        }
    }

    return 0;
}


/* the request parsed and translated in "a" */

static ngx_int_t
ngx_http_chatcompletions_read(ngx_http_chatcompletions_ctx_t *ctx,
    cc_alloc_t *a)
{
    char                                  err[CC_JSON_ERR_LEN];
    size_t                                at;
    ngx_int_t                             rc;
    ngx_str_t                             msg;
    cc_json_t                            *root;
    cc_error_t                            cerr;
    const char                           *path;
    cc_json_parser_t                     *parser;
    ngx_http_request_t                   *r;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    r = ctx->request;
    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);

    err[0] = '\0';
    parser = NULL;

    root = ngx_http_chatcompletions_parse_body(r, a, &parser, err,
                                               sizeof(err));
    if (root == NULL) {
        if (ngx_strcmp(err, "out of memory") == 0
            || ngx_strcmp(err, "cannot read the body file") == 0)
        {
            /* ngx_read_file() logged the reason */
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (parser != NULL && cc_json_parser_bad_utf8(parser, &path, &at)) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "client sent invalid UTF-8: %s", err);

            return ngx_http_chatcompletions_bad_utf8(r, path, at);
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

    ctx->conv->opts.first_user_text.data = cclcf->first_user_message.data;
    ctx->conv->opts.first_user_text.len = cclcf->first_user_message.len;
    ctx->conv->opts.max_tokens_limit = cclcf->max_tokens;
    ctx->conv->opts.system_prompt.data = cclcf->system_prompt.data;
    ctx->conv->opts.system_prompt.len = cclcf->system_prompt.len;

    if (cclcf->tools) {
        ctx->conv->opts.server_tools = cclcf->cc_tools;
        ctx->conv->opts.nserver_tools = cclcf->tools->nelts;
    }

    ngx_http_chatcompletions_extras_options(ctx);
    ngx_http_chatcompletions_features(ctx, cclcf);

    ngx_memzero(&cerr, sizeof(cc_error_t));

    if (cc_chat_parse(a, root, &ctx->conv->opts, &ctx->conv->chat, &cerr)
        != CC_OK)
    {
        return ngx_http_chatcompletions_invalid(r, &cerr);
    }

    rc = ngx_http_chatcompletions_map_model(r, ctx);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_OK || ngx_http_chatcompletions_key_model(ctx) != NGX_OK) {
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

    rc = ngx_http_chatcompletions_check_model(r, ctx, a);
    if (rc != NGX_DONE) {
        return rc;
    }

    /* the key's tokens for this request, held until it is charged */

    if (ngx_http_chatcompletions_key_reserve(r, ctx, &rc) != NGX_OK) {
        return rc;
    }

    if (ctx->conv->chat.stream == -1) {
        ctx->streaming = cclcf->stream_default
                         && !ngx_http_chatcompletions_wants_json(r);

    } else {
        ctx->streaming = ctx->conv->chat.stream ? 1 : 0;
    }

    if (ngx_http_chatcompletions_make_id(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (cclcf->tools) {
        ctx->stream.is_server_tool = ngx_http_chatcompletions_is_server_tool;
        ctx->stream.is_server_tool_data = cclcf;

    } else {
        /* no round follows a streamed one: its text is not kept */
        ctx->stream.drop_text = ctx->streaming;
    }

    ctx->stream.one_tool_call =
                          (ctx->conv->chat.extras.parallel_tool_calls == 0);

    /* the caller's phone number is looked up only if it is needed */
    ctx->conv->root = root;

    return NGX_DONE;
}


/* a request the translation refused: its OpenAI error, or a 500 */

static ngx_int_t
ngx_http_chatcompletions_invalid(ngx_http_request_t *r, cc_error_t *cerr)
{
    ngx_str_t  msg;

    if (cerr->status == 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    msg.data = cerr->message.data;
    msg.len = cerr->message.len;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "client sent invalid request: %V", &msg);

    return ngx_http_chatcompletions_send_error(r, cerr->status,
                      cerr->type, cerr->code,
                      cerr->param.len ? (ngx_str_t *) &cerr->param : NULL,
                      &msg);
}


/* the Bedrock features' directives, for the translation */

static void
ngx_http_chatcompletions_features(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_loc_conf_t *cclcf)
{
    ngx_uint_t  cache;

    ctx->conv->opts.structured_mode = (cc_structured_mode_e)
                                cclcf->structured_output;
    ctx->conv->opts.reasoning_default =
                                      (cc_reasoning_e) cclcf->reasoning_effort;

    cache = cclcf->prompt_cache;

    if (!(cache & NGX_HTTP_CHATCOMPLETIONS_CACHE_OFF)) {
        ctx->conv->opts.cache_system =
                        (cache & NGX_HTTP_CHATCOMPLETIONS_CACHE_SYSTEM) != 0;
        ctx->conv->opts.cache_tools =
                        (cache & NGX_HTTP_CHATCOMPLETIONS_CACHE_TOOLS) != 0;
    }
}


/*
 * What depends on the model, once it is mapped: response_format's forced
 * tool refuses the request's tools; reasoning that this call cannot have
 * is left out (debug).  NGX_DONE: go on.
 */

static ngx_int_t
ngx_http_chatcompletions_check_model(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx, cc_alloc_t *a)
{
    cc_error_t           cerr;
    cc_reasoning_plan_t  plan;

    ctx->conv->opts.model_id.data = ctx->model_id.data;
    ctx->conv->opts.model_id.len = ctx->model_id.len;

    if (cc_chat_check_model(a, &ctx->conv->chat, &ctx->conv->opts, &cerr)
        != CC_OK)
    {
        return ngx_http_chatcompletions_invalid(r, &cerr);
    }

    cc_bedrock_reasoning(&ctx->conv->chat, &ctx->conv->opts, &plan);

    if (plan.family == CC_REASONING_OTHER
        && ctx->conv->chat.reasoning > CC_REASONING_OFF)
    {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "chat completions: no reasoning asked of model "
                       "\"%V\" (it does not reason, a tool is forced, or "
                       "the tool turn lacks its thinking block)",
                       &ctx->model_id);
    }

    return NGX_DONE;
}


/*
 * Invalid UTF-8 in the body: in a string, named by its path and the
 * offset in its decoded bytes; elsewhere (a key) by the body's offset.
 */

static ngx_int_t
ngx_http_chatcompletions_bad_utf8(ngx_http_request_t *r, const char *path,
    size_t at)
{
    size_t     len;
    ngx_str_t  msg, param;

    len = path ? ngx_strlen(path) : 0;

    msg.data = ngx_pnalloc(r->pool, len + 128);
    if (msg.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (path) {
        msg.len = ngx_sprintf(msg.data, "Invalid UTF-8 in '%s' at byte %uz.",
                              path, at)
                  - msg.data;

        param.data = (u_char *) path;
        param.len = len;

    } else {
        msg.len = ngx_sprintf(msg.data, "Invalid UTF-8 in the request body "
                              "at byte %uz.", at)
                  - msg.data;
    }

    return ngx_http_chatcompletions_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_request_error",
                                            "invalid_encoding",
                                            path ? &param : NULL, &msg);
}


static cc_json_t *
ngx_http_chatcompletions_parse_body(ngx_http_request_t *r, cc_alloc_t *a,
    cc_json_parser_t **parser, char *err, size_t errlen)
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

    p = cc_json_parser_create(a);
    if (p == NULL) {
        ngx_cpystrn((u_char *) err, (u_char *) "out of memory", errlen);
        return NULL;
    }

    /* the client's text: a lone surrogate is invalid, not U+FFFD */
    cc_json_parser_strict(p);
    *parser = p;

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
            buf = cc_alloc(a, 8192);
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

    /* the request's JSON may not outlive its translation: a copy */

    ctx->model_name.len = ctx->conv->chat.model.len;
    ctx->model_name.data = ngx_pnalloc(r->pool, ctx->model_name.len);
    if (ctx->model_name.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->model_name.data, ctx->conv->chat.model.data,
               ctx->model_name.len);

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

    /* the worker's generator: a stream keeps none of its own */
    ctx->stream.sse = ngx_http_chatcompletions_sse_gen();

    ctx->stream.id.data = ctx->id.data;
    ctx->stream.id.len = ctx->id.len;
    ctx->stream.created = ngx_time();
    ctx->stream.model.data = ctx->model_name.data;
    ctx->stream.model.len = ctx->model_name.len;
    ctx->stream.include_usage = ctx->conv->chat.include_usage;

    /*
     * "Let me check." and, a tool round later, "You owe $5." must not run
     * together, in the stream or in the JSON answer: a voice speaks it.
     */
    ctx->stream.separator.data = (u_char *) " ";
    ctx->stream.separator.len = 1;

    return NGX_OK;
}
