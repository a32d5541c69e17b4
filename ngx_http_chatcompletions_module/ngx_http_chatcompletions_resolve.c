
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"


/*
 * chat_completions_resolve in an "upstream" block: its servers' names are
 * resolved again while nginx runs, through the http level's "resolver",
 * and the round-robin peers take the new addresses in place.  nginx
 * before 1.27.3 resolves an upstream's names only when it reads the
 * configuration, and AWS's endpoints change addresses; the peers (and so
 * the "keepalive" pool, which finds a cached connection by its address)
 * stay, only the address they connect to changes.
 *
 * Each worker resolves for itself (the peers are the worker's own: an
 * upstream with a "zone" is refused), every interval, or sooner when the
 * answer's TTL says so.  A server's peers take the answer's addresses in
 * turn; a failed lookup keeps the addresses in use.
 */


#define NGX_HTTP_CHATCOMPLETIONS_RESOLVE_DEFAULT  30000
#define NGX_HTTP_CHATCOMPLETIONS_RESOLVE_MIN      1000


typedef struct ngx_http_chatcompletions_resolve_s
    ngx_http_chatcompletions_resolve_t;


/* one upstream block's names, in a worker */
struct ngx_http_chatcompletions_resolve_s {
    ngx_http_upstream_srv_conf_t     *uscf;
    ngx_msec_t                        interval;
    ngx_resolver_t                   *resolver;
    ngx_msec_t                        resolver_timeout;

    ngx_event_t                       timer;
    ngx_array_t                       lookups;  /* of _lookup_t */
    ngx_uint_t                        pending;  /* lookups in flight */
    ngx_log_t                        *log;
};


/* one server's name, looked up every interval */
typedef struct {
    ngx_http_chatcompletions_resolve_t  *res;
    ngx_str_t                            server;   /* "host:port" */
    ngx_str_t                            host;
    in_port_t                            port;
} ngx_http_chatcompletions_lookup_t;


static void ngx_http_chatcompletions_resolve_timer(ngx_event_t *ev);
static void ngx_http_chatcompletions_resolved(ngx_resolver_ctx_t *rctx);
static ngx_int_t ngx_http_chatcompletions_resolve_own(ngx_cycle_t *cycle,
    ngx_http_chatcompletions_resolve_t *res);


/* chat_completions_resolve [interval=time]; in an upstream block */

char *
ngx_http_chatcompletions_resolve(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_str_t                             *value;
    ngx_http_upstream_srv_conf_t          *uscf;
    ngx_http_chatcompletions_resolve_t    *res;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    uscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_upstream_module);

    ccmcf = ngx_http_conf_get_module_main_conf(cf,
                                            ngx_http_chatcompletions_module);

    if (ccmcf->resolves == NULL) {
        ccmcf->resolves = ngx_array_create(cf->pool, 2,
                                  sizeof(ngx_http_chatcompletions_resolve_t));
        if (ccmcf->resolves == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    res = ngx_array_push(ccmcf->resolves);
    if (res == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(res, sizeof(ngx_http_chatcompletions_resolve_t));

    res->uscf = uscf;
    res->interval = NGX_HTTP_CHATCOMPLETIONS_RESOLVE_DEFAULT;

    value = cf->args->elts;

    if (cf->args->nelts == 2) {
        if (ngx_strncmp(value[1].data, "interval=", 9) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\": expected "
                               "\"interval=\"", &value[1]);
            return NGX_CONF_ERROR;
        }

        value[1].data += 9;
        value[1].len -= 9;

        res->interval = ngx_parse_time(&value[1], 0);

        if (res->interval == (ngx_msec_t) NGX_ERROR
            || res->interval < NGX_HTTP_CHATCOMPLETIONS_RESOLVE_MIN)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid interval \"%V\": at least 1s",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* after the configuration: the resolver, and upstreams it can serve */

ngx_int_t
ngx_http_chatcompletions_resolve_init(ngx_conf_t *cf)
{
    ngx_uint_t                             i;
    ngx_http_core_loc_conf_t              *clcf;
    ngx_http_chatcompletions_resolve_t    *res;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = ngx_http_conf_get_module_main_conf(cf,
                                            ngx_http_chatcompletions_module);

    if (ccmcf->resolves == NULL) {
        return NGX_OK;
    }

    /* the http level's "resolver" */
    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    res = ccmcf->resolves->elts;

    for (i = 0; i < ccmcf->resolves->nelts; i++) {

        if (clcf->resolver == NULL || clcf->resolver->connections.nelts == 0)
        {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "chat_completions_resolve in upstream \"%V\" "
                          "needs a \"resolver\" at the http level",
                          &res[i].uscf->host);
            return NGX_ERROR;
        }

        if (res[i].uscf->shm_zone) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "chat_completions_resolve in upstream \"%V\" "
                          "does not work with \"zone\"", &res[i].uscf->host);
            return NGX_ERROR;
        }

        res[i].resolver = clcf->resolver;

        /* the http level's own value is not merged: nginx's default */
        res[i].resolver_timeout =
                           (clcf->resolver_timeout == NGX_CONF_UNSET_MSEC)
                           ? 30000 : clcf->resolver_timeout;
    }

    return NGX_OK;
}


