/* control.c: control flow and data shapes compiled code is made of: a
 * switch-dispatched bytecode interpreter (jump tables), a goto state machine,
 * bitfields, unions (type punning), varargs, narrow integer types with their
 * sign and zero extension, division by constants, unsigned comparisons. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum op { PUSH, ADD, SUB, MUL, DIV, MOD, DUP, SWAP, JNZ, DEC, PRINT, HALT, NEG, XOR, SHL, SHR };

/* Runs bytecode; returns the last printed value * 1000 + the number of prints. */
static int64_t interpret(const int32_t *code) {
  int64_t stack[64];
  int sp = 0, pc = 0, printed = 0;
  int64_t last = 0;
  for (;;) {
    switch ((enum op)code[pc++]) {
      case PUSH: stack[sp++] = code[pc++]; break;
      case ADD: sp--; stack[sp - 1] += stack[sp]; break;
      case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
      case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
      case DIV: sp--; stack[sp - 1] /= stack[sp]; break;
      case MOD: sp--; stack[sp - 1] %= stack[sp]; break;
      case DUP: stack[sp] = stack[sp - 1]; sp++; break;
      case SWAP: { int64_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
      case JNZ: { int32_t target = code[pc++]; if (stack[--sp]) pc = target; break; }
      case DEC: stack[sp - 1]--; break;
      case PRINT: last = stack[sp - 1]; printed++; break;
      case HALT: return last * 1000 + printed;
      case NEG: stack[sp - 1] = -stack[sp - 1]; break;
      case XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
      case SHL: sp--; stack[sp - 1] <<= stack[sp]; break;
      case SHR: sp--; stack[sp - 1] >>= stack[sp]; break;
    }
  }
}

/* Count words, numbers and punctuation with a goto state machine. */
static void scan(const char *s, int *words, int *numbers, int *punct) {
  *words = *numbers = *punct = 0;
  const char *p = s;
start:
  if (!*p) return;
  if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) { (*words)++; goto word; }
  if (*p >= '0' && *p <= '9') { (*numbers)++; goto number; }
  if (*p != ' ') (*punct)++;
  p++;
  goto start;
word:
  while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '\'') p++;
  goto start;
number:
  while ((*p >= '0' && *p <= '9') || *p == '.') p++;
  goto start;
}

struct packed {
  unsigned a : 3;
  unsigned b : 7;
  signed c : 5;
  unsigned d : 17;
};

union pun { float f; uint32_t u; uint8_t b[4]; };
union pun64 { double d; uint64_t u; int32_t half[2]; };

static int64_t sum(int n, ...) {
  va_list ap;
  va_start(ap, n);
  int64_t s = 0;
  for (int i = 0; i < n; i++) {
    if (i % 3 == 0) s += va_arg(ap, int);
    else if (i % 3 == 1) s += va_arg(ap, long long);
    else s += (int64_t)(va_arg(ap, double) * 10);
  }
  va_end(ap);
  return s;
}

static const char *name_of(int k) {
  switch (k) {
    case 0: return "zero"; case 1: return "one"; case 2: return "two"; case 3: return "three";
    case 5: return "five"; case 8: return "eight"; case 13: return "thirteen";
    case 100: return "hundred"; case -1: return "minus one";
    default: return "other";
  }
}

int main(void) {
  /* Straight-line bytecode: ((7*6)-2)/3, then % 5, negate, xor, shifts. */
  const int32_t straight[] = {PUSH, 7, PUSH, 6, MUL, PUSH, 2, SUB, PUSH, 3, DIV, PRINT,
                              PUSH, 5, MOD, PRINT, NEG, PRINT, PUSH, 12, XOR, PRINT,
                              PUSH, 4, SHL, PRINT, PUSH, 2, SHR, PRINT, HALT};
  printf("bytecode %lld\n", (long long)interpret(straight));
  /* A counted loop in bytecode: count 100000 down, printing each time. */
  const int32_t counted[] = {PUSH, 100000, /* 2: */ PRINT, DEC, DUP, JNZ, 2, HALT};
  printf("counted %lld\n", (long long)interpret(counted));

  int w, n, p;
  scan("It's 3.14 o'clock, said the 2 rabbits; 42 carrots - and 7 more!", &w, &n, &p);
  printf("scan: %d words, %d numbers, %d punctuation\n", w, n, p);

  struct packed pk = {5, 100, -9, 99999};
  pk.b += 30;
  pk.c -= 10;
  pk.d = pk.d * 2 + 1;
  printf("bitfields %u %u %d %u size %zu\n", pk.a, pk.b, pk.c, pk.d, sizeof pk);

  union pun u = {.f = -1.5f};
  printf("float bits %08x bytes %02x %02x %02x %02x\n", u.u, u.b[0], u.b[1], u.b[2], u.b[3]);
  union pun64 v = {.d = 0.1};
  printf("double bits %016llx halves %d %d\n", (unsigned long long)v.u, v.half[0], v.half[1]);
  u.u = 0x7fc00001;
  printf("nan payload survives a copy: %08x\n", ((union pun){.f = u.f}).u);

  printf("varargs %lld\n", (long long)sum(7, 1, 2ll, 3.5, -4, 5000000000ll, 0.25, 9));

  int8_t c8 = (int8_t)200;
  uint8_t u8 = 200;
  int16_t s16 = (int16_t)40000;
  uint16_t u16 = 40000;
  printf("narrow %d %u %d %u %d %d\n", c8, u8, s16, u16, c8 * 3, (int)(u8 * 3));
  int64_t divs = 0;
  for (int32_t i = -5000; i < 5000; i += 7) divs += i / 7 + i % 7 + i / 10 + i % 3 + (int32_t)((uint32_t)i / 13u);
  printf("divisions %lld\n", (long long)divs);
  unsigned ucmp = 0;
  for (uint32_t i = 0xFFFFFFF0u; i != 5; i++) ucmp += i > 0x7FFFFFFFu;
  printf("unsigned comparisons %u\n", ucmp);
  const int keys[] = {0, 1, 2, 3, 4, 5, 8, 13, 100, -1, 7};
  for (int i = 0; i < 11; i++) printf("%s%s", name_of(keys[i]), i < 10 ? " " : "\n");
  return (int)((divs & 0x7f) ^ w);
}
