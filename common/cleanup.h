/* cleanup.h - scope-bound release of resources (bubblewrap, crun) */
#ifndef CFIR_CLEANUP_H
#define CFIR_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cjson/cJSON.h>

static inline void
cfir_freep(void *p)
{
	free(*(void **)p);
}

static inline void
cfir_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void
cfir_fclosep(FILE **f)
{
	if (*f != NULL)
		fclose(*f);
}

static inline void
cfir_cjsonp(cJSON **j)
{
	cJSON_Delete(*j);
}

#define cleanup_free	__attribute__((cleanup(cfir_freep)))
#define cleanup_close	__attribute__((cleanup(cfir_closep)))
#define cleanup_fclose	__attribute__((cleanup(cfir_fclosep)))
#define cleanup_cjson	__attribute__((cleanup(cfir_cjsonp)))

/* Hand ownership on: returns *pp and leaves NULL behind. */
static inline void *
cfir_steal(void *pp)
{
	void **p = pp;
	void *v = *p;

	*p = NULL;
	return v;
}
#define steal_pointer(pp) cfir_steal(pp)

static inline int
cfir_steal_fd(int *fd)
{
	int v = *fd;

	*fd = -1;
	return v;
}

#endif
