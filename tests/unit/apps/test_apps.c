/* Unit tests of the apps' pure pieces: the file cache, latency histogram,
 * HTTP parsing, argument helpers. */
#include <arpa/inet.h>
#include <stdlib.h>

#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>

#include "kb_apputil.h"
#include "kb_filecache.h"
#include "kb_hist.h"
#include "kb_http.h"
#include "kbtest.h"

static struct kb_hist h;

static void hist_buckets(void)
{
	/* every value falls in the bucket whose range holds it, and the bucket
	 * is narrow: at most 1/32 of its lower bound */
	uint64_t vals[] = { 0, 1, 31, 32, 33, 63, 64, 1000, 4095, 4096, 123456789,
			    1ull << 40, UINT64_MAX };
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		unsigned idx = kb_hist_index(vals[i]);
		uint64_t lo, hi;
		CHECK(idx < KB_HIST_BUCKETS);
		kb_hist_range(idx, &lo, &hi);
		CHECK(lo <= vals[i] && vals[i] <= hi);
		CHECK(hi - lo <= (lo >> 5));
	}
	/* indexes are monotonic */
	unsigned prev = 0;
	for (uint64_t v = 0; v < 100000; v += 7) {
		CHECK(kb_hist_index(v) >= prev);
		prev = kb_hist_index(v);
	}
}

static void hist_percentiles(void)
{
	kb_hist_init(&h);
	CHECK_EQ(kb_hist_pct(&h, 50), 0);
	for (uint64_t v = 1; v <= 10000; v++)
		kb_hist_add(&h, v * 1000);   /* 1 us .. 10 ms uniform */
	CHECK_EQ(h.count, 10000);
	uint64_t p50 = kb_hist_pct(&h, 50), p99 = kb_hist_pct(&h, 99);
	CHECK(p50 >= 5000000 && p50 <= 5000000 + 5000000 / 32);
	CHECK(p99 >= 9900000 && p99 <= 9900000 + 9900000 / 32);
	CHECK_EQ(kb_hist_pct(&h, 100), 10000000);   /* clamped to the exact max */
	CHECK(kb_hist_pct(&h, 0) >= 1000 && kb_hist_pct(&h, 0) <= 1000 + 1000 / 32);
	struct kb_hist *g = malloc(sizeof(*g));
	kb_hist_init(g);
	kb_hist_add(g, 20000000);
	kb_hist_merge(&h, g);
	CHECK_EQ(h.count, 10001);
	CHECK_EQ(h.max, 20000000);
	CHECK_EQ(kb_hist_pct(&h, 100), 20000000);
	free(g);
}

