/* SPDX-License-Identifier: GPL-2.0-only */
/* The run-history store: one interface over an embedded SQLite file (libsqlite3, the default,
 * ./.bindprof/history.db) and a shared PostgreSQL server (libpq, a postgresql:// URL). SQL is
 * written once with numbered parameters ?1, ?2 (given to PostgreSQL as $1, $2); every value
 * goes in and comes out as text (NULL for SQL NULL).
 *
 * The schema is versioned: a schema_version table holds the version applied, and db_open
 * applies each later migration in a transaction of its own (db_migrations lists them), so an
 * older store is brought up to date the first time a newer bindprof opens it. */
#ifndef BINDPROF_HISTORY_DB_H
#define BINDPROF_HISTORY_DB_H

#include <stdbool.h>

#define DB_DEFAULT_PATH ".bindprof/history.db"

struct db;

/* Open (creating the SQLite file and its directory when needed) and migrate. where: NULL for
 * DB_DEFAULT_PATH, a postgresql:// or postgres:// URL, or a SQLite file path. 0, or -EINVAL
 * (a store that cannot be opened or migrated) or -EISDIR (the SQLite path is a directory, FIFO or
 * another non-regular file: bad input) with one line in err. */
int db_open(const char *where, struct db **out, char *err, int errlen);
/* Open a store that exists, for queries (history show, check): a SQLite file is opened read-only
 * and never created (an older schema is migrated in place, the only write). 0, or -ENOENT (no such
 * file), -EINVAL (a directory, FIFO or other non-regular file, or a file that is not a bindprof
 * store: bad input), -EIO (could not be opened or read: the environment), one line in err. */
int db_open_existing(const char *where, struct db **out, char *err, int errlen);
void db_close(struct db *db);

/* "sqlite" or "postgresql". */
const char *db_kind(const struct db *db);
/* The schema version now applied. */
int db_schema_version(const struct db *db);

/* A statement without rows. 0, or -EIO with the server's message in err. */
int db_exec(struct db *db, const char *sql, int nparams, const char *const *params, char *err, int errlen);

/* Called per row: ncols values (NULL for SQL NULL). Return nonzero to stop. */
typedef int (*db_row_fn)(void *ctx, int ncols, const char *const *vals);

/* A query; fn gets each row in order. 0, or -EIO with the message in err. */
int db_query(struct db *db, const char *sql, int nparams, const char *const *params, db_row_fn fn, void *ctx,
	     char *err, int errlen);

int db_begin(struct db *db, char *err, int errlen);
int db_commit(struct db *db, char *err, int errlen);
void db_rollback(struct db *db);

#endif
