/* test_disk.c - docker's and containers-storage's containers and layers read from a root on disk */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/disk-private.h"
#include "common/disk.h"
#include "common/hunt.h"
#include "common/out.h"
#include "common/util.h"
#include "tests/unit/unit.h"

/* What the live engines said of the containers the fixtures come from (docker and podman inspect). */
#define X_ID "48054738d3c430b7a7b53f6b0ea4758503a970ecb3c7fc478a46403e1201e07e"
#define Y_ID "f6ebb0072a65a4b41e6a7710419c3608834bf6d9874c69fb5a0b6f280901a721"
#define X_MOUNT "310e5d12c42e1ec599a044e203fb14287aaec890512ecd5b616ff8b8e5e804e4"
#define Y_MOUNT "32e3811bece368313db7d04cb07f856f55f23cec232ec6812eed4232c9a01298"
#define L2_CACHE "96a0c2968ba80f954f8673c0cf8dc1c089a43e03ba8e07719a0281404efa8d24"
#define L1_CACHE "4509715720d252b76540e39f8c4aca170de6bea4845ac946dd3f1271ea3ccdeb"
#define L2_CHAIN "00e05990dbfa9726e72edc564f2bacd49993600165379a551bb017213c7b36ec"
#define L2_DIFF "sha256:b0d6a800eb32da57a221962bbcef3fef05cc1a47152699183311605fa4025a8c"
#define L1_CHAIN "6a7e019afebd61a1c3f3c4022d268623bce382cd5157a0d642f4e3e979cc69ad"
#define P_ID "6b7e5b5af25dc5b0ffc37e4bce0cb26c6c2fb76bf40aabf7b87c8e0d3d1c3778"
#define P_LAYER "2e6552c4e0cae0e16aca5d2219c79cbd1eb8cd0bc26bc1ca5e1cb22e88e38af0"
#define P_L2 "d8b5f4def28db36e4b658cfd95a2b51e650d25200a94db0ee7f64e9995b2c22c"
#define P_L2_DIFF "sha256:5721b01feea9eab8f07a7348966aa96da492d667b3e8126b2af015cc6f9bfe1c"
#define OV "/var/lib/docker/overlay2/"
#define DB "/var/lib/docker/image/overlay2/layerdb/"
#define ST "/var/lib/containers/storage/"

static void
mkdir_p(const char *root, const char *rel)
{
	char path[4096], *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

/* ROOT/REL holding LEN bytes of DATA, its directories made. */
static void
put(const char *root, const char *rel, const char *data, size_t len)
{
	char dir[4096], path[4096];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", rel);
	if (strrchr(dir, '/') != NULL) {
		*strrchr(dir, '/') = '\0';
		mkdir_p(root, dir);
	}
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	CHECK(fwrite(data, 1, len, f) == len);
	fclose(f);
}

static void
puts_(const char *root, const char *rel, const char *s)
{
	put(root, rel, s, strlen(s));
}

static char *
fixture(const char *name, size_t *len)
{
	char *buf = NULL;

	if (cfir_util_read_file(AT_FDCWD, unit_fixture(name), 1 << 22, &buf, len, NULL, NULL) < 0)
		fprintf(stderr, "    no fixture %s\n", name);
	return buf;
}

static void
put_fixture(const char *root, const char *rel, const char *name)
{
	cleanup_free char *b = NULL;
	size_t len = 0;

	b = fixture(name, &len);
	CHECK(b != NULL);
	if (b != NULL)
		put(root, rel, b, len);
}

static void
link_(const char *root, const char *rel, const char *target)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	CHECK(symlink(target, path) == 0);
}

/* An overlay2 directory with its diff, and its l/ link made as dockerd makes it. */
static void
ov_dir(const char *root, const char *dir, const char *shortname)
{
	char rel[512], target[512];

	snprintf(rel, sizeof(rel), OV "%s/diff", dir);
	mkdir_p(root, rel);
	mkdir_p(root, OV "l");
	snprintf(rel, sizeof(rel), OV "l/%s", shortname);
	snprintf(target, sizeof(target), "../%s/diff", dir);
	link_(root, rel, target);
}

