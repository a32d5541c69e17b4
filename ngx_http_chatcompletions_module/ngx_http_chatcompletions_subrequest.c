
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"
#include "cc_sigv4.h"


typedef struct {
    ngx_str_t                        access_key;
    ngx_str_t                        secret_key;
    ngx_str_t                        session_token;
    ngx_str_t                        bearer;
} ngx_http_chatcompletions_creds_t;


/* the signed headers of one Bedrock call */
typedef struct {
    ngx_str_t                        date;
    ngx_str_t                        token;
    ngx_str_t                        authorization;
} ngx_http_chatcompletions_auth_t;


static ngx_int_t ngx_http_chatcompletions_credentials(ngx_http_request_t *r,
    ngx_http_chatcompletions_creds_t *creds);
static ngx_int_t ngx_http_chatcompletions_eval(ngx_http_request_t *r,
    ngx_http_complex_value_t *cv, ngx_str_t *value);
static void ngx_http_chatcompletions_env(const char *name, ngx_str_t *value);
static ngx_int_t ngx_http_chatcompletions_sign(
    ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_creds_t *creds,
    ngx_http_chatcompletions_auth_t *auth);
static ngx_int_t ngx_http_chatcompletions_add_auth(ngx_http_request_t *sr,
    ngx_http_chatcompletions_auth_t *auth);
static ngx_int_t ngx_http_chatcompletions_internal_error(
    ngx_http_chatcompletions_ctx_t *ctx);
static ngx_int_t ngx_http_chatcompletions_adjust_subrequest(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_http_request_t *sr);
static void ngx_http_chatcompletions_run_bedrock(ngx_http_request_t *sr);
static ngx_int_t ngx_http_chatcompletions_post_subrequest(
    ngx_http_request_t *sr, void *data, ngx_int_t rc);
static void ngx_http_chatcompletions_resume(ngx_http_request_t *r);
static ngx_int_t ngx_http_chatcompletions_fail(
    ngx_http_chatcompletions_ctx_t *ctx);
static ngx_int_t ngx_http_chatcompletions_header_filter(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_chatcompletions_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static void ngx_http_chatcompletions_file_buffer(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx);
static ngx_int_t ngx_http_chatcompletions_stream_body(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx, ngx_chain_t *in);
static ngx_int_t ngx_http_chatcompletions_congested(
    ngx_http_chatcompletions_ctx_t *ctx);
static ngx_int_t ngx_http_chatcompletions_flush(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx);
static void ngx_http_chatcompletions_drain_held(
    ngx_http_chatcompletions_ctx_t *ctx);
static ngx_int_t ngx_http_chatcompletions_send_pending(
    ngx_http_chatcompletions_ctx_t *ctx);
static ngx_int_t ngx_http_chatcompletions_decode(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_buf_t *b);
static void ngx_http_chatcompletions_stop_upstream(ngx_http_request_t *sr);
static ngx_int_t ngx_http_chatcompletions_pend(
    ngx_http_chatcompletions_ctx_t *ctx, u_char *data, size_t len);
static ngx_int_t ngx_http_chatcompletions_append(ngx_pool_t *pool,
    u_char **buf, size_t *len, size_t *cap, u_char *data, size_t n,
    size_t min);
static ngx_int_t ngx_http_chatcompletions_collect(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_buf_t *b);
static void ngx_http_chatcompletions_account(
    ngx_http_chatcompletions_ctx_t *ctx);
static ngx_int_t ngx_http_chatcompletions_too_large(ngx_http_request_t *r);
static ngx_int_t ngx_http_chatcompletions_replace_body(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx, ngx_chain_t *in);
static void ngx_http_chatcompletions_keepalive_handler(ngx_event_t *ev);
static void ngx_http_chatcompletions_stall_handler(ngx_event_t *ev);
static void ngx_http_chatcompletions_cleanup(void *data);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


static u_char  ngx_http_chatcompletions_keepalive_comment[] =
    ": keepalive\n\n";


ngx_int_t
ngx_http_chatcompletions_start_round(ngx_http_chatcompletions_ctx_t *ctx)
{
    cc_str_t                              body, path;
    ngx_int_t                             rc;
    ngx_str_t                             uri;
    ngx_uint_t                            level;
    ngx_http_request_t                   *r, *sr;
    ngx_pool_cleanup_t                   *cln;
    ngx_http_post_subrequest_t           *ps;
    ngx_http_chatcompletions_auth_t       auth;
    ngx_http_chatcompletions_creds_t      creds;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    r = ctx->request;
    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);

    ngx_memzero(&creds, sizeof(ngx_http_chatcompletions_creds_t));

    /*
     * Credentials may come from variables, and nginx's script engine and
     * map module print the values they compute at debug level.
     */
    level = r->connection->log->log_level;
    r->connection->log->log_level &= ~(ngx_uint_t) NGX_LOG_DEBUG_ALL;

    rc = ngx_http_chatcompletions_credentials(r, &creds);

    r->connection->log->log_level = level;

    if (rc == NGX_ERROR) {
        return ngx_http_chatcompletions_internal_error(ctx);
    }

    if (rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "no AWS credentials for Bedrock: set "
                      "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or "
                      "AWS_BEARER_TOKEN_BEDROCK) with the \"env\" "
                      "directive, or chat_completions_access_key_id");

        ngx_http_chatcompletions_set_fault(ctx,
                                 NGX_HTTP_CHATCOMPLETIONS_FAULT_UNREACHABLE,
                                 "server_error", "no_credentials",
                                 (u_char *) "The gateway has no AWS "
                                 "credentials configured for Amazon Bedrock.",
                                 0);
        ctx->bedrock_status = NGX_HTTP_INTERNAL_SERVER_ERROR;

        return ngx_http_chatcompletions_fail(ctx);
    }

    if (cc_bedrock_body(&ctx->alloc, &ctx->chat, &ctx->opts, &body)
        != CC_OK
        || cc_model_path(&ctx->alloc, (cc_str_t *) &ctx->model_id,
                         ctx->streaming, &path)
           != CC_OK)
    {
        return ngx_http_chatcompletions_internal_error(ctx);
    }

    ctx->body.data = body.data;
    ctx->body.len = body.len;
    ctx->bedrock_uri.data = path.data;
    ctx->bedrock_uri.len = path.len;

    /* everything that can fail is done before the subrequest exists */

    rc = ngx_http_chatcompletions_sign(ctx, &creds, &auth);

    if (rc == NGX_DECLINED) {
        ngx_http_chatcompletions_set_fault(ctx,
                                 NGX_HTTP_CHATCOMPLETIONS_FAULT_UNREACHABLE,
                                 "server_error", "no_credentials",
                                 (u_char *) "The gateway's AWS credentials "
                                 "or region cannot sign a request.", 0);
        ctx->bedrock_status = NGX_HTTP_INTERNAL_SERVER_ERROR;

        return ngx_http_chatcompletions_fail(ctx);
    }

    if (rc != NGX_OK) {
        return ngx_http_chatcompletions_internal_error(ctx);
    }

    if (ctx->rounds == 0) {
        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            return ngx_http_chatcompletions_internal_error(ctx);
        }

        cln->handler = ngx_http_chatcompletions_cleanup;
        cln->data = ctx;

        ctx->keepalive.handler = ngx_http_chatcompletions_keepalive_handler;
        ctx->keepalive.data = ctx;
        ctx->keepalive.log = r->connection->log;
        ctx->keepalive.cancelable = 1;

        ctx->stall.handler = ngx_http_chatcompletions_stall_handler;
        ctx->stall.data = ctx;
        ctx->stall.log = r->connection->log;
        ctx->stall.cancelable = 1;
    }

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return ngx_http_chatcompletions_internal_error(ctx);
    }

    ps->handler = ngx_http_chatcompletions_post_subrequest;
    ps->data = ctx;

    uri = cclcf->bedrock_location;

    if (ngx_http_subrequest(r, &uri, NULL, &sr, ps, 0) != NGX_OK) {
        return ngx_http_chatcompletions_internal_error(ctx);
    }

    /* see ngx_http_chatcompletions_run_bedrock() */
    sr->write_event_handler = ngx_http_chatcompletions_run_bedrock;

    ctx->sr = sr;
    ctx->rounds++;
    ctx->capture = 0;
    ctx->round_done = 0;
    ctx->sr_done = 0;
    ctx->bedrock_status = 0;
    ctx->error_body_len = 0;

    /* a subrequest exists now: only NGX_ERROR may end it */
    if (ngx_http_chatcompletions_adjust_subrequest(ctx, sr) != NGX_OK
        || ngx_http_chatcompletions_add_auth(sr, &auth) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ctx->streaming) {
        cc_es_init(&ctx->decoder, &ctx->alloc, 0);

        if (cclcf->keepalive_interval && !ctx->keepalive.timer_set) {
            ngx_add_timer(&ctx->keepalive, cclcf->keepalive_interval);
        }

    } else {
        ctx->converse_len = 0;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "chatcompletions round %ui: POST %V, %uz bytes",
                   ctx->rounds, &ctx->bedrock_uri, ctx->body.len);

    return NGX_DONE;
}


