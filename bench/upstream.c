
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The upstream of `make bench`: a small HTTP/1.1 server (epoll, one
 * thread, keep-alive) that answers every request with one of the bodies
 * it was given at start, chunked, without looking at the request body or
 * checking a signature: cheap on purpose, so that what the benchmark
 * measures is the gateway in front of it.
 *
 *   upstream PORT NAME=FILE...
 *
 * A body NAME ending in ".es" is an AWS eventstream (ConverseStream),
 * served as application/vnd.amazon.eventstream and cut into events by
 * its preludes; any other is server-sent events, text/event-stream, cut
 * at each blank line.  Each event is one HTTP chunk.  The request picks:
 *
 *   X-Bench-Body: NAME       the body (default: the first one given)
 *   X-Bench-Pace-Us: N       a gap of N microseconds before each event
 *                            but the first (default 0: the whole answer
 *                            in one write)
 *
 * The headers and the first event go in one write; with a gap, each
 * later event is one write when it is due.  GET /__stats prints the
 * number of responses served and of connections open.
 */


#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>


#define UP_MAX_BODIES   16
#define UP_REQ_MAX      16384


typedef struct {
    char                     *name;
    unsigned char            *data;     /* the whole chunked response */
    size_t                    len;
    size_t                   *cut;      /* event i: [cut[i], cut[i + 1]) */
    size_t                    nevents;
} up_body_t;


typedef struct {
    int                       fd;
    int                       writing;  /* a response is being sent */
    int                       want_out; /* EPOLLOUT registered */
    up_body_t                *body;
    size_t                    event;    /* next event to send */
    size_t                    off;      /* within the response */
    size_t                    end;      /* what may be sent now */
    uint64_t                  pace;     /* us between events */
    uint64_t                  due;      /* when the next event is due */
    size_t                    heap;     /* index in the timer heap + 1 */
    size_t                    in_len;
    size_t                    skip;     /* request body bytes to drop */
    char                      in[UP_REQ_MAX];
} up_conn_t;


static uint64_t up_now(void);
static int up_load(up_body_t *b, char *arg);
static void up_accept(int lfd);
static void up_close(up_conn_t *c);
static int up_read(up_conn_t *c);
static int up_request(up_conn_t *c);
static int up_send(up_conn_t *c);
static void up_watch_out(up_conn_t *c, int on);
static void up_heap_push(up_conn_t *c);
static void up_heap_remove(up_conn_t *c);
static void up_heap_swap(size_t i, size_t j);
static void up_heap_up(size_t i);
static void up_heap_down(size_t i);
static char *up_header(char *req, size_t len, const char *name);


static int          up_ep;
static up_body_t    up_bodies[UP_MAX_BODIES];
static size_t       up_nbodies;
static up_conn_t  **up_heap;
static size_t       up_nheap, up_heap_cap;
static unsigned long  up_served, up_open;


int
main(int argc, char **argv)
{
    int                  lfd, i, n, one;
    uint64_t             now;
    up_conn_t           *c;
    struct rlimit        rl;
    struct sockaddr_in   sin;
    struct epoll_event   ev, events[256];

    if (argc < 3) {
        fprintf(stderr, "usage: upstream PORT NAME=FILE...\n");
        return 2;
    }

    signal(SIGPIPE, SIG_IGN);

    /* this process only: as many descriptors as it may have */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        (void) setrlimit(RLIMIT_NOFILE, &rl);
    }

    for (i = 2; i < argc && up_nbodies < UP_MAX_BODIES; i++) {
        if (up_load(&up_bodies[up_nbodies], argv[i]) != 0) {
            return 1;
        }

        up_nbodies++;
    }

    lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(atoi(argv[1]));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    if (bind(lfd, (struct sockaddr *) &sin, sizeof(sin)) != 0
        || listen(lfd, 65535) != 0)
    {
        perror("upstream: bind");
        return 1;
    }

    up_ep = epoll_create1(0);

    ev.events = EPOLLIN;
    ev.data.ptr = NULL;
    epoll_ctl(up_ep, EPOLL_CTL_ADD, lfd, &ev);

    for ( ;; ) {
        int  timeout = -1;

        if (up_nheap) {
            now = up_now();
            timeout = up_heap[0]->due > now
                      ? (int) ((up_heap[0]->due - now + 999) / 1000) : 0;
        }

        n = epoll_wait(up_ep, events, 256, timeout);

        for (i = 0; i < n; i++) {
            c = events[i].data.ptr;

            if (c == NULL) {
                up_accept(lfd);
                continue;
            }

            if ((events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                && up_read(c) != 0)
            {
                continue;       /* closed, and freed */
            }

            if ((events[i].events & EPOLLOUT) && c->writing) {
                (void) up_send(c);
            }
        }

        now = up_now();

        while (up_nheap && up_heap[0]->due <= now) {
            c = up_heap[0];
            up_heap_remove(c);
            c->event++;
            c->end = c->body->cut[c->event + 1];
            (void) up_send(c);
        }
    }

    return 0;
}


static uint64_t
up_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