/* The data root of a host with cfirh-dock-x (running) and cfirh-dock-y (created), as dockerd left it. */
static const char *
docker_root(void)
{
	const char *r = unit_tmpdir();

	put_fixture(r, "var/lib/docker/containers/" X_ID "/config.v2.json", "disk/docker/config.v2.json");
	put_fixture(r, "var/lib/docker/containers/" X_ID "/hostconfig.json", "disk/docker/hostconfig.json");
	put_fixture(r, "var/lib/docker/containers/" Y_ID "/config.v2.json", "disk/docker/y/config.v2.json");
	put_fixture(r, "var/lib/docker/containers/" Y_ID "/hostconfig.json", "disk/docker/y/hostconfig.json");
	mkdir_p(r, "var/lib/docker/containers/notacontainer");
	puts_(r, DB "mounts/" X_ID "/mount-id", X_MOUNT);
	puts_(r, DB "mounts/" X_ID "/init-id", X_MOUNT "-init");
	puts_(r, DB "mounts/" X_ID "/parent", "sha256:" L2_CHAIN);
	puts_(r, DB "sha256/" L2_CHAIN "/diff", L2_DIFF);
	puts_(r, DB "sha256/" L2_CHAIN "/cache-id", L2_CACHE);
	puts_(r, DB "sha256/" L2_CHAIN "/parent", "sha256:" L1_CHAIN);
	puts_(r, DB "sha256/" L1_CHAIN "/diff", "sha256:" L1_CHAIN);
	puts_(r, DB "sha256/" L1_CHAIN "/cache-id", L1_CACHE);
	ov_dir(r, X_MOUNT, "QU2664CS6XUEQ5LWAKTMZTJ2TF");
	ov_dir(r, X_MOUNT "-init", "YQ4WN6SCEFWW5C6KMFUVBDGISS");
	ov_dir(r, L2_CACHE, "PKCWJAIQVBBSE3UP3AUC6FO7FZ");
	ov_dir(r, L1_CACHE, "5N4NAVKEJ2JDI7D4KXFNSBTX5R");
	puts_(r, OV X_MOUNT "/lower", "l/YQ4WN6SCEFWW5C6KMFUVBDGISS:l/PKCWJAIQVBBSE3UP3AUC6FO7FZ:l/5N4NAVKEJ2JDI7D4KXFNSBTX5R");
	puts_(r, DB "mounts/" Y_ID "/mount-id", Y_MOUNT);
	ov_dir(r, Y_MOUNT, "JBCQDJVLUWDPC446R7OXUUXOBH");
	ov_dir(r, Y_MOUNT "-init", "JBCQDJVLUWDPC446R7OXUUXOBG");
	puts_(r, OV Y_MOUNT "/lower", "l/JBCQDJVLUWDPC446R7OXUUXOBG:l/PKCWJAIQVBBSE3UP3AUC6FO7FZ:l/5N4NAVKEJ2JDI7D4KXFNSBTX5R");
	mkdir_p(r, "etc");
	return r;
}

static int
root_fd(const char *r)
{
	int fd = open(r, O_PATH | O_DIRECTORY | O_CLOEXEC);

	CHECK(fd >= 0);
	return fd;
}

/* The layer's PATH is ROOT/NAME: resolved inside the root, where it should be. */
static void
check_layer(const char *r, const struct cfir_disk_layer *y, const char *name, const char *digest)
{
	char want[4096];

	CHECK_STR(y->name, name);
	snprintf(want, sizeof(want), "%s%s", r, name);
	CHECK_STR(y->path, want);
	if (digest == NULL)
		CHECK(y->digest == NULL);
	else
		CHECK_STR(y->digest, digest);
}

