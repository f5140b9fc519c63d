/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include "history/db.h"

struct db {
	bool pg;
	sqlite3 *lite;
	PGconn *conn;
	int version;
};

/* The migrations, in order: migration i brings the schema from version i to i + 1. %ID% is the
 * backend's auto-numbered key, %REAL% its double type. */
static const char *const migrations[] = {
	/* 1: runs and their metrics */
	"CREATE TABLE runs ("
	" id %ID%,"
	" added_at TEXT NOT NULL,"      /* when `history add` stored it (UTC, ISO 8601) */
	" run_at TEXT NOT NULL,"        /* the file's metadata.timestamp */
	" host TEXT NOT NULL,"          /* hostname */
	" host_key TEXT NOT NULL,"      /* hostname, CPU model and cores: the host identity */
	" commit_id TEXT,"              /* --commit, the file's git commit, or git rev-parse HEAD */
	" framework TEXT,"
	" mode TEXT NOT NULL,"          /* profile, compare, load, record */
	" config_key TEXT NOT NULL,"    /* a hash of the configuration that matters for comparing */
	" config TEXT NOT NULL,"        /* the configuration, JSON */
	" source TEXT NOT NULL);"       /* the file added */
	"CREATE TABLE metrics ("
	" run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" workload TEXT NOT NULL,"
	" metric TEXT NOT NULL,"
	" value %REAL% NOT NULL,"
	" PRIMARY KEY (run_id, workload, metric));",
	/* 2: the lookups of show and check */
	"CREATE INDEX metrics_by_series ON metrics (workload, metric, run_id);"
	"CREATE INDEX runs_by_time ON runs (run_at, id);",
};

int db_schema_version(const struct db *db)
{
	return db->version;
}

const char *db_kind(const struct db *db)
{
	return db->pg ? "postgresql" : "sqlite";
}

/* ?N -> $N for PostgreSQL. */
static char *pg_sql(const char *sql)
{
	char *s = strdup(sql);

	for (char *p = s; p && *p; p++)
		if (*p == '?' && p[1] >= '0' && p[1] <= '9')
			*p = '$';
	return s;
}


/* A file that is not a SQLite database, or a damaged one, is the user's input (-EPROTO: exit 2);
 * anything else SQLite reports is the environment (-EIO). */
static int lite_errno(struct db *db)
{
	int c = sqlite3_errcode(db->lite) & 0xff;

	return c == SQLITE_NOTADB || c == SQLITE_CORRUPT ? -EPROTO : -EIO;
}

int db_query(struct db *db, const char *sql, int nparams, const char *const *params, db_row_fn fn, void *ctx,
	     char *err, int errlen)
{
	if (db->pg) {
		char *q = pg_sql(sql);
		PGresult *r = q ? PQexecParams(db->conn, q, nparams, NULL, params, NULL, NULL, 0) : NULL;
		int st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR, ret = 0;

		free(q);
		if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
			snprintf(err, errlen, "postgresql: %s", r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn));
			err[strcspn(err, "\n")] = '\0';
			PQclear(r);
			return -EIO;
		}
		for (int i = 0; fn && i < PQntuples(r); i++) {
			const char *vals[64];
			int nc = PQnfields(r) < 64 ? PQnfields(r) : 64;

			for (int c = 0; c < nc; c++)
				vals[c] = PQgetisnull(r, i, c) ? NULL : PQgetvalue(r, i, c);
			if (fn(ctx, nc, vals))
				break;
		}
		PQclear(r);
		return ret;
	} else {
		const char *tail = sql;

		/* one or more statements; parameters bind to each */
		while (tail && *tail) {
			sqlite3_stmt *st = NULL;
			int rc;

			if (sqlite3_prepare_v2(db->lite, tail, -1, &st, &tail) != SQLITE_OK) {
				snprintf(err, errlen, "sqlite: %s", sqlite3_errmsg(db->lite));
				return lite_errno(db);
			}
			if (!st)
				break; /* trailing whitespace */
			for (int i = 0; i < nparams && i < sqlite3_bind_parameter_count(st); i++)
				sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_TRANSIENT);
			while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
				const char *vals[64];
				char nums[64][32];
				int nc = sqlite3_column_count(st) < 64 ? sqlite3_column_count(st) : 64;

				for (int c = 0; c < nc; c++) {
					/* doubles in full (round-trip) precision, as PostgreSQL gives them */
					if (sqlite3_column_type(st, c) == SQLITE_FLOAT) {
						snprintf(nums[c], sizeof(nums[c]), "%.17g", sqlite3_column_double(st, c));
						vals[c] = nums[c];
					} else {
						vals[c] = (const char *)sqlite3_column_text(st, c);
					}
				}
				if (fn && fn(ctx, nc, vals)) {
					rc = SQLITE_DONE;
					break;
				}
			}
			if (rc != SQLITE_DONE) {
				snprintf(err, errlen, "sqlite: %s", sqlite3_errmsg(db->lite));
				sqlite3_finalize(st);
				return lite_errno(db);
			}
			sqlite3_finalize(st);
		}
		return 0;
	}
}

