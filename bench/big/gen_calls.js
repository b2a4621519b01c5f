// bench/big/gen_calls.js N [HOT]: prints a C program of N small functions
// that call each other through one table of function pointers (each calls
// a table entry picked by its value, two levels deep), and a main that
// calls them, R rounds (its first argument, default 2000). Every call is a
// call_indirect that may reach any of the N: the call graph is one cycle
// through the table. Without HOT, main calls every function and every
// function is hot; with HOT, main and the calls reach only the first HOT
// entries of the table (the hot part of a big program). What a big program
// with function pointers (an interpreter's handlers, C++ vtables) is to
// the tiers: bench/big-module.sh.
'use strict';
const n = Number(process.argv[2] || 3000);
const hot = Number(process.argv[3] || n);
if (!Number.isInteger(n) || n < 1 || !Number.isInteger(hot) || hot < 1 || hot > n) {
  console.error('usage: node bench/big/gen_calls.js N [HOT]');
  process.exit(2);
}
const out = [];
out.push('#include <stdint.h>', '#include <stdio.h>', '#include <stdlib.h>');
out.push('typedef uint32_t (*fn)(uint32_t, int);', 'extern fn table[];');
for (let i = 0; i < n; i++) {
  out.push(`__attribute__((noinline)) uint32_t f${i}(uint32_t x, int d) {`);
  out.push(`  uint32_t s = x * ${i * 2 + 1}u;`);
  out.push(`  for (int k = 0; k < ${3 + (i % 5)}; k++) s = (s << 3) ^ (s >> 5) ^ ${i}u;`);
  out.push(`  if (d > 0) s += table[(s + ${i}u) % ${hot}u](s, d - 1);`);
  out.push('  return s;', '}');
}
const names = [];
for (let i = 0; i < n; i++) names.push(`f${i}`);
out.push(`fn table[] = {${names.join(', ')}};`);
out.push('int main(int argc, char **argv) {');
out.push('  int rounds = argc > 1 ? atoi(argv[1]) : 2000;');
out.push('  uint32_t s = 0;');
out.push(`  for (int r = 0; r < rounds; r++) for (int i = 0; i < ${hot}; i++) s += table[i](s, 2);`);
out.push('  printf("%u\\n", s);', '  return 0;', '}');
console.log(out.join('\n'));
