/*
 * main.c: tova_conformance, the runner of the official WebAssembly 2.0 test
 * suite (wast2json output) against the engine.
 *
 *   tova_conformance [options] DIR_OR_JSON...
 *     --baseline FILE        exit 1 if a file listed in FILE now has failures
 *     --write-baseline FILE  write the files that fully pass to FILE
 *     --update-docs FILE     write the per-file results table (docs/conformance.md)
 *     --verbose, -v          every failure and message mismatch, spectest prints
 *     --no-fork              run files in this process (for debuggers)
 *     --timeout SEC          per command (default 10); a file gets 30x that
 *
 * Each file runs in a forked child so a crash is reported as that file
 * failing instead of ending the run; the child reports every command's
 * outcome through a pipe as it goes, so commands after a crash count as
 * failed. Output: one line per file and, last, exactly
 * "N passed, N failed, N skipped".
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

typedef struct file_result {
  char *name; /* base name, e.g. "address.json" */
  conf_counts counts;
  unsigned commands;
} file_result;

typedef struct run {
  conf_options opt;
  bool fork_files;
  file_result *files;
  size_t nfiles;
} run;

static char *read_text(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? cap * 2 : 1 << 16;
      char *b = realloc(buf, cap + 1);
      if (!b) { free(buf); fclose(f); return NULL; }
      buf = b;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  bool bad = ferror(f);
  fclose(f);
  if (bad) { free(buf); return NULL; }
  buf[n] = '\0';
  *len = n;
  return buf;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.json in dir, sorted; or path itself if it is a file. */
static char **collect(const char *path, size_t *n) {
  *n = 0;
  struct stat st;
  if (stat(path, &st) != 0) return NULL;
  if (!S_ISDIR(st.st_mode)) {
    char **one = malloc(sizeof *one);
    if (one && (one[0] = strdup(path))) *n = 1;
    return one;
  }
  DIR *d = opendir(path);
  if (!d) return NULL;
  char **list = NULL;
  size_t cap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
    if (*n == cap) {
      cap = cap ? cap * 2 : 64;
      char **l = realloc(list, cap * sizeof *l);
      if (!l) break;
      list = l;
    }
    size_t plen = strlen(path) + len + 2;
    char *p = malloc(plen);
    if (!p) break;
    snprintf(p, plen, "%s/%s", path, e->d_name);
    list[(*n)++] = p;
  }
  closedir(d);
  if (*n) qsort(list, *n, sizeof *list, cmp_str);
  return list;
}

