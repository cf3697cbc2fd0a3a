// A SQLite VFS that gathers a connection's write-ahead-log writes into a few large write() calls per
// commit (the default VFS writes at most 128 KB per call).
//
// Why: in WAL mode SQLite writes every frame of a commit with two write() calls (its 24-byte header,
// then the page). A create of a realistic Patient dirties ~50 pages (its index rows land on random
// B-tree leaves), so the single writer spent a fifth of its time entering and leaving the kernel.
//
// Why it is safe: other connections find frames through the WAL index (shared memory), which the
// committing connection updates only after its frames are written. The buffer is written out when
// the commit frame's page has been added (its header carries the database size after the commit,
// non-zero only for commit frames), that is, inside the same walFrames() call that wrote the frames
// and before it touches the WAL index. It is also written out before any other operation on the file
// (read, sync, truncate, size, close, file control) and before a write that does not continue it, so
// the connection itself never sees the file without its own writes. A failed write-out is returned
// from the call that triggered it; SQLite then fails the commit, as it would for its own write.
// Durability is unchanged: nothing is acknowledged before the log is synced, and the sync comes after
// the write-out.

#include "wal_buffer.h"

#include <sqlite3.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define KQ_VFS_NAME "kangqiao-walbuffer"
#define KQ_FRAME_HEADER 24
#define KQ_BUFFER_LIMIT (4 * 1024 * 1024)
#define KQ_WRITE_CHUNK (124 * 1024)

typedef struct KqFile {
    sqlite3_file base;          // our methods
    sqlite3_file *real;         // the default VFS's file, allocated right after this struct
    int isWAL;
    unsigned char *buffer;      // pending bytes, to be written at bufferOffset
    sqlite3_int64 bufferOffset;
    int bufferLength;
    int bufferCapacity;
    int commitFramePending;     // the last write was a commit frame's header: flush after its page
} KqFile;

static sqlite3_vfs *parentVFS = NULL;

static int kqFlush(KqFile *f) {
    int rc = SQLITE_OK;
    // The unix VFS writes at most 0x1ffff bytes per call (larger requests are masked, not split).
    for (int done = 0; done < f->bufferLength && rc == SQLITE_OK; done += KQ_WRITE_CHUNK) {
        int amount = f->bufferLength - done < KQ_WRITE_CHUNK ? f->bufferLength - done : KQ_WRITE_CHUNK;
        rc = f->real->pMethods->xWrite(f->real, f->buffer + done, amount, f->bufferOffset + done);
    }
    f->bufferLength = 0;
    return rc;
}

static int kqClose(sqlite3_file *file) {
    KqFile *f = (KqFile *)file;
    int rc = kqFlush(f);
    int rc2 = f->real->pMethods->xClose(f->real);
    free(f->buffer);
    f->buffer = NULL;
    return rc != SQLITE_OK ? rc : rc2;
}

static int kqRead(sqlite3_file *file, void *out, int amount, sqlite3_int64 offset) {
    KqFile *f = (KqFile *)file;
    int rc = kqFlush(f);
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xRead(f->real, out, amount, offset);
}

static int kqAppend(KqFile *f, const void *data, int amount) {
    if (f->bufferLength + amount > f->bufferCapacity) {
        int capacity = f->bufferCapacity ? f->bufferCapacity : 64 * 1024;
        while (capacity < f->bufferLength + amount) capacity *= 2;
        unsigned char *grown = realloc(f->buffer, (size_t)capacity);
        if (!grown) return SQLITE_IOERR_NOMEM;
        f->buffer = grown;
        f->bufferCapacity = capacity;
    }
    memcpy(f->buffer + f->bufferLength, data, (size_t)amount);
    f->bufferLength += amount;
    return SQLITE_OK;
}

