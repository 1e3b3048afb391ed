#include "kb_unix.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int kb_unix_remove_stale(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat sb;
	int fd, removed = 0;

	if (!path[0] || strlen(path) >= sizeof(a.sun_path) || lstat(path, &sb) < 0 ||
	    !S_ISSOCK(sb.st_mode))
		return 0;
	strcpy(a.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno == ECONNREFUSED)
		removed = unlink(path) == 0;
	close(fd);
	return removed;
}
