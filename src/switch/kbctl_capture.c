/* kbctl capture MODULE[:GATE] [in|out] -w FILE [-c N]: the switch streams
 * copies of a gate's frames (ctl_proto.h chunks); kbctl checks each chunk and
 * writes the classic pcap format (microsecond stamps, Ethernet), which
 * tcpdump, Wireshark and scapy read. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "ctl_proto.h"
#include "kbctl.h"

struct pcap_hdr {
	uint32_t magic;
	uint16_t major, minor;
	int32_t thiszone;
	uint32_t sigfigs, snaplen, linktype;
};

struct pcap_rec {
	uint32_t sec, usec, caplen, len;
};

static const char cap_usage[] = "usage: kbctl capture MODULE[:GATE] [in|out] -w FILE [-c N]\n"
				 "       kbctl capture MODULE in|out GATE -w FILE [-c N]\n";

/* "MODULE[:GATE]" into name and gate; the module names of scripts hold no ':'. */
static int parse_target(const char *s, char *name, size_t len, long *gate)
{
	const char *colon = strchr(s, ':');
	char *end;

	*gate = 0;
	if (colon) {
		*gate = strtol(colon + 1, &end, 10);
		if (end == colon + 1 || *end || *gate < 0 || *gate > 63)
			return -1;
	}
	if (!(colon ? (size_t)(colon - s) : strlen(s)) || (colon ? (size_t)(colon - s) : strlen(s)) >= len)
		return -1;
	snprintf(name, len, "%.*s", (int)(colon ? colon - s : (long)strlen(s)), s);
	return 0;
}

static int write_rec(FILE *f, const struct ctl_chunk *h, const uint8_t *p)
{
	uint64_t ts;
	uint32_t orig;
	struct pcap_rec r;

	memcpy(&ts, p, 8);
	memcpy(&orig, p + 8, 4);
	r.caplen = h->len - CTL_FRAME_HDR;
	r.len = orig;
	r.sec = (uint32_t)(ts / 1000000000ull);
	r.usec = (uint32_t)(ts % 1000000000ull / 1000);
	return fwrite(&r, sizeof(r), 1, f) == 1 && fwrite(p + CTL_FRAME_HDR, 1, r.caplen, f) == r.caplen
		? 0 : -1;
}

