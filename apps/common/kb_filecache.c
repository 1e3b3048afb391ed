#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kb_filecache.h"

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static int add_file(struct kb_filecache *fc, const char *full, const char *rel,
		    size_t size, struct kb_err *err)
{
	if (fc->n == KB_FILECACHE_MAX_FILES)
		return kb_err_set(err, "%s: more than %d files", full, KB_FILECACHE_MAX_FILES);
	if (fc->total + size > KB_FILECACHE_MAX_BYTES)
		return kb_err_set(err, "%s: the directory holds more than %llu bytes", full,
				  (unsigned long long)KB_FILECACHE_MAX_BYTES);
	if (fc->n == fc->cap) {
		size_t cap = fc->cap ? fc->cap * 2 : 64;
		struct kb_file *f = realloc(fc->files, cap * sizeof(*f));
		if (!f)
			return kb_err_set(err, "out of memory");
		fc->files = f;
		fc->cap = cap;
	}
	struct kb_file *f = &fc->files[fc->n];
	f->path = strdup(rel);
	f->data = malloc(size ? size : 1);
	f->len = size;
	f->hash = fnv1a(rel);
	if (!f->path || !f->data) {
		free(f->path);
		free(f->data);
		return kb_err_set(err, "out of memory");
	}
	int fd = open(full, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	while (fd >= 0 && got < size) {
		ssize_t r = read(fd, f->data + got, size - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	int e = errno;
	if (fd >= 0)
		close(fd);
	if (got != size) {
		free(f->path);
		free(f->data);
		return kb_err_set(err, "%s: cannot read: %s", full, fd < 0 || !e ? strerror(e ? e : EIO) : strerror(e));
	}
	fc->n++;
	fc->total += size;
	return 0;
}

static int walk(struct kb_filecache *fc, const char *full, const char *rel, int depth,
		struct kb_err *err)
{
	if (depth > 16)
		return kb_err_set(err, "%s: directories nested deeper than 16", full);
	DIR *d = opendir(full);
	if (!d)
		return kb_err_set(err, "%s: %s", full, strerror(errno));
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		char f[4096], r[4096];
		struct stat st;
		if (snprintf(f, sizeof(f), "%s/%s", full, de->d_name) >= (int)sizeof(f) ||
		    snprintf(r, sizeof(r), "%s/%s", rel, de->d_name) >= 1024) {
			rc = kb_err_set(err, "%s/%s: path too long", full, de->d_name);
			break;
		}
		if (lstat(f, &st) < 0) {
			rc = kb_err_set(err, "%s: %s", f, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			rc = walk(fc, f, r, depth + 1, err);
		} else if (S_ISREG(st.st_mode)) {
			rc = add_file(fc, f, r, (size_t)st.st_size, err);
		}
	}
	closedir(d);
	return rc;
}

int kb_filecache_load(struct kb_filecache *fc, const char *dir, struct kb_err *err)
{
	memset(fc, 0, sizeof(*fc));
	int rc = walk(fc, dir, "", 0, err);
	if (rc < 0)
		kb_filecache_free(fc);
	return rc;
}

const struct kb_file *kb_filecache_find(const struct kb_filecache *fc, const char *path)
{
	uint32_t h = fnv1a(path);
	for (size_t i = 0; i < fc->n; i++)
		if (fc->files[i].hash == h && !strcmp(fc->files[i].path, path))
			return &fc->files[i];
	return NULL;
}

void kb_filecache_free(struct kb_filecache *fc)
{
	for (size_t i = 0; i < fc->n; i++) {
		free(fc->files[i].path);
		free(fc->files[i].data);
	}
	free(fc->files);
	memset(fc, 0, sizeof(*fc));
}