static void
docker_list(void)
{
	const char *r = docker_root();
	cleanup_close int fd = root_fd(r);
	cleanup_free char *cfg = NULL, *hc = NULL;
	struct cfir_disk_list l = { 0 };
	struct cfir_err err = { 0 };
	size_t cfglen = 0, hclen = 0;

	cfg = fixture("disk/docker/config.v2.json", &cfglen);
	hc = fixture("disk/docker/hostconfig.json", &hclen);
	CHECK(cfir_disk_docker_list(fd, &l, &err) == 0);
	CHECK(l.n == 2);
	CHECK(l.skipped == 1);
	CHECK(l.first_skip != NULL && strstr(l.first_skip, "notacontainer") != NULL);
	if (l.n != 2)
		goto out;
	CHECK_STR(l.v[0].manager, "docker");
	CHECK_STR(l.v[0].id, X_ID);
	CHECK_STR(l.v[0].name, "cfirh-dock-x");
	CHECK_STR(l.v[0].image, "cfirh-dock-img:2");
	CHECK_STR(l.v[0].image_id, "sha256:ac29bbc19b1dc3a48a80943f5554f742a8cd9e9ff75722d98c066ba52cfb6767");
	CHECK_STR(l.v[0].created, "2026-11-30T20:51:26.856692428Z");
	CHECK_STR(l.v[0].status, "running");
	CHECK(l.v[0].running && l.v[0].pid == 25966);
	CHECK_STR(l.v[0].config_name, "/var/lib/docker/containers/" X_ID "/config.v2.json");
	CHECK(l.v[0].config_len == cfglen && cfg != NULL && memcmp(l.v[0].config_raw, cfg, cfglen) == 0);
	CHECK(l.v[0].hostconfig_len == hclen && hc != NULL && memcmp(l.v[0].hostconfig_raw, hc, hclen) == 0);
	CHECK(l.v[0].inspect != NULL && l.v[0].spec_raw == NULL && l.v[0].ns == NULL);
	CHECK_STR(l.v[1].id, Y_ID);
	CHECK_STR(l.v[1].name, "cfirh-dock-y");
	CHECK_STR(l.v[1].status, "created");
	CHECK(!l.v[1].running && l.v[1].pid == 0);
out:
	cfir_disk_list_free(&l);
}

static void
docker_layers(void)
{
	const char *r = docker_root();
	cleanup_close int fd = root_fd(r);
	struct cfir_disk_layers l = { 0 };
	struct cfir_err err = { 0 };

	CHECK(cfir_disk_docker_layers(fd, X_ID, &l, &err) == 0);
	CHECK_STR(l.from, "docker layerdb");
	CHECK(l.n == 4);
	if (l.n == 4) {
		/* docker inspect's UpperDir, then its LowerDir in order */
		check_layer(r, &l.v[0], OV X_MOUNT "/diff", NULL);
		check_layer(r, &l.v[1], OV X_MOUNT "-init/diff", NULL);
		check_layer(r, &l.v[2], OV L2_CACHE "/diff", L2_DIFF);
		check_layer(r, &l.v[3], OV L1_CACHE "/diff", "sha256:" L1_CHAIN);
	}
	cfir_disk_layers_free(&l);
	/* no parent file: the layers all the same, no digests */
	CHECK(cfir_disk_docker_layers(fd, Y_ID, &l, &err) == 0);
	CHECK(l.n == 4 && l.v[2].digest == NULL);
	if (l.n == 4)
		check_layer(r, &l.v[1], OV Y_MOUNT "-init/diff", NULL);
	cfir_disk_layers_free(&l);
}

/* Member PATH of A and of B are the same JSON. */
static void
same(const cJSON *a, const cJSON *b, const char *path)
{
	const cJSON *x = cfir_json_get(a, path), *y = cfir_json_get(b, path);

	if (x == NULL || y == NULL || !cJSON_Compare(x, y, true)) {
		fprintf(stderr, "    %s differs from docker inspect\n", path);
		unit_failed_checks++;
	}
}

