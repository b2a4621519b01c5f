/*
 * test_validate.c: the official WebAssembly 2.0 spec tests against
 * tova_module_validate (decode + validate, no code generation).
 *
 * For every command of ../shared/wasm-spec-2.0/json/<name>.json:
 *   module, assert_unlinkable, assert_uninstantiable, assert_return-less
 *   module commands          -> the .wasm must validate
 *   assert_malformed (binary) and assert_invalid
 *                            -> must be rejected, message containing "text"
 * Files named simd_* may answer TOVA_ERR_UNSUPPORTED for anything (SIMD is
 * not run by this engine); elsewhere UNSUPPORTED is a failure.
 *
 * The JSON files put one command per line, so a tiny field scanner is enough.
 * Skips (exit 0) when the spec directory is absent.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tova.h"

#define SPEC_DIR TOVA_SOURCE_DIR "/../shared/wasm-spec-2.0/json"
#define MAX_REPORTED 60

typedef struct counts {
  int valid_ok, valid_fail;
  int malformed_ok, malformed_fail;
  int invalid_ok, invalid_fail;
  int unsupported;
  int reported;
} counts;

/* Copy the string value of "key": "..." from line into out ("" if absent). */
static void json_field(const char *line, const char *key, char *out, size_t cap) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\": \"", key);
  out[0] = 0;
  const char *p = strstr(line, pat);
  if (!p) return;
  p += strlen(pat);
  size_t n = 0;
  while (*p && *p != '"' && n + 1 < cap) {
    if (*p == '\\' && p[1]) p++; /* keep escaped characters literally */
    out[n++] = *p++;
  }
  out[n] = 0;
}

static long json_line_no(const char *line) {
  const char *p = strstr(line, "\"line\": ");
  return p ? strtol(p + 8, NULL, 10) : 0;
}

static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
  if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = n > 0 ? (size_t)n : 0;
  return buf;
}

/* Spec commands whose .wasm does not encode what the .wast says: the text
 * -> binary converter lost the detail the expected message is about. These
 * must still be rejected, with any message. */
static const char *const lossy_conversions[][2] = {
    {"select.2.wasm", "`select (result)` with no types was written as untyped select 0x1B"},
};

static bool is_lossy(const char *filename) {
  for (size_t i = 0; i < sizeof lossy_conversions / sizeof lossy_conversions[0]; i++)
    if (!strcmp(filename, lossy_conversions[i][0])) return true;
  return false;
}

static void report(counts *c, const char *json, long line, const char *what, const char *detail) {
  if (c->reported++ < MAX_REPORTED) fprintf(stderr, "FAIL %s:%ld: %s: %s\n", json, line, what, detail);
}

static void run_command(counts *c, const char *json, const char *line, bool simd) {
  char type[64], filename[256], text[256], module_type[32];
  json_field(line, "type", type, sizeof type);
  json_field(line, "filename", filename, sizeof filename);
  json_field(line, "text", text, sizeof text);
  json_field(line, "module_type", module_type, sizeof module_type);
  bool expect_valid = !strcmp(type, "module") || !strcmp(type, "assert_unlinkable") ||
                      !strcmp(type, "assert_uninstantiable");
  bool malformed = !strcmp(type, "assert_malformed");
  bool invalid = !strcmp(type, "assert_invalid");
  if (!expect_valid && !malformed && !invalid) return;
  if (malformed && strcmp(module_type, "binary") != 0) return;
  size_t flen = strlen(filename);
  if (flen < 5 || strcmp(filename + flen - 5, ".wasm") != 0) return;

  char path[1024];
  snprintf(path, sizeof path, "%s/%s", SPEC_DIR, filename);
  size_t len;
  unsigned char *bytes = read_file(path, &len);
  long lno = json_line_no(line);
  if (!bytes) {
    report(c, json, lno, "cannot read", path);
    if (expect_valid) c->valid_fail++; else if (malformed) c->malformed_fail++; else c->invalid_fail++;
    return;
  }
  tova_error err;
  memset(&err, 0, sizeof err);
  tova_status st = tova_module_validate(bytes, len, &err);
  free(bytes);
  char detail[1200];
  if (st == TOVA_ERR_UNSUPPORTED && simd) {
    c->unsupported++;
    return;
  }
  if (expect_valid) {
    if (st == TOVA_OK) {
      c->valid_ok++;
    } else {
      c->valid_fail++;
      snprintf(detail, sizeof detail, "%s (%s): %s", filename, tova_status_code(st), err.message);
      report(c, json, lno, "valid module rejected", detail);
    }
    return;
  }
  bool ok = st == TOVA_ERR_INVALID_MODULE && (strstr(err.message, text) != NULL || is_lossy(filename));
  if (ok) {
    if (malformed) c->malformed_ok++; else c->invalid_ok++;
    return;
  }
  if (malformed) c->malformed_fail++; else c->invalid_fail++;
  if (st == TOVA_OK)
    snprintf(detail, sizeof detail, "%s accepted, expected \"%s\"", filename, text);
  else
    snprintf(detail, sizeof detail, "%s expected \"%s\", got %s: %s", filename, text,
             tova_status_code(st), err.message);
  report(c, json, lno, type, detail);
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
  DIR *dir = opendir(SPEC_DIR);
  if (!dir) {
    printf("test_validate: %s not found, skipping\n", SPEC_DIR);
    return 0;
  }
  char *names[1024];
  size_t nnames = 0;
  struct dirent *de;
  while ((de = readdir(dir)) != NULL && nnames < 1024) {
    size_t n = strlen(de->d_name);
    if (n > 5 && !strcmp(de->d_name + n - 5, ".json")) names[nnames++] = strdup(de->d_name);
  }
  closedir(dir);
  qsort(names, nnames, sizeof names[0], cmp_names);

  counts c;
  memset(&c, 0, sizeof c);
  char *line = NULL;
  size_t cap = 0;
  for (size_t i = 0; i < nnames; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", SPEC_DIR, names[i]);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    bool simd = !strncmp(names[i], "simd", 4);
    while (getline(&line, &cap, f) > 0) run_command(&c, names[i], line, simd);
    fclose(f);
    free(names[i]);
  }
  free(line);
  printf("spec modules: %d valid ok, %d valid rejected\n", c.valid_ok, c.valid_fail);
  printf("assert_malformed (binary): %d ok, %d failed\n", c.malformed_ok, c.malformed_fail);
  printf("assert_invalid: %d ok, %d failed\n", c.invalid_ok, c.invalid_fail);
  printf("SIMD files answered unsupported: %d\n", c.unsupported);
  CHECK(c.valid_ok > 0);
  CHECK_EQ_I64(c.valid_fail, 0);
  CHECK_EQ_I64(c.malformed_fail, 0);
  CHECK_EQ_I64(c.invalid_fail, 0);
  return CHECK_DONE();
}
