
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"


static ngx_int_t ngx_http_chatcompletions_add_header(ngx_http_request_t *r,
    char *key, char *value);
static ngx_int_t ngx_http_chatcompletions_send_buf(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_http_request_t *r,
    ngx_chain_t *cl, size_t len, ngx_uint_t last);


ngx_int_t
ngx_http_chatcompletions_send_json(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *json)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = json->len + 1;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    if (ngx_http_chatcompletions_add_header(r, "Cache-Control", "no-store")
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    /* the body ends with a newline, as OpenAI's do */

    b->start = ngx_pnalloc(r->pool, json->len + 1);
    if (b->start == NULL) {
        return NGX_ERROR;
    }

    b->pos = b->start;
    b->last = ngx_cpymem(b->pos, json->data, json->len);
    *b->last++ = LF;
    b->end = b->last;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_chatcompletions_send_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *type, const char *code, ngx_str_t *param,
    ngx_str_t *message)
{
    cc_str_t                         out, msg, prm;
    cc_alloc_t                       alloc, *a;
    ngx_http_chatcompletions_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_chatcompletions_module);

    if (ctx) {
        a = &ctx->alloc;

        /* for the metrics: a client error's code */
        if (code && ctx->error_code.len == 0) {
            ctx->error_code.data = (u_char *) code;
            ctx->error_code.len = ngx_strlen(code);
        }

    } else {
        alloc.alloc = ngx_http_chatcompletions_pool_alloc;
        alloc.data = r->pool;
        a = &alloc;
    }

    msg.data = message->data;
    msg.len = message->len;

    if (param) {
        prm.data = param->data;
        prm.len = param->len;
    }

    if (cc_error_body(a, type, code, param ? &prm : NULL, &msg, &out)
        != CC_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx) {
        ctx->finished = 1;
    }

    /*
     * Bedrock says nothing of when to come back; the SDKs honour
     * Retry-After, and a second is what they would wait anyway (a key's
     * spent budget says when it resets: keys.c sets it).
     */
    if (status == NGX_HTTP_TOO_MANY_REQUESTS
        && ngx_http_chatcompletions_find_header(&r->headers_out.headers,
                                          (u_char *) "Retry-After", 11) == NULL
        && ngx_http_chatcompletions_add_header(r, "Retry-After", "1")
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_chatcompletions_send_json(r, status, (ngx_str_t *) &out);
}


