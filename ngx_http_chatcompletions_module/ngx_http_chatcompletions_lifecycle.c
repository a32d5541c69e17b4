
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"


/*
 * The life of a request, and the one function that decides what happens
 * next to it: ngx_http_chatcompletions_next(), the only code that changes
 * ctx->state.
 *
 *     content handler: POST, read the body
 *         |
 *         v
 *      BODY ---- invalid request: an OpenAI error ----------------+
 *         |                                                        |
 *         | valid: the first round                                 |
 *         |                                                        |
 *         |   no valid AWS credentials: wait for a fetch           |
 *         |-----------> CREDENTIALS -- none in time: 503 ----------+
 *         |  a set        |                                        |
 *         v  is there     | a set                                  |
 *  +-> ATTEMPT <----------+-------------------+                    |
 *  |      |-- a fault before content: RETRY --+ (the backoff)      |
 *  |      |-- a fault: the error (status, or in the stream) -------+
 *  |      |    \                                                   |
 *  |      |     `-- the round answered: [DONE] or the JSON --------+
 *  |      | the round asks for server-side tools                   |
 *  |      v                                                        |
 *  +--- TOOLS ----- too many rounds, client gone, send_timeout ----+
 *   all results in:                                                |
 *   the next round                                                 v
 *                                                                DONE
 *
 * next() runs once the body is read and afterwards only from
 * ngx_http_chatcompletions_wake(), the main request's write event
 * handler, which every completion and timer enters through:
 *
 *   - a Bedrock attempt's subrequest ends: its post_subrequest handler
 *     (attempt_done) only records how, and nginx posts the main request;
 *   - the stall timer (chat_completions_read_timeout) ends the attempt
 *     through its upstream, which then ends the same way;
 *   - the last tool call to settle, by its answer or by its timer, posts
 *     the main request (tools.c);
 *   - a credentials fetch this request runs ends (fetch.c), or the wait
 *     timer polls the shared set (credentials.c);
 *   - the retry timer ends a backoff (targets.c);
 *   - the first-token deadline starts a racing attempt (no state change:
 *     ATTEMPT; the winner of the race becomes ctx->round.attempt);
 *   - while tools run, the main request is the active one: its write
 *     events send what a slow client has not taken yet.
 *
 * The keepalive timer only writes a comment: it changes nothing.  A client
 * that goes away ends the request from nginx's own handlers: the
 * upstream's broken connection check during an attempt,
 * ngx_http_test_reading() while tools run.
 */


static void ngx_http_chatcompletions_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_chatcompletions_next(
    ngx_http_chatcompletions_ctx_t *ctx);
static ngx_int_t ngx_http_chatcompletions_start(
    ngx_http_chatcompletions_ctx_t *ctx);
static ngx_int_t ngx_http_chatcompletions_converse(
    ngx_http_chatcompletions_ctx_t *ctx);
static ngx_int_t ngx_http_chatcompletions_tools(
    ngx_http_chatcompletions_ctx_t *ctx, cc_round_t *round);
static void ngx_http_chatcompletions_reading(ngx_http_request_t *r);
static ngx_int_t ngx_http_chatcompletions_answer(
    ngx_http_chatcompletions_ctx_t *ctx);
static ngx_int_t ngx_http_chatcompletions_fail(
    ngx_http_chatcompletions_ctx_t *ctx);
static ngx_int_t ngx_http_chatcompletions_internal_error(
    ngx_http_chatcompletions_ctx_t *ctx);
static void ngx_http_chatcompletions_account(
    ngx_http_chatcompletions_ctx_t *ctx);
static void ngx_http_chatcompletions_keepalive_handler(ngx_event_t *ev);
static void ngx_http_chatcompletions_stall_handler(ngx_event_t *ev);
static void ngx_http_chatcompletions_deadline_handler(ngx_event_t *ev);
static void ngx_http_chatcompletions_cleanup(void *data);


static u_char  ngx_http_chatcompletions_keepalive_comment[] =
    ": keepalive\n\n";


