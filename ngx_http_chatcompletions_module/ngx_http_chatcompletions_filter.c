
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"


/*
 * The module's header and body filters.  They capture what nothing of
 * the module's own must pass on as it is:
 *
 *   a Bedrock attempt's answer: the eventstream is decoded and translated
 *     into SSE as it arrives, at the pace of the client (back-pressure),
 *     or a Converse answer is collected whole; a Bedrock error is kept
 *     for lifecycle.c to map;
 *   a tool call's answer: kept for the model (tools.c);
 *   the main request's 413: an OpenAI error instead of nginx's page.
 *
 * Everything else passes through untouched.
 */


/* what a racing attempt may send before its first token */
#define NGX_HTTP_CHATCOMPLETIONS_RAW_MAX  (1024 * 1024)


static ngx_int_t ngx_http_chatcompletions_shadow_header(
    ngx_http_chatcompletions_attempt_t *a, ngx_http_request_t *r);
static ngx_int_t ngx_http_chatcompletions_shadow_body(
    ngx_http_chatcompletions_attempt_t *a, ngx_chain_t *in);
static ngx_int_t ngx_http_chatcompletions_header_filter(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_chatcompletions_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static void ngx_http_chatcompletions_file_buffer(
    ngx_http_chatcompletions_attempt_t *a);
static ngx_int_t ngx_http_chatcompletions_stream_body(
    ngx_http_chatcompletions_attempt_t *a, ngx_chain_t *in);
static ngx_int_t ngx_http_chatcompletions_congested(
    ngx_http_chatcompletions_ctx_t *ctx);
static ngx_int_t ngx_http_chatcompletions_flush(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx);
static ngx_int_t ngx_http_chatcompletions_decode(
    ngx_http_chatcompletions_attempt_t *a, ngx_buf_t *b);
static ngx_int_t ngx_http_chatcompletions_collect(
    ngx_http_chatcompletions_attempt_t *a, ngx_buf_t *b);
static void ngx_http_chatcompletions_outcome(
    ngx_http_chatcompletions_attempt_t *a);
static ngx_int_t ngx_http_chatcompletions_too_large(ngx_http_request_t *r);
static ngx_int_t ngx_http_chatcompletions_replace_body(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx, ngx_chain_t *in);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


/* the attempt a subrequest carries, if it is one */

ngx_http_chatcompletions_attempt_t *
ngx_http_chatcompletions_attempt_of(ngx_http_request_t *r)
{
    ngx_http_chatcompletions_attempt_t  *a;

    /*
     * Recognized by its post_subrequest handler, which, unlike module
     * contexts, survives internal redirects, and which works wherever the
     * chat_completions location is (a subrequest itself, such as a tool).
     */

    if (r == r->main || r->post_subrequest == NULL
        || r->post_subrequest->handler
           != ngx_http_chatcompletions_attempt_done)
    {
        return NULL;
    }

    a = r->post_subrequest->data;

    /* an earlier round's, finalized again: no longer captured */
    return (a->sr == r) ? a : NULL;
}


static ngx_int_t
ngx_http_chatcompletions_header_filter(ngx_http_request_t *r)
{
    ngx_table_elt_t                       *h;
    ngx_http_chatcompletions_ctx_t        *ctx;
    ngx_http_chatcompletions_attempt_t    *a;
    ngx_http_chatcompletions_tool_call_t  *call;
    ngx_http_chatcompletions_refresh_t    *rf;
    ngx_http_chatcompletions_loc_conf_t   *cclcf;

    if (r == r->main) {
        if (r->headers_out.status == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE
            && r->err_status == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE)
        {
            return ngx_http_chatcompletions_too_large(r);
        }

        return ngx_http_next_header_filter(r);
    }

    /* a Bedrock attempt first: a plain stream never looks for tools */

    a = ngx_http_chatcompletions_attempt_of(r);

    if (a == NULL) {
        call = ngx_http_chatcompletions_tool_call(r);
        if (call) {
            return ngx_http_chatcompletions_tool_header(call, r);
        }

        rf = ngx_http_chatcompletions_fetch_of(r);
        if (rf) {
            return ngx_http_chatcompletions_fetch_header(rf, r);
        }

        return ngx_http_next_header_filter(r);
    }

    ctx = a->ctx;

    /* the Bedrock answer is ours to translate: nothing of it goes out */

    a->capture = 1;
    r->header_sent = 1;
    r->filter_need_in_memory = 1;

    if (a->shadow || a->superseded) {
        return ngx_http_chatcompletions_shadow_header(a, r);
    }

    ctx->bedrock_status = r->headers_out.status;

    if (r->headers_out.status == NGX_HTTP_OK) {
        if (ctx->streaming) {
            if (ngx_http_chatcompletions_send_sse_header(ctx) != NGX_OK) {
                return NGX_ERROR;
            }

            cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                             ngx_http_chatcompletions_module);

            if (cclcf->read_timeout) {
                ngx_http_chatcompletions_touch(&a->stall, &a->last_read,
                                               cclcf->read_timeout);
            }
        }

        return NGX_OK;
    }

    ngx_str_set(&a->error_type, "");

    h = ngx_http_chatcompletions_find_header(&r->headers_out.headers,
                                             (u_char *) "x-amzn-ErrorType",
                                             sizeof("x-amzn-ErrorType") - 1);
    if (h) {
        a->error_type = h->value;
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
    ngx_http_chatcompletions_attempt_t    *a;
    ngx_http_chatcompletions_tool_call_t  *call;
    ngx_http_chatcompletions_refresh_t    *rf;

    if (r == r->main) {
        ctx = ngx_http_get_module_ctx(r, ngx_http_chatcompletions_module);

        if (ctx && ctx->replace_body) {
            return ngx_http_chatcompletions_replace_body(r, ctx, in);
        }

        return ngx_http_next_body_filter(r, in);
    }

    a = ngx_http_chatcompletions_attempt_of(r);

    if (a == NULL) {
        call = ngx_http_chatcompletions_tool_call(r);
        if (call) {
            return ngx_http_chatcompletions_tool_body(call, in);
        }

        rf = ngx_http_chatcompletions_fetch_of(r);
        if (rf) {
            return ngx_http_chatcompletions_fetch_body(rf, in);
        }

        return ngx_http_next_body_filter(r, in);
    }

    if (a->ctx->emitting) {
        return ngx_http_next_body_filter(r, in);
    }

    if (a->shadow || a->superseded || a->pending) {
        return ngx_http_chatcompletions_shadow_body(a, in);
    }

    ctx = a->ctx;

    if (ctx->streaming
        && ctx->fault.kind != NGX_HTTP_CHATCOMPLETIONS_FAULT_HTTP)
    {
        return ngx_http_chatcompletions_stream_body(a, in);
    }

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (!ngx_buf_in_memory(b)) {
            if (ngx_buf_size(b)) {
                ngx_http_chatcompletions_file_buffer(a);
            }

            continue;
        }

        if (ctx->fault.kind == NGX_HTTP_CHATCOMPLETIONS_FAULT_HTTP) {
            n = ngx_min((size_t) (b->last - b->pos),
                        NGX_HTTP_CHATCOMPLETIONS_ERROR_BODY_MAX
                        - a->error_body.len);

            if (cc_buf_append(&ctx->alloc, &a->error_body, b->pos, n)
                != CC_OK)
            {
                return NGX_ERROR;
            }

        } else if (ctx->fault.kind == NGX_HTTP_CHATCOMPLETIONS_FAULT_NONE
                   && b->last > b->pos)
        {
            if (ngx_http_chatcompletions_collect(a, b) != NGX_OK) {
                return NGX_ERROR;
            }
        }

        b->pos = b->last;
    }

    return NGX_OK;
}


