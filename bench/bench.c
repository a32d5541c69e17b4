
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The load generator of `make bench`: libcurl's multi interface driven by
 * epoll (curl_multi_socket_action), so that ten thousand streams cost
 * what their events cost, not a poll() of every socket per wake-up.
 *
 *   bench [-n REQUESTS] [-c CONCURRENCY] [-d BODY] [-H HEADER]...
 *         [-e EVENTS] [-t NEEDLE] [-o COMMAND] [-O COMMAND -w USEC] URL
 *
 * Runs REQUESTS requests (POST BODY, or GET without -d), CONCURRENCY at a
 * time on kept-alive connections, and prints one line of JSON: the
 * requests that succeeded and failed (a transfer error, a status other
 * than 200, or a body without EVENTS server-sent events when -e is
 * given), the time to first token (until NEEDLE is first seen in the
 * body; without -t, the first body byte) and the total time (p50 and
 * p99, microseconds), the bytes received and the requests per second.
 * With -o, COMMAND runs once (through the shell, the streams held) the
 * first time CONCURRENCY streams are open at once, each past its first
 * token: the caller measures the server with its streams open; with -O,
 * another COMMAND runs USEC microseconds later (the streams further on).
 */


#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>


typedef struct {
    CURL                     *easy;
    uint64_t                  start;
    uint64_t                  first;    /* 0: no token yet */
    size_t                    bytes;
    size_t                    events;   /* blank lines: SSE events */
    char                      last;     /* the previous byte */
} bench_req_t;


static uint64_t bench_now(void);
static size_t bench_write(char *p, size_t size, size_t n, void *data);
static int bench_socket(CURL *easy, curl_socket_t s, int what, void *userp,
    void *socketp);
static int bench_timer(CURLM *multi, long timeout_ms, void *userp);
static void bench_start(bench_req_t *req);
static void bench_done(CURLMsg *msg);
static void bench_run(const char *cmd);
static int bench_cmp(const void *a, const void *b);
static double bench_pct(double *v, size_t n, double pct);


static int                 ep;
static long                timer_ms = -1;
static CURLM              *multi;
static char               *url, *body, *needle, *at_open, *at_late;
static long                expect_events;
static int                 open_now, open_max, held, held_late;
static uint64_t            late_us, late_at;
static int                 concurrency, done, ok, failed, reported;
static double             *ttft, *total;
static size_t              bytes;
static struct curl_slist  *headers;