/* Each of docker inspect's mounts is in ours, the same (inspect's order is Go's map order). */
static void
same_mounts(const cJSON *ours, const cJSON *live)
{
	const cJSON *m, *o;

	CHECK(cJSON_GetArraySize(ours) == cJSON_GetArraySize(live));
	cJSON_ArrayForEach(m, live) {
		const char *dst = cfir_json_str(m, "Destination");

		cJSON_ArrayForEach(o, ours)
			if (dst != NULL && cfir_json_str(o, "Destination") != NULL &&
			    strcmp(cfir_json_str(o, "Destination"), dst) == 0)
				break;
		CHECK(o != NULL && cJSON_Compare(o, m, true));
	}
}

/* Each finding of LIVE is one of OURS (same check, severity and value), and as many. */
static void
same_findings(const cJSON *ours, const cJSON *live)
{
	const cJSON *f, *o;

	CHECK(cJSON_GetArraySize(live) > 0);
	CHECK(cJSON_GetArraySize(ours) == cJSON_GetArraySize(live));
	cJSON_ArrayForEach(f, live) {
		cJSON_ArrayForEach(o, ours)
			if (cJSON_Compare(cJSON_GetObjectItem(o, "check"), cJSON_GetObjectItem(f, "check"), true) &&
			    cJSON_Compare(cJSON_GetObjectItem(o, "severity"), cJSON_GetObjectItem(f, "severity"), true) &&
			    cJSON_Compare(cfir_json_get(o, "evidence.value"), cfir_json_get(f, "evidence.value"), true))
				break;
		if (o == NULL)
			fprintf(stderr, "    finding %s not made from disk\n", cfir_json_str(f, "check"));
		CHECK(o != NULL);
	}
}

static void
docker_inspect(void)
{
	static const char *const fields[] = {
		"Id", "Created", "Path", "Args", "State", "Image", "Name", "RestartCount", "Driver",
		"Platform", "MountLabel", "ProcessLabel", "AppArmorProfile", "GraphDriver", "Config",
		"HostConfig.Privileged", "HostConfig.CapAdd", "HostConfig.Binds", "HostConfig.PidMode",
		"HostConfig.NetworkMode", "HostConfig.SecurityOpt", "Config.User", "Config.Env",
		"NetworkSettings.SandboxKey", "NetworkSettings.Networks.none.NetworkID", "LogPath",
	};
	const char *r = docker_root();
	cleanup_close int fd = root_fd(r);
	cleanup_free char *buf = NULL;
	cleanup_cjson cJSON *live = NULL;
	struct cfir_disk_list l = { 0 };
	struct cfir_err err = { 0 };
	size_t len = 0, i;

	buf = fixture("disk/docker/inspect.json", &len);
	live = buf ? cJSON_ParseWithLength(buf, len) : NULL;
	CHECK(live != NULL);
	CHECK(cfir_disk_docker_list(fd, &l, &err) == 0 && l.n == 2);
	if (live == NULL || l.n != 2)
		goto out;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		same(l.v[0].inspect, live, fields[i]);
	same_mounts(cJSON_GetObjectItemCaseSensitive(l.v[0].inspect, "Mounts"),
		    cJSON_GetObjectItemCaseSensitive(live, "Mounts"));
	/* hunt finds the same from the files as from the engine */
	{
		cleanup_cjson cJSON *fo = cJSON_CreateArray(), *fl = cJSON_CreateArray();

		cfir_hunt_config(l.v[0].inspect, NULL, fo);
		cfir_hunt_config(live, NULL, fl);
		same_findings(fo, fl);
	}
	CHECK(cfir_json_get(l.v[1].inspect, "GraphDriver.Data.LowerDir") != NULL);
	CHECK_STR(cfir_json_str(cfir_json_get(l.v[1].inspect, "State"), "Status"), "created");
out:
	cfir_disk_list_free(&l);
}

/* A docker root whose X has the lower file TEXT, and its l/ABC... link to TARGET. */
static const char *
docker_hostile(const char *lower, const char *target)
{
	const char *r = docker_root();
	char rel[256];

	snprintf(rel, sizeof(rel), "%s/%s", r, OV X_MOUNT "/lower");
	unlink(rel);
	puts_(r, OV X_MOUNT "/lower", lower);
	if (target != NULL)
		link_(r, OV "l/AAAAAAAAAAAAAAAAAAAAAAAAAA", target);
	return r;
}

