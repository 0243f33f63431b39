/* daxsim-reader: what survived, after a power cut and a reboot.
 *
 * usage: daxsim-reader DIR NAME=PATH[:PATH...]...
 *
 * For each NAME, the first PATH (relative to DIR) that exists is the file:
 * its candidate places are where setup made it and every directory the
 * scenario renames it into. It prints
 *   FILE NAME size=PAGES          (st_size rounded up to pages)
 *   NAME:PG VALUE                 (for each page below the size: pread(2) of
 *                                  its first 64 bytes, decoded)
 * or "FILE NAME missing" when no PATH exists. A page that cannot be read
 * prints its errno name. Exit 0, or 2 on bad usage.
 *
 * Build: gcc -static -Wall -Werror -O2 -o daxsim-reader reader.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*@ENCODING@*/

static const char *errname(int e)
{
	switch (e) {
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	case EACCES: return "EACCES";
	case EINVAL: return "EINVAL";
	case EUCLEAN: return "EUCLEAN"; /* the kernel's EFSCORRUPTED */
	case EBADMSG: return "EBADMSG";
	}
	{
		static char other[32];
		snprintf(other, sizeof other, "errno=%d", e);
		return other;
	}
}

int main(int argc, char **argv)
{
	int a;
	if (argc < 2) {
		fprintf(stderr, "usage: daxsim-reader DIR NAME=PATH[:PATH...]...\n");
		return 2;
	}
	for (a = 2; a < argc; a++) {
		char spec[PATH_MAX], path[PATH_MAX];
		char *name, *paths, *p, *save = NULL;
		struct stat st;
		int found = 0;
		snprintf(spec, sizeof spec, "%s", argv[a]);
		name = spec;
		paths = strchr(spec, '=');
		if (!paths) {
			fprintf(stderr, "daxsim-reader: %s: expected NAME=PATH[:PATH...]\n", argv[a]);
			return 2;
		}
		*paths++ = 0;
		for (p = strtok_r(paths, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
			snprintf(path, sizeof path, "%s/%s", argv[1], p);
			if (stat(path, &st) == 0) {
				found = 1;
				break;
			}
		}
		if (!found) {
			printf("FILE %s missing\n", name);
			continue;
		}
		{
			long long pages = ((long long)st.st_size + DX_PAGE - 1) / DX_PAGE, pg;
			int fd = open(path, O_RDONLY);
			printf("FILE %s size=%lld\n", name, pages);
			for (pg = 0; pg < pages; pg++) {
				unsigned char line[DX_LINE];
				char out[2 + 2 * DX_LINE + 1];
				ssize_t r;
				if (fd < 0) {
					printf("%s:%lld %s\n", name, pg, errname(errno));
					continue;
				}
				memset(line, 0, sizeof line);
				r = pread(fd, line, DX_LINE, (off_t)pg * DX_PAGE);
				if (r < 0) {
					printf("%s:%lld %s\n", name, pg, errname(errno));
					continue;
				}
				dx_decode(line, out);
				printf("%s:%lld %s\n", name, pg, out);
			}
			if (fd >= 0)
				close(fd);
		}
	}
	fflush(stdout);
	return 0;
}