/* in each worker: the peers get addresses of their own, the timers run */

ngx_int_t
ngx_http_chatcompletions_resolve_start(ngx_cycle_t *cycle)
{
    ngx_uint_t                             i;
    ngx_http_upstream_rr_peers_t          *peers;
    ngx_http_chatcompletions_resolve_t    *res;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                             ngx_http_chatcompletions_module);

    if (ccmcf == NULL || ccmcf->resolves == NULL) {
        return NGX_OK;
    }

    res = ccmcf->resolves->elts;

    for (i = 0; i < ccmcf->resolves->nelts; i++) {

        peers = res[i].uscf->peer.data;

        if (peers == NULL || res[i].resolver == NULL) {
            continue;
        }

        if (ngx_http_chatcompletions_resolve_own(cycle, &res[i]) != NGX_OK) {
            return NGX_ERROR;
        }

        res[i].log = cycle->log;

        res[i].timer.handler = ngx_http_chatcompletions_resolve_timer;
        res[i].timer.data = &res[i];
        res[i].timer.log = cycle->log;
        res[i].timer.cancelable = 1;

        ngx_add_timer(&res[i].timer, res[i].interval);
    }

    return NGX_OK;
}


/*
 * A peer's address and its text are rewritten in place: each gets room of
 * its own once, and each server its lookup, so that nothing is allocated
 * afterwards.
 */