static void
link_outside(const char *target)
{
	const char *r = docker_hostile("l/AAAAAAAAAAAAAAAAAAAAAAAAAA", target);
	cleanup_close int fd = root_fd(r);
	struct cfir_disk_layers l = { 0 };
	struct cfir_err err = { 0 };
	char want[4096];

	CHECK(cfir_disk_docker_layers(fd, X_ID, &l, &err) == 0);
	CHECK(l.n == 2);
	if (l.n == 2) {
		/* not the engine's shape: kept as the l/ name, followed inside the root */
		CHECK_STR(l.v[1].name, OV "l/AAAAAAAAAAAAAAAAAAAAAAAAAA");
		snprintf(want, sizeof(want), "%s/etc", r);
		CHECK_STR(l.v[1].path, want);
		CHECK(strncmp(l.v[1].path, r, strlen(r)) == 0);
		CHECK(l.v[1].digest == NULL);
	}
	cfir_disk_layers_free(&l);
}

static void
link_absolute(void)
{
	link_outside("/etc");
}

static void
link_climbs(void)
{
	link_outside("../../../../../../../../etc");
}

static void
lower_dotdot(void)
{
	const char *r = docker_hostile("l/../../../../../../../etc", NULL);
	cleanup_close int fd = root_fd(r);
	struct cfir_disk_layers l = { 0 };
	struct cfir_err err = { 0 };

	CHECK(cfir_disk_docker_layers(fd, X_ID, &l, &err) < 0 && err.exit == EX_DATAERR);
	CHECK(l.n == 0 && l.v == NULL);
}

static void
lower_many(void)
{
	static const char entry[] = ":l/AAAAAAAAAAAAAAAAAAAAAAAAAA";
	char (*v)[CFIR_DISK_SHORT_LEN + 1] = NULL;
	struct cfir_err err = { 0 };
	size_t n = 0, i, len = 10000 * 29 - 1;
	cleanup_free char *b = malloc(len + 1);
	const char *r;
	int fd;

	CHECK(b != NULL);
	if (b == NULL)
		return;
	/* "l/AAA...:l/AAA...:..." 10,000 times: the first without its colon */
	for (i = 0; i < 10000; i++)
		memcpy(b + (i ? 28 + (i - 1) * 29 : 0), entry + (i ? 0 : 1), i ? 29 : 28);
	b[len] = '\0';
	CHECK(cfir_disk_docker_lower(b, len, &v, &n, &err) < 0 && err.exit == EX_DATAERR);
	CHECK(v == NULL && n == 0);
	/* the largest that is allowed still parses, every entry */
	CHECK(cfir_disk_docker_lower(b, (size_t)CFIR_DISK_LAYERS_MAX * 29 - 1, &v, &n, &err) == 0);
	CHECK(n == CFIR_DISK_LAYERS_MAX);
	free(v);
	r = docker_hostile(b, NULL);
	fd = root_fd(r);
	{
		struct cfir_disk_layers l = { 0 };

		CHECK(cfir_disk_docker_layers(fd, X_ID, &l, &err) < 0 && err.exit == EX_DATAERR);
		CHECK(l.n == 0);
	}
	close(fd);
}

static void
mount_id_garbage(void)
{
	const char *r = docker_root();
	cleanup_close int fd = root_fd(r);
	struct cfir_disk_layers l = { 0 };
	struct cfir_err err = { 0 };
	char path[4096], out[70];

	snprintf(path, sizeof(path), "%s%s", r, DB "mounts/" X_ID "/mount-id");
	unlink(path);
	puts_(r, DB "mounts/" X_ID "/mount-id", X_MOUNT "\n../../../../etc\x01");
	CHECK(cfir_disk_docker_layers(fd, X_ID, &l, &err) < 0 && err.exit == EX_DATAERR);
	CHECK(l.n == 0);
	CHECK(cfir_disk_docker_id(X_MOUNT "\n", 65, false, out, &err) < 0);
	CHECK(cfir_disk_docker_id(X_MOUNT "-init", 69, false, out, &err) < 0);
	CHECK(cfir_disk_docker_id(X_MOUNT "-init", 69, true, out, &err) == 0);
	CHECK_STR(out, X_MOUNT "-init");
	CHECK(cfir_disk_docker_id("310E5D12C42E1EC599A044E203FB14287AAEC890512ECD5B616FF8B8E5E804E4", 64, false, out,
				  &err) < 0);
}

