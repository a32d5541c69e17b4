
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


static ngx_int_t ngx_http_chatcompletions_sign(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_http_chatcompletions_attempt_t *a,
    ngx_http_chatcompletions_creds_t *creds,
    ngx_http_chatcompletions_auth_t *auth);
static ngx_int_t ngx_http_chatcompletions_request_headers(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_http_request_t *sr,
    ngx_http_chatcompletions_auth_t *auth);
static void ngx_http_chatcompletions_attempt_features(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_str_t *model);
static ngx_http_chatcompletions_attempt_t *ngx_http_chatcompletions_slot(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_uint_t i);


/*
 * The attempt's model id for the translation, and whether its answer
 * comes in response_format's forced tool (the stream shows that tool's
 * input as content).  All targets of a location should agree on native
 * structured output: a racing attempt sets it for the response too.
 */

static void
ngx_http_chatcompletions_attempt_features(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_str_t *model)
{
    ctx->conv->opts.model_id.data = model->data;
    ctx->conv->opts.model_id.len = model->len;

    if (cc_bedrock_forced_tool(&ctx->conv->chat, &ctx->conv->opts)) {
        cc_structured_tool_name(&ctx->conv->chat.response_format,
                                &ctx->stream.structured_tool);

    } else {
        ctx->stream.structured_tool.len = 0;
    }
}


/*
 * The round's Converse body for the attempt's model, built in "a".  Built
 * elsewhere than in the request's pool (the worker's scratch arena, when
 * the body is built once for all attempts: prepare() in request.c), it is
 * copied into the pool, and so is the forced tool's name, which points
 * into the client's JSON.
 */