int kbctl_capture(const struct kbctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{"write", required_argument, NULL, 'w'},
		{"count", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	const char *file = NULL, *dir = "out";
	char name[128], line[256], hdr[64], *end;
	long long count = -1;
	uint64_t frames = 0, sw_frames = 0, sw_drops = 0;
	uint8_t *buf = NULL;
	long gate;
	FILE *f = NULL;
	int c, fd, rc = 1;

	optind = 0;   /* 0: GNU getopt forgets the "+" of the global options */
	while ((c = getopt_long(argc, argv, "w:c:", opts, NULL)) != -1) {
		if (c == 'w') {
			file = optarg;
		} else if (c == 'c') {
			count = strtoll(optarg, &end, 10);
			if (end == optarg || *end || count < 1) {
				fprintf(stderr, "kbctl: capture: -c expects a frame count >= 1, got '%s'\n", optarg);
				return 2;
			}
		} else {
			fputs(cap_usage, stderr);
			return 2;
		}
	}
	/* MODULE[:GATE] [in|out], or bessctl's order MODULE [in|out] [GATE] */
	int npos = argc - optind;
	bool bad = !file || npos < 1 || npos > 3 ||
		   parse_target(argv[optind], name, sizeof(name), &gate) < 0;
	if (!bad && npos >= 2) {
		dir = argv[optind + 1];
		bad = strcmp(dir, "in") && strcmp(dir, "out");
	}
	if (!bad && npos == 3) {
		gate = strtol(argv[optind + 2], &end, 10);
		bad = strchr(argv[optind], ':') ||   /* the gate given twice */
		      end == argv[optind + 2] || *end || gate < 0 || gate > 63;
	}
	if (bad) {
		fprintf(stderr, "kbctl: capture: %s\n%s", !file ? "-w FILE is required" :
			"expected MODULE[:GATE] [in|out], or MODULE in|out GATE (GATE 0..63)", cap_usage);
		return 2;
	}
	snprintf(line, sizeof(line), "capture %s %s %ld", name, dir, gate);
	if ((fd = kbctl_open(k, line, kbctl_now() + k->timeout_s)) < 0)
		return 1;
	if (kbctl_read_header(k, fd, hdr, sizeof(hdr), kbctl_now() + k->timeout_s) < 0)
		goto out;
	if (strcmp(hdr, CTL_MAGIC " capture")) {
		unsigned long long n;
		char msg[512] = "";
		/* A refusal is an ordinary framed error reply. */
		if (sscanf(hdr, CTL_MAGIC " error %llu", &n) == 1 && n < sizeof(msg) &&
		    kbctl_read(k, fd, msg, n, kbctl_now() + k->timeout_s) == (long)n && !memchr(msg, 0, n))
			fputs(msg, stderr);
		else
			kbctl_malformed(k, "expected '" CTL_MAGIC " capture'");
		goto out;
	}
	f = strcmp(file, "-") ? fopen(file, "wb") : stdout;
	if (!f) {
		fprintf(stderr, "kbctl: capture: cannot write %s: %s\n", file, strerror(errno));
		goto out;
	}
	{
		struct pcap_hdr ph = {0xa1b2c3d4, 2, 4, 0, 0, CTL_MAX_FRAME, 1};
		if (fwrite(&ph, sizeof(ph), 1, f) != 1 || fflush(f) != 0)
			goto write_err;
	}
	if (!(buf = malloc(CTL_FRAME_HDR + CTL_MAX_FRAME)))
		goto out;
	fprintf(stderr, "kbctl: capturing %s %s gate %ld to %s%s\n", name, dir, gate, file,
		count < 0 ? " (Ctrl-C stops)" : "");
	while ((count < 0 || (long long)frames < count) && !kbctl_interrupted) {
		struct ctl_chunk h;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long r;

		/* Flush before waiting, not per frame: a live reader (tcpdump
		 * -r -) sees every frame, and a busy gate costs no write(2) each. */
		if (poll(&p, 1, 0) == 0 && fflush(f) != 0)
			goto write_err;
		r = kbctl_read(k, fd, &h, sizeof(h), -1);

		if (r == -2 || (r == 0 && kbctl_interrupted))
			break;   /* Ctrl-C: a clean end */
		if (r == 0) {
			fprintf(stderr, "kbctl: capture: the switch closed the capture (stopping?)\n");
			break;
		}
		if (r < 0)
			goto out;
		if (!((h.type == 'F' && h.len >= CTL_FRAME_HDR && h.len <= CTL_FRAME_HDR + CTL_MAX_FRAME) ||
		      (h.type == 'D' && h.len == 16))) {
			kbctl_malformed(k, "a capture chunk of unknown type or length");
			goto out;
		}
		r = kbctl_read(k, fd, buf, h.len, -1);
		if (r == -2)
			break;
		if (r != (long)h.len) {
			if (r == 0)
				kbctl_malformed(k, "the connection closed in the middle of a capture chunk");
			goto out;
		}
		if (h.type == 'D') {
			memcpy(&sw_frames, buf, 8);
			memcpy(&sw_drops, buf + 8, 8);
			continue;
		}
		{
			uint32_t orig;
			memcpy(&orig, buf + 8, 4);
			if (orig < h.len - CTL_FRAME_HDR) {
				kbctl_malformed(k, "a captured frame longer than its original length");
				goto out;
			}
		}
		if (write_rec(f, &h, buf) < 0)
			goto write_err;
		frames++;
	}
	if (fflush(f) != 0)
		goto write_err;
	fprintf(stderr, "kbctl: %" PRIu64 " frames written to %s; %" PRIu64
		" dropped by the switch (reader behind)\n", frames, file, sw_drops);
	(void)sw_frames;
	rc = 0;
	goto out;
write_err:
	fprintf(stderr, "kbctl: capture: writing %s: %s\n", file, strerror(errno));
out:
	free(buf);
	if (f && f != stdout && fclose(f) != 0 && rc == 0) {
		fprintf(stderr, "kbctl: capture: writing %s: %s\n", file, strerror(errno));
		rc = 1;
	}
	close(fd);
	return rc;
}
