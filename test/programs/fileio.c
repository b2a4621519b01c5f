/* fileio.c: file I/O through a directory given as argv[1] (a preopen under
 * WASI): create, write, append, read back, seek and tell, rename, remove,
 * mkdir, list a directory (sorted), stat sizes, and a read of a missing
 * file. Names printed are relative, so every run prints the same. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[1024];
static const char *at(const char *dir, const char *name) {
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return path;
}
static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: fileio DIR\n");
    return 2;
  }
  const char *dir = argv[1];
  FILE *f = fopen(at(dir, "numbers.txt"), "w");
  if (!f) { printf("cannot create: %d\n", errno); return 3; }
  for (int i = 0; i < 1000; i++) fprintf(f, "%d %d\n", i, i * i);
  fclose(f);
  f = fopen(at(dir, "numbers.txt"), "a");
  fputs("end\n", f);
  fclose(f);
  f = fopen(at(dir, "numbers.txt"), "r");
  long long total = 0;
  int a, b, lines = 0;
  while (fscanf(f, "%d %d", &a, &b) == 2) { total += b; lines++; }
  char word[16] = {0};
  if (fscanf(f, "%15s", word) != 1) word[0] = '?';
  printf("read %d lines, total %lld, then '%s'\n", lines, total, word);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 10, SEEK_SET);
  char chunk[11] = {0};
  size_t got = fread(chunk, 1, 10, f);
  printf("size %ld, at 10: %zu bytes '%s'\n", size, got, chunk);
  fclose(f);

  FILE *bin = fopen(at(dir, "data.bin"), "wb+");
  double vals[256];
  for (int i = 0; i < 256; i++) vals[i] = i / 3.0;
  fwrite(vals, sizeof vals[0], 256, bin);
  rewind(bin);
  double back[256];
  size_t nread = fread(back, sizeof back[0], 256, bin);
  printf("binary %zu doubles, equal %d\n", nread, memcmp(vals, back, sizeof vals) == 0);
  fclose(bin);

  if (mkdir(at(dir, "sub"), 0755) != 0) printf("mkdir failed %d\n", errno);
  for (int i = 0; i < 5; i++) {
    char name[32];
    snprintf(name, sizeof name, "sub/file%d.txt", 4 - i);
    f = fopen(at(dir, name), "w");
    fprintf(f, "%*d", i * 10 + 1, i);
    fclose(f);
  }
  char from[1024];
  snprintf(from, sizeof from, "%s", at(dir, "sub/file0.txt"));
  printf("rename %d\n", rename(from, at(dir, "sub/renamed.txt")));
  DIR *d = opendir(at(dir, "sub"));
  char *names[16];
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) && n < 16)
    if (de->d_name[0] != '.') names[n++] = strdup(de->d_name);
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], cmp);
  for (int i = 0; i < n; i++) {
    char rel[64];
    snprintf(rel, sizeof rel, "sub/%s", names[i]);
    struct stat st;
    stat(at(dir, rel), &st);
    printf("  %s %lld bytes %s\n", names[i], (long long)st.st_size, S_ISREG(st.st_mode) ? "file" : "?");
    free(names[i]);
  }
  int first = remove(at(dir, "sub/file1.txt"));
  int again = remove(at(dir, "sub/file1.txt"));
  printf("remove %d, again %d (errno is ENOENT: %d)\n", first, again, errno == ENOENT);
  printf("missing file opens: %d\n", fopen(at(dir, "nope/nothing"), "r") != NULL);
  printf("rmdir non-empty %d\n", rmdir(at(dir, "sub")));
  return lines % 64;
}
