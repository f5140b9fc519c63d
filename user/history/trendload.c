/* SPDX-License-Identifier: GPL-2.0-only */
/* history_trend_load (history/trend.h): kept apart from the drawing, which needs no database. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "history/db.h"
#include "history/trend.h"

int history_trend_load(const char *where, struct history_points *ps, char *err, int errlen)
{
	struct db *db;
	int e;

	memset(ps, 0, sizeof(*ps));
	if (!where && access(DB_DEFAULT_PATH, F_OK))
		return 0;
	if ((e = db_open_existing(where ? where : DB_DEFAULT_PATH, &db, err, errlen)))
		return e;
	e = history_load(db, &(struct history_filter){ NULL, NULL, NULL, NULL }, ps, err, errlen);
	db_close(db);
	return e ? e : 1;
}

int history_store_check(const char *where, char *err, int errlen)
{
	struct db *db;
	int e = db_open_existing(where, &db, err, errlen);

	if (!e)
		db_close(db);
	return e;
}