ngx_int_t
ngx_http_chatcompletions_send_sse_header(ngx_http_chatcompletions_ctx_t *ctx)
{
    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = ctx->request;

    if (ctx->headers_sent) {
        return NGX_OK;
    }

    ctx->headers_sent = 1;

    ngx_http_chatcompletions_metric(ctx, NGX_HTTP_CHATCOMPLETIONS_M_STREAM,
                                    NULL);

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = -1;
    ngx_str_set(&r->headers_out.content_type, "text/event-stream");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    if (ngx_http_chatcompletions_add_header(r, "Cache-Control", "no-cache")
        != NGX_OK
        || ngx_http_chatcompletions_add_header(r, "X-Accel-Buffering", "no")
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_clear_content_length(r);
    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Writes one piece of the stream.  While a Bedrock subrequest is the
 * connection's active request its output goes through the subrequest's
 * filter chain (the postpone filter would hold back the parent's), so the
 * caller passes the request that is active.  Every event is flushed: a
 * voice client speaks tokens as they arrive.
 *
 * The bytes are sent where they are, not copied: they must stay until
 * they are sent (the request's pool, or static).  The SSE of Bedrock's
 * events goes out of ctx->pend itself (emit_pend()).
 */

ngx_int_t
ngx_http_chatcompletions_emit(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_request_t *r, u_char *data, size_t len, ngx_uint_t last)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (len == 0 && !last) {
        return NGX_OK;
    }

    cl = ngx_chain_get_free_buf(ctx->request->pool, &ctx->free);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    /* a buffer of the free list keeps its memory (start, end) for pend */

    b = cl->buf;
    b->pos = len ? data : NULL;
    b->last = len ? data + len : NULL;

    return ngx_http_chatcompletions_send_buf(ctx, r, cl, len, last);
}


/*
 * The SSE bytes decoded so far (ctx->pend) go out without a copy: the
 * buffer takes pend's memory, and pend the buffer's, if it has any.  A
 * stream whose client keeps up then has one such memory: what was sent
 * at once gives it back to pend.  While a slow client holds buffers
 * (busy), pend gets memory of its own, taken back from the free list
 * once they are sent.
 */

ngx_int_t
ngx_http_chatcompletions_emit_pend(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_request_t *r)
{
    u_char       *start, *end;
    size_t        len;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    len = ctx->pend.len;

    if (len == 0) {
        return NGX_OK;
    }

    cl = ngx_chain_get_free_buf(ctx->request->pool, &ctx->free);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    b = cl->buf;

    start = b->start;
    end = b->end;

    b->start = ctx->pend.data;
    b->end = ctx->pend.data + ctx->pend.cap;
    b->pos = b->start;
    b->last = b->start + len;

    ctx->pend.data = start;
    ctx->pend.cap = start ? (size_t) (end - start) : 0;
    ctx->pend.len = 0;

    rc = ngx_http_chatcompletions_send_buf(ctx, r, cl, len, 0);

    if (ctx->pend.data) {
        return rc;
    }

    for (cl = ctx->free; cl; cl = cl->next) {
        b = cl->buf;

        if (b->start) {
            ctx->pend.data = b->start;
            ctx->pend.cap = b->end - b->start;

            b->start = NULL;
            b->end = NULL;
            b->pos = NULL;
            b->last = NULL;

            break;
        }
    }

    return rc;
}


static ngx_int_t
ngx_http_chatcompletions_send_buf(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_request_t *r, ngx_chain_t *cl, size_t len, ngx_uint_t last)
{
    ngx_int_t                             rc;
    ngx_buf_t                            *b;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    b = cl->buf;

    b->memory = len ? 1 : 0;
    b->temporary = 0;
    b->flush = 1;
    b->sync = (len == 0 && !last) ? 1 : 0;
    b->tag = (ngx_buf_tag_t) &ngx_http_chatcompletions_module;

    if (last && r == r->main) {
        b->last_buf = 1;
        b->last_in_chain = 1;

    } else {
        b->last_buf = 0;
        b->last_in_chain = 0;
    }

    ctx->emitting = 1;
    rc = ngx_http_output_filter(r, cl);
    ctx->emitting = 0;

    /*
     * The keepalive comment is a heartbeat: it goes out only after an
     * interval with nothing else sent (waiting for the first token, or for
     * the tools of a round).
     */

    cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                         ngx_http_chatcompletions_module);

    if (last) {
        if (ctx->keepalive.timer_set) {
            ngx_del_timer(&ctx->keepalive);
        }

    } else if (cclcf->keepalive_interval && ctx->streaming) {
        ngx_http_chatcompletions_touch(&ctx->keepalive, &ctx->last_sent,
                                       cclcf->keepalive_interval);
    }

    ngx_chain_update_chains(ctx->request->pool, &ctx->free, &ctx->busy, &cl,
                            (ngx_buf_tag_t) &ngx_http_chatcompletions_module);

    return rc;
}


/*
 * While tools run the main request is the active one and no upstream
 * sends what a slow client has not taken yet.  nginx's own writer,
 * ngx_http_writer(), is static and runs only once a request is
 * finalized; this is the part of it that applies before: send what
 * waits, within send_timeout.  NGX_OK, or the status to finalize with.
 */

ngx_int_t
ngx_http_chatcompletions_send_buffered(ngx_http_request_t *r)
{
    ngx_event_t               *wev;
    ngx_connection_t          *c;
    ngx_http_core_loc_conf_t  *clcf;

    c = r->connection;
    wev = c->write;

    if (wev->timedout) {
        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT,
                      "client timed out while tools ran");
        c->timedout = 1;
        return NGX_HTTP_REQUEST_TIME_OUT;
    }

    if (!c->buffered) {
        return NGX_OK;
    }

    if (ngx_http_output_filter(r, NULL) == NGX_ERROR) {
        return NGX_ERROR;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (!c->buffered) {
        if (wev->timer_set) {
            ngx_del_timer(wev);
        }

        return NGX_OK;
    }

    if (!wev->delayed) {
        ngx_add_timer(wev, clcf->send_timeout);
    }

    if (ngx_handle_write_event(wev, clcf->send_lowat) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_chatcompletions_add_header(ngx_http_request_t *r, char *key,
    char *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value.data = (u_char *) value;
    h->value.len = ngx_strlen(value);

    return NGX_OK;
}