/*
 * NAME=FILE: the file read and turned into the whole response, headers
 * and chunks, with the offsets where each event's write ends
 */

static int
up_load(up_body_t *b, char *arg)
{
    int             es;
    char           *eq, hdr[256];
    FILE           *f;
    size_t          len, i, n, ev, cap, hlen;
    unsigned char  *raw, *p;

    eq = strchr(arg, '=');
    if (eq == NULL) {
        fprintf(stderr, "upstream: %s: not NAME=FILE\n", arg);
        return -1;
    }

    *eq = '\0';
    b->name = arg;

    f = fopen(eq + 1, "rb");
    if (f == NULL) {
        perror(eq + 1);
        return -1;
    }

    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);

    raw = malloc(len + 1);
    if (raw == NULL || fread(raw, 1, len, f) != len) {
        fprintf(stderr, "upstream: cannot read %s\n", eq + 1);
        return -1;
    }

    fclose(f);

    n = strlen(arg);
    es = n > 3 && strcmp(arg + n - 3, ".es") == 0;

    hlen = snprintf(hdr, sizeof(hdr),
                    "HTTP/1.1 200 OK\r\n"
                    "Content-Type: %s\r\n"
                    "Transfer-Encoding: chunked\r\n"
                    "x-amzn-RequestId: 00000000-0000-0000-0000-bench0000000"
                    "\r\n\r\n",
                    es ? "application/vnd.amazon.eventstream"
                       : "text/event-stream");

    /* at most one event per byte: each adds 12 bytes of chunk framing */
    cap = hlen + len + 12 * len + 16;
    b->data = malloc(cap);
    b->cut = malloc((len + 2) * sizeof(size_t));
    if (b->data == NULL || b->cut == NULL) {
        return -1;
    }

    memcpy(b->data, hdr, hlen);
    p = b->data + hlen;
    b->cut[0] = 0;
    ev = 0;

    for (i = 0; i < len; i += n) {
        if (es) {
            if (len - i < 12) {
                fprintf(stderr, "upstream: %s: a truncated event\n", arg);
                return -1;
            }

            n = ((size_t) raw[i] << 24) | ((size_t) raw[i + 1] << 16)
                | ((size_t) raw[i + 2] << 8) | raw[i + 3];

            if (n < 16 || n > len - i) {
                fprintf(stderr, "upstream: %s: a bad prelude\n", arg);
                return -1;
            }

        } else {
            unsigned char  *e;

            e = memmem(raw + i, len - i, "\n\n", 2);
            n = e ? (size_t) (e + 2 - (raw + i)) : len - i;
        }

        p += sprintf((char *) p, "%zx\r\n", n);
        memcpy(p, raw + i, n);
        p += n;
        *p++ = '\r';
        *p++ = '\n';

        b->cut[++ev] = p - b->data;
    }

    /* the last chunk goes with the last event */
    memcpy(p, "0\r\n\r\n", 5);
    p += 5;
    b->cut[ev] = p - b->data;

    b->len = p - b->data;
    b->nevents = ev;

    free(raw);

    fprintf(stderr, "upstream: %s: %zu events, %zu bytes\n", b->name,
            b->nevents, b->len);

    return 0;
}


static void
up_accept(int lfd)
{
    int                  fd, one;
    up_conn_t           *c;
    struct epoll_event   ev;

    for ( ;; ) {
        fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0) {
            return;
        }

        one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

        c = calloc(1, sizeof(up_conn_t));
        if (c == NULL) {
            close(fd);
            return;
        }

        c->fd = fd;
        up_open++;

        ev.events = EPOLLIN;
        ev.data.ptr = c;
        epoll_ctl(up_ep, EPOLL_CTL_ADD, fd, &ev);
    }
}


static void
up_close(up_conn_t *c)
{
    if (c->heap) {
        up_heap_remove(c);
    }

    close(c->fd);
    c->fd = -1;
    up_open--;

    /* freed at once: no event of this round refers to it any more */
    free(c);
}


/* 0, or -1: the connection is closed and c freed */

static int
up_read(up_conn_t *c)
{
    ssize_t  n;

    for ( ;; ) {
        if (c->in_len == sizeof(c->in)) {
            up_close(c);
            return -1;
        }

        n = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);

        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            up_close(c);
            return -1;
        }

        if (n < 0) {
            break;
        }

        c->in_len += n;
    }

    while (!c->writing && c->in_len) {
        if (c->skip) {
            n = c->skip < c->in_len ? c->skip : c->in_len;
            memmove(c->in, c->in + n, c->in_len - n);
            c->in_len -= n;
            c->skip -= n;
            continue;
        }

        n = up_request(c);

        if (n == 1) {
            break;
        }

        if (n < 0) {
            return -1;
        }
    }

    return 0;
}


/*
 * one request, if its header is all there (else 1): its response starts;
 * -1: the connection is closed and c freed
 */