ngx_int_t
ngx_http_chatcompletions_build_body(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_str_t *model, cc_alloc_t *a)
{
    u_char    *p;
    cc_str_t   body, *name;

    /* the model's family and the operation decide some fields */
    ctx->conv->opts.extras.model.data = model->data;
    ctx->conv->opts.extras.model.len = model->len;
    ctx->conv->opts.extras.stream = ctx->streaming;
    /* the model decides native structured output and reasoning */
    ngx_http_chatcompletions_attempt_features(ctx, model);

    if (cc_bedrock_body(a, &ctx->conv->chat, &ctx->conv->opts, &body)
        != CC_OK)
    {
        return NGX_ERROR;
    }

    if (a != &ctx->alloc) {
        name = &ctx->stream.structured_tool;

        p = ngx_pnalloc(ctx->request->pool, body.len + name->len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(p, body.data, body.len);
        body.data = p;

        ngx_memcpy(p + body.len, name->data, name->len);
        name->data = p + body.len;
    }

    ctx->round.body.data = body.data;
    ctx->round.body.len = body.len;

    return NGX_OK;
}


/*
 * A round's attempt slot, made when first needed: the second is only
 * ever used by an attempt racing the first (first_token_deadline).
 */

static ngx_http_chatcompletions_attempt_t *
ngx_http_chatcompletions_slot(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_uint_t i)
{
    if (ctx->round.slots[i] == NULL) {
        ctx->round.slots[i] = ngx_pcalloc(ctx->request->pool,
                                   sizeof(ngx_http_chatcompletions_attempt_t));
    }

    return ctx->round.slots[i];
}


/*
 * The worker's SigV4 signing keys: derived once per UTC day for each
 * secret, region and service, not per request (cc_sigv4.h says how a
 * rotated secret or another region never finds a stale one).
 */
static cc_sigv4_key_cache_t  ngx_http_chatcompletions_key_cache;


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
    ngx_http_post_subrequest_pt done, ngx_event_handler_pt stall,
    ngx_uint_t shadow)
{
    cc_str_t                              path;
    ngx_int_t                             rc;
    ngx_str_t                            *model;
    ngx_uint_t                            target;
    ngx_http_request_t                   *r, *sr;
    cc_buf_t                              converse, error_body;
    ngx_http_post_subrequest_t           *ps;
    ngx_http_chatcompletions_auth_t       auth;
    ngx_http_chatcompletions_creds_t      creds;
    ngx_http_chatcompletions_target_t    *t;
    ngx_http_chatcompletions_attempt_t   *a;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    r = ctx->request;
    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);

    rc = ngx_http_chatcompletions_credentials(ctx, &creds);

    if (rc == NGX_AGAIN || rc == NGX_DECLINED) {
        /* a racing attempt does not wait: it is not started */
        return shadow ? NGX_DECLINED : rc;
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!ctx->round.retrying && !shadow) {
        /* a new round: its first attempt, on the first target */
        ctx->round.tries = 0;
        ctx->round.target = ngx_http_chatcompletions_first_target(ctx);
        ctx->round.on_target = 0;
        ctx->round.started = ngx_current_msec;
        ctx->round.last_start = ngx_current_msec;
    }

    target = shadow ? ngx_http_chatcompletions_hedge_target(ctx)
                    : ctx->round.target;

    t = cclcf->targets->elts;
    t = &t[target];
    model = ngx_http_chatcompletions_target_model_id(ctx, t);

    /* built once, before the first attempt, or for each one */

    if ((!ctx->body_once
         && ngx_http_chatcompletions_build_body(ctx, model, &ctx->alloc)
            != NGX_OK)
        || cc_model_path(&ctx->alloc, (cc_str_t *) model, ctx->streaming,
                         &path)
           != CC_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a slot with nothing in flight; the slots keep their buffers */

    a = ngx_http_chatcompletions_slot(ctx, 0);

    if (a && a == ctx->round.attempt && a->sr && !a->done) {
        a = ngx_http_chatcompletions_slot(ctx, 1);
    }

    if (a == NULL || (a->sr && !a->done)) {
        return shadow ? NGX_DECLINED : NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

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
    a->target = t;
    a->model = *model;
    a->uri.data = path.data;
    a->uri.len = path.len;
    a->shadow = shadow;
    a->raw.min = 4096;

    /* everything that can fail is done before the subrequest exists */

    rc = ngx_http_chatcompletions_sign(ctx, a, &creds, &auth);

    if (rc == NGX_DECLINED) {
        if (shadow) {
            return NGX_DECLINED;
        }

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

    if (shadow) {
        ctx->round.shadow = a;
        ctx->hedges++;

    } else {
        if (ctx->round.retrying) {
            ctx->round.retrying = 0;
            ctx->retry_ms += ngx_current_msec - ctx->round.last_start;
            ctx->round.last_start = ngx_current_msec;

        } else {
            ctx->round.n++;
        }

        ctx->round.attempt = a;
        ctx->round.bedrock_uri = a->uri;
        ctx->target = t;
        ctx->target_model = *model;
        ctx->bedrock_status = 0;
        ctx->round.on_target++;
    }

    a->round = ctx->round.n;
    ctx->round.tries++;
    ctx->attempts++;

    ngx_http_chatcompletions_metric(ctx, NGX_HTTP_CHATCOMPLETIONS_M_ATTEMPT,
                                    t);

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
    ngx_http_chatcompletions_attempt_t *a,
    ngx_http_chatcompletions_creds_t *creds,
    ngx_http_chatcompletions_auth_t *auth)
{
    u_char                               *p;
    size_t                                len;
    ngx_int_t                             rc;
    cc_alloc_t                           *scratch;
    const char                           *err;
    cc_sigv4_request_t                    req;

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

    req.path.data = a->uri.data;
    req.path.len = a->uri.len;
    req.payload = ctx->round.body.data;
    req.payload_len = ctx->round.body.len;
    req.access_key.data = creds->access_key.data;
    req.access_key.len = creds->access_key.len;
    req.secret_key.data = creds->secret_key.data;
    req.secret_key.len = creds->secret_key.len;
    req.session_token.data = creds->session_token.data;
    req.session_token.len = creds->session_token.len;
    req.region.data = a->target->region.data;
    req.region.len = a->target->region.len;
    req.service.data = (u_char *) "bedrock";
    req.service.len = sizeof("bedrock") - 1;
    req.key_cache = &ngx_http_chatcompletions_key_cache;

    /*
     * What signing builds on its way (the canonical request, the string
     * to sign) is needed only here: the worker's scratch arena, emptied;
     * the Authorization header is copied.
     */

    scratch = ngx_http_chatcompletions_scratch();
    if (scratch == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_chatcompletions_sign_post(ctx->request, scratch, &req,
                                            "application/json",
                                            &a->target->host, auth, &err);

    if (rc == NGX_OK) {
        p = ngx_pnalloc(ctx->request->pool, auth->authorization.len);

        if (p == NULL) {
            rc = NGX_ERROR;

        } else {
            ngx_memcpy(p, auth->authorization.data, auth->authorization.len);
            auth->authorization.data = p;
        }
    }

    ngx_http_chatcompletions_scratch_reset();

    if (rc == NGX_DECLINED) {
        /* the reason never holds key material */
        ngx_log_error(NGX_LOG_ERR, ctx->request->connection->log, 0,
                      "chat_completions: cannot sign the Bedrock request: %s",
                      err);
    }

    return rc;
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

    return ngx_http_chatcompletions_auth_headers(sr, auth);
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