static int kqWrite(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset) {
    KqFile *f = (KqFile *)file;
    if (!f->isWAL) return f->real->pMethods->xWrite(f->real, data, amount, offset);
    int rc;
    // A write that does not continue the pending bytes (the log's header at a restart, a frame
    // rewritten in place) goes after them, in order.
    if (f->bufferLength > 0 && offset != f->bufferOffset + f->bufferLength) {
        rc = kqFlush(f);
        if (rc != SQLITE_OK) return rc;
    }
    if (f->bufferLength > 0 && f->bufferLength + amount > KQ_BUFFER_LIMIT) {
        rc = kqFlush(f);
        if (rc != SQLITE_OK) return rc;
    }
    if (f->bufferLength == 0) f->bufferOffset = offset;
    rc = kqAppend(f, data, amount);
    if (rc != SQLITE_OK) {
        // Out of memory: write what is pending and this write directly, unbuffered.
        int flushed = kqFlush(f);
        if (flushed != SQLITE_OK) return flushed;
        return f->real->pMethods->xWrite(f->real, data, amount, offset);
    }
    if (f->commitFramePending) {
        // This is the commit frame's page: the commit's frames are complete.
        f->commitFramePending = 0;
        return kqFlush(f);
    }
    if (amount == KQ_FRAME_HEADER) {
        // A frame header: bytes 4..7 hold the database size in pages after the commit, or 0.
        const unsigned char *h = data;
        unsigned int pagesAfterCommit = ((unsigned)h[4] << 24) | ((unsigned)h[5] << 16) | ((unsigned)h[6] << 8) | h[7];
        if (pagesAfterCommit != 0) f->commitFramePending = 1;
    }
    return SQLITE_OK;
}

static int kqTruncate(sqlite3_file *file, sqlite3_int64 size) {
    KqFile *f = (KqFile *)file;
    int rc = kqFlush(f);
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xTruncate(f->real, size);
}

static int kqSync(sqlite3_file *file, int flags) {
    KqFile *f = (KqFile *)file;
    int rc = kqFlush(f);
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xSync(f->real, flags);
}

static int kqFileSize(sqlite3_file *file, sqlite3_int64 *size) {
    KqFile *f = (KqFile *)file;
    int rc = kqFlush(f);
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xFileSize(f->real, size);
}

static int kqLock(sqlite3_file *file, int level) {
    KqFile *f = (KqFile *)file;
    return f->real->pMethods->xLock(f->real, level);
}

static int kqUnlock(sqlite3_file *file, int level) {
    KqFile *f = (KqFile *)file;
    return f->real->pMethods->xUnlock(f->real, level);
}