int
main(int argc, char **argv)
{
    int                  i, n, opt, started, running, msgs;
    long                 timeout;
    double               elapsed;
    uint64_t             t0, now;
    CURLMsg             *msg;
    bench_req_t         *reqs;
    struct rlimit        rl;
    struct epoll_event   events[512];

    n = 1;
    concurrency = 1;

    while ((opt = getopt(argc, argv, "n:c:d:H:e:t:o:O:w:")) != -1) {
        switch (opt) {
        case 'n':
            n = atoi(optarg);
            break;
        case 'c':
            concurrency = atoi(optarg);
            break;
        case 'd':
            body = optarg;
            break;
        case 'H':
            headers = curl_slist_append(headers, optarg);
            break;
        case 'e':
            expect_events = atol(optarg);
            break;
        case 't':
            needle = optarg;
            break;
        case 'o':
            at_open = optarg;
            break;
        case 'O':
            at_late = optarg;
            break;
        case 'w':
            late_us = strtoull(optarg, NULL, 10);
            break;
        default:
            return 2;
        }
    }

    if (optind != argc - 1 || n < 1 || concurrency < 1) {
        fprintf(stderr, "usage: bench [-n REQUESTS] [-c CONCURRENCY] "
                "[-d BODY] [-H HEADER]... [-e EVENTS] [-t NEEDLE] "
                "[-o COMMAND] URL\n");
        return 2;
    }

    url = argv[optind];

    /* this process only: a descriptor per stream, and some */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        (void) setrlimit(RLIMIT_NOFILE, &rl);
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);

    reqs = calloc(n, sizeof(bench_req_t));
    ttft = calloc(n, sizeof(double));
    total = calloc(n, sizeof(double));
    if (reqs == NULL || ttft == NULL || total == NULL) {
        return 1;
    }

    ep = epoll_create1(0);

    multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, bench_socket);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, bench_timer);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long) concurrency + 16);

    t0 = bench_now();
    started = 0;

    while (done < n) {

        while (started < n && started - done < concurrency) {
            bench_start(&reqs[started++]);
        }

        timeout = timer_ms;

        if (late_at && !held_late) {
            now = bench_now();
            timeout = late_at > now ? (long) (late_at - now + 999) / 1000 : 0;
            if (timer_ms >= 0 && timer_ms < timeout) {
                timeout = timer_ms;
            }
        }

        i = epoll_wait(ep, events, 512, (int) timeout);

        if (i < 0 && errno != EINTR) {
            perror("bench: epoll_wait");
            return 1;
        }

        if (i <= 0) {
            curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0,
                                     &running);
        }

        while (i-- > 0) {
            curl_multi_socket_action(multi, events[i].data.fd,
                ((events[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0)
                | ((events[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0)
                | ((events[i].events & (EPOLLERR | EPOLLHUP))
                   ? CURL_CSELECT_ERR : 0),
                &running);
        }

        if (timer_ms == 0) {
            curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0,
                                     &running);
        }

        while ((msg = curl_multi_info_read(multi, &msgs)) != NULL) {
            if (msg->msg == CURLMSG_DONE) {
                bench_done(msg);
            }
        }

        if ((at_open || at_late) && !held && open_now >= concurrency) {
            held = 1;
            late_at = bench_now() + late_us;
            bench_run(at_open);
        }

        if (at_late && late_at && !held_late && bench_now() >= late_at) {
            held_late = 1;
            bench_run(at_late);
        }
    }

    elapsed = (bench_now() - t0) / 1e6;

    printf("{\"requests\":%d,\"concurrency\":%d,\"ok\":%d,\"failed\":%d,"
           "\"open_max\":%d,\"bytes\":%zu,\"elapsed_s\":%.3f,"
           "\"rps\":%.1f,\"ttft_p50_us\":%.0f,\"ttft_p99_us\":%.0f,"
           "\"total_p50_us\":%.0f,\"total_p99_us\":%.0f}\n",
           n, concurrency, ok, failed, open_max, bytes, elapsed,
           n / elapsed, bench_pct(ttft, ok, 0.5), bench_pct(ttft, ok, 0.99),
           bench_pct(total, ok, 0.5), bench_pct(total, ok, 0.99));

    curl_multi_cleanup(multi);
    curl_slist_free_all(headers);
    curl_global_cleanup();
    free(reqs);
    free(ttft);
    free(total);

    return failed ? 1 : 0;
}


static uint64_t
bench_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


static size_t
bench_write(char *p, size_t size, size_t n, void *data)
{
    size_t        i, len;
    bench_req_t  *req = data;

    len = size * n;

    if (req->first == 0
        && (needle == NULL || memmem(p, len, needle, strlen(needle))))
    {
        req->first = bench_now();
        open_now++;

        if (open_now > open_max) {
            open_max = open_now;
        }
    }

    for (i = 0; i < len; i++) {
        if (p[i] == '\n' && req->last == '\n') {
            req->events++;
        }

        req->last = p[i];
    }

    req->bytes += len;

    return len;
}


static int
bench_socket(CURL *easy, curl_socket_t s, int what, void *userp,
    void *socketp)
{
    struct epoll_event  ev;

    (void) easy;
    (void) userp;

    if (what == CURL_POLL_REMOVE) {
        (void) epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL);
        curl_multi_assign(multi, s, NULL);
        return 0;
    }

    ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0)
                | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
    ev.data.fd = s;

    if (socketp == NULL) {
        if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) != 0 && errno == EEXIST) {
            (void) epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev);
        }

        curl_multi_assign(multi, s, &ep);

    } else {
        (void) epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev);
    }

    return 0;
}


static int
bench_timer(CURLM *m, long timeout_ms, void *userp)
{
    (void) m;
    (void) userp;

    timer_ms = timeout_ms;

    return 0;
}


static void
bench_start(bench_req_t *req)
{
    req->easy = curl_easy_init();

    curl_easy_setopt(req->easy, CURLOPT_URL, url);
    if (body) {
        curl_easy_setopt(req->easy, CURLOPT_POSTFIELDS, body);
    }
    curl_easy_setopt(req->easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(req->easy, CURLOPT_WRITEFUNCTION, bench_write);
    curl_easy_setopt(req->easy, CURLOPT_WRITEDATA, req);
    curl_easy_setopt(req->easy, CURLOPT_PRIVATE, req);
    curl_easy_setopt(req->easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(req->easy, CURLOPT_TIMEOUT, 300L);

    req->start = bench_now();

    curl_multi_add_handle(multi, req->easy);
}


static void
bench_done(CURLMsg *msg)
{
    long          status;
    uint64_t      now;
    bench_req_t  *req;

    now = bench_now();

    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &req);

    status = 0;
    curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);

    if (req->first) {
        open_now--;
    }

    if (msg->data.result != CURLE_OK || status != 200
        || (expect_events && (long) req->events != expect_events)
        || req->first == 0)
    {
        if (reported++ < 5) {
            fprintf(stderr, "bench: %s, status %ld, %zu events, "
                    "%zu bytes\n", curl_easy_strerror(msg->data.result),
                    status, req->events, req->bytes);
        }

        failed++;

    } else {
        ttft[ok] = req->first - req->start;
        total[ok] = now - req->start;
        ok++;
    }

    bytes += req->bytes;
    done++;

    curl_multi_remove_handle(multi, req->easy);
    curl_easy_cleanup(req->easy);
}


static void
bench_run(const char *cmd)
{
    if (cmd != NULL && system(cmd) != 0) {
        fprintf(stderr, "bench: \"%s\" failed\n", cmd);
    }
}


static int
bench_cmp(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}


static double
bench_pct(double *v, size_t n, double pct)
{
    if (n == 0) {
        return 0;
    }

    qsort(v, n, sizeof(double), bench_cmp);

    return v[(size_t) (pct * (n - 1) + 0.5)];
}
