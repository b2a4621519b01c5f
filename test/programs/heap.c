/* heap.c: malloc-heavy code: a binary search tree with inserts and deletes,
 * linked lists, arrays grown by realloc, many small blocks freed in a
 * scattered order, calloc's zeroing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct node {
  int key;
  struct node *left, *right;
  char *label;
} node;

static node *insert(node *t, int key) {
  if (!t) {
    node *n = malloc(sizeof *n);
    n->key = key;
    n->left = n->right = NULL;
    n->label = malloc(16);
    snprintf(n->label, 16, "k%d", key);
    return n;
  }
  if (key < t->key) t->left = insert(t->left, key);
  else if (key > t->key) t->right = insert(t->right, key);
  return t;
}
static node *remove_key(node *t, int key) {
  if (!t) return NULL;
  if (key < t->key) { t->left = remove_key(t->left, key); return t; }
  if (key > t->key) { t->right = remove_key(t->right, key); return t; }
  if (!t->left || !t->right) {
    node *c = t->left ? t->left : t->right;
    free(t->label);
    free(t);
    return c;
  }
  node *m = t->right;
  while (m->left) m = m->left;
  t->key = m->key;
  snprintf(t->label, 16, "k%d", m->key);
  t->right = remove_key(t->right, m->key);
  return t;
}
static int64_t walk(const node *t, int depth, int *maxd, int *n) {
  if (!t) return 0;
  if (depth > *maxd) *maxd = depth;
  (*n)++;
  return walk(t->left, depth + 1, maxd, n) + (int64_t)t->key * (int64_t)strlen(t->label) +
         walk(t->right, depth + 1, maxd, n);
}
static void drop(node *t) {
  if (!t) return;
  drop(t->left);
  drop(t->right);
  free(t->label);
  free(t);
}

typedef struct cell { struct cell *next; double v; } cell;

int main(void) {
  uint32_t s = 12345;
  node *root = NULL;
  for (int i = 0; i < 20000; i++) {
    s = s * 1103515245u + 12345u;
    root = insert(root, (int)(s >> 8) % 50000);
  }
  int maxd = 0, n = 0;
  int64_t w = walk(root, 0, &maxd, &n);
  printf("tree: %d nodes, depth %d, weight %lld\n", n, maxd, (long long)w);
  for (int k = 0; k < 50000; k += 3) root = remove_key(root, k);
  maxd = n = 0;
  w = walk(root, 0, &maxd, &n);
  printf("after removals: %d nodes, depth %d, weight %lld\n", n, maxd, (long long)w);
  drop(root);

  cell *list = NULL;
  for (int i = 0; i < 10000; i++) {
    cell *c = malloc(sizeof *c);
    c->v = i * 0.5;
    c->next = list;
    list = c;
  }
  double sum = 0;
  for (cell *c = list; c; c = c->next) sum += c->v;
  while (list) {
    cell *next = list->next;
    free(list);
    list = next;
  }
  printf("list sum %.1f\n", sum);

  size_t cap = 1, len = 0;
  int *arr = malloc(cap * sizeof *arr);
  for (int i = 0; i < 100000; i++) {
    if (len == cap) {
      cap *= 2;
      arr = realloc(arr, cap * sizeof *arr);
    }
    arr[len++] = i ^ (i >> 3);
  }
  int64_t asum = 0;
  for (size_t i = 0; i < len; i++) asum += arr[i];
  printf("array %zu cap %zu sum %lld\n", len, cap, (long long)asum);
  free(arr);

  enum { NB = 4096 };
  char **blocks = calloc(NB, sizeof *blocks);
  int zero_ok = 1;
  for (int round = 0; round < 5; round++) {
    for (int i = 0; i < NB; i++) {
      size_t sz = (size_t)((i * 37 + round * 11) % 700) + 1;
      if (blocks[i]) free(blocks[i]);
      blocks[i] = (i + round) % 2 ? malloc(sz) : calloc(sz, 1);
      if (!((i + round) % 2))
        for (size_t k = 0; k < sz; k++) zero_ok &= blocks[i][k] == 0;
      memset(blocks[i], (char)i, sz);
    }
    for (int i = round; i < NB; i += 7) {
      free(blocks[i]);
      blocks[i] = NULL;
    }
  }
  int64_t bsum = 0;
  for (int i = 0; i < NB; i++)
    if (blocks[i]) {
      bsum += (unsigned char)blocks[i][0];
      free(blocks[i]);
    }
  free(blocks);
  printf("blocks sum %lld calloc zeroed %d\n", (long long)bsum, zero_ok);
  return (int)(w % 64);
}
