/* recursion.c: recursion: naive Fibonacci, Ackermann, mutual recursion,
 * permutations by backtracking, a deep call chain, and function pointers
 * (indirect calls). */
#include <stdint.h>
#include <stdio.h>

static int64_t fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
static int ack(int m, int n) {
  if (m == 0) return n + 1;
  if (n == 0) return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}
static int is_odd(unsigned n);
static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

static int perm[9], used[9], count;
static int64_t checksum;
static void permute(int k, int n) {
  if (k == n) {
    count++;
    int64_t v = 0;
    for (int i = 0; i < n; i++) v = v * 10 + perm[i];
    checksum = (checksum * 31 + v) % 1000000007;
    return;
  }
  for (int i = 0; i < n; i++) {
    if (used[i]) continue;
    used[i] = 1;
    perm[k] = i;
    permute(k + 1, n);
    used[i] = 0;
  }
}

static int depth(int n, volatile int *sink) {
  if (n == 0) return 0;
  *sink += n;
  return 1 + depth(n - 1, sink);
}

typedef int64_t (*op)(int64_t, int64_t);
static int64_t add(int64_t a, int64_t b) { return a + b; }
static int64_t sub(int64_t a, int64_t b) { return a - b; }
static int64_t mul(int64_t a, int64_t b) { return a * b; }
static int64_t fold(const op *ops, int n, int64_t x) {
  return n == 0 ? x : fold(ops + 1, n - 1, ops[0](x, n));
}

int main(void) {
  printf("fib(27) = %lld\n", (long long)fib(27));
  printf("ack(2, 9) = %d, ack(3, 5) = %d\n", ack(2, 9), ack(3, 5));
  printf("even(4001) = %d, odd(777) = %d\n", is_even(4001), is_odd(777));
  permute(0, 8);
  printf("permutations %d checksum %lld\n", count, (long long)checksum);
  volatile int sink = 0;
  int d = depth(5000, &sink);
  printf("depth %d sink %d\n", d, sink);
  op ops[12];
  for (int i = 0; i < 12; i++) ops[i] = i % 3 == 0 ? add : i % 3 == 1 ? sub : mul;
  printf("fold %lld\n", (long long)fold(ops, 12, 5));
  return (int)(checksum % 100);
}
