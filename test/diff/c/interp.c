/* A tiny bytecode interpreter with a switch in a loop (br_table), a stack in
 * linear memory, and a string hash: control flow of real programs. */
#include <stdint.h>

static int32_t stack[256];
static uint8_t code[64];

__attribute__((export_name("vm"))) int32_t vm(int32_t seed, int32_t steps) {
  uint32_t s = (uint32_t)seed | 1;
  for (int i = 0; i < 64; i++) { s ^= s << 13; s ^= s >> 17; s ^= s << 5; code[i] = s % 9; }
  int sp = 0, pc = 0;
  int32_t acc = seed;
  int max = (steps & 511) + 50;
  for (int n = 0; n < max; n++) {
    switch (code[pc]) {
      case 0: stack[sp++ & 255] = acc; break;
      case 1: acc += sp ? stack[--sp & 255] : 1; break;
      case 2: acc *= 3; break;
      case 3: acc ^= acc >> 5; break;
      case 4: pc = (pc + acc) & 63; continue;
      case 5: if (acc & 1) pc = (pc + 7) & 63; break;
      case 6: acc -= n; break;
      case 7: acc = (acc << 1) | ((uint32_t)acc >> 31); break;
      default: stack[(sp + 3) & 255] = acc; sp = (sp + 1) & 255; break;
    }
    pc = (pc + 1) & 63;
  }
  return acc + sp;
}

static char text[128];
__attribute__((export_name("strings"))) uint32_t strings(int32_t a, int32_t b) {
  int n = 0;
  uint32_t v = (uint32_t)a;
  do { text[n++] = (char)('0' + v % 10); v /= 10; } while (v && n < 60);
  text[n++] = '-';
  v = (uint32_t)b;
  do { text[n++] = (char)('a' + v % 26); v /= 26; } while (v && n < 120);
  text[n] = 0;
  uint32_t h = 5381;
  for (const char *p = text; *p; p++) h = h * 33 + (uint8_t)*p;
  int len = 0;
  while (text[len]) len++;
  for (int i = 0, j = len - 1; i < j; i++, j--) { char t = text[i]; text[i] = text[j]; text[j] = t; }
  return h ^ (uint32_t)text[0] ^ (uint32_t)len;
}