ngx_int_t
ngx_http_chatcompletions_handler(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_pool_cleanup_t              *cln;
    ngx_http_chatcompletions_ctx_t  *ctx;

    if (r->method != NGX_HTTP_POST) {
        return ngx_http_chatcompletions_not_allowed(r);
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_chatcompletions_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     ctx->state = NGX_HTTP_CHATCOMPLETIONS_BODY;
     *     ctx->round.attempt = NULL;
     *     ctx->fault.kind = NGX_HTTP_CHATCOMPLETIONS_FAULT_NONE;
     *     ctx->free = ctx->busy = NULL;
     *     ctx->round.n = 0;
     */

    ctx->request = r;
    ctx->alloc.alloc = ngx_http_chatcompletions_pool_alloc;
    ctx->alloc.data = r->pool;
    ctx->start = ngx_current_msec;
    ctx->pend.min = 512;

    ctx->keepalive.handler = ngx_http_chatcompletions_keepalive_handler;
    ctx->keepalive.data = ctx;
    ctx->keepalive.log = r->connection->log;
    ctx->keepalive.cancelable = 1;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_chatcompletions_cleanup;
    cln->data = ctx;

    ngx_http_set_ctx(r, ctx, ngx_http_chatcompletions_module);

    /* who calls: a key refused is answered before the body is read */

    if (ngx_http_chatcompletions_key_check(r, ctx, &rc) != NGX_OK) {
        ctx->state = NGX_HTTP_CHATCOMPLETIONS_DONE;
        return rc;
    }

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
    r->write_event_handler = ngx_http_chatcompletions_wake;

    ngx_http_chatcompletions_wake(r);
}


/* the one way back into a request's life */

void
ngx_http_chatcompletions_wake(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_http_chatcompletions_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_chatcompletions_module);

    if (ctx == NULL || ctx->state == NGX_HTTP_CHATCOMPLETIONS_DONE) {
        return;
    }

    if (r->connection->error) {
        rc = (ctx->state == NGX_HTTP_CHATCOMPLETIONS_TOOLS
              || ctx->state == NGX_HTTP_CHATCOMPLETIONS_CREDENTIALS
              || ctx->state == NGX_HTTP_CHATCOMPLETIONS_RETRY)
             ? NGX_HTTP_CLIENT_CLOSED_REQUEST : NGX_ERROR;

        ctx->state = NGX_HTTP_CHATCOMPLETIONS_DONE;
        ngx_http_finalize_request(r, rc);
        return;
    }

    rc = ngx_http_chatcompletions_next(ctx);

    if (rc == NGX_DONE) {
        /* waiting for an attempt, for tools, or for the client */
        return;
    }

    ngx_http_finalize_request(r, rc);
}


/*
 * Decides what happens next.  NGX_DONE: the request waits (see above);
 * anything else is what the request ends with, in state DONE.
 */

