/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "inspect/metadata.h"
#include "inspect/procfs.h"
#include "lib/util.h"

static int line_value(const char *buf, const char *key, char sep, char *out, size_t size)
{
	size_t klen = strlen(key);
	const char *p = buf;

	while (p && *p) {
		if (!strncmp(p, key, klen)) {
			const char *v = p + klen, *end;

			while (*v == ' ' || *v == '\t')
				v++;
			if (*v == sep) {
				v++;
				while (*v == ' ' || *v == '"')
					v++;
				end = strchr(v, '\n');
				if (!end)
					end = v + strlen(v);
				while (end > v && (end[-1] == '"' || end[-1] == ' '))
					end--;
				snprintf(out, size, "%.*s", (int)(end - v), v);
				return 0;
			}
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

int cpuinfo_model(const char *buf, char *out, size_t size)
{
	return line_value(buf, "model name", ':', out, size);
}

int os_release_name(const char *buf, char *out, size_t size)
{
	return line_value(buf, "PRETTY_NAME", '=', out, size);
}

cJSON *host_to_json(const char *proc_root)
{
	cJSON *h = cJSON_CreateObject();
	char path[4096], val[256], *buf;
	struct utsname u;
	uint64_t kb;

	uname(&u);
	gethostname(val, sizeof(val));
	val[sizeof(val) - 1] = '\0';
	cJSON_AddStringToObject(h, "hostname", val);
	if (!read_file("/etc/os-release", &buf, NULL)) {
		if (!os_release_name(buf, val, sizeof(val)))
			cJSON_AddStringToObject(h, "os", val);
		free(buf);
	}
	if (!cJSON_GetObjectItem(h, "os"))
		cJSON_AddStringToObject(h, "os", u.sysname);
	cJSON_AddStringToObject(h, "arch", u.machine);
	snprintf(path, sizeof(path), "%s/cpuinfo", proc_root);
	if (!read_file(path, &buf, NULL)) {
		if (!cpuinfo_model(buf, val, sizeof(val)))
			cJSON_AddStringToObject(h, "cpu_model", val);
		free(buf);
	}
	if (!cJSON_GetObjectItem(h, "cpu_model"))
		cJSON_AddNullToObject(h, "cpu_model");
	cJSON_AddNumberToObject(h, "cpu_cores", sysconf(_SC_NPROCESSORS_ONLN));
	snprintf(path, sizeof(path), "%s/meminfo", proc_root);
	if (!read_file(path, &buf, NULL) && !procfs_parse_status_kb(buf, "MemTotal", &kb)) {
		/* rounded to 0.1 GB so that the host identity is stable across boots */
		cJSON_AddNumberToObject(h, "memory_gb", (double)(long)(kb / 1048576.0 * 10 + 0.5) / 10);
		free(buf);
	} else {
		cJSON_AddNullToObject(h, "memory_gb");
	}
	cJSON_AddStringToObject(h, "kernel", u.release);
	return h;
}

char *metadata_git_commit(void)
{
	char line[128];
	FILE *p = popen("git rev-parse HEAD 2>/dev/null", "r");
	char *res = NULL;

	if (!p)
		return NULL;
	if (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line) == 40)
			res = strdup(line);
	}
	pclose(p);
	return res;
}

cJSON *metadata_to_json(const struct target_info *t, const char *framework)
{
	cJSON *m = cJSON_CreateObject(), *tg;
	char ts[64], *commit = metadata_git_commit();
	time_t now = time(NULL);

	cJSON_AddStringToObject(m, "tool_version", BINDPROF_VERSION);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	cJSON_AddStringToObject(m, "timestamp", ts);
	if (commit)
		cJSON_AddStringToObject(m, "git_commit", commit);
	else
		cJSON_AddNullToObject(m, "git_commit");
	free(commit);
	if (framework)
		cJSON_AddStringToObject(m, "framework", framework);
	else
		cJSON_AddNullToObject(m, "framework");
	cJSON_AddItemToObject(m, "host", host_to_json("/proc"));
	if (!t)
		return m;
	tg = cJSON_AddObjectToObject(m, "target");
	cJSON_AddNumberToObject(tg, "pid", t->pid);
	cJSON_AddStringToObject(tg, "exe", t->exe);
	cJSON_AddStringToObject(tg, "cmdline", t->cmdline);
	if (t->have_rt) {
		cJSON_AddStringToObject(tg, "runtime", t->rt.name);
		if (t->rt.version[0])
			cJSON_AddStringToObject(tg, "runtime_version", t->rt.version);
		else
			cJSON_AddNullToObject(tg, "runtime_version");
	} else {
		cJSON_AddNullToObject(tg, "runtime");
		cJSON_AddNullToObject(tg, "runtime_version");
	}
	if (t->exited)
		cJSON_AddNumberToObject(tg, "exit_status", t->exit_status);
	else
		cJSON_AddNullToObject(tg, "exit_status");
	return m;
}
