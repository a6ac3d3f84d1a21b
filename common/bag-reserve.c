/* bag-reserve.c - the disk reserve that keeps a bag whole when the disk fills */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bag.h"
#include "common/bag-internal.h"

#define RESERVE CFIR_BAG_RESERVE	/* room kept for the custody record on a full disk */
#define RESERVE_BYTES (1 << 20)

/*
 * A disk that fills during a command must still leave an honest bag: the
 * reserve is given back before the custody record and the tag files are
 * written, and taken again after. It holds 1 MiB and room for a new copy
 * of the manifest, the largest tag file a record rewrites. It never
 * outlives the command; a command that cannot take it does not start.
 */
int
cfir_bag_reserve_take(struct cfir_bag *b)
{
	int fd = openat(b->dirfd, RESERVE, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	off_t bytes = RESERVE_BYTES;
	struct stat st;
	int r;

	if (fd < 0)
		return errno;
	if (fstatat(b->dirfd, "manifest-sha256.txt", &st, AT_SYMLINK_NOFOLLOW) == 0)
		bytes += st.st_size;
	r = posix_fallocate(fd, 0, bytes);
	if (r != 0)
		unlinkat(b->dirfd, RESERVE, 0);
	close(fd);
	return r;
}

void
cfir_bag_reserve_give(struct cfir_bag *b)
{
	unlinkat(b->dirfd, RESERVE, 0);
}
