/* disk-containerd.c - containerd's containers and layers on disk (not read yet) */
#include "common/disk.h"

int
cfir_disk_containerd_list(int root, struct cfir_disk_list *l, struct cfir_err *err)
{
	(void)root, (void)l, (void)err;
	return 0;
}

int
cfir_disk_containerd_layers(int root, const char *ns, const char *id, struct cfir_disk_layers *l, struct cfir_err *err)
{
	(void)root, (void)ns, (void)id, (void)l;
	return cfir_err_set(err, EX_UNAVAILABLE, 0, "containerd's layers on disk are not read");
}
