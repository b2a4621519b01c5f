/* strings.c: qsort and bsearch over strings and structs, and the string
 * functions of <string.h>, <stdlib.h> and <ctype.h>; snprintf into buffers. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *words[] = {"pear", "apple", "fig", "banana", "kiwi", "cherry", "date",
                              "elderberry", "grape", "honeydew", "lime", "mango", "nectarine",
                              "orange", "papaya", "quince", "raspberry", "strawberry", "tangerine"};
#define NW (sizeof words / sizeof words[0])

static int by_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}
static int by_len_then_str(const void *a, const void *b) {
  const char *x = *(const char *const *)a, *y = *(const char *const *)b;
  size_t lx = strlen(x), ly = strlen(y);
  return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}
typedef struct item { int key; double val; } item;
static int by_key_desc(const void *a, const void *b) {
  const item *x = a, *y = b;
  return (x->key < y->key) - (x->key > y->key);
}

int main(void) {
  const char *sorted[NW];
  memcpy(sorted, words, sizeof words);
  qsort(sorted, NW, sizeof sorted[0], by_str);
  for (size_t i = 0; i < NW; i++) printf("%s%c", sorted[i], i + 1 < NW ? ' ' : '\n');
  qsort(sorted, NW, sizeof sorted[0], by_len_then_str);
  for (size_t i = 0; i < NW; i++) printf("%s%c", sorted[i], i + 1 < NW ? ' ' : '\n');
  qsort(sorted, NW, sizeof sorted[0], by_str);
  const char *key = "mango";
  const char **hit = bsearch(&key, sorted, NW, sizeof sorted[0], by_str);
  printf("bsearch mango -> %td\n", hit ? hit - sorted : -1);

  enum { NI = 5000 };
  item *items = malloc(NI * sizeof *items);
  uint32_t s = 7;
  for (int i = 0; i < NI; i++) {
    s = s * 1664525u + 1013904223u;
    items[i].key = (int)(s % 1000);
    items[i].val = i;
  }
  qsort(items, NI, sizeof *items, by_key_desc);
  int ordered = 1;
  for (int i = 1; i < NI; i++) ordered &= items[i - 1].key >= items[i].key;
  printf("items ordered %d first %d last %d\n", ordered, items[0].key, items[NI - 1].key);
  free(items);

  char buf[256];
  strcpy(buf, "The quick brown fox jumps over the lazy dog");
  printf("len %zu, strchr %s, strrchr %s, strstr %s\n", strlen(buf), strchr(buf, 'q'),
         strrchr(buf, 'o'), strstr(buf, "lazy"));
  int upper = 0;
  for (char *p = buf; *p; p++) {
    if (isupper((unsigned char)*p)) upper++;
    *p = (char)toupper((unsigned char)*p);
  }
  printf("upper %d: %s\n", upper, buf);
  char copy[256];
  strcpy(copy, buf);
  int ntok = 0;
  for (char *t = strtok(copy, " "); t; t = strtok(NULL, " ")) ntok++;
  printf("tokens %d, strspn %zu, strcspn %zu\n", ntok, strspn(buf, "THE "), strcspn(buf, "XYZ"));
  memmove(buf + 4, buf, 10);
  buf[30] = '\0';
  printf("memmove: %s\n", buf);
  printf("cmp %d %d %d ncmp %d\n", strcmp("abc", "abd") < 0, strcmp("b", "a") > 0, strcmp("x", "x"),
         strncmp("prefix-one", "prefix-two", 7));
  char num[64];
  snprintf(num, sizeof num, "%d|%5d|%-5d|%05d|%x|%X|%o|%+d|%s|%.3s|%c", -42, 42, 42, 42, 255, 255, 8,
           7, "str", "truncate", 'z');
  printf("%s\n", num);
  printf("strtol %ld %ld %ld, atoi %d, strtoul %lu\n", strtol("  -123abc", NULL, 10),
         strtol("ff", NULL, 16), strtol("0777", NULL, 0), atoi("2147483647"),
         strtoul("4294967295", NULL, 10));
  int n = snprintf(NULL, 0, "%s-%d", "measure", 12345);
  printf("snprintf would write %d\n", n);
  return (int)(strlen(buf) + (size_t)ntok);
}
