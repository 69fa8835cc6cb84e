/*
 * Write-through flash file: the simulated NOR flash (rules, power cuts, counters) with every
 * write and erase copied to the backing file at once (pwrite of the affected range, also for a
 * torn op), so the file always equals the device's flash, whatever happens to the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dfu_sim.h"
#include "dfukit/dfu_err.h"

/* Copies [off, off+len) of the simulated flash to the file. */
static int sync_range(dfu_sim_flashfile_t *ff, uint32_t off, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(ff->fd, ff->sf.mem + off + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return DFU_ERR_IO;
        }
        done += (size_t)n;
    }
    return DFU_OK;
}

/* Real-time mode: sleeps the modelled time the op added. */
static void pace(const dfu_sim_flashfile_t *ff, double before_us)
{
    double us = ff->sf.time_us - before_us;
    if (ff->realtime && us >= 1.0) {
        struct timespec ts = {(time_t)(us / 1e6),
                              (long)((us - (double)(time_t)(us / 1e6) * 1e6) * 1e3)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
    }
}

/* Records the first op that hit the power cut. */
static void note_cut(dfu_sim_flashfile_t *ff, int rc)
{
    if (rc == DFU_ERR_POWER_CUT && !ff->cut) {
        ff->cut = 1;
        ff->cut_op = ff->sf.ops;
    }
}

static int ff_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    dfu_sim_flashfile_t *ff = ctx;
    return ff->sf.port.read(ff->sf.port.ctx, off, buf, len);
}

static int ff_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
    dfu_sim_flashfile_t *ff = ctx;
    double t0 = ff->sf.time_us;
    int rc = ff->sf.port.write(ff->sf.port.ctx, off, buf, len);
    note_cut(ff, rc);
    pace(ff, t0);
    if ((rc == DFU_OK || rc == DFU_ERR_POWER_CUT) && sync_range(ff, off, len) < 0) {
        return DFU_ERR_IO;
    }
    return rc;
}

static int ff_erase(void *ctx, uint32_t off, size_t len)
{
    dfu_sim_flashfile_t *ff = ctx;
    double t0 = ff->sf.time_us;
    int rc = ff->sf.port.erase(ff->sf.port.ctx, off, len);
    note_cut(ff, rc);
    pace(ff, t0);
    if ((rc == DFU_OK || rc == DFU_ERR_POWER_CUT) && sync_range(ff, off, len) < 0) {
        return DFU_ERR_IO;
    }
    return rc;
}

int dfu_sim_flashfile_open(dfu_sim_flashfile_t *ff, const char *path, const dfu_geometry_t *g)
{
    memset(ff, 0, sizeof(*ff));
    ff->fd = -1;
    int rc =
        dfu_simflash_init(&ff->sf, g->flash_size, g->sector_size, g->write_align, g->erased_val);
    if (rc < 0) {
        return rc;
    }
    dfu_simflash_set_timing(&ff->sf, g);
    ff->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (ff->fd < 0) {
        rc = DFU_ERR_IO;
        goto fail;
    }
    if (flock(ff->fd, LOCK_EX | LOCK_NB) != 0) {
        rc = errno == EWOULDBLOCK ? DFU_ERR_BUSY : DFU_ERR_IO;
        goto fail;
    }
    struct stat st;
    if (fstat(ff->fd, &st) != 0) {
        rc = DFU_ERR_IO;
        goto fail;
    }
    if ((uint64_t)st.st_size > g->flash_size) {
        rc = DFU_ERR_NOSPC;
        goto fail;
    }
    if (st.st_size > 0) {
        rc = dfu_simflash_load(&ff->sf, path);
        if (rc < 0) {
            goto fail;
        }
    }
    /* A new or short file is completed with erased bytes, so it always holds the whole flash. */
    if ((uint64_t)st.st_size < g->flash_size) {
        uint32_t from = (uint32_t)st.st_size;
        rc = sync_range(ff, from, g->flash_size - from);
        if (rc < 0) {
            goto fail;
        }
    }
    ff->port = ff->sf.port;
    ff->port.ctx = ff;
    ff->port.read = ff_read;
    ff->port.write = ff_write;
    ff->port.erase = ff_erase;
    return DFU_OK;
fail:
    if (ff->fd >= 0) {
        close(ff->fd);
        ff->fd = -1;
    }
    dfu_simflash_free(&ff->sf);
    return rc;
}

void dfu_sim_flashfile_close(dfu_sim_flashfile_t *ff)
{
    if (ff->fd >= 0) {
        (void)fsync(ff->fd);
        close(ff->fd);
        ff->fd = -1;
    }
    dfu_simflash_free(&ff->sf);
}
