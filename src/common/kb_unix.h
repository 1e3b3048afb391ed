/* kb_unix: unix-domain socket paths. */
#ifndef KB_UNIX_H
#define KB_UNIX_H

/* Removes path when it is a socket nobody listens on any more (left by a
 * killed process), so that the next bind() succeeds; leaves anything else.
 * Returns 1 when it removed it, else 0. */
int kb_unix_remove_stale(const char *path);

#endif