/* a 500 while nothing was sent; once the stream is open, only an end */

static ngx_int_t
ngx_http_chatcompletions_internal_error(ngx_http_chatcompletions_ctx_t *ctx)
{
    return ctx->headers_sent ? NGX_ERROR : NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/*
 * The proxy module prints the request it builds at debug level, headers
 * and all: with temporary credentials the session token, with a Bedrock
 * API key the key itself.  The Bedrock subrequest therefore runs its
 * phases, up to the request being built, with debug logging off; the
 * response is logged as usual.
 */

static void
ngx_http_chatcompletions_run_bedrock(ngx_http_request_t *sr)
{
    ngx_log_t   *log;
    ngx_uint_t   level;

    log = sr->connection->log;
    level = log->log_level;

    log->log_level &= ~(ngx_uint_t) NGX_LOG_DEBUG_ALL;

    sr->write_event_handler = ngx_http_handler;
    ngx_http_handler(sr);

    log->log_level = level;
}


/*
 * The context of the main request, from the main request or from one of
 * its subrequests.  A subrequest is recognized by its post_subrequest
 * handler, which, unlike module contexts, survives internal redirects.
 */

ngx_http_chatcompletions_ctx_t *
ngx_http_chatcompletions_get_ctx(ngx_http_request_t *r)
{
    ngx_http_chatcompletions_tool_call_t  *call;

    if (r == r->main) {
        return ngx_http_get_module_ctx(r, ngx_http_chatcompletions_module);
    }

    if (r->post_subrequest
        && r->post_subrequest->handler
           == ngx_http_chatcompletions_post_subrequest)
    {
        return r->post_subrequest->data;
    }

    call = ngx_http_chatcompletions_tool_call(r);
    if (call) {
        return call->ctx;
    }

    return ngx_http_get_module_ctx(r->main, ngx_http_chatcompletions_module);
}


static ngx_int_t
ngx_http_chatcompletions_credentials(ngx_http_request_t *r,
    ngx_http_chatcompletions_creds_t *creds)
{
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);

    /* the configuration wins over the environment; keys over an API key */

    if (cclcf->access_key_id) {
        if (ngx_http_chatcompletions_eval(r, cclcf->access_key_id,
                                          &creds->access_key)
            != NGX_OK
            || ngx_http_chatcompletions_eval(r, cclcf->secret_access_key,
                                             &creds->secret_key)
               != NGX_OK
            || (cclcf->session_token
                && ngx_http_chatcompletions_eval(r, cclcf->session_token,
                                                 &creds->session_token)
                   != NGX_OK))
        {
            return NGX_ERROR;
        }

        if (creds->access_key.len && creds->secret_key.len) {
            return NGX_OK;
        }
    }

    if (cclcf->api_key) {
        if (ngx_http_chatcompletions_eval(r, cclcf->api_key, &creds->bearer)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (creds->bearer.len) {
            return NGX_OK;
        }
    }

    /* as the AWS SDKs do, a Bedrock API key in the environment wins */

    ngx_http_chatcompletions_env("AWS_BEARER_TOKEN_BEDROCK", &creds->bearer);

    if (creds->bearer.len) {
        return NGX_OK;
    }

    ngx_http_chatcompletions_env("AWS_ACCESS_KEY_ID", &creds->access_key);
    ngx_http_chatcompletions_env("AWS_SECRET_ACCESS_KEY", &creds->secret_key);
    ngx_http_chatcompletions_env("AWS_SESSION_TOKEN", &creds->session_token);

    if (creds->access_key.len && creds->secret_key.len) {
        return NGX_OK;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_chatcompletions_eval(ngx_http_request_t *r,
    ngx_http_complex_value_t *cv, ngx_str_t *value)
{
    return ngx_http_complex_value(r, cv, value);
}


static void
ngx_http_chatcompletions_env(const char *name, ngx_str_t *value)
{
    char  *v;

    /* workers see only what the "env" directive passes through */

    v = getenv(name);

    if (v == NULL) {
        value->len = 0;
        value->data = NULL;
        return;
    }

    value->data = (u_char *) v;
    value->len = ngx_strlen(v);
}


static ngx_int_t
ngx_http_chatcompletions_adjust_subrequest(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_request_t *sr)
{
    sr->method = NGX_HTTP_POST;
    ngx_str_set(&sr->method_name, "POST");

    /*
     * ngx_http_subrequest() shares the client's headers and body with the
     * subrequest: a proxy_pass would forward the client's Authorization
     * and JSON to AWS.  The Bedrock call gets its own.
     */

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    sr->headers_in.keep_alive_n = -1;

    if (ngx_list_init(&sr->headers_in.headers, sr->pool, 8,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

#if (nginx_version >= 1023000)
    sr->headers_in.cookie = NULL;
#endif

    if (ngx_http_chatcompletions_set_body(sr, ctx->body.data, ctx->body.len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_chatcompletions_add_input_header(sr, "Content-Type",
                                              (u_char *) "application/json",
                                              sizeof("application/json") - 1);
}


static ngx_int_t
ngx_http_chatcompletions_sign(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_creds_t *creds,
    ngx_http_chatcompletions_auth_t *auth)
{
    u_char                               *p;
    size_t                                len;
    cc_sigv4_header_t                     headers[2];
    cc_sigv4_result_t                     res;
    cc_sigv4_request_t                    req;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                         ngx_http_chatcompletions_module);

    ngx_memzero(auth, sizeof(ngx_http_chatcompletions_auth_t));

    if (creds->bearer.len) {
        len = sizeof("Bearer ") - 1 + creds->bearer.len;

        p = ngx_pnalloc(ctx->request->pool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(ngx_cpymem(p, "Bearer ", sizeof("Bearer ") - 1),
                   creds->bearer.data, creds->bearer.len);

        auth->authorization.data = p;
        auth->authorization.len = len;

        return NGX_OK;
    }

    ngx_memzero(&req, sizeof(cc_sigv4_request_t));
    ngx_memzero(&res, sizeof(cc_sigv4_result_t));

    headers[0].name.data = (u_char *) "content-type";
    headers[0].name.len = sizeof("content-type") - 1;
    headers[0].value.data = (u_char *) "application/json";
    headers[0].value.len = sizeof("application/json") - 1;
    headers[1].name.data = (u_char *) "host";
    headers[1].name.len = sizeof("host") - 1;
    headers[1].value.data = cclcf->host.data;
    headers[1].value.len = cclcf->host.len;

    req.method.data = (u_char *) "POST";
    req.method.len = sizeof("POST") - 1;
    req.path.data = ctx->bedrock_uri.data;
    req.path.len = ctx->bedrock_uri.len;
    req.headers = headers;
    req.nheaders = 2;
    req.payload = ctx->body.data;
    req.payload_len = ctx->body.len;
    req.access_key.data = creds->access_key.data;
    req.access_key.len = creds->access_key.len;
    req.secret_key.data = creds->secret_key.data;
    req.secret_key.len = creds->secret_key.len;
    req.session_token.data = creds->session_token.data;
    req.session_token.len = creds->session_token.len;
    req.region.data = cclcf->region.data;
    req.region.len = cclcf->region.len;
    req.service.data = (u_char *) "bedrock";
    req.service.len = sizeof("bedrock") - 1;
    req.now = ngx_time();

    if (cc_sigv4_sign(&ctx->alloc, &req, &res) != CC_OK) {
        /* the reason never holds key material */
        ngx_log_error(NGX_LOG_ERR, ctx->request->connection->log, 0,
                      "chat_completions: cannot sign the Bedrock request: %s",
                      res.err ? res.err : "unknown error");
        return NGX_DECLINED;
    }

    /*
     * Not the canonical request: with temporary credentials it holds the
     * session token.
     */
    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ctx->request->connection->log, 0,
                   "chatcompletions signed headers: %s",
                   res.signed_headers.data);

    auth->date.data = ngx_pnalloc(ctx->request->pool, 16);
    if (auth->date.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(auth->date.data, res.amz_date, 16);
    auth->date.len = 16;

    auth->token = creds->session_token;
    auth->authorization.data = res.authorization.data;
    auth->authorization.len = res.authorization.len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_chatcompletions_add_auth(ngx_http_request_t *sr,
    ngx_http_chatcompletions_auth_t *auth)
{
    if (auth->date.len
        && ngx_http_chatcompletions_add_input_header(sr, "X-Amz-Date",
                                                     auth->date.data,
                                                     auth->date.len)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (auth->token.len
        && ngx_http_chatcompletions_add_input_header(sr,
                                                     "X-Amz-Security-Token",
                                                     auth->token.data,
                                                     auth->token.len)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_chatcompletions_add_input_header(sr, "Authorization",
                                                     auth->authorization.data,
                                                     auth->authorization.len);
}


/*
 * A subrequest's own body: ngx_http_subrequest() shares the client's.
 */

ngx_int_t
ngx_http_chatcompletions_set_body(ngx_http_request_t *sr, u_char *data,
    size_t len)
{
    ngx_buf_t                *b;
    ngx_chain_t              *cl;
    ngx_http_request_body_t  *rb;

    sr->headers_in.content_length_n = len;

    rb = ngx_pcalloc(sr->pool, sizeof(ngx_http_request_body_t));
    if (rb == NULL) {
        return NGX_ERROR;
    }

    b = ngx_calloc_buf(sr->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->start = data;
    b->pos = b->start;
    b->last = b->start + len;
    b->end = b->last;
    b->memory = 1;
    b->last_buf = 1;

    cl = ngx_alloc_chain_link(sr->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    rb->bufs = cl;
    rb->buf = b;
    rb->rest = 0;

    sr->request_body = rb;

    return NGX_OK;
}


ngx_int_t
ngx_http_chatcompletions_add_input_header(ngx_http_request_t *sr, char *key,
    u_char *value, size_t len)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&sr->headers_in.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);

    h->value.data = ngx_pnalloc(sr->pool, len + 1);
    if (h->value.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(h->value.data, value, len);
    h->value.data[len] = '\0';
    h->value.len = len;

    h->lowcase_key = ngx_pnalloc(sr->pool, h->key.len);
    if (h->lowcase_key == NULL) {
        return NGX_ERROR;
    }

    h->hash = ngx_hash_strlow(h->lowcase_key, h->key.data, h->key.len);
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    if (h->key.len == sizeof("Content-Type") - 1
        && ngx_strncasecmp(h->lowcase_key, (u_char *) "content-type",
                           h->key.len)
           == 0)
    {
        sr->headers_in.content_type = h;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_chatcompletions_post_subrequest(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_chatcompletions_ctx_t *ctx = data;

    if (ctx->sr != sr || ctx->sr_done) {
        /* finalized again after it was buffered: already handled */
        return (rc == NGX_ERROR || rc == NGX_HTTP_CLIENT_CLOSED_REQUEST)
               ? rc : NGX_OK;
    }

    ctx->sr_done = 1;

    if (ctx->stall.timer_set) {
        ngx_del_timer(&ctx->stall);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "chatcompletions round %ui done: %i", ctx->rounds, rc);

    if (rc == NGX_HTTP_CLIENT_CLOSED_REQUEST || sr->connection->error) {
        /* the client went away: terminate, which stops everything */
        ctx->held = NULL;
        ctx->finished = 1;
        return rc == NGX_HTTP_CLIENT_CLOSED_REQUEST ? rc : NGX_ERROR;
    }

    /*
     * What a slow client made the module hold back was all received:
     * translate it now (finish() sends it before the end of the stream).
     */
    ngx_http_chatcompletions_drain_held(ctx);

    if (ctx->fault == NGX_HTTP_CHATCOMPLETIONS_FAULT_NONE) {

        if (!ctx->capture) {
            ctx->bedrock_status = (rc == NGX_HTTP_GATEWAY_TIME_OUT)
                                  ? NGX_HTTP_GATEWAY_TIME_OUT
                                  : NGX_HTTP_BAD_GATEWAY;

            ngx_http_chatcompletions_set_fault(ctx,
                                 NGX_HTTP_CHATCOMPLETIONS_FAULT_UNREACHABLE,
                                 "server_error",
                                 rc == NGX_HTTP_GATEWAY_TIME_OUT
                                 ? "timeout" : "upstream_unreachable",
                                 (u_char *) (rc == NGX_HTTP_GATEWAY_TIME_OUT
                                 ? "Amazon Bedrock did not answer in time."
                                 : "The gateway could not reach Amazon "
                                   "Bedrock."), 0);

        } else if (!ctx->streaming
                   && (rc == NGX_ERROR || rc >= NGX_HTTP_SPECIAL_RESPONSE
                       || (sr->upstream && sr->upstream->length > 0)))
        {
            ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                          "upstream Bedrock Converse response ended early "
                          "(model \"%V\")", &ctx->model_id);

            ngx_http_chatcompletions_set_fault(ctx,
                                 NGX_HTTP_CHATCOMPLETIONS_FAULT_TRUNCATED,
                                 "server_error", "upstream_truncated",
                                 (u_char *) "The Amazon Bedrock answer "
                                 "ended unexpectedly.", 0);

        } else if (ctx->streaming && !ctx->round_done) {
            ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                          "upstream Bedrock stream ended before its "
                          "metadata event%s (model \"%V\")",
                          cc_es_pending(&ctx->decoder)
                          ? ", in the middle of a frame" : "",
                          &ctx->model_id);

            ngx_http_chatcompletions_set_fault(ctx,
                                 NGX_HTTP_CHATCOMPLETIONS_FAULT_TRUNCATED,
                                 "server_error", "upstream_truncated",
                                 (u_char *) "The Amazon Bedrock stream "
                                 "ended unexpectedly.", 0);

        }
    }

    ctx->request->write_event_handler = ngx_http_chatcompletions_resume;

    /* nothing of the subrequest's own goes to the client */
    return NGX_OK;
}


static void
ngx_http_chatcompletions_resume(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_http_chatcompletions_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_chatcompletions_module);

    r->write_event_handler = ngx_http_request_empty_handler;

    if (r->connection->error) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    rc = ngx_http_chatcompletions_finish(ctx);

    if (rc == NGX_DONE) {
        /* another round runs */
        return;
    }

    ngx_http_finalize_request(r, rc);
}


/*
 * A Bedrock round ended (or the tools of a round did not start): either
 * the server-side tools it asked for run and another round follows, or the
 * answer ends here.
 */

ngx_int_t
ngx_http_chatcompletions_finish(ngx_http_chatcompletions_ctx_t *ctx)
{
    cc_str_t         out;
    ngx_int_t        rc;
    cc_round_t       round;
    cc_http_error_t  herr;

    if (ctx->fault != NGX_HTTP_CHATCOMPLETIONS_FAULT_NONE) {
        return ngx_http_chatcompletions_fail(ctx);
    }

    if (!ctx->streaming) {
        ngx_memzero(&herr, sizeof(cc_http_error_t));

        if (cc_converse_round(&ctx->alloc, &ctx->stream, ctx->converse,
                              ctx->converse_len, &herr)
            != CC_OK)
        {
            if (herr.status == 0) {
                return ngx_http_chatcompletions_internal_error(ctx);
            }

            ngx_log_error(NGX_LOG_ERR, ctx->request->connection->log, 0,
                          "upstream Bedrock sent an unusable Converse "
                          "response: %*s (model \"%V\")", herr.message.len,
                          herr.message.data, &ctx->model_id);

            if (herr.code) {
                ctx->fault_code.data = (u_char *) herr.code;
                ctx->fault_code.len = ngx_strlen(herr.code);
            }

            ngx_http_chatcompletions_account(ctx);
            ctx->finished = 1;

            return ngx_http_chatcompletions_send_error(ctx->request,
                                                   herr.status, herr.type,
                                                   herr.code, NULL,
                                                   (ngx_str_t *)
                                                   &herr.message);
        }
    }

    if (cc_stream_round_tool_uses(&ctx->stream, &round) != CC_OK) {
        return ngx_http_chatcompletions_internal_error(ctx);
    }

    if (round.nserver) {
        rc = ngx_http_chatcompletions_run_tools(ctx, &round);

        if (rc == NGX_DONE) {
            /* the tools run; the next round starts when they are done */
            return NGX_DONE;
        }

        if (rc != NGX_DECLINED) {
            return rc;
        }

        if (ctx->fault != NGX_HTTP_CHATCOMPLETIONS_FAULT_NONE) {
            return ngx_http_chatcompletions_fail(ctx);
        }
    }

    if (ctx->keepalive.timer_set) {
        ngx_del_timer(&ctx->keepalive);
    }

    ngx_http_chatcompletions_account(ctx);
    ctx->finished = 1;

    if (ctx->streaming) {
        if (ngx_http_chatcompletions_send_sse_header(ctx) != NGX_OK
            || ngx_http_chatcompletions_send_pending(ctx) == NGX_ERROR)
        {
            return NGX_ERROR;
        }

        if (cc_stream_finish(&ctx->alloc, &ctx->stream, &out) != CC_OK) {
            return NGX_ERROR;
        }

        return ngx_http_chatcompletions_emit(ctx, ctx->request, out.data,
                                             out.len, 1);
    }

    if (cc_completion_build(&ctx->alloc, &ctx->stream, &out) != CC_OK) {
        return ngx_http_chatcompletions_internal_error(ctx);
    }

    return ngx_http_chatcompletions_send_json(ctx->request, NGX_HTTP_OK,
                                              (ngx_str_t *) &out);
}


static ngx_int_t
ngx_http_chatcompletions_fail(ngx_http_chatcompletions_ctx_t *ctx)
{
    cc_str_t             out, msg;
    ngx_int_t            rc;
    cc_http_error_t      herr;
    ngx_http_request_t  *r;

    r = ctx->request;
    ctx->finished = 1;

    if (ctx->keepalive.timer_set) {
        ngx_del_timer(&ctx->keepalive);
    }

    ngx_http_chatcompletions_account(ctx);

    ngx_memzero(&herr, sizeof(cc_http_error_t));

    if (ctx->fault == NGX_HTTP_CHATCOMPLETIONS_FAULT_HTTP) {
        if (cc_bedrock_error(&ctx->alloc, ctx->bedrock_status,
                             (cc_str_t *) &ctx->bedrock_error_type,
                             ctx->error_body, ctx->error_body_len, &herr)
            != CC_OK)
        {
            return NGX_ERROR;
        }

        /*
         * Only the first line of Bedrock's message: an InvalidSignature
         * answer goes on with the canonical request, session token and all
         */
        if (herr.code) {
            ctx->fault_code.data = (u_char *) herr.code;
            ctx->fault_code.len = ngx_strlen(herr.code);
        }

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "upstream Bedrock answered %ui %*s for model \"%V\": "
                      "\"%*s\"", ctx->bedrock_status, herr.name.len,
                      herr.name.data, &ctx->model_id, herr.message.len,
                      herr.message.data);

    } else {
        /* after a good round bedrock_status is 200: not the client's */
        herr.status = ctx->bedrock_status >= NGX_HTTP_SPECIAL_RESPONSE
                      ? ctx->bedrock_status : NGX_HTTP_BAD_GATEWAY;
        herr.type = (char *) ctx->fault_type.data;
        herr.code = (char *) ctx->fault_code.data;
        herr.message.data = ctx->fault_message.data;
        herr.message.len = ctx->fault_message.len;
    }

    if (!ctx->headers_sent) {
        return ngx_http_chatcompletions_send_error(r, herr.status, herr.type,
                                                   herr.code, NULL,
                                                   (ngx_str_t *)
                                                   &herr.message);
    }

    /* the stream is open: report in-band, then end it */

    if (ngx_http_chatcompletions_send_pending(ctx) == NGX_ERROR) {
        return NGX_ERROR;
    }

    msg = herr.message;

    if (cc_stream_error(&ctx->alloc, &ctx->stream, herr.type, herr.code,
                        &msg, &out)
        != CC_OK)
    {
        return NGX_ERROR;
    }

    rc = ngx_http_chatcompletions_emit(ctx, r, out.data, out.len, 1);

    return rc;
}


void
ngx_http_chatcompletions_set_fault(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_fault_e fault, char *type, char *code,
    u_char *msg, size_t len)
{
    if (ctx->fault != NGX_HTTP_CHATCOMPLETIONS_FAULT_NONE) {
        return;
    }

    ctx->fault = fault;

    ctx->fault_type.data = (u_char *) type;
    ctx->fault_type.len = ngx_strlen(type);
    ctx->fault_code.data = (u_char *) code;
    ctx->fault_code.len = code ? ngx_strlen(code) : 0;
    ctx->fault_message.data = msg;
    ctx->fault_message.len = len ? len : ngx_strlen(msg);
}


static ngx_int_t
ngx_http_chatcompletions_header_filter(ngx_http_request_t *r)
{
    ngx_table_elt_t                       *h;
    ngx_http_chatcompletions_ctx_t        *ctx;
    ngx_http_chatcompletions_tool_call_t  *call;
    ngx_http_chatcompletions_loc_conf_t   *cclcf;

    if (r == r->main) {
        if (r->headers_out.status == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE
            && r->err_status == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE)
        {
            return ngx_http_chatcompletions_too_large(r);
        }

        return ngx_http_next_header_filter(r);
    }

    call = ngx_http_chatcompletions_tool_call(r);
    if (call) {
        return ngx_http_chatcompletions_tool_header(call, r);
    }

    ctx = ngx_http_chatcompletions_get_ctx(r);

    if (ctx == NULL || r != ctx->sr) {
        return ngx_http_next_header_filter(r);
    }

    /* the Bedrock answer is ours to translate: nothing of it goes out */

    ctx->capture = 1;
    r->header_sent = 1;
    r->filter_need_in_memory = 1;

    ctx->bedrock_status = r->headers_out.status;

    if (r->headers_out.status == NGX_HTTP_OK) {
        if (ctx->streaming) {
            if (ngx_http_chatcompletions_send_sse_header(ctx) != NGX_OK) {
                return NGX_ERROR;
            }

            cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                             ngx_http_chatcompletions_module);

            if (cclcf->read_timeout) {
                ngx_add_timer(&ctx->stall, cclcf->read_timeout);
            }
        }

        return NGX_OK;
    }

    ngx_str_set(&ctx->bedrock_error_type, "");

    h = ngx_http_chatcompletions_find_header(&r->headers_out.headers,
                                             (u_char *) "x-amzn-ErrorType",
                                             sizeof("x-amzn-ErrorType") - 1);
    if (h) {
        ctx->bedrock_error_type = h->value;
    }

    ngx_http_chatcompletions_set_fault(ctx,
                                       NGX_HTTP_CHATCOMPLETIONS_FAULT_HTTP,
                                       "server_error", NULL,
                                       (u_char *) "", 0);

    return NGX_OK;
}


static ngx_int_t
ngx_http_chatcompletions_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                                 n;
    ngx_buf_t                             *b;
    ngx_chain_t                           *cl;
    ngx_http_chatcompletions_ctx_t        *ctx;
    ngx_http_chatcompletions_tool_call_t  *call;

    if (r == r->main) {
        ctx = ngx_http_get_module_ctx(r, ngx_http_chatcompletions_module);

        if (ctx && ctx->replace_body) {
            return ngx_http_chatcompletions_replace_body(r, ctx, in);
        }

        return ngx_http_next_body_filter(r, in);
    }

    call = ngx_http_chatcompletions_tool_call(r);
    if (call) {
        return ngx_http_chatcompletions_tool_body(call, in);
    }

    ctx = ngx_http_chatcompletions_get_ctx(r);

    if (ctx == NULL || r != ctx->sr || ctx->emitting) {
        return ngx_http_next_body_filter(r, in);
    }

    if (ctx->streaming
        && ctx->fault != NGX_HTTP_CHATCOMPLETIONS_FAULT_HTTP)
    {
        return ngx_http_chatcompletions_stream_body(r, ctx, in);
    }

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (!ngx_buf_in_memory(b)) {
            if (ngx_buf_size(b)) {
                ngx_http_chatcompletions_file_buffer(r, ctx);
            }

            continue;
        }

        if (ctx->fault == NGX_HTTP_CHATCOMPLETIONS_FAULT_HTTP) {
            if (ctx->error_body == NULL) {
                ctx->error_body = ngx_pnalloc(ctx->request->pool,
                                    NGX_HTTP_CHATCOMPLETIONS_ERROR_BODY_MAX);
                if (ctx->error_body == NULL) {
                    return NGX_ERROR;
                }
            }

            n = ngx_min((size_t) (b->last - b->pos),
                        NGX_HTTP_CHATCOMPLETIONS_ERROR_BODY_MAX
                        - ctx->error_body_len);

            ngx_memcpy(ctx->error_body + ctx->error_body_len, b->pos, n);
            ctx->error_body_len += n;

        } else if (ctx->fault == NGX_HTTP_CHATCOMPLETIONS_FAULT_NONE
                   && b->last > b->pos)
        {
            if (ngx_http_chatcompletions_collect(ctx, b) != NGX_OK) {
                return NGX_ERROR;
            }
        }

        b->pos = b->last;
    }

    return NGX_OK;
}


static void
ngx_http_chatcompletions_file_buffer(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx)
{
    ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                  "chat_completions: the Bedrock location must "
                  "not buffer to files (proxy_buffering off)");

    ngx_http_chatcompletions_set_fault(ctx,
                                 NGX_HTTP_CHATCOMPLETIONS_FAULT_INVALID,
                                 "server_error", "upstream_invalid",
                                 (u_char *) "The gateway is misconfigured.",
                                 0);

    ngx_http_chatcompletions_stop_upstream(r);
}


/*
 * The stream: Bedrock's bytes are held (the links point into the
 * upstream's own buffers) and translated only as fast as the client takes
 * the SSE events.  While more than NGX_HTTP_CHATCOMPLETIONS_BUSY_MAX bytes
 * wait for a slow client, the rest stays in the upstream buffer, which
 * stops reading from Bedrock when full: TCP pushes back, memory stays
 * bounded.  The upstream module calls the filter again as the client
 * drains.
 */

static ngx_int_t
ngx_http_chatcompletions_stream_body(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx, ngx_chain_t *in)
{
    size_t                                n;
    ngx_int_t                             rc;
    ngx_uint_t                            emitted;
    ngx_buf_t                            *b;
    ngx_pool_t                           *scratch;
    ngx_chain_t                          *cl;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    if (in && ngx_chain_add_copy(r->pool, &ctx->held, in) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = NGX_OK;
    scratch = NULL;
    emitted = 0;

    while (ctx->held) {
        b = ctx->held->buf;

        if (!ngx_buf_in_memory(b) || b->pos == b->last
            || ctx->fault != NGX_HTTP_CHATCOMPLETIONS_FAULT_NONE)
        {
            if (!ngx_buf_in_memory(b) && ngx_buf_size(b)) {
                ngx_http_chatcompletions_file_buffer(r, ctx);
            }

            if (ngx_buf_in_memory(b)) {
                b->pos = b->last;
            }

            cl = ctx->held;
            ctx->held = cl->next;
            ngx_free_chain(r->pool, cl);
            continue;
        }

        if (ngx_http_chatcompletions_congested(ctx)) {

            /*
             * The write event that brought us here must reach the write
             * filter, or what waits is never sent and no event comes
             * again.
             */
            if (ngx_http_chatcompletions_flush(r, ctx) == NGX_ERROR) {
                rc = NGX_ERROR;
                break;
            }

            emitted = 1;

            if (ngx_http_chatcompletions_congested(ctx)) {
                break;
            }
        }

        /*
         * Each event's parsed payload is needed only while the event is
         * translated: it goes to a pool that lives for this call, so a
         * long answer does not grow the request's pool.
         */

        if (scratch == NULL) {
            scratch = ngx_create_pool(4096, r->connection->log);
            if (scratch == NULL) {
                return NGX_ERROR;
            }

            ctx->scratch.alloc = ngx_http_chatcompletions_pool_alloc;
            ctx->scratch.data = scratch;
            ctx->stream.scratch = &ctx->scratch;
        }

        rc = ngx_http_chatcompletions_decode(ctx, b);

        if (rc == NGX_ERROR) {
            break;
        }

        if (ctx->pend_len) {
            n = ctx->pend_len;
            ctx->pend_len = 0;

            if (ngx_http_chatcompletions_emit(ctx, r, ctx->pend, n, 0)
                == NGX_ERROR)
            {
                rc = NGX_ERROR;
                break;
            }

            emitted = 1;
        }
    }

    if (!emitted && rc != NGX_ERROR
        && ngx_http_chatcompletions_flush(r, ctx) == NGX_ERROR)
    {
        rc = NGX_ERROR;
    }

    if (scratch) {
        ctx->stream.scratch = NULL;
        ngx_destroy_pool(scratch);
    }

    if (ctx->stall.timer_set) {
        cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                             ngx_http_chatcompletions_module);
        ngx_http_chatcompletions_rearm(&ctx->stall, cclcf->read_timeout);
    }

    return rc;
}


static void
ngx_http_chatcompletions_drain_held(ngx_http_chatcompletions_ctx_t *ctx)
{
    ngx_buf_t   *b;
    ngx_pool_t  *scratch;

    if (ctx->held == NULL) {
        return;
    }

    scratch = ngx_create_pool(4096, ctx->request->connection->log);

    if (scratch) {
        ctx->scratch.alloc = ngx_http_chatcompletions_pool_alloc;
        ctx->scratch.data = scratch;
        ctx->stream.scratch = &ctx->scratch;
    }

    for ( /* void */ ; ctx->held; ctx->held = ctx->held->next) {
        b = ctx->held->buf;

        while (scratch && ngx_buf_in_memory(b) && b->pos < b->last
               && ctx->fault == NGX_HTTP_CHATCOMPLETIONS_FAULT_NONE)
        {
            if (ngx_http_chatcompletions_decode(ctx, b) == NGX_ERROR) {
                break;
            }

            /* decode() stops at PEND_MAX; here all of it is wanted */
            if (ctx->pend_len >= NGX_HTTP_CHATCOMPLETIONS_PEND_MAX) {
                ctx->pend_max += NGX_HTTP_CHATCOMPLETIONS_PEND_MAX;
            }
        }

        if (ngx_buf_in_memory(b)) {
            b->pos = b->last;
        }
    }

    ctx->pend_max = 0;

    if (scratch) {
        ctx->stream.scratch = NULL;
        ngx_destroy_pool(scratch);
    }
}


/* from the main request: SSE translated after the subrequest ended */

static ngx_int_t
ngx_http_chatcompletions_send_pending(ngx_http_chatcompletions_ctx_t *ctx)
{
    size_t  n;

    if (ctx->pend_len == 0) {
        return NGX_OK;
    }

    n = ctx->pend_len;
    ctx->pend_len = 0;

    return ngx_http_chatcompletions_emit(ctx, ctx->request, ctx->pend, n, 0);
}


/* passes an empty chain down, so that the write filter sends what waits */

static ngx_int_t
ngx_http_chatcompletions_flush(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx)
{
    ngx_int_t     rc;
    ngx_chain_t  *none;

    none = NULL;

    ctx->emitting = 1;
    rc = ngx_http_next_body_filter(r, NULL);
    ctx->emitting = 0;

    ngx_chain_update_chains(ctx->request->pool, &ctx->free, &ctx->busy,
                            &none,
                            (ngx_buf_tag_t) &ngx_http_chatcompletions_module);

    return rc;
}


static ngx_int_t
ngx_http_chatcompletions_congested(ngx_http_chatcompletions_ctx_t *ctx)
{
    off_t         size;
    ngx_chain_t  *cl;

    size = 0;

    for (cl = ctx->busy; cl; cl = cl->next) {
        size += ngx_buf_size(cl->buf);
    }

    return size > NGX_HTTP_CHATCOMPLETIONS_BUSY_MAX;
}


static ngx_int_t
ngx_http_chatcompletions_decode(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_buf_t *b)
{
    int                  rc;
    cc_str_t             chunk, *type, payload;
    const char          *err;
    const u_char        *pos;
    cc_es_message_t      msg;
    cc_stream_fault_t    fault;
    ngx_http_request_t  *r;

    r = ctx->sr;
    pos = b->pos;

    for ( ;; ) {
        b->pos = (u_char *) pos;

        if (ctx->pend_len >= NGX_HTTP_CHATCOMPLETIONS_PEND_MAX
                             + ctx->pend_max
            || ctx->fault != NGX_HTTP_CHATCOMPLETIONS_FAULT_NONE)
        {
            /* emit what is there first; the rest waits in b */
            return NGX_OK;
        }

        rc = cc_es_decode(&ctx->decoder, &pos, b->last, &msg, &err);

        if (rc == CC_AGAIN) {
            b->pos = b->last;
            return NGX_OK;
        }

        if (rc == CC_ERROR) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "upstream Bedrock sent a corrupt eventstream "
                          "frame: %s (model \"%V\")", err, &ctx->model_id);

            ngx_http_chatcompletions_set_fault(ctx,
                                 NGX_HTTP_CHATCOMPLETIONS_FAULT_FRAMING,
                                 "server_error", "upstream_corrupt",
                                 (u_char *) "The Amazon Bedrock stream was "
                                 "corrupted.", 0);

            ngx_http_chatcompletions_stop_upstream(r);

            b->pos = b->last;

            return NGX_OK;
        }

        if (msg.message_type.len == 9
            && ngx_strncmp(msg.message_type.data, "exception", 9) == 0)
        {
            type = &msg.exception_type;
            payload.data = (u_char *) msg.payload;
            payload.len = msg.payload_len;

        } else if (msg.message_type.len == 5
                   && ngx_strncmp(msg.message_type.data, "error", 5) == 0)
        {
            type = &msg.error_code;
            payload = msg.error_message;

        } else {
            type = &msg.event_type;
            payload.data = (u_char *) msg.payload;
            payload.len = msg.payload_len;

            if (!ctx->first_token
                && type->len == sizeof("contentBlockDelta") - 1
                && ngx_strncmp(type->data, "contentBlockDelta",
                               type->len) == 0)
            {
                ctx->first_token = 1;
                ctx->ttft = ngx_current_msec - ctx->start;
            }
        }

        ngx_memzero(&fault, sizeof(cc_stream_fault_t));
        chunk.len = 0;

        rc = cc_stream_event(&ctx->alloc, &ctx->stream, &msg.message_type,
                             type, payload.data, payload.len, &chunk, &fault);

        if (chunk.len
            && ngx_http_chatcompletions_pend(ctx, chunk.data, chunk.len)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (rc == CC_DONE) {
            ctx->round_done = 1;
            continue;
        }

        if (rc == CC_ERROR) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "upstream Bedrock stream failed: %V %*s "
                          "(model \"%V\")", type, fault.message.len,
                          fault.message.data, &ctx->model_id);

            ngx_http_chatcompletions_set_fault(ctx,
                                 NGX_HTTP_CHATCOMPLETIONS_FAULT_EXCEPTION,
                                 (char *) fault.type, (char *) fault.code,
                                 fault.message.data, fault.message.len);
            return NGX_OK;
        }
    }
}


/*
 * Ends the Bedrock response early (a corrupt byte stream cannot be
 * trusted further).  Returning NGX_ERROR from the body filter would mark
 * the client's connection as failed too; instead the upstream is told its
 * response is complete, and since the proxy module did not see the real
 * end, the connection to Bedrock is closed, not kept alive.
 */

static void
ngx_http_chatcompletions_stop_upstream(ngx_http_request_t *sr)
{
    if (sr->upstream) {
        sr->upstream->length = 0;
        sr->upstream->keepalive = 0;
    }
}


/*
 * The SSE events decoded from one read are gathered in one buffer that
 * lives as long as the request and is reused by every read: emit() copies
 * them into the output chain.
 */

static ngx_int_t
ngx_http_chatcompletions_pend(ngx_http_chatcompletions_ctx_t *ctx,
    u_char *data, size_t len)
{
    return ngx_http_chatcompletions_append(ctx->request->pool, &ctx->pend,
                                           &ctx->pend_len, &ctx->pend_cap,
                                           data, len, 2048);
}


/* appends to a buffer of the pool that doubles as it grows */

static ngx_int_t
ngx_http_chatcompletions_append(ngx_pool_t *pool, u_char **buf,
    size_t *len, size_t *cap, u_char *data, size_t n, size_t min)
{
    u_char  *p;
    size_t   size;

    if (*len + n > *cap) {
        size = ngx_max(2 * *cap, *len + n);
        size = ngx_max(size, min);

        p = ngx_pnalloc(pool, size);
        if (p == NULL) {
            return NGX_ERROR;
        }

        if (*len) {
            ngx_memcpy(p, *buf, *len);
        }

        *buf = p;
        *cap = size;
    }

    ngx_memcpy(*buf + *len, data, n);
    *len += n;

    return NGX_OK;
}


static ngx_int_t
ngx_http_chatcompletions_collect(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_buf_t *b)
{
    size_t  len;

    len = b->last - b->pos;

    if (ctx->converse_len + len > NGX_HTTP_CHATCOMPLETIONS_CONVERSE_MAX) {
        ngx_log_error(NGX_LOG_ERR, ctx->sr->connection->log, 0,
                      "upstream Bedrock sent a Converse response "
                      "larger than %uz bytes",
                      (size_t) NGX_HTTP_CHATCOMPLETIONS_CONVERSE_MAX);

        ngx_http_chatcompletions_set_fault(ctx,
                                 NGX_HTTP_CHATCOMPLETIONS_FAULT_INVALID,
                                 "server_error", "upstream_invalid",
                                 (u_char *) "Amazon Bedrock sent a "
                                 "response that is too large.", 0);
        return NGX_OK;
    }

    return ngx_http_chatcompletions_append(ctx->request->pool,
                                           &ctx->converse, &ctx->converse_len,
                                           &ctx->converse_cap, b->pos, len,
                                           4096);
}


static void
ngx_http_chatcompletions_account(ngx_http_chatcompletions_ctx_t *ctx)
{
    cc_round_t  round;

    ctx->prompt_tokens = ctx->stream.usage.input;
    ctx->completion_tokens = ctx->stream.usage.output;
    ctx->total_tokens = ctx->stream.usage.total;

    if (cc_stream_round_tool_uses(&ctx->stream, &round) == CC_OK) {
        ctx->stop_reason.data = round.stop_reason.data;
        ctx->stop_reason.len = round.stop_reason.len;
    }
}


/*
 * nginx refuses a body over client_max_body_size before any content
 * handler runs, with an HTML page: in a chat_completions location the
 * client gets an OpenAI error instead.
 */

static u_char  ngx_http_chatcompletions_too_large_body[] =
    "{\"error\":{\"message\":\"The request body is larger than "
    "client_max_body_size allows.\",\"type\":\"invalid_request_error\","
    "\"param\":null,\"code\":\"request_too_large\"}}\n";


static ngx_int_t
ngx_http_chatcompletions_too_large(ngx_http_request_t *r)
{
    ngx_table_elt_t                      *h;
    ngx_http_chatcompletions_ctx_t       *ctx;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);

    if (!cclcf->enable) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_chatcompletions_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_chatcompletions_ctx_t));
        if (ctx == NULL) {
            return NGX_ERROR;
        }

        ctx->request = r;
        ngx_http_set_ctx(r, ctx, ngx_http_chatcompletions_module);
    }

    ctx->replace_body = 1;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");

    r->headers_out.content_length_n =
                          sizeof(ngx_http_chatcompletions_too_large_body) - 1;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_chatcompletions_replace_body(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx, ngx_chain_t *in)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl, out;

    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    if (ctx->replaced) {
        return NGX_OK;
    }

    ctx->replaced = 1;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = ngx_http_chatcompletions_too_large_body;
    b->last = b->pos + sizeof(ngx_http_chatcompletions_too_large_body) - 1;
    b->memory = 1;
    b->last_buf = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_next_body_filter(r, &out);
}


