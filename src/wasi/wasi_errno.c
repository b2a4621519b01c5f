/* wasi_errno.c: host errno values -> WASI errno values (which are numbered
 * differently from every host's). Anything unlisted is EIO. */
#include <errno.h>

#include "wasi/wasi_internal.h"

int wasi_errno_from_host(int e) {
  switch (e) {
    case 0: return WASI_ESUCCESS;
    case E2BIG: return WASI_E2BIG;
    case EACCES: return WASI_EACCES;
    case EAGAIN: return WASI_EAGAIN;
    case EBADF: return WASI_EBADF;
    case EBUSY: return WASI_EBUSY;
    case EEXIST: return WASI_EEXIST;
    case EFAULT: return WASI_EFAULT;
    case EFBIG: return WASI_EFBIG;
    case EINTR: return WASI_EINTR;
    case EINVAL: return WASI_EINVAL;
    case EIO: return WASI_EIO;
    case EISDIR: return WASI_EISDIR;
    case ELOOP: return WASI_ELOOP;
    case EMFILE: return WASI_EMFILE;
    case EMLINK: return WASI_EMLINK;
    case ENAMETOOLONG: return WASI_ENAMETOOLONG;
    case ENFILE: return WASI_ENFILE;
    case ENODEV: return WASI_ENODEV;
    case ENOENT: return WASI_ENOENT;
    case ENOMEM: return WASI_ENOMEM;
    case ENOSPC: return WASI_ENOSPC;
    case ENOSYS: return WASI_ENOSYS;
    case ENOTDIR: return WASI_ENOTDIR;
    case ENOTEMPTY: return WASI_ENOTEMPTY;
    case ENOTSOCK: return WASI_ENOTSOCK;
#if defined(EOPNOTSUPP) && EOPNOTSUPP != ENOTSUP
    case EOPNOTSUPP: return WASI_ENOTSUP;
#endif
    case ENOTSUP: return WASI_ENOTSUP;
    case ENOTTY: return WASI_ENOTTY;
    case ENXIO: return WASI_ENXIO;
    case EOVERFLOW: return WASI_EOVERFLOW;
    case EPERM: return WASI_EPERM;
    case EPIPE: return WASI_EPIPE;
    case ERANGE: return WASI_ERANGE;
    case EROFS: return WASI_EROFS;
    case ESPIPE: return WASI_ESPIPE;
    case ETXTBSY: return WASI_ETXTBSY;
    case EXDEV: return WASI_EXDEV;
    default: return WASI_EIO;
  }
}