static ngx_int_t
ngx_http_chatcompletions_resolve_own(ngx_cycle_t *cycle,
    ngx_http_chatcompletions_resolve_t *res)
{
    u_char                             *name, *colon;
    ngx_int_t                           port;
    ngx_uint_t                          i;
    ngx_sockaddr_t                     *sa;
    ngx_http_upstream_rr_peer_t        *peer;
    ngx_http_upstream_rr_peers_t       *peers;
    ngx_http_chatcompletions_lookup_t  *lk;

    peers = res->uscf->peer.data;

    if (ngx_array_init(&res->lookups, cycle->pool, 2,
                       sizeof(ngx_http_chatcompletions_lookup_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    for (peer = peers->peer; peer; peer = peer->next) {

        sa = ngx_pcalloc(cycle->pool, sizeof(ngx_sockaddr_t));
        name = ngx_pnalloc(cycle->pool, NGX_SOCKADDR_STRLEN);

        if (sa == NULL || name == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(sa, peer->sockaddr, peer->socklen);
        peer->sockaddr = &sa->sockaddr;

        peer->name.len = ngx_min(peer->name.len, NGX_SOCKADDR_STRLEN);
        ngx_memcpy(name, peer->name.data, peer->name.len);
        peer->name.data = name;

        /* one lookup per server: "host:port" as written */

        lk = res->lookups.elts;

        for (i = 0; i < res->lookups.nelts; i++) {
            if (lk[i].server.len == peer->server.len
                && ngx_strncmp(lk[i].server.data, peer->server.data,
                               peer->server.len) == 0)
            {
                break;
            }
        }

        if (i < res->lookups.nelts || peer->server.len == 0) {
            continue;
        }

        colon = ngx_strlchr(peer->server.data,
                            peer->server.data + peer->server.len, ':');

        port = colon ? ngx_atoi(colon + 1,
                                peer->server.data + peer->server.len
                                - colon - 1)
                     : 80;

        if (port <= 0 || port > 65535) {
            continue;
        }

        lk = ngx_array_push(&res->lookups);
        if (lk == NULL) {
            return NGX_ERROR;
        }

        lk->res = res;
        lk->server = peer->server;
        lk->host.data = peer->server.data;
        lk->host.len = colon ? (size_t) (colon - peer->server.data)
                             : peer->server.len;
        lk->port = (in_port_t) port;
    }

    return NGX_OK;
}


/* every server's name is looked up; the timer is set again when done */

static void
ngx_http_chatcompletions_resolve_timer(ngx_event_t *ev)
{
    ngx_uint_t                            i;
    ngx_resolver_ctx_t                   *rctx;
    ngx_http_chatcompletions_lookup_t    *lk;
    ngx_http_chatcompletions_resolve_t   *res;

    res = ev->data;

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    lk = res->lookups.elts;

    for (i = 0; i < res->lookups.nelts; i++) {

        rctx = ngx_resolve_start(res->resolver, NULL);

        if (rctx == NULL || rctx == NGX_NO_RESOLVER) {
            ngx_log_error(NGX_LOG_ERR, res->log, 0,
                          "chat_completions_resolve: cannot resolve \"%V\"",
                          &lk[i].server);
            continue;
        }

        rctx->name = lk[i].host;
        rctx->handler = ngx_http_chatcompletions_resolved;
        rctx->data = &lk[i];
        rctx->timeout = res->resolver_timeout;

        res->pending++;

        if (ngx_resolve_name(rctx) != NGX_OK) {
            /* the context is freed by the resolver */
            res->pending--;
            ngx_log_error(NGX_LOG_ERR, res->log, 0,
                          "chat_completions_resolve: cannot resolve \"%V\"",
                          &lk[i].server);
        }
    }

    if (res->pending == 0 && !res->timer.timer_set) {
        ngx_add_timer(&res->timer, res->interval);
    }
}


/* an answer: the server's peers take its addresses in turn */

static void
ngx_http_chatcompletions_resolved(ngx_resolver_ctx_t *rctx)
{
    u_char                               text[NGX_SOCKADDR_STRLEN];
    size_t                               len;
    ngx_uint_t                           k, changed;
    ngx_str_t                           *moved;
    ngx_resolver_addr_t                 *addr;
    ngx_http_upstream_rr_peer_t         *peer;
    ngx_http_upstream_rr_peers_t        *peers;
    ngx_http_chatcompletions_lookup_t   *lk;
    ngx_http_chatcompletions_resolve_t  *res;

    lk = rctx->data;
    res = lk->res;
    peers = res->uscf->peer.data;

    if (rctx->state || rctx->naddrs == 0) {
        ngx_log_error(NGX_LOG_WARN, res->log, 0,
                      "chat_completions_resolve: \"%V\" could not be "
                      "resolved (%i: %s); its addresses stay",
                      &lk->server, rctx->state,
                      ngx_resolver_strerror(rctx->state));
        goto done;
    }

    k = 0;
    changed = 0;
    moved = NULL;

    for (peer = peers->peer; peer; peer = peer->next) {

        if (peer->server.len != lk->server.len
            || ngx_strncmp(peer->server.data, lk->server.data,
                           lk->server.len) != 0)
        {
            continue;
        }

        addr = &rctx->addrs[k++ % rctx->naddrs];

        if (addr->socklen > sizeof(ngx_sockaddr_t)) {
            continue;
        }

        ngx_memcpy(text, addr->sockaddr, addr->socklen);
        ngx_inet_set_port((struct sockaddr *) text, lk->port);

        if (peer->socklen == addr->socklen
            && ngx_memcmp(peer->sockaddr, text, addr->socklen) == 0)
        {
            continue;
        }

        ngx_memcpy(peer->sockaddr, text, addr->socklen);
        peer->socklen = addr->socklen;

        len = ngx_sock_ntop(peer->sockaddr, peer->socklen, text,
                            NGX_SOCKADDR_STRLEN, 1);

        ngx_memcpy(peer->name.data, text, len);
        peer->name.len = len;

        /* a peer marked failed at the old address starts afresh */
        peer->fails = 0;
        peer->checked = ngx_time();

        moved = &peer->name;
        changed++;
    }

    if (changed) {
        ngx_log_error(NGX_LOG_NOTICE, res->log, 0,
                      "chat_completions_resolve: upstream \"%V\": \"%V\" "
                      "now at %V (%ui peer(s) moved)", &res->uscf->host,
                      &lk->server, moved, changed);
    }

done:

    ngx_resolve_name_done(rctx);

    if (--res->pending == 0 && !res->timer.timer_set
        && !(ngx_exiting || ngx_terminate || ngx_quit))
    {
        ngx_add_timer(&res->timer, res->interval);
    }
}