static ngx_int_t
ngx_http_chatcompletions_next(ngx_http_chatcompletions_ctx_t *ctx)
{
    ngx_int_t                             rc;
    cc_round_t                            uses;
    ngx_http_chatcompletions_attempt_t   *a;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                         ngx_http_chatcompletions_module);

    for ( ;; ) {

        switch (ctx->state) {

        case NGX_HTTP_CHATCOMPLETIONS_BODY:

            rc = ngx_http_chatcompletions_prepare(ctx);

            if (rc != NGX_DONE) {
                /* answered already: an invalid request */
                goto done;
            }

            goto attempt;

        case NGX_HTTP_CHATCOMPLETIONS_ATTEMPT:

            a = ctx->round.attempt;

            if (a->pending) {
                /* a racer won: its turn may have come */
                if (ngx_http_chatcompletions_activate(a) == NGX_ERROR) {
                    rc = NGX_ERROR;
                    goto done;
                }

                return NGX_DONE;
            }

            if (!a->done) {
                return NGX_DONE;
            }

            if (ctx->fault.kind != NGX_HTTP_CHATCOMPLETIONS_FAULT_NONE
                && ctx->round.shadow && !a->shown)
            {
                /* the attempt racing it carries the round on */
                ngx_log_error(NGX_LOG_WARN, ctx->request->connection->log,
                              0, "chat_completions: Bedrock attempt on %V "
                              "(model \"%V\") failed before its first "
                              "token; the racing attempt on %V goes on",
                              &a->target->host, &a->model,
                              &ctx->round.shadow->target->host);

                if (ngx_http_chatcompletions_promote(ctx->round.shadow)
                    == NGX_ERROR)
                {
                    rc = NGX_ERROR;
                    goto done;
                }

                continue;
            }

            if (ctx->fault.kind != NGX_HTTP_CHATCOMPLETIONS_FAULT_NONE) {

                if (ngx_http_chatcompletions_retry(ctx) == NGX_AGAIN) {
                    /* the retry timer wakes the request */
                    ctx->state = NGX_HTTP_CHATCOMPLETIONS_RETRY;

                    /* nothing of ours reads from the client: watch it */
                    ctx->request->read_event_handler =
                                           ngx_http_chatcompletions_reading;
                    return NGX_DONE;
                }

                rc = ngx_http_chatcompletions_fail(ctx);
                goto done;
            }

            ngx_http_chatcompletions_target_ok(ctx);

            if (!ctx->streaming) {
                rc = ngx_http_chatcompletions_converse(ctx);
                if (rc != NGX_DONE) {
                    /* an unusable answer: the error was sent */
                    goto done;
                }
            }

            if (cc_stream_round_tool_uses(&ctx->stream, &uses) != CC_OK) {
                rc = ngx_http_chatcompletions_internal_error(ctx);
                goto done;
            }

            if (uses.nserver && uses.nclient) {
                /*
                 * The client must run its own tools and send the results
                 * back; a later request asks for the server-side ones
                 * again.
                 */
                ngx_log_error(NGX_LOG_INFO, ctx->request->connection->log,
                              0, "chat_completions: the model asked for "
                              "client and server tools at once; the %uz "
                              "server tool call(s) are left to a later "
                              "request", uses.nserver);

            } else if (uses.nserver && ctx->round.n >= cclcf->max_rounds) {
                ngx_log_error(NGX_LOG_WARN, ctx->request->connection->log,
                              0, "chat_completions: %ui Bedrock rounds "
                              "reached (chat_completions_max_rounds) while "
                              "the model still asks for tools (model "
                              "\"%V\")", ctx->round.n, &ctx->model_id);

                ctx->bedrock_status = NGX_HTTP_INTERNAL_SERVER_ERROR;

                ngx_http_chatcompletions_set_fault(ctx,
                                 NGX_HTTP_CHATCOMPLETIONS_FAULT_INVALID,
                                 "server_error", "tool_rounds_exceeded",
                                 (u_char *) "The assistant used tools too "
                                 "many times without answering.", 0);

                rc = ngx_http_chatcompletions_fail(ctx);
                goto done;

            } else if (uses.nserver) {
                rc = ngx_http_chatcompletions_tools(ctx, &uses);

                if (rc == NGX_DONE || rc == NGX_DECLINED) {
                    ctx->state = NGX_HTTP_CHATCOMPLETIONS_TOOLS;

                    if (rc == NGX_DONE) {
                        return NGX_DONE;
                    }

                    /* no call could run: their errors are the results */
                    continue;
                }

                goto done;
            }

            rc = ngx_http_chatcompletions_answer(ctx);
            goto done;

        case NGX_HTTP_CHATCOMPLETIONS_CREDENTIALS:

            /* a refresh ended, or the wait timer: look again */

            goto attempt;

        case NGX_HTTP_CHATCOMPLETIONS_RETRY:

            if (ctx->retry.timer_set) {
                /* a write event during the backoff */
                return NGX_DONE;
            }

            ctx->request->read_event_handler = ngx_http_block_reading;

            goto attempt;

        case NGX_HTTP_CHATCOMPLETIONS_TOOLS:

            if (ctx->round.pending) {
                /* a write event: what a slow client has not taken yet */
                rc = ngx_http_chatcompletions_send_buffered(ctx->request);

                if (rc == NGX_OK) {
                    return NGX_DONE;
                }

                goto done;
            }

            ctx->request->read_event_handler = ngx_http_block_reading;

            if (ngx_http_chatcompletions_tools_results(ctx) != NGX_OK) {
                rc = NGX_ERROR;
                goto done;
            }

            goto attempt;

        default: /* NGX_HTTP_CHATCOMPLETIONS_DONE */
            return NGX_DONE;
        }

    attempt:

        rc = ngx_http_chatcompletions_start(ctx);

        if (rc == NGX_DONE) {
            if (ctx->state == NGX_HTTP_CHATCOMPLETIONS_CREDENTIALS) {
                ctx->request->read_event_handler = ngx_http_block_reading;
            }

            ctx->state = NGX_HTTP_CHATCOMPLETIONS_ATTEMPT;
            return NGX_DONE;
        }

        if (rc == NGX_AGAIN) {
            if (ctx->state != NGX_HTTP_CHATCOMPLETIONS_CREDENTIALS) {
                ctx->state = NGX_HTTP_CHATCOMPLETIONS_CREDENTIALS;

                /* nothing of ours reads from the client: watch it go */
                ctx->request->read_event_handler =
                                           ngx_http_chatcompletions_reading;
            }

            return NGX_DONE;
        }

    done:

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ctx->request->connection->log, 0,
                       "chatcompletions done in state %d: %i",
                       (int) ctx->state, rc);

        ctx->state = NGX_HTTP_CHATCOMPLETIONS_DONE;

        return rc;
    }
}