static void
id_4k(void)
{
	const char *r = docker_root();
	cleanup_close int fd = root_fd(r);
	struct cfir_disk_layers l = { 0 };
	struct cfir_disk_chain c = { 0 };
	struct cfir_err err = { 0 };
	char id[4097];

	memset(id, 'a', 4096);
	id[4096] = '\0';
	CHECK(cfir_disk_docker_layers(fd, id, &l, &err) < 0 && err.exit == EX_NOINPUT);
	CHECK(cfir_disk_storage_layers(fd, id, &l, &err) < 0 && err.exit == EX_NOINPUT);
	CHECK(cfir_disk_storage_chain("[]", 2, id, &c, &err) < 0 && err.exit == EX_DATAERR);
	CHECK(c.n == 0 && c.id == NULL);
}

static void
driver_other(void)
{
	const char *r = unit_tmpdir();
	cleanup_close int fd = -1;
	struct cfir_disk_layers l = { 0 };
	struct cfir_err err = { 0 };

	puts_(r, "var/lib/docker/containers/" X_ID "/config.v2.json", "{\"ID\":\"" X_ID "\",\"Driver\":\"btrfs\"}");
	fd = root_fd(r);
	CHECK(cfir_disk_docker_layers(fd, X_ID, &l, &err) < 0 && err.exit == EX_UNAVAILABLE);
	CHECK(strstr(err.msg, "btrfs") != NULL);
}

/* The store of a host with cfirh-dock-p (podman init'ed), as Podman left it. */
static const char *
storage_root(bool spec)
{
	const char *r = unit_tmpdir();

	put_fixture(r, ST "overlay-containers/containers.json", "disk/storage/containers.json");
	put_fixture(r, ST "overlay-layers/layers.json", "disk/storage/layers.json");
	if (spec)
		put_fixture(r, ST "overlay-containers/" P_ID "/userdata/config.json", "disk/storage/config.json");
	mkdir_p(r, ST "overlay/" P_LAYER "/diff");
	mkdir_p(r, ST "overlay/" P_L2 "/diff");
	mkdir_p(r, ST "overlay/" L1_CHAIN "/diff");
	return r;
}

static void
storage_list(void)
{
	const char *r = storage_root(true);
	cleanup_close int fd = root_fd(r);
	cleanup_free char *spec = NULL;
	struct cfir_disk_list l = { 0 };
	struct cfir_err err = { 0 };
	size_t len = 0;

	spec = fixture("disk/storage/config.json", &len);
	CHECK(cfir_disk_storage_list(fd, &l, &err) == 0);
	CHECK(l.n == 1 && l.skipped == 0);
	if (l.n == 1) {
		/* its spec has io.kubernetes.cri-o.* keys, and io.container.manager "libpod" */
		CHECK_STR(l.v[0].manager, "podman");
		CHECK_STR(l.v[0].id, P_ID);
		CHECK_STR(l.v[0].name, "cfirh-dock-p");
		CHECK_STR(l.v[0].image, "localhost/cfirh-dock-img:2");
		CHECK_STR(l.v[0].image_id, "6f95712d9a53240372cde043c08afb45e59ce8f8ff732dbce536ee059216c6fa");
		CHECK_STR(l.v[0].created, "2026-11-30T20:51:49.017635633Z");
		CHECK_STR(l.v[0].status, "created");
		CHECK(!l.v[0].running && l.v[0].pid == 0 && l.v[0].inspect == NULL);
		CHECK_STR(l.v[0].config_name, ST "overlay-containers/" P_ID "/userdata/config.json");
		CHECK(spec != NULL && l.v[0].spec_len == len && memcmp(l.v[0].spec_raw, spec, len) == 0);
		CHECK(l.v[0].config_len == len && memcmp(l.v[0].config_raw, spec, len) == 0);
	}
	cfir_disk_list_free(&l);
	/* never initialised: no spec, which is no error */
	r = storage_root(false);
	close(fd);
	fd = root_fd(r);
	CHECK(cfir_disk_storage_list(fd, &l, &err) == 0 && l.n == 1);
	if (l.n == 1) {
		CHECK_STR(l.v[0].status, "configured");
		CHECK(l.v[0].config_name == NULL && l.v[0].spec_raw == NULL);
	}
	cfir_disk_list_free(&l);
}

