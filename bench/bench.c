
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * A load generator for `make bench`: runs N requests, C at a time, with
 * libcurl's multi interface against one URL and prints, as one line of
 * JSON, the time to first byte and the total time per request (median
 * and 95th percentile, microseconds), the bytes received and the
 * requests per second.  The caller compares two URLs measured in the same
 * run: only ratios are reported.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>


typedef struct {
    CURL                     *easy;
    double                    ttfb;
    double                    total;
    size_t                    bytes;
} bench_req_t;


static size_t bench_write(char *p, size_t size, size_t n, void *data);
static int bench_cmp(const void *a, const void *b);
static double bench_pct(double *v, size_t n, double pct);


static size_t
bench_write(char *p, size_t size, size_t n, void *data)
{
    bench_req_t  *req = data;

    (void) p;
    req->bytes += size * n;

    return size * n;
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
    size_t  i;

    qsort(v, n, sizeof(double), bench_cmp);

    i = (size_t) (pct * (n - 1));

    return v[i];
}


int
main(int argc, char **argv)
{
    int                 running, msgs, started, done, n, c;
    char               *url, *body;
    double             *ttfb, *total, t0, t1, elapsed;
    size_t              bytes;
    CURLM              *multi;
    CURLMsg            *msg;
    bench_req_t        *reqs, *req;
    struct curl_slist  *headers;
    struct timespec     ts;

    if (argc != 5) {
        fprintf(stderr, "usage: bench URL BODY REQUESTS CONCURRENCY\n");
        return 2;
    }

    url = argv[1];
    body = argv[2];
    n = atoi(argv[3]);
    c = atoi(argv[4]);

    if (n < 1 || c < 1) {
        fprintf(stderr, "bench: REQUESTS and CONCURRENCY must be >= 1\n");
        return 2;
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);

    reqs = calloc(n, sizeof(bench_req_t));
    ttfb = calloc(n, sizeof(double));
    total = calloc(n, sizeof(double));
    if (reqs == NULL || ttfb == NULL || total == NULL) {
        return 1;
    }

    headers = curl_slist_append(NULL, "Content-Type: application/json");

    multi = curl_multi_init();

    clock_gettime(CLOCK_MONOTONIC, &ts);
    t0 = ts.tv_sec + ts.tv_nsec / 1e9;

    started = 0;
    done = 0;
    bytes = 0;

    while (done < n) {

        while (started < n && started - done < c) {
            req = &reqs[started++];
            req->easy = curl_easy_init();

            curl_easy_setopt(req->easy, CURLOPT_URL, url);
            curl_easy_setopt(req->easy, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(req->easy, CURLOPT_HTTPHEADER, headers);
            curl_easy_setopt(req->easy, CURLOPT_WRITEFUNCTION, bench_write);
            curl_easy_setopt(req->easy, CURLOPT_WRITEDATA, req);
            curl_easy_setopt(req->easy, CURLOPT_PRIVATE, req);

            curl_multi_add_handle(multi, req->easy);
        }

        curl_multi_perform(multi, &running);
        curl_multi_poll(multi, NULL, 0, 100, NULL);

        while ((msg = curl_multi_info_read(multi, &msgs)) != NULL) {
            if (msg->msg != CURLMSG_DONE) {
                continue;
            }

            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
                              (char **) &req);

            if (msg->data.result != CURLE_OK) {
                fprintf(stderr, "bench: %s\n",
                        curl_easy_strerror(msg->data.result));
                return 1;
            }

            curl_easy_getinfo(req->easy, CURLINFO_STARTTRANSFER_TIME,
                              &req->ttfb);
            curl_easy_getinfo(req->easy, CURLINFO_TOTAL_TIME, &req->total);

            curl_multi_remove_handle(multi, req->easy);
            curl_easy_cleanup(req->easy);

            ttfb[done] = req->ttfb * 1e6;
            total[done] = req->total * 1e6;
            bytes += req->bytes;
            done++;
        }
    }

    clock_gettime(CLOCK_MONOTONIC, &ts);
    t1 = ts.tv_sec + ts.tv_nsec / 1e9;
    elapsed = t1 - t0;

    printf("{\"requests\":%d,\"concurrency\":%d,\"bytes\":%zu,"
           "\"rps\":%.1f,\"ttfb_p50_us\":%.0f,\"ttfb_p95_us\":%.0f,"
           "\"total_p50_us\":%.0f,\"total_p95_us\":%.0f}\n",
           n, c, bytes, n / elapsed, bench_pct(ttfb, n, 0.5),
           bench_pct(ttfb, n, 0.95), bench_pct(total, n, 0.5),
           bench_pct(total, n, 0.95));

    curl_multi_cleanup(multi);
    curl_slist_free_all(headers);
    curl_global_cleanup();
    free(reqs);
    free(ttfb);
    free(total);

    return 0;
}