static void http_request(void)
{
	struct kb_http_req r;
	const char *a = "GET /x/y.bin HTTP/1.1\r\nHost: a\r\n\r\nGET";
	CHECK_EQ(kb_http_parse_request(a, strlen(a), &r), strlen(a) - 3);
	CHECK_EQ(r.method, KB_HTTP_GET);
	CHECK_STR(r.path, "/x/y.bin");
	CHECK(r.keep_alive);
	const char *b = "HEAD / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
	CHECK(kb_http_parse_request(b, strlen(b), &r) > 0);
	CHECK_EQ(r.method, KB_HTTP_HEAD);
	CHECK(r.keep_alive);
	const char *c = "GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
	CHECK(kb_http_parse_request(c, strlen(c), &r) > 0);
	CHECK(!r.keep_alive);
	const char *d = "POST / HTTP/1.1\r\n\r\n";
	CHECK(kb_http_parse_request(d, strlen(d), &r) > 0);
	CHECK_EQ(r.method, KB_HTTP_OTHER);
	/* incomplete: 0 at every prefix */
	for (size_t i = 0; i < strlen(c); i++)
		CHECK_EQ(kb_http_parse_request(c, i, &r), 0);
	/* malformed */
	const char *bad[] = { "GET /\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "GET / HTTP/2.0\r\n\r\n",
			      "GET / HTTP/1.1\r\nNoColon\r\n\r\n", "GET / HTTP/1.1\r\nA : b\r\n\r\n",
			      "GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\n",
			      "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
			      "\r\n\r\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(kb_http_parse_request(bad[i], strlen(bad[i]), &r), -1);
	/* an endless header is refused, not buffered forever */
	static char big[KB_HTTP_MAX_HEADER + 10];
	memset(big, 'a', sizeof(big));
	CHECK_EQ(kb_http_parse_request(big, sizeof(big), &r), -1);
}

static void http_response(void)
{
	struct kb_http_resp r;
	const char *a = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello";
	CHECK_EQ(kb_http_parse_response(a, strlen(a), &r), strlen(a) - 5);
	CHECK_EQ(r.status, 200);
	CHECK_EQ(r.content_length, 12);
	CHECK(r.keep_alive);
	const char *b = "HTTP/1.0 404 Not Found\r\n\r\n";
	CHECK(kb_http_parse_response(b, strlen(b), &r) > 0);
	CHECK_EQ(r.status, 404);
	CHECK_EQ(r.content_length, -1);
	CHECK(!r.keep_alive);
	const char *bad[] = { "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
			      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
			      "XTTP/1.1 200 OK\r\n\r\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(kb_http_parse_response(bad[i], strlen(bad[i]), &r), -1);
}

static void http_url_and_paths(void)
{
	struct sockaddr_in a;
	char p[64];
	CHECK_EQ(kb_http_parse_url("http://10.0.0.1:8080/a/b", &a, p, sizeof(p)), 0);
	CHECK_EQ(ntohs(a.sin_port), 8080);
	CHECK_EQ(a.sin_addr.s_addr, htonl(0x0a000001));
	CHECK_STR(p, "/a/b");
	CHECK_EQ(kb_http_parse_url("http://10.0.0.2", &a, p, sizeof(p)), 0);
	CHECK_EQ(ntohs(a.sin_port), 80);
	CHECK_STR(p, "/");
	CHECK_EQ(kb_http_parse_url("https://10.0.0.1/", &a, p, sizeof(p)), -1);
	CHECK_EQ(kb_http_parse_url("http://host.name/", &a, p, sizeof(p)), -1);
	CHECK_EQ(kb_http_parse_url("http://10.0.0.1:0/", &a, p, sizeof(p)), -1);
	CHECK_EQ(kb_http_parse_url("http://10.0.0.1:99999/", &a, p, sizeof(p)), -1);
	CHECK(kb_http_path_safe("/a/b..c/d"));
	CHECK(kb_http_path_safe("/"));
	CHECK(!kb_http_path_safe("/../etc/passwd"));
	CHECK(!kb_http_path_safe("/a/.."));
	CHECK(!kb_http_path_safe("a"));
	CHECK(!kb_http_path_safe("/a\\..\\b"));
}

static void sizes_and_addrs(void)
{
	uint64_t v;
	CHECK_EQ(kb_parse_size("64", 1ull << 40, &v), 0);
	CHECK_EQ(v, 64);
	CHECK_EQ(kb_parse_size("20m", 1ull << 40, &v), 0);
	CHECK_EQ(v, 20u << 20);
	CHECK_EQ(kb_parse_size("1k", 100, &v), -1);
	CHECK_EQ(kb_parse_size("-1", 100, &v), -1);
	CHECK_EQ(kb_parse_size("5x", 100, &v), -1);
	CHECK_EQ(kb_parse_size("", 100, &v), -1);
	struct sockaddr_in a;
	CHECK_EQ(kb_parse_addr("10.1.2.3:99", 5, &a), 0);
	CHECK_EQ(ntohs(a.sin_port), 99);
	CHECK_EQ(kb_parse_addr("10.1.2.3", 5, &a), 0);
	CHECK_EQ(ntohs(a.sin_port), 5);
	CHECK_EQ(kb_parse_addr("10.1.2", 5, &a), -1);
	CHECK_EQ(kb_parse_addr("10.1.2.3:", 5, &a), -1);
}

static void put(const char *path, const char *data)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(data, f);
		fclose(f);
	}
}

static void filecache(void)
{
	char dir[] = "/tmp/kb-test-apps.XXXXXX", p[256];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(p, sizeof(p), "%s/a.txt", dir); put(p, "hello");
	snprintf(p, sizeof(p), "%s/sub", dir); mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/sub/b.bin", dir); put(p, "");
	snprintf(p, sizeof(p), "%s/link", dir);
	CHECK_EQ(symlink("/etc/passwd", p), 0);   /* not followed: not served */
	struct kb_filecache fc;
	struct kb_err err;
	CHECK_EQ(kb_filecache_load(&fc, dir, &err), 0);
	CHECK_EQ(fc.n, 2);
	CHECK_EQ(fc.total, 5);
	const struct kb_file *f = kb_filecache_find(&fc, "/a.txt");
	CHECK(f && f->len == 5 && !memcmp(f->data, "hello", 5));
	f = kb_filecache_find(&fc, "/sub/b.bin");
	CHECK(f && f->len == 0);
	CHECK(kb_filecache_find(&fc, "/link") == NULL);
	CHECK(kb_filecache_find(&fc, "/sub") == NULL);
	CHECK(kb_filecache_find(&fc, "a.txt") == NULL);
	kb_filecache_free(&fc);
	/* a missing directory is an error naming it */
	snprintf(p, sizeof(p), "%s/none", dir);
	CHECK_EQ(kb_filecache_load(&fc, p, &err), -1);
	CHECK(strstr(err.msg, "none") != NULL);
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	CHECK_EQ(system(p), 0);
}

KBTEST_MAIN(T(filecache), T(hist_buckets), T(hist_percentiles), T(http_request), T(http_response),
	    T(http_url_and_paths), T(sizes_and_addrs))