static void
storage_layers(void)
{
	const char *r = storage_root(true);
	cleanup_close int fd = root_fd(r);
	struct cfir_disk_layers l = { 0 };
	struct cfir_err err = { 0 };

	CHECK(cfir_disk_storage_layers(fd, P_ID, &l, &err) == 0);
	CHECK_STR(l.from, "containers-storage");
	CHECK(l.n == 3);
	if (l.n == 3) {
		/* podman inspect's UpperDir, then its LowerDir in order */
		check_layer(r, &l.v[0], ST "overlay/" P_LAYER "/diff", NULL);
		check_layer(r, &l.v[1], ST "overlay/" P_L2 "/diff", P_L2_DIFF);
		check_layer(r, &l.v[2], ST "overlay/" L1_CHAIN "/diff", "sha256:" L1_CHAIN);
	}
	cfir_disk_layers_free(&l);
}

static void
storage_crio(void)
{
	const char *r = unit_tmpdir();
	cleanup_close int fd = -1;
	struct cfir_disk_list l = { 0 };
	struct cfir_err err = { 0 };

	puts_(r, ST "overlay-containers/containers.json",
	      "[{\"id\":\"" P_ID "\",\"names\":[\"k8s_web_pod_ns_1\"],\"image\":\"\",\"layer\":\"" P_LAYER "\","
	      "\"metadata\":\"{\\\"pod-name\\\":\\\"pod\\\",\\\"pod-id\\\":\\\"x\\\",\\\"image-name\\\":\\\"nginx\\\"}\"},"
	      "{\"id\":\"../../etc\"}]");
	puts_(r, ST "overlay-containers/volatile-containers.json",
	      "[{\"id\":\"" P_LAYER "\",\"names\":[\"gone-at-reboot\"],\"layer\":\"" P_L2 "\"}]");
	fd = root_fd(r);
	CHECK(cfir_disk_storage_list(fd, &l, &err) == 0 && l.n == 2 && l.skipped == 1);
	if (l.n == 2) {
		/* by ID: the volatile one first */
		CHECK_STR(l.v[0].name, "gone-at-reboot");
		CHECK_STR(l.v[0].manager, "podman");
		CHECK_STR(l.v[1].manager, "cri-o");
		CHECK_STR(l.v[1].image, "nginx");
	}
	CHECK(l.first_skip != NULL && strstr(l.first_skip, "../../etc") != NULL);
	cfir_disk_list_free(&l);
}

static void
storage_not_array(void)
{
	const char *r = unit_tmpdir();
	cleanup_close int fd = -1;
	struct cfir_disk_list l = { 0 };
	struct cfir_disk_layers y = { 0 };
	struct cfir_err err = { 0 };

	puts_(r, ST "overlay-containers/containers.json", "{\"id\":\"" P_ID "\"}");
	fd = root_fd(r);
	CHECK(cfir_disk_storage_list(fd, &l, &err) == 0);
	CHECK(l.n == 0 && l.skipped == 1 && l.first_skip != NULL);
	cfir_disk_list_free(&l);
	CHECK(cfir_disk_storage_layers(fd, P_ID, &y, &err) < 0 && err.exit == EX_DATAERR);
}

