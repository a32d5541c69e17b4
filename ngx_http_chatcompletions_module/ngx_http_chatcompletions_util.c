
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"


/*
 * Small nginx helpers that every other glue file uses and that use none
 * of them: the pool allocator of the pure units, a header lookup, a timer
 * that restarts, a subrequest with its own headers and body, a file read
 * at configuration time, the worker's scratch arena, and the end of a
 * proxied subrequest.
 */


static ngx_int_t ngx_http_chatcompletions_set_body(ngx_http_request_t *sr,
    u_char *data, size_t len);


/* the worker's scratch arena for one event's parsed payload */
static ngx_pool_t  *ngx_http_chatcompletions_pool;
static cc_alloc_t   ngx_http_chatcompletions_arena;

/* the worker's SSE generator, for every stream, in a pool of its own */
static ngx_pool_t  *ngx_http_chatcompletions_gen_pool;
static cc_alloc_t   ngx_http_chatcompletions_gen_arena;
static cc_gen_t    *ngx_http_chatcompletions_gen;


void *
ngx_http_chatcompletions_pool_alloc(void *data, size_t size)
{
    return ngx_palloc(data, size);
}


/*
 * Each event's parsed payload is needed only while the event is
 * translated: it goes to a scratch arena that is emptied after each
 * event.  Events are translated one at a time, so one arena serves every
 * request of the worker: nothing of it grows with a long answer, nothing
 * is allocated or freed per read.  It lives from the worker's start to
 * its exit (init_process, exit_process).
 */


cc_alloc_t *
ngx_http_chatcompletions_scratch(void)
{
    /* without a master process a reload does not run init_process */

    if (ngx_http_chatcompletions_pool == NULL
        && ngx_http_chatcompletions_scratch_init((ngx_cycle_t *) ngx_cycle)
           != NGX_OK)
    {
        return NULL;
    }

    return &ngx_http_chatcompletions_arena;
}

/*
 * The generator a stream prints its chunks with keeps nothing of the
 * stream from one event to the next (cc_round.h): one serves every stream
 * of the worker, and a stream does not keep one of its own (a yajl handle
 * and a buffer of 1 KB or more).  Its buffer grows to the largest event's
 * chunks and stays.  NULL (no memory): each stream makes its own.
 */

cc_gen_t *
ngx_http_chatcompletions_sse_gen(void)
{
    if (ngx_http_chatcompletions_scratch() == NULL) {
        return NULL;
    }

    return ngx_http_chatcompletions_gen;
}


ngx_int_t
ngx_http_chatcompletions_scratch_init(ngx_cycle_t *cycle)
{
    ngx_http_chatcompletions_pool = ngx_create_pool(
                                       NGX_HTTP_CHATCOMPLETIONS_SCRATCH_SIZE,
                                       cycle->log);
    if (ngx_http_chatcompletions_pool == NULL) {
        return NGX_ERROR;
    }

    ngx_http_chatcompletions_arena.alloc = ngx_http_chatcompletions_pool_alloc;
    ngx_http_chatcompletions_arena.data = ngx_http_chatcompletions_pool;

    ngx_http_chatcompletions_gen_pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE,
                                                        cycle->log);
    if (ngx_http_chatcompletions_gen_pool == NULL) {
        return NGX_ERROR;
    }

    ngx_http_chatcompletions_gen_arena.alloc =
                                          ngx_http_chatcompletions_pool_alloc;
    ngx_http_chatcompletions_gen_arena.data = ngx_http_chatcompletions_gen_pool;

    ngx_http_chatcompletions_gen = cc_gen_new(
                                         &ngx_http_chatcompletions_gen_arena);

    return NGX_OK;
}


void
ngx_http_chatcompletions_scratch_done(void)
{
    if (ngx_http_chatcompletions_pool) {
        ngx_destroy_pool(ngx_http_chatcompletions_pool);
        ngx_http_chatcompletions_pool = NULL;
    }

    if (ngx_http_chatcompletions_gen_pool) {
        ngx_destroy_pool(ngx_http_chatcompletions_gen_pool);
        ngx_http_chatcompletions_gen_pool = NULL;
        ngx_http_chatcompletions_gen = NULL;
    }
}