static void
ngx_http_chatcompletions_keepalive_handler(ngx_event_t *ev)
{
    ngx_connection_t                *c;
    ngx_http_request_t              *r, *active;
    ngx_http_chatcompletions_ctx_t  *ctx;

    ctx = ev->data;
    r = ctx->request;
    c = r->connection;

    if (ctx->finished || c->error) {
        return;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "chatcompletions keepalive");

    if (ngx_http_chatcompletions_send_sse_header(ctx) != NGX_OK) {
        return;
    }

    active = (ctx->sr && !ctx->sr_done) ? ctx->sr : r;

    (void) ngx_http_chatcompletions_emit(ctx, active,
                       ngx_http_chatcompletions_keepalive_comment,
                       sizeof(ngx_http_chatcompletions_keepalive_comment) - 1,
                       0);

    /* emit() armed the timer again */

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_chatcompletions_stall_handler(ngx_event_t *ev)
{
    ngx_connection_t                     *pc;
    ngx_http_upstream_t                  *u;
    ngx_http_chatcompletions_ctx_t       *ctx;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    ctx = ev->data;

    if (ctx->sr == NULL || ctx->sr_done) {
        return;
    }

    u = ctx->sr->upstream;
    pc = u ? u->peer.connection : NULL;

    if (pc == NULL) {
        return;
    }

    cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                         ngx_http_chatcompletions_module);

    if (ctx->held) {
        /* the client is slow, not Bedrock: the module stopped reading */
        ngx_add_timer(ev, cclcf->read_timeout);
        return;
    }

    ngx_log_error(NGX_LOG_ERR, ctx->request->connection->log, 0,
                  "upstream Bedrock sent nothing for %M ms "
                  "(chat_completions_read_timeout), ending the stream "
                  "(model \"%V\")", cclcf->read_timeout, &ctx->model_id);

    ngx_http_chatcompletions_set_fault(ctx,
                                 NGX_HTTP_CHATCOMPLETIONS_FAULT_TIMEOUT,
                                 "server_error", "timeout",
                                 (u_char *) "Amazon Bedrock stopped "
                                 "sending the answer.", 0);

    /*
     * Let the upstream module see a read timeout, as if proxy_read_timeout
     * had fired: it closes the connection and finalizes the subrequest.
     */

    if (pc->read->timer_set) {
        ngx_del_timer(pc->read);
    }

    pc->read->timedout = 1;
    ngx_post_event(pc->read, &ngx_posted_events);
}


static void
ngx_http_chatcompletions_cleanup(void *data)
{
    ngx_http_chatcompletions_ctx_t *ctx = data;

    ngx_uint_t  i;

    /* a client that went away while tools ran leaves their timers */

    for (i = 0; i < ctx->ncalls; i++) {
        if (ctx->calls[i].timer.timer_set) {
            ngx_del_timer(&ctx->calls[i].timer);
        }
    }

    if (ctx->keepalive.timer_set) {
        ngx_del_timer(&ctx->keepalive);
    }

    if (ctx->stall.timer_set) {
        ngx_del_timer(&ctx->stall);
    }
}


ngx_int_t
ngx_http_chatcompletions_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_chatcompletions_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_chatcompletions_body_filter;

    return NGX_OK;
}