/*
 * The next round's attempt: NGX_DONE when it runs, NGX_AGAIN while its
 * credentials are fetched, or how to end.
 */

static ngx_int_t
ngx_http_chatcompletions_start(ngx_http_chatcompletions_ctx_t *ctx)
{
    ngx_int_t                             rc;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    rc = ngx_http_chatcompletions_attempt_start(ctx,
                                       ngx_http_chatcompletions_attempt_done,
                                       ngx_http_chatcompletions_stall_handler,
                                       0);

    if (rc == NGX_AGAIN) {
        /* waiting for credentials: the wait timer or the refresh wakes */
        return NGX_AGAIN;
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_chatcompletions_fail(ctx);
    }

    if (rc == NGX_HTTP_INTERNAL_SERVER_ERROR) {
        return ngx_http_chatcompletions_internal_error(ctx);
    }

    if (rc != NGX_DONE) {
        /* a subrequest exists now: only NGX_ERROR may end it */
        return NGX_ERROR;
    }

    cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                         ngx_http_chatcompletions_module);

    if (ctx->streaming && cclcf->keepalive_interval
        && !ctx->keepalive.timer_set)
    {
        ngx_http_chatcompletions_touch(&ctx->keepalive, &ctx->last_sent,
                                       cclcf->keepalive_interval);
    }

    if (ctx->streaming && cclcf->first_token_deadline) {
        ctx->deadline.handler = ngx_http_chatcompletions_deadline_handler;
        ctx->deadline.data = ctx;
        ctx->deadline.log = ctx->request->connection->log;
        ctx->deadline.cancelable = 1;

        ngx_add_timer(&ctx->deadline, cclcf->first_token_deadline);
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, ctx->request->connection->log, 0,
                   "chatcompletions round %ui: POST %V, %uz bytes",
                   ctx->round.n, &ctx->round.bedrock_uri, ctx->round.body.len);

    return NGX_DONE;
}


/*
 * A non-streaming round: Bedrock's Converse answer, read whole.  NGX_DONE
 * when it is the round's; otherwise an error was sent, and what that
 * returned.
 */