static void
storage_loop(void)
{
	const char *r = storage_root(true);
	cleanup_close int fd = root_fd(r);
	static const char loop[] =
		"[{\"id\":\"" P_LAYER "\",\"parent\":\"" P_L2 "\"},{\"id\":\"" P_L2 "\",\"parent\":\"" P_LAYER "\"}]";
	struct cfir_disk_layers l = { 0 };
	struct cfir_disk_chain c = { 0 };
	struct cfir_err err = { 0 };
	char path[4096];

	CHECK(cfir_disk_storage_chain(loop, sizeof(loop) - 1, P_LAYER, &c, &err) < 0 && err.exit == EX_DATAERR);
	CHECK(strstr(err.msg, "loop") != NULL);
	CHECK(cfir_disk_storage_chain(loop, sizeof(loop) - 1, P_L2, &c, &err) < 0 && c.n == 0);
	snprintf(path, sizeof(path), "%s%s", r, ST "overlay-layers/layers.json");
	unlink(path);
	puts_(r, ST "overlay-layers/layers.json", loop);
	CHECK(cfir_disk_storage_layers(fd, P_ID, &l, &err) < 0 && err.exit == EX_DATAERR);
	CHECK(l.n == 0);
	/* a parent that climbs is no ID, never a path */
	CHECK(cfir_disk_storage_chain("[{\"id\":\"" P_LAYER "\",\"parent\":\"../../../etc\"}]", 91, P_LAYER, &c,
				      &err) < 0);
}

static void
no_engine(void)
{
	const char *r = unit_tmpdir();
	cleanup_close int fd = root_fd(r);
	struct cfir_disk_list l = { 0 };
	struct cfir_err err = { 0 };

	CHECK(cfir_disk_docker_list(fd, &l, &err) == 0 && cfir_disk_storage_list(fd, &l, &err) == 0);
	CHECK(l.n == 0 && l.skipped == 0);
	cfir_disk_list_free(&l);
}

/* A file is read whole up to the bound and refused past it, never cut; it is read through the fd opened in the root. */
static void
read_bound(void)
{
	const char *r = unit_tmpdir();
	cleanup_close int fd = -1;
	struct cfir_err err = { 0 };
	char *b = NULL;
	size_t len = 0;

	puts_(r, "f", "0123456789");
	puts_(r, "empty", "");
	link_(r, "out", "/../../f");
	fd = root_fd(r);
	CHECK(cfir_disk_read(fd, "/f", 10, &b, &len, &err) == 0 && len == 10 && b != NULL && strcmp(b, "0123456789") == 0);
	free(b);
	CHECK(cfir_disk_read(fd, "f", 9, &b, &len, &err) < 0 && err.exit == EX_DATAERR && b == NULL);
	CHECK(cfir_disk_read(fd, "out", 100, &b, &len, &err) == 0 && len == 10);
	free(b);
	CHECK(cfir_disk_read(fd, "empty", 100, &b, &len, &err) == 0 && len == 0 && b != NULL && b[0] == '\0');
	free(b);
	CHECK(cfir_disk_read(fd, "none", 100, &b, &len, &err) < 0 && err.exit == EX_NOINPUT);
	CHECK(cfir_disk_read(fd, "/", 100, &b, &len, &err) < 0 && err.exit == EX_DATAERR);
}

UNIT_SUITE(disk_tests) = {
	{ "disk_read_bound", read_bound },
	{ "disk_docker_list", docker_list },
	{ "disk_docker_layers", docker_layers },
	{ "disk_docker_inspect", docker_inspect },
	{ "disk_link_absolute", link_absolute },
	{ "disk_link_climbs", link_climbs },
	{ "disk_lower_dotdot", lower_dotdot },
	{ "disk_lower_many", lower_many },
	{ "disk_mount_id_garbage", mount_id_garbage },
	{ "disk_id_4k", id_4k },
	{ "disk_driver_other", driver_other },
	{ "disk_storage_list", storage_list },
	{ "disk_storage_layers", storage_layers },
	{ "disk_storage_crio", storage_crio },
	{ "disk_storage_not_array", storage_not_array },
	{ "disk_storage_loop", storage_loop },
	{ "disk_no_engine", no_engine },
	UNIT_END
};