static void
ngx_http_chatcompletions_file_buffer(ngx_http_chatcompletions_attempt_t *a)
{
    ngx_log_error(NGX_LOG_ALERT, a->sr->connection->log, 0,
                  "chat_completions: the Bedrock location must "
                  "not buffer to files (proxy_buffering off)");

    ngx_http_chatcompletions_set_fault(a->ctx,
                                 NGX_HTTP_CHATCOMPLETIONS_FAULT_INVALID,
                                 "server_error", "upstream_invalid",
                                 (u_char *) "The gateway is misconfigured.",
                                 0);

    (void) ngx_http_chatcompletions_stop_upstream(a->sr, 0);
}


/*
 * The Bedrock subrequest ended: how, and what the captured answer lacked,
 * is recorded here, in the subrequest's context (its log lines name it);
 * nginx then posts the parent, and lifecycle.c decides what follows.
 */

ngx_int_t
ngx_http_chatcompletions_attempt_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_chatcompletions_attempt_t *a = data;

    if (a->sr != sr || a->done) {
        /* finalized again after it was buffered: already handled */
        return (rc == NGX_ERROR || rc == NGX_HTTP_CLIENT_CLOSED_REQUEST)
               ? rc : NGX_OK;
    }

    a->done = 1;
    a->rc = rc;

    if (a->stall.timer_set) {
        ngx_del_timer(&a->stall);
    }

    if (a->pending) {
        /* it won, but its bytes wait: activate() ends it */
        return (rc == NGX_HTTP_CLIENT_CLOSED_REQUEST || rc == NGX_ERROR)
               ? rc : NGX_OK;
    }

    if (a->shadow || a->superseded) {
        /* a racer that did not win: nothing of it counts */

        if (a->shadow) {
            ngx_http_chatcompletions_hedge_lost(a, "it ended before its "
                                                "first token");
        }

        return (rc == NGX_HTTP_CLIENT_CLOSED_REQUEST || rc == NGX_ERROR)
               ? rc : NGX_OK;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "chatcompletions round %ui done: %i", a->round, rc);

    if (rc == NGX_HTTP_CLIENT_CLOSED_REQUEST || sr->connection->error) {
        /* the client went away: terminate, which stops everything */
        a->held = NULL;
        a->ctx->finished = 1;
        return rc == NGX_HTTP_CLIENT_CLOSED_REQUEST ? rc : NGX_ERROR;
    }

    a->truncated = ngx_http_chatcompletions_upstream_short(sr);

    /* what a slow client made the module hold back, while it is there */
    ngx_http_chatcompletions_drain_held(a);

    ngx_http_chatcompletions_outcome(a);

    /* nothing of the subrequest's own goes to the client */
    return NGX_OK;
}