static int kqCheckReservedLock(sqlite3_file *file, int *out) {
    KqFile *f = (KqFile *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int kqFileControl(sqlite3_file *file, int op, void *arg) {
    KqFile *f = (KqFile *)file;
    int rc = kqFlush(f);
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int kqSectorSize(sqlite3_file *file) {
    KqFile *f = (KqFile *)file;
    return f->real->pMethods->xSectorSize(f->real);
}

static int kqDeviceCharacteristics(sqlite3_file *file) {
    KqFile *f = (KqFile *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static const sqlite3_io_methods kqWALMethods = {
    1,  // a log file needs no shared memory and no memory map
    kqClose, kqRead, kqWrite, kqTruncate, kqSync, kqFileSize, kqLock, kqUnlock, kqCheckReservedLock,
    kqFileControl, kqSectorSize, kqDeviceCharacteristics,
    NULL, NULL, NULL, NULL, NULL, NULL,
};

static int kqOpen(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *outFlags) {
    (void)vfs;
    if (!(flags & SQLITE_OPEN_WAL)) {
        // Every other file is the default VFS's own, in our (larger) allocation.
        return parentVFS->xOpen(parentVFS, name, file, flags, outFlags);
    }
    KqFile *f = (KqFile *)file;
    memset(f, 0, sizeof(KqFile));
    f->real = (sqlite3_file *)(f + 1);
    int rc = parentVFS->xOpen(parentVFS, name, f->real, flags, outFlags);
    if (rc != SQLITE_OK) {
        // SQLite calls xClose only when pMethods is set; the default VFS cleaned up after itself.
        f->base.pMethods = NULL;
        return rc;
    }
    f->isWAL = 1;
    f->base.pMethods = &kqWALMethods;
    return SQLITE_OK;
}

static int kqDelete(sqlite3_vfs *v, const char *n, int s) { (void)v; return parentVFS->xDelete(parentVFS, n, s); }
static int kqAccess(sqlite3_vfs *v, const char *n, int fl, int *o) { (void)v; return parentVFS->xAccess(parentVFS, n, fl, o); }
static int kqFullPathname(sqlite3_vfs *v, const char *n, int sz, char *o) { (void)v; return parentVFS->xFullPathname(parentVFS, n, sz, o); }
static void *kqDlOpen(sqlite3_vfs *v, const char *n) { (void)v; return parentVFS->xDlOpen(parentVFS, n); }
static void kqDlError(sqlite3_vfs *v, int sz, char *o) { (void)v; parentVFS->xDlError(parentVFS, sz, o); }
static void (*kqDlSym(sqlite3_vfs *v, void *h, const char *s))(void) { (void)v; return parentVFS->xDlSym(parentVFS, h, s); }
static void kqDlClose(sqlite3_vfs *v, void *h) { (void)v; parentVFS->xDlClose(parentVFS, h); }
static int kqRandomness(sqlite3_vfs *v, int n, char *o) { (void)v; return parentVFS->xRandomness(parentVFS, n, o); }
static int kqSleep(sqlite3_vfs *v, int us) { (void)v; return parentVFS->xSleep(parentVFS, us); }
static int kqCurrentTime(sqlite3_vfs *v, double *t) { (void)v; return parentVFS->xCurrentTime(parentVFS, t); }
static int kqGetLastError(sqlite3_vfs *v, int n, char *o) { (void)v; return parentVFS->xGetLastError(parentVFS, n, o); }
static int kqCurrentTimeInt64(sqlite3_vfs *v, sqlite3_int64 *t) { (void)v; return parentVFS->xCurrentTimeInt64(parentVFS, t); }

static sqlite3_vfs kqVFS;
static const char *registeredName = NULL;
static pthread_once_t registerOnce = PTHREAD_ONCE_INIT;

static void kqRegister(void) {
    // Before SQLite initializes (sqlite3_vfs_find does): without memory statistics, SQLite's malloc
    // and free take no global mutex (a few per cent of the single writer's time). Refused harmlessly
    // when SQLite is already initialized.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    parentVFS = sqlite3_vfs_find(NULL);
    if (!parentVFS || parentVFS->iVersion < 2) return;
    memset(&kqVFS, 0, sizeof(kqVFS));
    kqVFS.iVersion = 2;
    kqVFS.szOsFile = (int)sizeof(KqFile) + parentVFS->szOsFile;
    kqVFS.mxPathname = parentVFS->mxPathname;
    kqVFS.zName = KQ_VFS_NAME;
    kqVFS.xOpen = kqOpen;
    kqVFS.xDelete = kqDelete;
    kqVFS.xAccess = kqAccess;
    kqVFS.xFullPathname = kqFullPathname;
    kqVFS.xDlOpen = kqDlOpen;
    kqVFS.xDlError = kqDlError;
    kqVFS.xDlSym = kqDlSym;
    kqVFS.xDlClose = kqDlClose;
    kqVFS.xRandomness = kqRandomness;
    kqVFS.xSleep = kqSleep;
    kqVFS.xCurrentTime = kqCurrentTime;
    kqVFS.xGetLastError = kqGetLastError;
    kqVFS.xCurrentTimeInt64 = kqCurrentTimeInt64;
    if (sqlite3_vfs_register(&kqVFS, 0) == SQLITE_OK) registeredName = KQ_VFS_NAME;
}

const char *kq_wal_buffer_vfs(void) {
    pthread_once(&registerOnce, kqRegister);
    return registeredName;
}

int kq_sqlite_lookaside(sqlite3 *db, int slotSize, int slotCount) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_LOOKASIDE, NULL, slotSize, slotCount);
}
