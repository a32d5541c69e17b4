
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"
#include "cc_sigv4.h"


/*
 * A Bedrock attempt: the credentials, the signed request and the
 * subrequest to the Bedrock location (chat_completions_bedrock_location)
 * that carries it.  The attempt's answer is captured by filter.c; how it
 * ended is decided by lifecycle.c.
 */


/* the signed headers of one Bedrock call */
typedef struct {
    ngx_str_t                        date;
    ngx_str_t                        token;
    ngx_str_t                        authorization;
} ngx_http_chatcompletions_auth_t;


static ngx_int_t ngx_http_chatcompletions_sign(
    ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_creds_t *creds,
    ngx_http_chatcompletions_auth_t *auth);
static ngx_int_t ngx_http_chatcompletions_request_headers(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_http_request_t *sr,
    ngx_http_chatcompletions_auth_t *auth);


/*
 * NGX_DONE: the subrequest runs, and "done" is called when it ends.
 * NGX_AGAIN: the credentials are being fetched; the request is woken.
 * NGX_DECLINED: no call can be made; ctx->fault says why.
 * NGX_HTTP_INTERNAL_SERVER_ERROR: failed before a subrequest existed;
 * NGX_ERROR: failed after.  The round is counted once its subrequest
 * exists.
 */

ngx_int_t
ngx_http_chatcompletions_attempt_start(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_post_subrequest_pt done, ngx_event_handler_pt stall)
{
    cc_str_t                              body, path;
    ngx_int_t                             rc;
    ngx_http_request_t                   *r, *sr;
    cc_buf_t                              converse, error_body;
    ngx_http_post_subrequest_t           *ps;
    ngx_http_chatcompletions_auth_t       auth;
    ngx_http_chatcompletions_creds_t      creds;
    ngx_http_chatcompletions_attempt_t   *a;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    r = ctx->request;
    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);

    rc = ngx_http_chatcompletions_credentials(ctx, &creds);

    if (rc == NGX_AGAIN || rc == NGX_DECLINED) {
        return rc;
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (cc_bedrock_body(&ctx->alloc, &ctx->chat, &ctx->opts, &body)
        != CC_OK
        || cc_model_path(&ctx->alloc, (cc_str_t *) &ctx->model_id,
                         ctx->streaming, &path)
           != CC_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->round.body.data = body.data;
    ctx->round.body.len = body.len;
    ctx->round.bedrock_uri.data = path.data;
    ctx->round.bedrock_uri.len = path.len;

    /* everything that can fail is done before the subrequest exists */

    rc = ngx_http_chatcompletions_sign(ctx, &creds, &auth);

    if (rc == NGX_DECLINED) {
        ngx_http_chatcompletions_set_fault(ctx,
                                 NGX_HTTP_CHATCOMPLETIONS_FAULT_UNREACHABLE,
                                 "server_error", "no_credentials",
                                 (u_char *) "The gateway's AWS credentials "
                                 "or region cannot sign a request.", 0);
        ctx->bedrock_status = NGX_HTTP_INTERNAL_SERVER_ERROR;

        return NGX_DECLINED;
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the slot is reused by every round: its buffers too */

    a = &ctx->round.attempts[0];

    converse = a->converse;
    error_body = a->error_body;

    ngx_memzero(a, sizeof(ngx_http_chatcompletions_attempt_t));

    a->converse.data = converse.data;
    a->converse.cap = converse.cap;
    a->converse.min = 4096;
    a->error_body.data = error_body.data;
    a->error_body.cap = error_body.cap;
    a->error_body.min = NGX_HTTP_CHATCOMPLETIONS_ERROR_BODY_MAX;

    a->ctx = ctx;

    a->stall.handler = stall;
    a->stall.data = a;
    a->stall.log = r->connection->log;
    a->stall.cancelable = 1;

    ps->handler = done;
    ps->data = a;

    rc = ngx_http_chatcompletions_subrequest(r, &cclcf->bedrock_location, ps,
                                             0, &sr);

    if (rc == NGX_DECLINED) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    a->sr = sr;
    a->round = ++ctx->round.n;

    ctx->round.attempt = a;
    ctx->bedrock_status = 0;

    /* see ngx_http_chatcompletions_run_masked() */
    sr->write_event_handler = ngx_http_chatcompletions_run_masked;

    if (ngx_http_chatcompletions_request_headers(ctx, sr, &auth) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ctx->streaming) {
        cc_es_init(&a->decoder, &ctx->alloc, 0);
    }

    return NGX_DONE;
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
    req.path.data = ctx->round.bedrock_uri.data;
    req.path.len = ctx->round.bedrock_uri.len;
    req.headers = headers;
    req.nheaders = 2;
    req.payload = ctx->round.body.data;
    req.payload_len = ctx->round.body.len;
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


/* the Bedrock call gets its own body and headers, signed */

static ngx_int_t
ngx_http_chatcompletions_request_headers(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_request_t *sr, ngx_http_chatcompletions_auth_t *auth)
{
    if (ngx_http_chatcompletions_post_json(sr, ctx->round.body.data,
                                           ctx->round.body.len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

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


/* the first fault of a request is the one reported */

void
ngx_http_chatcompletions_set_fault(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_fault_e fault, char *type, char *code,
    u_char *msg, size_t len)
{
    ngx_http_chatcompletions_fault_t  *f;

    f = &ctx->fault;

    if (f->kind != NGX_HTTP_CHATCOMPLETIONS_FAULT_NONE) {
        return;
    }

    f->kind = fault;

    f->type.data = (u_char *) type;
    f->type.len = ngx_strlen(type);
    f->code.data = (u_char *) code;
    f->code.len = code ? ngx_strlen(code) : 0;
    f->message.data = msg;
    f->message.len = len ? len : ngx_strlen(msg);
}
