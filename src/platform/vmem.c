/*
 * vmem.c: reserve, commit, discard and release address space (mmap family).
 *
 * Discarding is the subtle one. The contract is "pages read as zero
 * afterwards and cost no RAM until touched". On Linux MADV_DONTNEED on a
 * private anonymous mapping gives exactly that. Elsewhere (macOS) the
 * available advice, MADV_FREE, lets the kernel reclaim pages lazily and leaves
 * the old contents readable until it does, so it cannot hand out a clean
 * slot; there we map fresh anonymous pages over the range (MAP_FIXED), which
 * replaces them atomically, and only if even that fails do we zero the bytes
 * by hand (correct, but the pages stay resident).
 */
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* MAP_ANON is hidden under plain _POSIX_C_SOURCE */
#endif

#include <string.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "platform/platform.h"

#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
#define MAP_ANONYMOUS MAP_ANON
#endif
#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif

size_t tova_vmem_page_size(void) {
  /* Asked on every slot release: sysconf once (a race only computes the
   * same value twice). */
  static _Atomic size_t cached;
  size_t c = atomic_load_explicit(&cached, memory_order_relaxed);
  if (c) return c;
  long p = sysconf(_SC_PAGESIZE);
  c = p > 0 ? (size_t)p : 4096;
  atomic_store_explicit(&cached, c, memory_order_relaxed);
  return c;
}

static void *map(size_t bytes, int prot) {
  if (bytes == 0) return NULL;
  void *p = mmap(NULL, bytes, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

void *tova_vmem_reserve(size_t bytes) { return map(bytes, PROT_NONE); }

void *tova_vmem_map_lazy(size_t bytes) {
  void *p = map(bytes, PROT_READ | PROT_WRITE);
#if defined(__linux__) && defined(MADV_NOHUGEPAGE)
  /* Such a mapping is shared by many small users that each touch a few
   * pages; with transparent huge pages set to "always", one touch would make
   * 2 MiB resident and a discard would have to split the huge page again.
   * Advice only: failure changes nothing we rely on. */
  if (p) (void)madvise(p, bytes, MADV_NOHUGEPAGE);
#endif
  return p;
}

bool tova_vmem_commit(void *at, size_t bytes) {
  return bytes == 0 || mprotect(at, bytes, PROT_READ | PROT_WRITE) == 0;
}

void tova_vmem_release(void *at, size_t bytes) {
  if (at && bytes) munmap(at, bytes);
}

void tova_vmem_discard(void *at, size_t bytes) {
  if (!at || bytes == 0) return;
#if defined(__linux__) && defined(MADV_DONTNEED)
  if (madvise(at, bytes, MADV_DONTNEED) == 0) return;
#endif
  void *p = mmap(at, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  if (p == at) return;
  /* A failed MAP_FIXED normally leaves the old pages in place; zeroing them
   * by hand keeps the contract (at the cost of keeping them resident). */
  memset(at, 0, bytes);
}