static ngx_int_t
ngx_http_chatcompletions_converse(ngx_http_chatcompletions_ctx_t *ctx)
{
    cc_http_error_t                      herr;
    ngx_http_chatcompletions_attempt_t  *a;

    a = ctx->round.attempt;

    ngx_memzero(&herr, sizeof(cc_http_error_t));

    if (cc_converse_round(&ctx->alloc, &ctx->stream, a->converse.data,
                          a->converse.len, &herr)
        == CC_OK)
    {
        return NGX_DONE;
    }

    if (herr.status == 0) {
        return ngx_http_chatcompletions_internal_error(ctx);
    }

    ngx_log_error(NGX_LOG_ERR, ctx->request->connection->log, 0,
                  "upstream Bedrock sent an unusable Converse "
                  "response: %*s (model \"%V\")", herr.message.len,
                  herr.message.data, &ctx->model_id);

    if (herr.code) {
        ctx->fault.code.data = (u_char *) herr.code;
        ctx->fault.code.len = ngx_strlen(herr.code);
    }

    ngx_http_chatcompletions_account(ctx);
    ctx->finished = 1;

    return ngx_http_chatcompletions_send_error(ctx->request, herr.status,
                                               herr.type, herr.code, NULL,
                                               (ngx_str_t *) &herr.message);
}


/*
 * The round's server-side tools start: NGX_DONE when some run, and the
 * request waits for them; NGX_DECLINED when none could; or how to end.
 */

static ngx_int_t
ngx_http_chatcompletions_tools(ngx_http_chatcompletions_ctx_t *ctx,
    cc_round_t *round)
{
    ngx_int_t                             rc;
    ngx_http_request_t                   *r;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    r = ctx->request;

    rc = ngx_http_chatcompletions_tools_start(ctx, round);

    if (rc != NGX_DONE) {
        return rc;
    }

    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);

    if (ctx->streaming && cclcf->keepalive_interval
        && !ctx->keepalive.timer_set)
    {
        ngx_http_chatcompletions_touch(&ctx->keepalive, &ctx->last_sent,
                                       cclcf->keepalive_interval);
    }

    /* nothing of ours reads from the client now: watch it go away */
    r->read_event_handler = ngx_http_chatcompletions_reading;

    if (r->connection->read->pending_eof || r->connection->error) {
        /* it went while the round ended; the caller posts nothing */
        ngx_http_chatcompletions_reading(r);
        return NGX_DONE;
    }

    /* what the last round said keeps going out to a slow client */
    rc = ngx_http_chatcompletions_send_buffered(r);

    return rc == NGX_OK ? NGX_DONE : rc;
}


/*
 * nginx's own check of a client that a request does not read from, while
 * tools run or credentials are fetched; the action names, in its log line,
 * what the client cut short (the subrequests' upstreams share the
 * connection's log and set theirs).
 */

static void
ngx_http_chatcompletions_reading(ngx_http_request_t *r)
{
    char                            *action, *what;
    ngx_connection_t                *c;
    ngx_http_chatcompletions_ctx_t  *ctx;

    c = r->connection;
    ctx = ngx_http_get_module_ctx(r, ngx_http_chatcompletions_module);

    what = (ctx && ctx->state == NGX_HTTP_CHATCOMPLETIONS_CREDENTIALS)
           ? "credentials were fetched"
           : (ctx && ctx->state == NGX_HTTP_CHATCOMPLETIONS_RETRY)
           ? "the next Bedrock attempt was due" : "tools ran";

    if (c->error) {
        /* a send failed, or HTTP/2 reset the stream */
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "client prematurely closed connection while %s", what);
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    action = c->log->action;
    c->log->action = what;

    ngx_http_test_reading(r);

    if (!c->error) {
        /* still there: the request was not finalized */
        c->log->action = action;
    }
}


/* the last round answered: the end of the stream, or the JSON answer */

