/* maps.c - a process that hides executable memory past megabytes of maps.
 *
 *   maps N   maps a file whose path is about 4,000 bytes long N times (each
 *            line of /proc/PID/maps then about 4 KiB), then an anonymous
 *            read-write-execute region above all of them holding the marker
 *            CFIR-HIDDEN-SHELLCODE; then waits.
 *
 * Built static by the end-to-end test and bind-mounted read-only.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char path[4200] = "/tmp";
	char seg[250];
	unsigned long i, n = argc > 2 ? strtoul(argv[2], NULL, 10) : 2500;
	void *p;
	int fd;

	if (argc < 2 || strcmp(argv[1], "maps") != 0)
		return 2;
	memset(seg, 'd', sizeof(seg) - 1);
	seg[sizeof(seg) - 1] = '\0';
	for (i = 0; i < 15; i++) {
		strcat(path, "/");
		strcat(path, seg);
		if (mkdir(path, 0700) < 0)
			return 1;
	}
	strcat(path, "/f");
	fd = open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		return 1;
	/* one mapping a page, a page apart: the kernel cannot merge them */
	for (i = 0; i < n; i++)
		if (mmap((void *)(0x10000000UL + i * 0x2000), 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED_NOREPLACE,
			 fd, 0) == MAP_FAILED)
			return 1;
	p = mmap((void *)0x7e0000000000UL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	strcpy(p, "CFIR-HIDDEN-SHELLCODE");
	for (;;)
		pause();
}