/* how an attempt that ended without a fault of its own failed, if it did */

static void
ngx_http_chatcompletions_outcome(ngx_http_chatcompletions_attempt_t *a)
{
    ngx_uint_t                       timeout;
    ngx_http_chatcompletions_ctx_t  *ctx;

    ctx = a->ctx;

    if (ctx->fault.kind != NGX_HTTP_CHATCOMPLETIONS_FAULT_NONE) {
        return;
    }

    if (!a->capture) {
        timeout = (a->rc == NGX_HTTP_GATEWAY_TIME_OUT);

        ctx->bedrock_status = timeout ? NGX_HTTP_GATEWAY_TIME_OUT
                                      : NGX_HTTP_BAD_GATEWAY;

        ngx_http_chatcompletions_set_fault(ctx,
                                 NGX_HTTP_CHATCOMPLETIONS_FAULT_UNREACHABLE,
                                 "server_error",
                                 timeout ? "timeout" : "upstream_unreachable",
                                 (u_char *) (timeout
                                 ? "Amazon Bedrock did not answer in time."
                                 : "The gateway could not reach Amazon "
                                   "Bedrock."), 0);
        return;
    }

    if (!ctx->streaming
        && (a->rc == NGX_ERROR || a->rc >= NGX_HTTP_SPECIAL_RESPONSE
            || a->truncated))
    {
        ngx_log_error(NGX_LOG_ERR, a->sr->connection->log, 0,
                      "upstream Bedrock Converse response ended early "
                      "(model \"%V\")", &ctx->model_id);

        ngx_http_chatcompletions_set_fault(ctx,
                                 NGX_HTTP_CHATCOMPLETIONS_FAULT_TRUNCATED,
                                 "server_error", "upstream_truncated",
                                 (u_char *) "The Amazon Bedrock answer "
                                 "ended unexpectedly.", 0);
        return;
    }

    if (ctx->streaming && !a->metadata) {
        ngx_log_error(NGX_LOG_ERR, a->sr->connection->log, 0,
                      "upstream Bedrock stream ended before its "
                      "metadata event%s (model \"%V\")",
                      cc_es_pending(&a->decoder)
                      ? ", in the middle of a frame" : "",
                      &ctx->model_id);

        ngx_http_chatcompletions_set_fault(ctx,
                                 NGX_HTTP_CHATCOMPLETIONS_FAULT_TRUNCATED,
                                 "server_error", "upstream_truncated",
                                 (u_char *) "The Amazon Bedrock stream "
                                 "ended unexpectedly.", 0);
    }
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
ngx_http_chatcompletions_stream_body(ngx_http_chatcompletions_attempt_t *a,
    ngx_chain_t *in)
{
    ngx_int_t                             rc;
    ngx_uint_t                            emitted;
    ngx_buf_t                            *b;
    ngx_chain_t                          *cl;
    ngx_http_request_t                   *r;
    ngx_http_chatcompletions_ctx_t       *ctx;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    r = a->sr;
    ctx = a->ctx;

    if (in && ngx_chain_add_copy(r->pool, &a->held, in) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = NGX_OK;
    emitted = 0;

    while (a->held) {
        b = a->held->buf;

        if (!ngx_buf_in_memory(b) || b->pos == b->last
            || ctx->fault.kind != NGX_HTTP_CHATCOMPLETIONS_FAULT_NONE)
        {
            if (!ngx_buf_in_memory(b) && ngx_buf_size(b)) {
                ngx_http_chatcompletions_file_buffer(a);
            }

            if (ngx_buf_in_memory(b)) {
                b->pos = b->last;
            }

            cl = a->held;
            a->held = cl->next;
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

        rc = ngx_http_chatcompletions_decode(a, b);

        if (rc == NGX_ERROR) {
            break;
        }

        /*
         * The events of all the buffers of one read (nginx's chunked
         * parser makes a buffer of each HTTP chunk, often one per event)
         * go out in one write, unless they are more than PEND_MAX.
         */
        if (ctx->pend.len >= NGX_HTTP_CHATCOMPLETIONS_PEND_MAX) {

            if (ngx_http_chatcompletions_emit_pend(ctx, r) == NGX_ERROR) {
                rc = NGX_ERROR;
                break;
            }

            emitted = 1;
        }
    }

    if (ctx->pend.len && rc != NGX_ERROR) {

        if (ngx_http_chatcompletions_emit_pend(ctx, r) == NGX_ERROR) {
            rc = NGX_ERROR;

        } else {
            emitted = 1;
        }
    }

    if (!emitted && rc != NGX_ERROR
        && ngx_http_chatcompletions_flush(r, ctx) == NGX_ERROR)
    {
        rc = NGX_ERROR;
    }

    if (a->stall.timer_set) {
        cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                             ngx_http_chatcompletions_module);
        ngx_http_chatcompletions_touch(&a->stall, &a->last_read,
                                       cclcf->read_timeout);
    }

    return rc;
}


/*
 * What a slow client made the module hold back was all received when the
 * attempt ends: it is translated at once, while the upstream's buffers
 * are still there, and sent before the end of the stream.
 */

void
ngx_http_chatcompletions_drain_held(ngx_http_chatcompletions_attempt_t *a)
{
    ngx_buf_t                       *b;
    ngx_http_chatcompletions_ctx_t  *ctx;

    ctx = a->ctx;

    for ( /* void */ ; a->held; a->held = a->held->next) {
        b = a->held->buf;

        while (ngx_buf_in_memory(b) && b->pos < b->last
               && ctx->fault.kind == NGX_HTTP_CHATCOMPLETIONS_FAULT_NONE)
        {
            if (ngx_http_chatcompletions_decode(a, b) == NGX_ERROR) {
                break;
            }

            /* decode() stops at PEND_MAX; here all of it is wanted */
            if (ctx->pend.len >= NGX_HTTP_CHATCOMPLETIONS_PEND_MAX) {
                ctx->pend_max += NGX_HTTP_CHATCOMPLETIONS_PEND_MAX;
            }
        }

        if (ngx_buf_in_memory(b)) {
            b->pos = b->last;
        }
    }

    ctx->pend_max = 0;
}


/* from the main request: SSE translated after the subrequest ended */

ngx_int_t
ngx_http_chatcompletions_send_pending(ngx_http_chatcompletions_ctx_t *ctx)
{
    return ngx_http_chatcompletions_emit_pend(ctx, ctx->request);
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
ngx_http_chatcompletions_decode(ngx_http_chatcompletions_attempt_t *a,
    ngx_buf_t *b)
{
    int                              rc, nrc;
    cc_str_t                         chunk, *type, payload;
    const char                      *err;
    const u_char                    *pos;
    cc_es_message_t                  msg;
    cc_stream_fault_t                fault;
    ngx_http_request_t              *r;
    ngx_http_chatcompletions_ctx_t  *ctx;

    r = a->sr;
    ctx = a->ctx;
    pos = b->pos;

    for ( ;; ) {
        b->pos = (u_char *) pos;

        if (ctx->pend.len >= NGX_HTTP_CHATCOMPLETIONS_PEND_MAX
                             + ctx->pend_max
            || ctx->fault.kind != NGX_HTTP_CHATCOMPLETIONS_FAULT_NONE)
        {
            /* emit what is there first; the rest waits in b */
            return NGX_OK;
        }

        rc = cc_es_decode(&a->decoder, &pos, b->last, &msg, &err);

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

            (void) ngx_http_chatcompletions_stop_upstream(r, 0);

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

            if (type->len == sizeof("contentBlockDelta") - 1
                && ngx_strncmp(type->data, "contentBlockDelta",
                               type->len) == 0)
            {
                if (!ctx->first_token) {
                    ctx->first_token = 1;
                    ctx->ttft = ngx_current_msec - ctx->start;
                }

                ngx_http_chatcompletions_metric(ctx,
                                          NGX_HTTP_CHATCOMPLETIONS_M_DELTA,
                                          NULL);
            }
        }

        ngx_memzero(&fault, sizeof(cc_stream_fault_t));
        chunk.len = 0;

        ctx->stream.scratch = ngx_http_chatcompletions_scratch();
        if (ctx->stream.scratch == NULL) {
            return NGX_ERROR;
        }

        rc = cc_stream_event(&ctx->alloc, &ctx->stream, &msg.message_type,
                             type, payload.data, payload.len, &chunk, &fault);

        /*
         * Content of this attempt goes out: a failure after it cannot be
         * tried again.  The role chunk is not content (it is sent once).
         */
        if (chunk.len
            && !(type->len == sizeof("messageStart") - 1
                 && ngx_strncmp(type->data, "messageStart", type->len) == 0)
            && !a->shown)
        {
            a->shown = 1;

            if (ctx->deadline.timer_set) {
                ngx_del_timer(&ctx->deadline);
            }

            if (ctx->round.shadow) {
                /* the first token came first here: the racer lost */
                ngx_http_chatcompletions_hedge_lost(ctx->round.shadow,
                                                 "the other attempt's first "
                                                 "token came first");
            }
        }

        /* what the event said is copied: the arena is emptied */

        nrc = cc_buf_append(&ctx->alloc, &ctx->pend, chunk.data, chunk.len);

        ctx->stream.scratch = NULL;
        ngx_http_chatcompletions_scratch_reset();

        if (nrc != CC_OK) {
            return NGX_ERROR;
        }

        if (rc == CC_DONE) {
            a->metadata = 1;
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

            /* for the metrics: copied, the frame's memory is reused */
            ctx->bedrock_error.data = ngx_pstrdup(ctx->request->pool,
                                                  (ngx_str_t *) type);
            ctx->bedrock_error.len = ctx->bedrock_error.data ? type->len : 0;
            return NGX_OK;
        }
    }
}


/* a non-streaming answer is collected whole, then translated */

static ngx_int_t
ngx_http_chatcompletions_collect(ngx_http_chatcompletions_attempt_t *a,
    ngx_buf_t *b)
{
    size_t  len;

    len = b->last - b->pos;

    if (a->converse.len + len > NGX_HTTP_CHATCOMPLETIONS_CONVERSE_MAX) {
        ngx_log_error(NGX_LOG_ERR, a->sr->connection->log, 0,
                      "upstream Bedrock sent a Converse response "
                      "larger than %uz bytes",
                      (size_t) NGX_HTTP_CHATCOMPLETIONS_CONVERSE_MAX);

        ngx_http_chatcompletions_set_fault(a->ctx,
                                 NGX_HTTP_CHATCOMPLETIONS_FAULT_INVALID,
                                 "server_error", "upstream_invalid",
                                 (u_char *) "Amazon Bedrock sent a "
                                 "response that is too large.", 0);
        return NGX_OK;
    }

    return cc_buf_append(&a->ctx->alloc, &a->converse, b->pos, len) == CC_OK
           ? NGX_OK : NGX_ERROR;
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


ngx_int_t
ngx_http_chatcompletions_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_chatcompletions_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_chatcompletions_body_filter;

    return NGX_OK;
}


/* a racing attempt's headers: a failure ends its race, nothing else */

static ngx_int_t
ngx_http_chatcompletions_shadow_header(ngx_http_chatcompletions_attempt_t *a,
    ngx_http_request_t *r)
{
    u_char                                buf[64];
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    if (a->superseded) {
        return NGX_OK;
    }

    if (r->headers_out.status != NGX_HTTP_OK) {
        (void) ngx_snprintf(buf, sizeof(buf), "Bedrock answered %ui%Z",
                            r->headers_out.status);
        ngx_http_chatcompletions_hedge_lost(a, (char *) buf);
        return NGX_OK;
    }

    cclcf = ngx_http_get_module_loc_conf(a->ctx->request,
                                         ngx_http_chatcompletions_module);

    if (cclcf->read_timeout) {
        ngx_http_chatcompletions_touch(&a->stall, &a->last_read,
                                       cclcf->read_timeout);
    }

    return NGX_OK;
}


/*
 * A racing attempt's bytes are kept, and its frames looked at, until its
 * first token: then it wins (promote()), else it loses on its first
 * failure.  A loser's bytes go nowhere.
 */

static ngx_int_t
ngx_http_chatcompletions_shadow_body(ngx_http_chatcompletions_attempt_t *a,
    ngx_chain_t *in)
{
    int                               rc;
    ngx_buf_t                        *b;
    ngx_uint_t                        won;
    ngx_chain_t                      *cl;
    const char                       *err;
    const u_char                     *pos;
    cc_es_message_t                   msg;
    ngx_http_chatcompletions_ctx_t   *ctx;

    ctx = a->ctx;
    won = 0;

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (!ngx_buf_in_memory(b)) {
            continue;
        }

        if (a->superseded) {
            b->pos = b->last;
            continue;
        }

        if (a->raw.len + (b->last - b->pos)
            > NGX_HTTP_CHATCOMPLETIONS_RAW_MAX)
        {
            ngx_http_chatcompletions_hedge_lost(a, "too much before its "
                                                "first token");
            b->pos = b->last;
            continue;
        }

        if (cc_buf_append(&ctx->alloc, &a->raw, b->pos, b->last - b->pos)
            != CC_OK)
        {
            return NGX_ERROR;
        }

        pos = b->pos;
        b->pos = b->last;

        if (a->stall.timer_set) {
            a->last_read = ngx_current_msec;
        }

        if (a->pending || won) {
            /* it won: its bytes wait for their turn (activate()) */
            continue;
        }

        for ( ;; ) {
            rc = cc_es_decode(&a->decoder, &pos, b->last, &msg, &err);

            if (rc == CC_AGAIN) {
                break;
            }

            if (rc == CC_ERROR) {
                ngx_http_chatcompletions_hedge_lost(a, "a corrupt frame");
                break;
            }

            if (msg.message_type.len != sizeof("event") - 1
                || ngx_strncmp(msg.message_type.data, "event", 5) != 0)
            {
                ngx_http_chatcompletions_hedge_lost(a, "an exception before "
                                                    "its first token");
                break;
            }

            if ((msg.event_type.len == sizeof("contentBlockDelta") - 1
                 && ngx_strncmp(msg.event_type.data, "contentBlockDelta",
                                msg.event_type.len) == 0)
                || (msg.event_type.len == sizeof("contentBlockStart") - 1
                    && ngx_strncmp(msg.event_type.data, "contentBlockStart",
                                   msg.event_type.len) == 0))
            {
                /* its first token: it wins, with everything it sent */
                won = 1;
                break;
            }
        }
    }

    return won ? ngx_http_chatcompletions_promote(a) : NGX_OK;
}


/*
 * The racing attempt wins: the round's attempt, which showed nothing,
 * is cancelled, and what the winner sent so far goes the usual way.
 */

ngx_int_t
ngx_http_chatcompletions_promote(ngx_http_chatcompletions_attempt_t *a)
{
    ngx_http_chatcompletions_ctx_t      *ctx;
    ngx_http_chatcompletions_attempt_t  *old;

    ctx = a->ctx;
    old = ctx->round.attempt;

    if (old && old != a && !old->done) {
        old->superseded = 1;

        if (old->stall.timer_set) {
            ngx_del_timer(&old->stall);
        }

        (void) ngx_http_chatcompletions_cancel_upstream(old->sr);

        ngx_log_error(NGX_LOG_WARN, ctx->request->connection->log, 0,
                      "chat_completions: Bedrock attempt on %V (model "
                      "\"%V\") abandoned: the racing attempt on %V had its "
                      "first token first", &old->target->host, &old->model,
                      &a->target->host);
    }

    if (ctx->deadline.timer_set) {
        ngx_del_timer(&ctx->deadline);
    }

    a->shadow = 0;
    a->pending = 1;
    ctx->round.shadow = NULL;
    ctx->round.attempt = a;
    ctx->round.bedrock_uri = a->uri;
    ctx->target = a->target;
    ctx->target_model = a->model;
    ctx->hedge_won = 1;

    ngx_http_chatcompletions_metric(ctx, NGX_HTTP_CHATCOMPLETIONS_M_HEDGE_WON,
                                    NULL);

    /* a fault of the old attempt is not the answer */
    ngx_memzero(&ctx->fault, sizeof(ngx_http_chatcompletions_fault_t));
    ctx->bedrock_status = NGX_HTTP_OK;

    if (ngx_http_chatcompletions_send_sse_header(ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_chatcompletions_activate(a);
}


/*
 * The winner's output can reach the client only as the active request of
 * the connection: after the old attempt's subrequest is finalized, the
 * main request's output filter makes the next subrequest, the winner,
 * active (nginx's postpone filter).  Then what it sent goes the usual
 * way; if it has ended already, it ends now.  NGX_OK also while it still
 * waits for its turn (next() calls again).
 */

ngx_int_t
ngx_http_chatcompletions_activate(ngx_http_chatcompletions_attempt_t *a)
{
    ngx_int_t                        rc;
    ngx_buf_t                       *b;
    ngx_chain_t                      out;
    ngx_connection_t                *c;
    ngx_http_chatcompletions_ctx_t  *ctx;

    ctx = a->ctx;
    c = ctx->request->connection;

    if (!a->pending) {
        return NGX_OK;
    }

    if (c->data != a->sr) {
        if (c->data != ctx->request) {
            /* the old attempt is not finalized yet */
            return NGX_OK;
        }

        if (ngx_http_output_filter(ctx->request, NULL) == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (c->data != a->sr) {
            return NGX_OK;
        }
    }

    a->pending = 0;

    rc = NGX_OK;

    if (a->raw.len) {
        cc_es_init(&a->decoder, &ctx->alloc, 0);

        b = ngx_calloc_buf(ctx->request->pool);
        if (b == NULL) {
            return NGX_ERROR;
        }

        b->pos = a->raw.data;
        b->last = a->raw.data + a->raw.len;
        b->memory = 1;

        out.buf = b;
        out.next = NULL;

        rc = ngx_http_chatcompletions_stream_body(a, &out);
    }

    if (a->done && rc != NGX_ERROR) {
        a->truncated = ngx_http_chatcompletions_upstream_short(a->sr);
        ngx_http_chatcompletions_drain_held(a);
        ngx_http_chatcompletions_outcome(a);

        /* the main request decides what follows */
        (void) ngx_http_post_request(ctx->request, NULL);
    }

    return rc;
}
