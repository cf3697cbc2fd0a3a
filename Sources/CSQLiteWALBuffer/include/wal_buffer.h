#ifndef KANGQIAO_WAL_BUFFER_H
#define KANGQIAO_WAL_BUFFER_H

/// Registers (once; later calls are no-ops) the SQLite VFS "kangqiao-walbuffer" and answers its name, or
/// NULL when registration failed. It is the default VFS with one change: a connection's writes to its
/// write-ahead log are gathered in memory and written in a few large write() calls when the
/// transaction's commit frame is complete, instead of two write() calls per frame. See wal_buffer.c
/// for why that is safe.
const char *kq_wal_buffer_vfs(void);

struct sqlite3;
/// sqlite3_db_config(SQLITE_DBCONFIG_LOOKASIDE) for Swift, which cannot call variadic C functions:
/// a connection's own small-allocation arena (`slotCount` slots of `slotSize` bytes).
int kq_sqlite_lookaside(struct sqlite3 *db, int slotSize, int slotCount);

#endif
