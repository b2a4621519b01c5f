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

#include <stdint.h>
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

/* A mapping of `bytes` whose start is a multiple of TOVA_VMEM_LARGE_PAGE
 * (big mappings only), so that regions carved out of it at multiples of a
 * large page line up with the large pages tova_vmem_advise_large can give.
 * Over-maps by one large page and unmaps the slack on both sides. */
static void *map_aligned(size_t bytes, int prot) {
  const size_t align = TOVA_VMEM_LARGE_PAGE;
  if (bytes < 4 * align || bytes > SIZE_MAX - align) return map(bytes, prot);
  uint8_t *p = map(bytes + align, prot);
  if (!p) return map(bytes, prot);
  uintptr_t at = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
  size_t head = (size_t)(at - (uintptr_t)p), tail = align - head;
  if (head) munmap(p, head);
  if (tail) munmap((uint8_t *)at + bytes, tail);
  return (void *)at;
}

void *tova_vmem_map_lazy(size_t bytes) {
  void *p = map_aligned(bytes, PROT_READ | PROT_WRITE);
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

void tova_vmem_advise_large(void *at, size_t bytes, bool large) {
#if defined(__linux__) && defined(MADV_HUGEPAGE) && defined(MADV_NOHUGEPAGE)
  /* Only whole large pages inside the range can be huge; advising the rest
   * would only split the mapping further. */
  uintptr_t lo = ((uintptr_t)at + TOVA_VMEM_LARGE_PAGE - 1) & ~(uintptr_t)(TOVA_VMEM_LARGE_PAGE - 1);
  uintptr_t hi = ((uintptr_t)at + bytes) & ~(uintptr_t)(TOVA_VMEM_LARGE_PAGE - 1);
  if (hi > lo) (void)madvise((void *)lo, hi - lo, large ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
#else
  (void)at;
  (void)bytes;
  (void)large;
#endif
}