int db_exec(struct db *db, const char *sql, int nparams, const char *const *params, char *err, int errlen)
{
	return db_query(db, sql, nparams, params, NULL, NULL, err, errlen);
}

int db_begin(struct db *db, char *err, int errlen)
{
	return db_exec(db, "BEGIN", 0, NULL, err, errlen);
}

int db_commit(struct db *db, char *err, int errlen)
{
	return db_exec(db, "COMMIT", 0, NULL, err, errlen);
}

void db_rollback(struct db *db)
{
	char err[256];

	db_exec(db, "ROLLBACK", 0, NULL, err, sizeof(err));
}

static int version_row(void *ctx, int n, const char *const *v)
{
	*(int *)ctx = n && v[0] ? atoi(v[0]) : 0;
	return 1;
}

/* A migration's SQL with the backend's types, one statement at a time for libpq (which takes
 * several in PQexec but not in PQexecParams). */
static int run_migration(struct db *db, const char *tmpl, char *err, int errlen)
{
	const char *id = db->pg ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT";
	const char *real = db->pg ? "DOUBLE PRECISION" : "REAL";
	char sql[4096], *o = sql, *stmt, *save = NULL;
	int e = 0;

	for (const char *p = tmpl; *p && o < sql + sizeof(sql) - 64;) {
		if (!strncmp(p, "%ID%", 4)) {
			o += sprintf(o, "%s", id);
			p += 4;
		} else if (!strncmp(p, "%REAL%", 6)) {
			o += sprintf(o, "%s", real);
			p += 6;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	for (stmt = strtok_r(sql, ";", &save); stmt && !e; stmt = strtok_r(NULL, ";", &save))
		if (strspn(stmt, " \n\t") < strlen(stmt))
			e = db_exec(db, stmt, 0, NULL, err, errlen);
	return e;
}

/* Bring the schema to the last version. Safe against another bindprof migrating the same store at
 * once: PostgreSQL takes a session advisory lock for the duration; SQLite's BEGIN IMMEDIATE
 * takes the write lock before the version is read again, inside each migration's transaction. */
static int migrate(struct db *db, char *err, int errlen)
{
	int n = (int)(sizeof(migrations) / sizeof(migrations[0])), e;
	char v[16];
	const char *pv[1] = { v };

	if (db->pg && (e = db_exec(db, "SELECT pg_advisory_lock(7105811)", 0, NULL, err, errlen)))
		return e;
	if ((e = db_exec(db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", 0, NULL, err,
			 errlen)))
		goto out;
	for (;;) {
		int cur = 0;

		if ((e = db_exec(db, db->pg ? "BEGIN" : "BEGIN IMMEDIATE", 0, NULL, err, errlen)))
			goto out;
		if ((e = db_query(db, "SELECT MAX(version) FROM schema_version", 0, NULL, version_row, &cur, err, errlen)))
			goto fail;
		db->version = cur;
		if (cur > n) {
			snprintf(err, errlen, "the store's schema is version %d, newer than this bindprof's %d", cur, n);
			e = -EINVAL;
			goto fail;
		}
		if (cur == n) {
			e = db_commit(db, err, errlen);
			goto out;
		}
		snprintf(v, sizeof(v), "%d", cur + 1);
		if ((e = run_migration(db, migrations[cur], err, errlen)) ||
		    (e = db_exec(db, "INSERT INTO schema_version (version) VALUES (?1)", 1, pv, err, errlen)) ||
		    (e = db_commit(db, err, errlen)))
			goto fail;
		db->version = cur + 1;
	}
fail:
	db_rollback(db);
out:
	if (db->pg) {
		char e2[128];

		db_exec(db, "SELECT pg_advisory_unlock(7105811)", 0, NULL, e2, sizeof(e2));
	}
	return e;
}

static int mkdirs_for(const char *path)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	return 0;
}

int db_open(const char *where, struct db **out, char *err, int errlen)
{
	struct db *db = calloc(1, sizeof(*db));
	int e;

	*out = NULL;
	if (!db) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (!where)
		where = DB_DEFAULT_PATH;
	if (!strncmp(where, "postgresql://", 13) || !strncmp(where, "postgres://", 11)) {
		db->pg = true;
		db->conn = PQconnectdb(where);
		if (PQstatus(db->conn) != CONNECTION_OK) {
			snprintf(err, errlen, "postgresql: %s", PQerrorMessage(db->conn));
			err[strcspn(err, "\n")] = '\0';
			db_close(db);
			return -EINVAL;
		}
		/* the migrations' notices ("relation exists, skipping") are not for the user */
		db_exec(db, "SET client_min_messages TO WARNING", 0, NULL, err, errlen);
	} else {
		struct stat st;

		if (!stat(where, &st) && !S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "the history store '%s' is %s: give a SQLite file", where,
				 S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO" : "not a regular file");
			free(db);
			return -EISDIR;
		}
		if ((e = mkdirs_for(where))) {
			snprintf(err, errlen, "%s: %s", where, strerror(-e));
			free(db);
			return -EINVAL;
		}
		if (sqlite3_open(where, &db->lite) != SQLITE_OK) {
			snprintf(err, errlen, "sqlite: %s: %s", where, db->lite ? sqlite3_errmsg(db->lite) : "cannot open");
			db_close(db);
			return -EINVAL;
		}
		sqlite3_busy_timeout(db->lite, 5000);
		db_exec(db, "PRAGMA foreign_keys = ON", 0, NULL, err, errlen);
	}
	if ((e = migrate(db, err, errlen))) {
		db_close(db);
		return e == -EPROTO ? -EPROTO : -EINVAL; /* not a database: the user's file */
	}
	*out = db;
	return 0;
}

int db_open_existing(const char *where, struct db **out, char *err, int errlen)
{
	int n = (int)(sizeof(migrations) / sizeof(migrations[0])), cur = -1, e;
	struct stat st;
	struct db *db;

	*out = NULL;
	if (!where)
		where = DB_DEFAULT_PATH;
	if (!strncmp(where, "postgresql://", 13) || !strncmp(where, "postgres://", 11))
		return db_open(where, out, err, errlen) ? -EIO : 0;
	if (stat(where, &st)) {
		e = -errno;
		if (e == -ENOENT)
			snprintf(err, errlen, "no history store at '%s' (bindprof history add creates it)", where);
		else
			snprintf(err, errlen, "cannot read the history store '%s': %s", where, strerror(-e));
		return e == -ENOENT || e == -ENOTDIR ? -ENOENT : -EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "the history store '%s' is %s: give a SQLite file", where,
			 S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO" : "not a regular file");
		return -EINVAL;
	}
	if (!(db = calloc(1, sizeof(*db)))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (sqlite3_open_v2(where, &db->lite, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "sqlite: %s: %s", where, db->lite ? sqlite3_errmsg(db->lite) : "cannot open");
		db_close(db);
		return -EIO;
	}
	sqlite3_busy_timeout(db->lite, 5000);
	if (db_query(db, "SELECT MAX(version) FROM schema_version", 0, NULL, version_row, &cur, err, errlen) || cur < 1) {
		snprintf(err, errlen, "'%s' is not a bindprof history store (no schema version)", where);
		db_close(db);
		return -EINVAL;
	}
	if (cur > n) {
		snprintf(err, errlen, "the store's schema is version %d, newer than this bindprof's %d", cur, n);
		db_close(db);
		return -EINVAL;
	}
	db->version = cur;
	if (cur < n) { /* an older store: migrate it (the only write a query makes) */
		db_close(db);
		return db_open(where, out, err, errlen) ? -EIO : 0;
	}
	*out = db;
	return 0;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	if (db->conn)
		PQfinish(db->conn);
	if (db->lite)
		sqlite3_close(db->lite);
	free(db);
}