/* Run one file in a child process; collect the progress bytes it sends. */
static void run_forked(run *r, const char *path, const json_value *root, file_result *fr) {
  int fds[2];
  if (pipe(fds) != 0) {
    fr->counts.failed = fr->commands;
    printf("  FAIL %s: pipe: %s\n", fr->name, strerror(errno));
    return;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    fr->counts.failed = fr->commands;
    printf("  FAIL %s: fork: %s\n", fr->name, strerror(errno));
    return;
  }
  if (pid == 0) {
    close(fds[0]);
    alarm(r->opt.timeout_sec * 30); /* backstop for what the watchdog cannot stop */
    conf_counts c;
    conf_run_file(path, root, &r->opt, fds[1], &c);
    fflush(stdout);
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  char buf[4096];
  for (;;) {
    ssize_t got = read(fds[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    for (ssize_t i = 0; i < got; i++) {
      switch (buf[i]) {
        case CONF_PASS: fr->counts.passed++; break;
        case CONF_FAIL: fr->counts.failed++; break;
        case CONF_SKIP: fr->counts.skipped++; break;
        case CONF_MISMATCH: fr->counts.mismatches++; break;
      }
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  unsigned done = fr->counts.passed + fr->counts.failed + fr->counts.skipped;
  bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!clean || done < fr->commands) {
    if (WIFSIGNALED(status))
      printf("  FAIL %s: crashed with signal %d (%s) after %u of %u commands\n", fr->name,
             WTERMSIG(status), WTERMSIG(status) == SIGALRM ? "file timeout" : strsignal(WTERMSIG(status)),
             done, fr->commands);
    else
      printf("  FAIL %s: runner exited with status %d after %u of %u commands\n", fr->name,
             WIFEXITED(status) ? WEXITSTATUS(status) : -1, done, fr->commands);
    if (done < fr->commands) fr->counts.failed += fr->commands - done;
    else fr->counts.failed++;
  }
}

static void run_path(run *r, const char *path) {
  const char *slash = strrchr(path, '/');
  file_result *frs = realloc(r->files, (r->nfiles + 1) * sizeof *frs);
  if (!frs) return;
  r->files = frs;
  file_result *fr = &r->files[r->nfiles++];
  memset(fr, 0, sizeof *fr);
  fr->name = strdup(slash ? slash + 1 : path);

  size_t len;
  char *text = read_text(path, &len);
  char err[200] = "";
  json_value *root = text ? json_parse(text, len, err, sizeof err) : NULL;
  free(text);
  if (!root) {
    printf("  FAIL %s: %s\n", fr->name, text ? err : "cannot read");
    fr->counts.failed = 1;
  } else {
    fr->commands = conf_command_count(root);
    if (r->fork_files && !conf_file_skipped(fr->name)) run_forked(r, path, root, fr);
    else conf_run_file(path, root, &r->opt, -1, &fr->counts);
    json_free(root);
  }
  printf("%s: %u passed, %u failed, %u skipped\n", fr->name, fr->counts.passed, fr->counts.failed,
         fr->counts.skipped);
  fflush(stdout);
}

/* ---- baseline and docs ---- */

static char **read_lines(const char *path, size_t *n) {
  *n = 0;
  size_t len;
  char *text = read_text(path, &len);
  if (!text) return NULL;
  char **lines = NULL;
  for (char *save = NULL, *tok = strtok_r(text, "\r\n", &save); tok; tok = strtok_r(NULL, "\r\n", &save)) {
    while (*tok == ' ' || *tok == '\t') tok++;
    size_t l = strlen(tok);
    while (l && (tok[l - 1] == ' ' || tok[l - 1] == '\t')) tok[--l] = '\0';
    if (!l || tok[0] == '#') continue;
    char **more = realloc(lines, (*n + 1) * sizeof *more);
    if (!more) break;
    lines = more;
    lines[(*n)++] = strdup(tok);
  }
  free(text);
  return lines;
}

static bool fully_passes(const file_result *fr) {
  return fr->counts.failed == 0 && fr->counts.passed > 0;
}

static int check_baseline(run *r, const char *path) {
  size_t n;
  char **lines = read_lines(path, &n);
  if (!lines && access(path, F_OK) != 0) {
    printf("baseline %s: cannot read\n", path);
    return 1;
  }
  int regressions = 0;
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < r->nfiles; j++) {
      if (strcmp(r->files[j].name, lines[i]) != 0) continue;
      if (r->files[j].counts.failed) {
        printf("regression: %s passed in the baseline, now %u failed\n", lines[i],
               r->files[j].counts.failed);
        regressions++;
      }
    }
    free(lines[i]);
  }
  free(lines);
  return regressions ? 1 : 0;
}

static int write_baseline(run *r, const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) {
    printf("cannot write %s: %s\n", path, strerror(errno));
    return 1;
  }
  fprintf(f, "# Conformance files that fully pass (tova_conformance --write-baseline).\n"
             "# CI fails when one of them stops passing.\n");
  for (size_t i = 0; i < r->nfiles; i++)
    if (fully_passes(&r->files[i])) fprintf(f, "%s\n", r->files[i].name);
  return fclose(f) == 0 ? 0 : 1;
}

static int write_docs(run *r, const char *path, const conf_counts *total) {
  FILE *f = fopen(path, "w");
  if (!f) {
    printf("cannot write %s: %s\n", path, strerror(errno));
    return 1;
  }
  char date[32] = "";
  time_t now = time(NULL);
  struct tm tm;
  if (gmtime_r(&now, &tm)) strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &tm);
  fprintf(f,
          "# WebAssembly 2.0 conformance\n\n"
          "Results of the official WebAssembly 2.0 core test suite (`../shared/wasm-spec-2.0`,\n"
          "converted by wabt's `wast2json`) run by `tova_conformance` (`test/conformance/`).\n"
          "Generated on %s by `npm run conformance -- --update-docs docs/conformance.md`;\n"
          "do not edit by hand.\n\n"
          "How commands count (each command of a file counts once):\n\n"
          "- `module`, `register`, `action`, `assert_return`, `assert_trap`, `assert_exhaustion`:\n"
          "  pass when the engine does what the command says (trap messages must contain the\n"
          "  spec's text).\n"
          "- `assert_invalid`, `assert_malformed` (binary): pass when compiling fails. When the\n"
          "  engine's message does not contain the spec's text it is listed as a *message\n"
          "  mismatch* (wording differs between engines; the module is still rejected).\n"
          "- `assert_unlinkable`, `assert_uninstantiable`: instantiation must fail with the\n"
          "  spec's message.\n"
          "- Skipped: `assert_malformed` of text modules (there is no text-format parser) and\n"
          "  every command of the `simd_*` files (SIMD is not supported: such modules are\n"
          "  rejected with `TOVA_UNSUPPORTED`).\n\n"
          "**Total: %u passed, %u failed, %u skipped** (%u message mismatches).\n\n"
          "| file | passed | failed | skipped | message mismatches |\n"
          "|---|---:|---:|---:|---:|\n",
          date, total->passed, total->failed, total->skipped, total->mismatches);
  for (size_t i = 0; i < r->nfiles; i++) {
    const file_result *fr = &r->files[i];
    fprintf(f, "| %s | %u | %u | %u | %u |\n", fr->name, fr->counts.passed, fr->counts.failed,
            fr->counts.skipped, fr->counts.mismatches);
  }
  return fclose(f) == 0 ? 0 : 1;
}

