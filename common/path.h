/* path.h - names of files inside a container, as strings: no file system touched */
#ifndef CFIR_PATH_H
#define CFIR_PATH_H

#include <stdbool.h>

/*
 * PATH names something strictly inside directory DIR, at any depth: not
 * DIR itself, nor "DIR/" as tar writes a directory's own member. Both are
 * spelt alike ("/tmp" against "/tmp/x", "tmp" against "tmp/x").
 */
bool cfir_path_inside(const char *path, const char *dir);

/* The last component: after the last '/', the whole of PATH without one. */
const char *cfir_path_base(const char *path);

/* PATH without its leading "/" and "./": "/tmp/x", "./tmp/x" -> "tmp/x". */
const char *cfir_path_relative(const char *path);

#endif