/* emptied after an event; an event that needed more blocks gives them back */

void
ngx_http_chatcompletions_scratch_reset(void)
{
    ngx_log_t  *log;

    if (ngx_http_chatcompletions_pool->d.next == NULL) {
        ngx_reset_pool(ngx_http_chatcompletions_pool);
        return;
    }

    log = ngx_http_chatcompletions_pool->log;

    ngx_destroy_pool(ngx_http_chatcompletions_pool);

    ngx_http_chatcompletions_pool = ngx_create_pool(
                                       NGX_HTTP_CHATCOMPLETIONS_SCRATCH_SIZE,
                                       log);

    ngx_http_chatcompletions_arena.data = ngx_http_chatcompletions_pool;
}


/* a header by name (any case), in a request's or a response's list */

ngx_table_elt_t *
ngx_http_chatcompletions_find_header(ngx_list_t *headers, u_char *name,
    size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &headers->part;
    h = part->elts;

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash && h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, name, len) == 0)
        {
            return &h[i];
        }
    }
}


/*
 * A timer that fires only after "timer" ms with no activity: the
 * keepalive heartbeat, Bedrock's stall.  Restarting it at every chunk
 * would cost a delete and an insert in the timer tree per chunk (and
 * ngx_add_timer() ignores a restart within NGX_TIMER_LAZY_DELAY, 300ms);
 * instead activity is stamped, and the timer's handler asks idle() first,
 * which sets the timer again for what is left of the interval.
 */

void
ngx_http_chatcompletions_touch(ngx_event_t *ev, ngx_msec_t *stamp,
    ngx_msec_t timer)
{
    *stamp = ngx_current_msec;

    if (!ev->timer_set) {
        ngx_add_timer(ev, timer);
    }
}


ngx_uint_t
ngx_http_chatcompletions_idle(ngx_event_t *ev, ngx_msec_t stamp,
    ngx_msec_t timer)
{
    ngx_msec_t  elapsed;

    elapsed = ngx_current_msec - stamp;

    if (elapsed >= timer) {
        return 1;
    }

    ngx_add_timer(ev, timer - elapsed);

    return 0;
}


/*
 * ngx_http_subrequest() shares the client's headers and body with the
 * subrequest: a proxy_pass would forward the client's Authorization and
 * JSON.  Bedrock and the tools get their own, empty, header list.
 * NGX_DECLINED: no subrequest; NGX_ERROR: one exists, but failed.
 */