static int
up_request(up_conn_t *c)
{
    char       *end, *v;
    size_t      hlen, i, n;
    up_body_t  *b;

    end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (end == NULL) {
        return 1;
    }

    hlen = end + 4 - c->in;

    if (hlen > 12 && memcmp(c->in, "GET /__stats", 12) == 0) {
        char  out[160];

        n = snprintf(out + 64, 96, "{\"served\":%lu,\"open\":%lu}\n",
                     up_served, up_open - 1);
        i = snprintf(out, 64, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
                     "\r\n", n);
        memmove(out + i, out + 64, n);
        (void) !write(c->fd, out, i + n);

        memmove(c->in, c->in + hlen, c->in_len - hlen);
        c->in_len -= hlen;
        return 0;
    }

    b = &up_bodies[0];

    v = up_header(c->in, hlen, "x-bench-body:");
    if (v) {
        for (i = 0; i < up_nbodies; i++) {
            n = strlen(up_bodies[i].name);
            if (strncmp(v, up_bodies[i].name, n) == 0
                && (v[n] == '\r' || v[n] == ' '))
            {
                b = &up_bodies[i];
                break;
            }
        }
    }

    v = up_header(c->in, hlen, "x-bench-pace-us:");
    c->pace = v ? strtoull(v, NULL, 10) : 0;

    v = up_header(c->in, hlen, "content-length:");
    c->skip = v ? strtoul(v, NULL, 10) : 0;

    memmove(c->in, c->in + hlen, c->in_len - hlen);
    c->in_len -= hlen;

    c->writing = 1;
    c->body = b;
    c->event = 0;
    c->off = 0;
    c->end = c->pace ? b->cut[1] : b->len;

    up_served++;

    return up_send(c);
}


/*
 * what is due goes out; then the next event's timer, or the next request;
 * -1: the connection is closed and c freed
 */

static int
up_send(up_conn_t *c)
{
    ssize_t  n;

    while (c->off < c->end) {
        n = write(c->fd, c->body->data + c->off, c->end - c->off);

        if (n < 0) {
            if (errno == EAGAIN) {
                up_watch_out(c, 1);
                return 0;
            }

            if (errno == EINTR) {
                continue;
            }

            up_close(c);
            return -1;
        }

        c->off += n;
    }

    up_watch_out(c, 0);

    if (c->off < c->body->len) {
        if (c->heap == 0) {
            c->due = up_now() + c->pace;
            up_heap_push(c);
        }

        return 0;
    }

    c->writing = 0;

    /* a request that came while this one was sent */
    return c->in_len ? up_read(c) : 0;
}


static void
up_watch_out(up_conn_t *c, int on)
{
    struct epoll_event  ev;

    if (c->want_out == on) {
        return;
    }

    c->want_out = on;
    ev.events = EPOLLIN | (on ? EPOLLOUT : 0);
    ev.data.ptr = c;
    epoll_ctl(up_ep, EPOLL_CTL_MOD, c->fd, &ev);
}


static void
up_heap_push(up_conn_t *c)
{
    if (up_nheap == up_heap_cap) {
        up_heap_cap = up_heap_cap ? 2 * up_heap_cap : 1024;
        up_heap = realloc(up_heap, up_heap_cap * sizeof(up_conn_t *));
        if (up_heap == NULL) {
            abort();
        }
    }

    up_heap[up_nheap] = c;
    c->heap = ++up_nheap;
    up_heap_up(up_nheap - 1);
}


static void
up_heap_remove(up_conn_t *c)
{
    size_t  i;

    i = c->heap - 1;
    c->heap = 0;
    up_nheap--;

    if (i == up_nheap) {
        return;
    }

    up_heap[i] = up_heap[up_nheap];
    up_heap[i]->heap = i + 1;
    up_heap_up(i);
    up_heap_down(up_heap[i]->heap - 1);
}


static void
up_heap_swap(size_t i, size_t j)
{
    up_conn_t  *t;

    t = up_heap[i];
    up_heap[i] = up_heap[j];
    up_heap[j] = t;
    up_heap[i]->heap = i + 1;
    up_heap[j]->heap = j + 1;
}


static void
up_heap_up(size_t i)
{
    while (i > 0 && up_heap[(i - 1) / 2]->due > up_heap[i]->due) {
        up_heap_swap(i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}


static void
up_heap_down(size_t i)
{
    size_t  l, m;

    for ( ;; ) {
        l = 2 * i + 1;
        m = i;

        if (l < up_nheap && up_heap[l]->due < up_heap[m]->due) {
            m = l;
        }

        if (l + 1 < up_nheap && up_heap[l + 1]->due < up_heap[m]->due) {
            m = l + 1;
        }

        if (m == i) {
            return;
        }

        up_heap_swap(i, m);
        i = m;
    }
}


/* the value of a header (name lowercase, with its colon), or NULL */

static char *
up_header(char *req, size_t len, const char *name)
{
    char    *p, *end;
    size_t   n;

    n = strlen(name);
    end = req + len;

    for (p = req; p < end; p++) {
        if (p[0] == '\n' && (size_t) (end - p - 1) > n
            && strncasecmp(p + 1, name, n) == 0)
        {
            p += 1 + n;

            while (*p == ' ') {
                p++;
            }

            return p;
        }
    }

    return NULL;
}