static ngx_int_t
ngx_http_chatcompletions_answer(ngx_http_chatcompletions_ctx_t *ctx)
{
    cc_str_t  out;

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


/* the request failed: an error status, or in-band once the stream is open */

static ngx_int_t
ngx_http_chatcompletions_fail(ngx_http_chatcompletions_ctx_t *ctx)
{
    cc_str_t                             out, msg;
    cc_http_error_t                      herr;
    ngx_http_request_t                  *r;
    ngx_http_chatcompletions_attempt_t  *a;

    r = ctx->request;
    a = ctx->round.attempt;
    ctx->finished = 1;

    if (ctx->keepalive.timer_set) {
        ngx_del_timer(&ctx->keepalive);
    }

    ngx_http_chatcompletions_account(ctx);

    ngx_memzero(&herr, sizeof(cc_http_error_t));

    if (ctx->fault.kind == NGX_HTTP_CHATCOMPLETIONS_FAULT_HTTP) {
        if (cc_bedrock_error(&ctx->alloc, ctx->bedrock_status,
                             (cc_str_t *) &a->error_type,
                             a->error_body.data, a->error_body.len, &herr)
            != CC_OK)
        {
            return NGX_ERROR;
        }

        /*
         * Only the first line of Bedrock's message: an InvalidSignature
         * answer goes on with the canonical request, session token and all
         */
        if (herr.code) {
            ctx->fault.code.data = (u_char *) herr.code;
            ctx->fault.code.len = ngx_strlen(herr.code);
        }

        ctx->bedrock_error.data = herr.name.data;
        ctx->bedrock_error.len = herr.name.len;

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "upstream Bedrock answered %ui %*s for model \"%V\": "
                      "\"%*s\"", ctx->bedrock_status, herr.name.len,
                      herr.name.data, &ctx->model_id, herr.message.len,
                      herr.message.data);

    } else {
        /* after a good round bedrock_status is 200: not the client's */
        herr.status = ctx->bedrock_status >= NGX_HTTP_SPECIAL_RESPONSE
                      ? ctx->bedrock_status : NGX_HTTP_BAD_GATEWAY;
        herr.type = (char *) ctx->fault.type.data;
        herr.code = (char *) ctx->fault.code.data;
        herr.message.data = ctx->fault.message.data;
        herr.message.len = ctx->fault.message.len;
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

    return ngx_http_chatcompletions_emit(ctx, r, out.data, out.len, 1);
}


/* a 500 while nothing was sent; once the stream is open, only an end */

static ngx_int_t
ngx_http_chatcompletions_internal_error(ngx_http_chatcompletions_ctx_t *ctx)
{
    return ctx->headers_sent ? NGX_ERROR : NGX_HTTP_INTERNAL_SERVER_ERROR;
}


static void
ngx_http_chatcompletions_account(ngx_http_chatcompletions_ctx_t *ctx)
{
    cc_round_t  round;

    /* as the answer's usage says them (cc_usage_gen) */
    ctx->prompt_tokens = cc_usage_prompt(&ctx->stream.usage);
    ctx->completion_tokens = ctx->stream.usage.output;
    ctx->total_tokens = cc_usage_total(&ctx->stream.usage);

    if (cc_stream_round_tool_uses(&ctx->stream, &round) == CC_OK) {
        ctx->stop_reason.data = round.stop_reason.data;
        ctx->stop_reason.len = round.stop_reason.len;
    }

    ngx_http_chatcompletions_extras_log(ctx);
}


/*
 * The keepalive comment is a heartbeat: it goes out only after an
 * interval with nothing else sent (emit() restarts the timer), while the
 * first token is awaited or tools run.
 */

static void
ngx_http_chatcompletions_keepalive_handler(ngx_event_t *ev)
{
    ngx_connection_t                     *c;
    ngx_http_request_t                   *r, *active;
    ngx_http_chatcompletions_ctx_t       *ctx;
    ngx_http_chatcompletions_attempt_t   *a;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    ctx = ev->data;
    r = ctx->request;
    c = r->connection;

    if (ctx->finished || ctx->state == NGX_HTTP_CHATCOMPLETIONS_DONE
        || c->error)
    {
        return;
    }

    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);

    if (!ngx_http_chatcompletions_idle(ev, ctx->last_sent,
                                       cclcf->keepalive_interval))
    {
        return;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "chatcompletions keepalive");

    if (ngx_http_chatcompletions_send_sse_header(ctx) != NGX_OK) {
        return;
    }

    a = ctx->round.attempt;

    active = (ctx->state == NGX_HTTP_CHATCOMPLETIONS_ATTEMPT && !a->done)
             ? a->sr : r;

    (void) ngx_http_chatcompletions_emit(ctx, active,
                       ngx_http_chatcompletions_keepalive_comment,
                       sizeof(ngx_http_chatcompletions_keepalive_comment) - 1,
                       0);

    ngx_http_run_posted_requests(c);
}


