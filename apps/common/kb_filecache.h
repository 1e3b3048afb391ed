/* kb_filecache: a directory's regular files loaded into memory at start,
 * as mTCP's epserver does, so serving a request never touches the disk and
 * the data path never blocks. */
#ifndef KB_FILECACHE_H
#define KB_FILECACHE_H

#include <stddef.h>
#include <stdint.h>

#include "kb_err.h"

struct kb_file {
	char *path;        /* "/sub/name", as requested */
	char *data;
	size_t len;
	uint32_t hash;
};

struct kb_filecache {
	struct kb_file *files;
	size_t n, cap;
	size_t total;
};

#define KB_FILECACHE_MAX_FILES 65536
#define KB_FILECACHE_MAX_BYTES (2ull << 30)

/* Loads dir recursively (symlinks not followed).  Errors name the path. */
int kb_filecache_load(struct kb_filecache *fc, const char *dir, struct kb_err *err);
const struct kb_file *kb_filecache_find(const struct kb_filecache *fc, const char *path);
void kb_filecache_free(struct kb_filecache *fc);

#endif