static void usage(FILE *to) {
  fprintf(to,
          "usage: tova_conformance [--baseline FILE] [--write-baseline FILE] [--update-docs FILE]\n"
          "                        [--verbose] [--no-fork] [--timeout SEC] DIR_OR_JSON...\n");
}

int main(int argc, char **argv) {
  run r = {.opt = {.verbose = false, .max_details = 10, .timeout_sec = 10}, .fork_files = true};
  const char *baseline = NULL, *write_base = NULL, *docs = NULL;
  const char **paths = calloc((size_t)argc, sizeof *paths);
  size_t npaths = 0;
  if (!paths) return 2;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has_next = i + 1 < argc;
    if (!strcmp(a, "--baseline") && has_next) baseline = argv[++i];
    else if (!strcmp(a, "--write-baseline") && has_next) write_base = argv[++i];
    else if (!strcmp(a, "--update-docs") && has_next) docs = argv[++i];
    else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) r.opt.verbose = true;
    else if (!strcmp(a, "--no-fork")) r.fork_files = false;
    else if (!strcmp(a, "--timeout") && has_next) {
      long t = strtol(argv[++i], NULL, 10);
      r.opt.timeout_sec = t > 0 && t < 3600 ? (unsigned)t : 10;
    } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return 0;
    } else if (a[0] == '-') {
      fprintf(stderr, "tova_conformance: unknown option %s\n", a);
      usage(stderr);
      return 2;
    } else {
      paths[npaths++] = a;
    }
  }
  if (!npaths) {
    usage(stderr);
    return 2;
  }

  for (size_t p = 0; p < npaths; p++) {
    size_t n;
    char **files = collect(paths[p], &n);
    if (!files && access(paths[p], F_OK) != 0) {
      printf("%s: absent, nothing to run\n", paths[p]);
      continue;
    }
    for (size_t i = 0; i < n; i++) {
      run_path(&r, files[i]);
      free(files[i]);
    }
    free(files);
  }
  free(paths);

  conf_counts total = {0};
  for (size_t i = 0; i < r.nfiles; i++) {
    total.passed += r.files[i].counts.passed;
    total.failed += r.files[i].counts.failed;
    total.skipped += r.files[i].counts.skipped;
    total.mismatches += r.files[i].counts.mismatches;
  }
  int rc = 0;
  if (r.nfiles && docs && write_docs(&r, docs, &total) != 0) rc = 1;
  if (r.nfiles && write_base && write_baseline(&r, write_base) != 0) rc = 1;
  if (r.nfiles && baseline && check_baseline(&r, baseline) != 0) rc = 1;
  printf("message mismatches (rejected with another message): %u\n", total.mismatches);
  printf("%u passed, %u failed, %u skipped\n", total.passed, total.failed, total.skipped);
  for (size_t i = 0; i < r.nfiles; i++) free(r.files[i].name);
  free(r.files);
  return rc;
}
