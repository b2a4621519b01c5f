/* entropy.h: random bytes from the operating system (for WASI random_get). */
#ifndef TOVA_PLATFORM_ENTROPY_H
#define TOVA_PLATFORM_ENTROPY_H

#include <stdbool.h>
#include <stddef.h>

/* Fill buf with len bytes from the OS's cryptographic generator. */
bool tova_plat_entropy(void *buf, size_t len);

#endif