/* Bedrock sent nothing for chat_completions_read_timeout */

static void
ngx_http_chatcompletions_stall_handler(ngx_event_t *ev)
{
    ngx_http_chatcompletions_ctx_t       *ctx;
    ngx_http_chatcompletions_attempt_t   *a;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    a = ev->data;
    ctx = a->ctx;

    if (a->done) {
        return;
    }

    cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                         ngx_http_chatcompletions_module);

    if (!ngx_http_chatcompletions_idle(ev, a->last_read,
                                       cclcf->read_timeout))
    {
        return;
    }

    if (a->held) {
        /* the client is slow, not Bedrock: the module stopped reading */
        ngx_add_timer(ev, cclcf->read_timeout);
        return;
    }

    if (a->shadow || a->superseded) {
        ngx_http_chatcompletions_hedge_lost(a, "it stalled before its first "
                                            "token");
        return;
    }

    /* the upstream ends the attempt, as if proxy_read_timeout had fired */

    if (ngx_http_chatcompletions_stop_upstream(a->sr, 1) != NGX_OK) {
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
}


static void
ngx_http_chatcompletions_cleanup(void *data)
{
    ngx_http_chatcompletions_ctx_t *ctx = data;

    ngx_uint_t  i;

    /* a client that went away while tools ran leaves their timers */

    if (ctx->round.ncalls) {
        ngx_http_chatcompletions_tools_cancel(ctx);
    }

    if (ctx->keepalive.timer_set) {
        ngx_del_timer(&ctx->keepalive);
    }

    ngx_http_chatcompletions_credentials_cancel(ctx);

    if (ctx->retry.timer_set) {
        ngx_del_timer(&ctx->retry);
    }

    if (ctx->deadline.timer_set) {
        ngx_del_timer(&ctx->deadline);
    }

    for (i = 0; i < NGX_HTTP_CHATCOMPLETIONS_ATTEMPTS; i++) {
        if (ctx->round.slots[i] && ctx->round.slots[i]->stall.timer_set) {
            ngx_del_timer(&ctx->round.slots[i]->stall);
        }
    }
}


/*
 * chat_completions_first_token_deadline: the round's attempt has shown no
 * token yet; a second one races it on the next target, without
 * cancelling it.  The first to send a token wins, the other is cancelled
 * (filter.c, promote()).
 */

static void
ngx_http_chatcompletions_deadline_handler(ngx_event_t *ev)
{
    ngx_int_t                             rc;
    ngx_http_request_t                   *r;
    ngx_http_chatcompletions_ctx_t       *ctx;
    ngx_http_chatcompletions_attempt_t   *a, *h;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    ctx = ev->data;
    r = ctx->request;
    a = ctx->round.attempt;

    if (ctx->state != NGX_HTTP_CHATCOMPLETIONS_ATTEMPT || a == NULL
        || a->done || a->shown || ctx->round.shadow)
    {
        return;
    }

    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);

    if (ctx->round.tries >= cclcf->attempts
        || ngx_current_msec - ctx->round.started >= cclcf->retry_budget)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "chat_completions: no first token from %V after "
                      "%M ms, and no attempt left to race it",
                      &a->target->host, cclcf->first_token_deadline);
        return;
    }

    rc = ngx_http_chatcompletions_attempt_start(ctx,
                                       ngx_http_chatcompletions_attempt_done,
                                       ngx_http_chatcompletions_stall_handler,
                                       1);

    if (rc != NGX_DONE) {
        return;
    }

    h = ctx->round.shadow;

    ngx_http_chatcompletions_metric(ctx, NGX_HTTP_CHATCOMPLETIONS_M_HEDGE,
                                    NULL);

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "chat_completions: no first token from %V after %M ms "
                  "(chat_completions_first_token_deadline): attempt %ui "
                  "races it on %V (model \"%V\")", &a->target->host,
                  cclcf->first_token_deadline, ctx->attempts,
                  &h->target->host, &h->model);

    /* the subrequest runs */
    ngx_http_run_posted_requests(r->connection);
}