ngx_int_t
ngx_http_chatcompletions_subrequest(ngx_http_request_t *r, ngx_str_t *uri,
    ngx_http_post_subrequest_t *ps, ngx_uint_t flags,
    ngx_http_request_t **psr)
{
    ngx_http_request_t  *sr;

    if (ngx_http_subrequest(r, uri, NULL, psr, ps, flags) != NGX_OK) {
        return NGX_DECLINED;
    }

    sr = *psr;

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    sr->headers_in.content_length_n = -1;
    sr->headers_in.keep_alive_n = -1;

    if (ngx_list_init(&sr->headers_in.headers, sr->pool, 4,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

#if (nginx_version >= 1023000)
    sr->headers_in.cookie = NULL;
#endif

    sr->request_body = NULL;

    return NGX_OK;
}


/* a subrequest posts JSON: its own body, and its type */

ngx_int_t
ngx_http_chatcompletions_post_json(ngx_http_request_t *sr, u_char *data,
    size_t len)
{
    return ngx_http_chatcompletions_post_body(sr, data, len,
                                              "application/json");
}


ngx_int_t
ngx_http_chatcompletions_post_body(ngx_http_request_t *sr, u_char *data,
    size_t len, char *type)
{
    sr->method = NGX_HTTP_POST;
    ngx_str_set(&sr->method_name, "POST");

    if (ngx_http_chatcompletions_set_body(sr, data, len) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_chatcompletions_add_input_header(sr, "Content-Type",
                                                     (u_char *) type,
                                                     ngx_strlen(type));
}


/*
 * The proxy module prints the request it builds at debug level, headers
 * and all: with temporary credentials the session token, with a Bedrock
 * API key the key itself, for a credential source its token.  Such a
 * subrequest therefore runs its phases, up to the request being built,
 * with debug logging off; the response is logged as usual.
 */

void
ngx_http_chatcompletions_run_masked(ngx_http_request_t *sr)
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
 * A small local file read while a worker runs (a token file that
 * rotates, a shared credentials file): NGX_DECLINED when it is missing,
 * with errno kept for the caller's message.
 */

ngx_int_t
ngx_http_chatcompletions_read_small_file(ngx_pool_t *pool, ngx_log_t *log,
    u_char *path, ngx_str_t *out)
{
    u_char           *p;
    ssize_t           n;
    ngx_err_t         err;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.name.data = path;
    file.name.len = ngx_strlen(path);
    file.log = log;

    file.fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (file.fd == NGX_INVALID_FILE) {
        return NGX_DECLINED;
    }

    if (ngx_fd_info(file.fd, &fi) == NGX_FILE_ERROR
        || ngx_file_size(&fi) > 1024 * 1024)
    {
        err = ngx_errno;
        (void) ngx_close_file(file.fd);
        ngx_set_errno(err ? err : EFBIG);
        return NGX_DECLINED;
    }

    p = ngx_pnalloc(pool, ngx_file_size(&fi) + 1);
    if (p == NULL) {
        (void) ngx_close_file(file.fd);
        return NGX_ERROR;
    }

    n = ngx_read_file(&file, p, ngx_file_size(&fi), 0);

    err = ngx_errno;
    (void) ngx_close_file(file.fd);

    if (n != ngx_file_size(&fi)) {
        ngx_set_errno(err);
        return NGX_DECLINED;
    }

    p[n] = '\0';

    out->data = p;
    out->len = n;

    return NGX_OK;
}


static ngx_int_t
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


/* a file of the configuration: a prompt or a schema, at most 1m */

ngx_int_t
ngx_http_chatcompletions_read_file(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *out)
{
    u_char           *p;
    ssize_t           n;
    ngx_str_t         path;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    path = *name;

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.name = path;
    file.log = cf->log;

    file.fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (file.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", path.data);
        return NGX_ERROR;
    }

    if (ngx_fd_info(file.fd, &fi) == NGX_FILE_ERROR
        || ngx_file_size(&fi) > 1024 * 1024)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" is unreadable or larger than 1m",
                           path.data);
        (void) ngx_close_file(file.fd);
        return NGX_ERROR;
    }

    p = ngx_pnalloc(cf->pool, ngx_file_size(&fi) + 1);
    if (p == NULL) {
        (void) ngx_close_file(file.fd);
        return NGX_ERROR;
    }

    n = ngx_read_file(&file, p, ngx_file_size(&fi), 0);

    (void) ngx_close_file(file.fd);

    if (n != ngx_file_size(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cannot read \"%s\"", path.data);
        return NGX_ERROR;
    }

    /* a trailing newline of the file is not part of the text */
    while (n && (p[n - 1] == LF || p[n - 1] == CR)) {
        n--;
    }

    p[n] = '\0';

    out->data = p;
    out->len = n;

    return NGX_OK;
}


/*
 * Ends a proxied subrequest early: the one place where the module acts
 * beyond nginx's module API, on the upstream of a subrequest that the
 * proxy module runs (the function after it only reads).  Finalizing the
 * subrequest from outside would leave the upstream's connection and
 * timers behind; instead the upstream is made to end the request itself,
 * on its own code path:
 *
 *   timed_out  the upstream connection's read event is posted as timed
 *              out, as if proxy_read_timeout had fired: the upstream
 *              closes the connection and finalizes with 504 (Bedrock
 *              stalled; a tool took too long);
 *   otherwise  the response is declared complete (u->length = 0) and not
 *              reusable (u->keepalive = 0): the next pass of the
 *              non-buffered upstream ends the request, and the connection
 *              is closed, not kept alive (a corrupt byte stream).
 *
 * NGX_DECLINED: no upstream, or no connection to it (yet).
 *
 * Checked against ngx_http_upstream.c of nginx 1.22.1 (Debian 12) and
 * 1.29.8: ngx_http_upstream_process_non_buffered_request(),
 * ngx_http_upstream_process_header() and the event pipe treat both the
 * same way there.
 */

ngx_int_t
ngx_http_chatcompletions_stop_upstream(ngx_http_request_t *sr,
    ngx_uint_t timed_out)
{
    ngx_connection_t     *pc;
    ngx_http_upstream_t  *u;

    u = sr->upstream;

    if (u == NULL) {
        return NGX_DECLINED;
    }

    if (!timed_out) {
        u->length = 0;
        u->keepalive = 0;
        return NGX_OK;
    }

    pc = u->peer.connection;

    if (pc == NULL) {
        return NGX_DECLINED;
    }

    if (pc->read->timer_set) {
        ngx_del_timer(pc->read);
    }

    pc->read->timedout = 1;
    ngx_post_event(pc->read, &ngx_posted_events);

    return NGX_OK;
}


/*
 * The other reach into a proxied subrequest's upstream, a read only: when
 * the subrequest has ended, whether the upstream still expected bytes of
 * a response whose length it knew (Content-Length, or a chunk): a Converse
 * answer cut short.  Same versions as above.
 */

ngx_uint_t
ngx_http_chatcompletions_upstream_short(ngx_http_request_t *sr)
{
    return sr->upstream && sr->upstream->length > 0;
}


/* 1 when set and not empty; else 0, and the value empty */

ngx_int_t
ngx_http_chatcompletions_getenv(const char *name, ngx_str_t *value)
{
    char  *v;

    v = getenv(name);

    if (v == NULL || *v == '\0') {
        ngx_str_null(value);
        return 0;
    }

    value->data = (u_char *) v;
    value->len = ngx_strlen(v);

    return 1;
}


/* the authority of an http(s) URL, without a default port */

ngx_int_t
ngx_http_chatcompletions_split_url(ngx_str_t *url, ngx_str_t *host)
{
    u_char  *p, *last, *colon;
    size_t   skip;

    if (url->len > 8 && ngx_strncasecmp(url->data, (u_char *) "https://", 8)
                        == 0)
    {
        skip = 8;

    } else if (url->len > 7
               && ngx_strncasecmp(url->data, (u_char *) "http://", 7) == 0)
    {
        skip = 7;

    } else {
        return NGX_ERROR;
    }

    p = url->data + skip;
    last = url->data + url->len;

    host->data = p;

    while (p < last && *p != '/' && *p != '?' && *p != '#') {
        p++;
    }

    host->len = p - host->data;

    if (host->len == 0) {
        return NGX_ERROR;
    }

    colon = ngx_strlchr(host->data, host->data + host->len, ':');

    if (colon && host->data[0] != '[') {
        if ((skip == 8 && last - colon >= 4
             && p - colon == 4 && ngx_strncmp(colon, ":443", 4) == 0)
            || (skip == 7 && p - colon == 3
                && ngx_strncmp(colon, ":80", 3) == 0))
        {
            host->len = colon - host->data;
        }
    }

    return NGX_OK;
}


/*
 * A POST to AWS signed with SigV4 (content-type and host signed): the
 * caller fills in req the path, payload, credentials, region and service.
 * NGX_DECLINED with *err (a static reason, never key material).
 */

ngx_int_t
ngx_http_chatcompletions_sign_post(ngx_http_request_t *r, cc_alloc_t *a,
    cc_sigv4_request_t *req, char *type, ngx_str_t *host,
    ngx_http_chatcompletions_auth_t *auth, const char **err)
{
    cc_sigv4_header_t  headers[2];
    cc_sigv4_result_t  res;

    ngx_memzero(&res, sizeof(cc_sigv4_result_t));

    headers[0].name.data = (u_char *) "content-type";
    headers[0].name.len = sizeof("content-type") - 1;
    headers[0].value.data = (u_char *) type;
    headers[0].value.len = ngx_strlen(type);
    headers[1].name.data = (u_char *) "host";
    headers[1].name.len = sizeof("host") - 1;
    headers[1].value.data = host->data;
    headers[1].value.len = host->len;

    req->method.data = (u_char *) "POST";
    req->method.len = sizeof("POST") - 1;
    req->headers = headers;
    req->nheaders = 2;
    req->now = ngx_time();

    if (cc_sigv4_sign(a, req, &res) != CC_OK) {
        *err = res.err ? res.err : "unknown error";
        return NGX_DECLINED;
    }

    /*
     * Not the canonical request: with temporary credentials it holds the
     * session token.
     */
    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "chatcompletions signed headers: %s",
                   res.signed_headers.data);

    auth->date.data = ngx_pnalloc(r->pool, 16);
    if (auth->date.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(auth->date.data, res.amz_date, 16);
    auth->date.len = 16;

    auth->token.data = req->session_token.data;
    auth->token.len = req->session_token.len;
    auth->authorization.data = res.authorization.data;
    auth->authorization.len = res.authorization.len;

    return NGX_OK;
}


/* a signed call's headers, on its subrequest */

ngx_int_t
ngx_http_chatcompletions_auth_headers(ngx_http_request_t *sr,
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
 * At configuration load: a variable as the workers will see it, the
 * value of an "env NAME=value" directive, else the master's own.  1 when
 * set and not empty (the value ends with a NUL); else 0, the value empty.
 */

ngx_int_t
ngx_http_chatcompletions_conf_getenv(ngx_conf_t *cf, const char *name,
    ngx_str_t *value)
{
    size_t            len;
    ngx_str_t        *var;
    ngx_uint_t        i;
    ngx_core_conf_t  *ccf;

    ccf = (ngx_core_conf_t *) ngx_get_conf(cf->cycle->conf_ctx,
                                           ngx_core_module);

    len = ngx_strlen(name);
    var = ccf->env.elts;

    for (i = 0; i < ccf->env.nelts; i++) {
        if (var[i].len == len
            && ngx_strncmp(var[i].data, name, len) == 0
            && var[i].data[len] == '=')
        {
            value->data = var[i].data + len + 1;
            value->len = ngx_strlen(value->data);

            if (value->len == 0) {
                ngx_str_null(value);
                return 0;
            }

            return 1;
        }
    }

    return ngx_http_chatcompletions_getenv(name, value);
}


/*
 * A racing attempt that lost: its connection is closed at once.  Once
 * the upstream is reading the body, the response is declared complete
 * and a read is posted: the non-buffered upstream ends the subrequest
 * quietly (ngx_http_upstream_process_non_buffered_request(), checked
 * against nginx 1.22.1); before, as stop_upstream(sr, 1) does.
 */

ngx_int_t
ngx_http_chatcompletions_cancel_upstream(ngx_http_request_t *sr)
{
    ngx_connection_t     *pc;
    ngx_http_upstream_t  *u;

    u = sr->upstream;

    if (u == NULL || u->peer.connection == NULL) {
        return NGX_DECLINED;
    }

    if (!u->header_sent) {
        return ngx_http_chatcompletions_stop_upstream(sr, 1);
    }

    pc = u->peer.connection;

    u->length = 0;
    u->keepalive = 0;

    if (pc->read->timer_set) {
        ngx_del_timer(pc->read);
    }

    ngx_post_event(pc->read, &ngx_posted_events);

    return NGX_OK;
}
