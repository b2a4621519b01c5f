/*
 * runner.c: executes the commands of one wast2json file against the engine.
 *
 * State per file: one store (everything the file creates lives until the end
 * of the file), one linker holding `spectest` and every `register`ed
 * instance, the named instances ("$M"), the current (last) instance and one
 * execution context. Each command counts exactly once as passed, failed or
 * skipped; failures print one line saying what was expected and what came.
 */
#include "runner.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/objects.h"
#include "spectest.h"
#include "watchdog.h"

#define MAX_VALUES 64 /* arguments/results per call in the suite are far fewer */

typedef struct named_instance {
  char *name;
  tova_instance *inst;
} named_instance;

typedef struct file_state {
  const conf_options *opt;
  const char *file;  /* base name, for messages */
  char *dir;         /* directory of the .json file, for .wasm paths */
  int progress_fd;
  conf_counts *counts;
  unsigned details;  /* failure lines printed so far */

  tova_store *store;
  tova_linker *linker;
  tova_exec *exec;
  watchdog *dog;
  tova_instance *current;
  named_instance *named;
  size_t nnamed;
} file_state;

/* ---- reporting ---- */

static void progress(file_state *fs, char c) {
  if (fs->progress_fd < 0) return;
  ssize_t n;
  do n = write(fs->progress_fd, &c, 1);
  while (n < 0 && errno == EINTR);
}

static void report(file_state *fs, char outcome, int line, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static void report(file_state *fs, char outcome, int line, const char *fmt, ...) {
  if (outcome == CONF_PASS) fs->counts->passed++;
  else if (outcome == CONF_FAIL) fs->counts->failed++;
  else if (outcome == CONF_SKIP) fs->counts->skipped++;
  else if (outcome == CONF_MISMATCH) fs->counts->mismatches++;
  progress(fs, outcome);
  bool show = (outcome == CONF_FAIL && (fs->opt->verbose || fs->details < fs->opt->max_details)) ||
              (outcome == CONF_MISMATCH && fs->opt->verbose);
  if (!show || !fmt) return;
  if (outcome == CONF_FAIL) fs->details++;
  va_list ap;
  va_start(ap, fmt);
  printf("  %s %s:%d: ", outcome == CONF_FAIL ? "FAIL" : "note", fs->file, line);
  vprintf(fmt, ap);
  putchar('\n');
  fflush(stdout);
  va_end(ap);
}

/* ---- values ---- */

/* Host references for "ref.extern N": distinct non-null pointers, equal for
 * equal N. Small N point into this array; others are encoded as N + 1 (the
 * engine never dereferences an externref). */
static char extern_tokens[4096];

static void *extern_ref(uint64_t n) {
  if (n < sizeof extern_tokens) return &extern_tokens[n];
  return (void *)(uintptr_t)(n + 1);
}

static uint8_t parse_type(const char *t) {
  if (!t) return 0;
  if (!strcmp(t, "i32")) return TOVA_I32;
  if (!strcmp(t, "i64")) return TOVA_I64;
  if (!strcmp(t, "f32")) return TOVA_F32;
  if (!strcmp(t, "f64")) return TOVA_F64;
  if (!strcmp(t, "funcref")) return TOVA_FUNCREF;
  if (!strcmp(t, "externref")) return TOVA_EXTERNREF;
  if (!strcmp(t, "v128")) return TOVA_V128;
  return 0;
}

static const char *type_name(uint8_t t) {
  switch (t) {
    case TOVA_I32: return "i32";
    case TOVA_I64: return "i64";
    case TOVA_F32: return "f32";
    case TOVA_F64: return "f64";
    case TOVA_FUNCREF: return "funcref";
    case TOVA_EXTERNREF: return "externref";
    case TOVA_V128: return "v128";
  }
  return "?";
}

static bool parse_u64(const char *s, uint64_t *out) {
  if (!s || !*s) return false;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end || errno) return false;
  *out = v;
  return true;
}

/* An argument: {"type": T, "value": "bits"}. */
static bool parse_arg(const json_value *j, tova_val *out, uint8_t *type) {
  *type = parse_type(json_get_str(j, "type"));
  const char *v = json_get_str(j, "value");
  uint64_t bits;
  out->raw = 0;
  switch (*type) {
    case TOVA_I32:
    case TOVA_F32:
      if (!parse_u64(v, &bits) || bits > UINT32_MAX) return false;
      out->f32_bits = (uint32_t)bits;
      return true;
    case TOVA_I64:
    case TOVA_F64:
      if (!parse_u64(v, &bits)) return false;
      out->f64_bits = bits;
      return true;
    case TOVA_FUNCREF:
    case TOVA_EXTERNREF:
      if (v && !strcmp(v, "null")) return true;
      if (*type == TOVA_EXTERNREF && parse_u64(v, &bits)) {
        out->ref = extern_ref(bits);
        return true;
      }
      return false;
  }
  return false;
}

static void format_val(char *buf, size_t n, uint8_t type, tova_val v) {
  switch (type) {
    case TOVA_I32: snprintf(buf, n, "i32:%" PRIu32, (uint32_t)v.i32); break;
    case TOVA_I64: snprintf(buf, n, "i64:%" PRIu64, (uint64_t)v.i64); break;
    case TOVA_F32: snprintf(buf, n, "f32:0x%08" PRIx32, v.f32_bits); break;
    case TOVA_F64: snprintf(buf, n, "f64:0x%016" PRIx64, v.f64_bits); break;
    case TOVA_FUNCREF:
    case TOVA_EXTERNREF:
      if (!v.ref) snprintf(buf, n, "%s:null", type_name(type));
      else if ((char *)v.ref >= extern_tokens && (char *)v.ref < extern_tokens + sizeof extern_tokens)
        snprintf(buf, n, "%s:%td", type_name(type), (char *)v.ref - extern_tokens);
      else snprintf(buf, n, "%s:%p", type_name(type), v.ref);
      break;
    default: snprintf(buf, n, "%s:?", type_name(type)); break;
  }
}

/* Does result `got` of type `type` satisfy the expectation `j`? */
static bool match_expected(const json_value *j, uint8_t type, tova_val got, char *why, size_t n) {
  uint8_t want = parse_type(json_get_str(j, "type"));
  const char *v = json_get_str(j, "value");
  char g[64];
  format_val(g, sizeof g, type, got);
  if (want != type) {
    snprintf(why, n, "expected a %s, got %s", type_name(want), g);
    return false;
  }
  uint64_t bits = 0;
  bool ok;
  switch (type) {
    case TOVA_I32:
      ok = parse_u64(v, &bits) && (uint32_t)bits == (uint32_t)got.i32;
      break;
    case TOVA_I64:
      ok = parse_u64(v, &bits) && bits == (uint64_t)got.i64;
      break;
    case TOVA_F32:
      if (v && !strcmp(v, "nan:canonical")) ok = (got.f32_bits & 0x7fffffffu) == 0x7fc00000u;
      else if (v && !strcmp(v, "nan:arithmetic")) ok = (got.f32_bits & 0x7fc00000u) == 0x7fc00000u;
      else ok = parse_u64(v, &bits) && (uint32_t)bits == got.f32_bits;
      break;
    case TOVA_F64:
      if (v && !strcmp(v, "nan:canonical"))
        ok = (got.f64_bits & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
      else if (v && !strcmp(v, "nan:arithmetic"))
        ok = (got.f64_bits & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
      else ok = parse_u64(v, &bits) && bits == got.f64_bits;
      break;
    case TOVA_FUNCREF:
    case TOVA_EXTERNREF:
      if (!v) ok = got.ref != NULL; /* any non-null reference */
      else if (!strcmp(v, "null")) ok = got.ref == NULL;
      else ok = type == TOVA_EXTERNREF && parse_u64(v, &bits) && got.ref == extern_ref(bits);
      break;
    default:
      ok = false;
  }
  if (!ok) snprintf(why, n, "expected %s:%s, got %s", type_name(want), v ? v : "?", g);
  return ok;
}

/* ---- modules and instances ---- */

static tova_instance *find_instance(file_state *fs, const char *name) {
  if (!name) return fs->current;
  for (size_t i = fs->nnamed; i-- > 0;)
    if (!strcmp(fs->named[i].name, name)) return fs->named[i].inst;
  return NULL;
}

static void name_instance(file_state *fs, const char *name, tova_instance *inst) {
  named_instance *n = realloc(fs->named, (fs->nnamed + 1) * sizeof *n);
  if (!n) return;
  fs->named = n;
  n[fs->nnamed].name = strdup(name);
  n[fs->nnamed].inst = inst;
  if (n[fs->nnamed].name) fs->nnamed++;
}

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    uint8_t *bigger = realloc(buf, cap * 2);
    if (!bigger) { free(buf); buf = NULL; break; }
    buf = bigger;
    cap *= 2;
  }
  if (buf && ferror(f)) { free(buf); buf = NULL; }
  fclose(f);
  *len = n;
  return buf;
}

/* Compile the command's "filename". Returns the status; *out set on success. */
static tova_status compile_file(file_state *fs, const json_value *cmd, tova_module **out,
                                tova_error *err) {
  *out = NULL;
  const char *name = json_get_str(cmd, "filename");
  if (!name) return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "command has no filename");
  size_t plen = strlen(fs->dir) + strlen(name) + 2;
  char *path = malloc(plen);
  if (!path) return tova_error_set(err, TOVA_ERR_NOMEM, "out of memory");
  snprintf(path, plen, "%s/%s", fs->dir, name);
  size_t len;
  uint8_t *bytes = read_file(path, &len);
  free(path);
  if (!bytes) return tova_error_set(err, TOVA_ERR_NOT_FOUND, "cannot read %s", name);
  tova_status st = tova_module_compile(bytes, len, out, err);
  free(bytes);
  return st;
}

/* Start functions run on the watched execution, so a runaway one times out. */
static tova_status instantiate(file_state *fs, tova_module *m, tova_instance **out,
                               tova_error *err) {
  watchdog_arm(fs->dog, fs->exec, fs->opt->timeout_sec);
  tova_status st = wasm_linker_instantiate_exec(fs->linker, fs->store, m, fs->exec, out, err);
  if (watchdog_disarm(fs->dog) && st == TOVA_ERR_CANCELLED) {
    tova_error_set(err, TOVA_ERR_TIMEOUT, "start function timed out after %u s",
                   fs->opt->timeout_sec);
    st = TOVA_ERR_TIMEOUT;
  }
  return st;
}

/* ---- actions ---- */

typedef struct action_result {
  tova_status status;
  tova_error err;
  uint32_t nresults;
  uint8_t types[MAX_VALUES];
  tova_val results[MAX_VALUES];
} action_result;

/* Perform an invoke/get action. Returns false (with *why) if the action could
 * not even be attempted (unknown module/export, bad arguments). */
static bool run_action(file_state *fs, const json_value *action, action_result *r, char *why,
                       size_t n) {
  memset(r, 0, sizeof *r);
  const char *type = json_get_str(action, "type");
  const char *modname = json_get_str(action, "module");
  const json_value *field = json_get(action, "field");
  tova_instance *inst = find_instance(fs, modname);
  if (!inst) {
    snprintf(why, n, "no instance %s", modname ? modname : "(current)");
    return false;
  }
  if (!field || field->type != JSON_STRING || !type) {
    snprintf(why, n, "malformed action");
    return false;
  }
  tova_extern ext;
  if (wasm_instance_export_n(inst, field->str, field->len, &ext) != TOVA_OK) {
    snprintf(why, n, "no export \"%s\"", field->str);
    return false;
  }
  if (!strcmp(type, "get")) {
    if (ext.kind != TOVA_EXTERN_GLOBAL) {
      snprintf(why, n, "export \"%s\" is not a global", field->str);
      return false;
    }
    r->status = TOVA_OK;
    r->nresults = 1;
    r->types[0] = (uint8_t)tova_global_type(ext.of.global);
    r->results[0] = tova_global_get(ext.of.global);
    return true;
  }
  if (strcmp(type, "invoke") != 0) {
    snprintf(why, n, "unknown action type %s", type);
    return false;
  }
  if (ext.kind != TOVA_EXTERN_FUNC) {
    snprintf(why, n, "export \"%s\" is not a function", field->str);
    return false;
  }
  const tova_functype *ft = tova_func_type(ext.of.func);
  const json_value *args = json_get(action, "args");
  size_t nargs = args && args->type == JSON_ARRAY ? args->count : 0;
  if (nargs != ft->nparams || nargs > MAX_VALUES || ft->nresults > MAX_VALUES) {
    snprintf(why, n, "\"%s\" takes %u arguments, %zu given", field->str, ft->nparams, nargs);
    return false;
  }
  tova_val argv[MAX_VALUES];
  for (size_t i = 0; i < nargs; i++) {
    uint8_t t;
    if (!parse_arg(&args->items[i], &argv[i], &t) || t != ft->params[i]) {
      snprintf(why, n, "argument %zu of \"%s\" does not fit its %s parameter", i, field->str,
               type_name(ft->params[i]));
      return false;
    }
  }
  r->nresults = ft->nresults;
  if (ft->nresults) memcpy(r->types, ft->results, ft->nresults);
  watchdog_arm(fs->dog, fs->exec, fs->opt->timeout_sec);
  tova_exec_clear_interrupt(fs->exec); /* sticky: a watchdog hit on an earlier call stays set */
  r->status = tova_exec_call(fs->exec, ext.of.func, argv, r->results, &r->err);
  bool fired = watchdog_disarm(fs->dog);
  if (r->status == TOVA_SUSPENDED) {
    tova_exec_reset(fs->exec);
    tova_error_set(&r->err, TOVA_ERR_BAD_ARGUMENT, "execution suspended in a host call");
  } else if (fired && r->status == TOVA_ERR_CANCELLED) {
    tova_error_set(&r->err, TOVA_ERR_TIMEOUT, "timed out after %u s", fs->opt->timeout_sec);
    r->status = TOVA_ERR_TIMEOUT;
  }
  return true;
}

/* ---- commands ---- */

static void cmd_module(file_state *fs, const json_value *cmd, int line) {
  tova_module *m;
  tova_error err = {0};
  fs->current = NULL; /* later commands must not use the previous module by mistake */
  tova_status st = compile_file(fs, cmd, &m, &err);
  if (st != TOVA_OK) {
    report(fs, CONF_FAIL, line, "module %s: compile: %s: %s", json_get_str(cmd, "filename"),
           tova_status_code(st), err.message);
    return;
  }
  tova_instance *inst;
  st = instantiate(fs, m, &inst, &err);
  tova_module_release(m);
  if (st != TOVA_OK) {
    report(fs, CONF_FAIL, line, "module %s: instantiate: %s: %s", json_get_str(cmd, "filename"),
           tova_status_code(st), err.message);
    return;
  }
  fs->current = inst;
  const char *name = json_get_str(cmd, "name");
  if (name) name_instance(fs, name, inst);
  report(fs, CONF_PASS, line, NULL);
}

static void cmd_register(file_state *fs, const json_value *cmd, int line) {
  const char *name = json_get_str(cmd, "name");
  const char *as = json_get_str(cmd, "as");
  tova_instance *inst = find_instance(fs, name);
  if (!inst || !as) {
    report(fs, CONF_FAIL, line, "register: no instance %s", name ? name : "(current)");
    return;
  }
  tova_status st = tova_linker_define_instance(fs->linker, as, inst);
  if (st != TOVA_OK) report(fs, CONF_FAIL, line, "register %s: %s", as, tova_status_code(st));
  else report(fs, CONF_PASS, line, NULL);
}

static const char *field_of(const json_value *cmd) {
  const char *f = json_get_str(json_get(cmd, "action"), "field");
  return f ? f : "?";
}

static void cmd_assert_return(file_state *fs, const json_value *cmd, int line, bool check_results) {
  action_result r;
  char why[256];
  if (!run_action(fs, json_get(cmd, "action"), &r, why, sizeof why)) {
    report(fs, CONF_FAIL, line, "%s", why);
    return;
  }
  if (r.status != TOVA_OK) {
    report(fs, CONF_FAIL, line, "\"%s\": %s: %s", field_of(cmd), tova_status_code(r.status),
           r.err.message);
    return;
  }
  if (!check_results) {
    report(fs, CONF_PASS, line, NULL);
    return;
  }
  const json_value *expected = json_get(cmd, "expected");
  size_t nexp = expected && expected->type == JSON_ARRAY ? expected->count : 0;
  if (nexp != r.nresults) {
    report(fs, CONF_FAIL, line, "\"%s\": %u results, %zu expected", field_of(cmd), r.nresults, nexp);
    return;
  }
  for (size_t i = 0; i < nexp; i++) {
    if (!match_expected(&expected->items[i], r.types[i], r.results[i], why, sizeof why)) {
      report(fs, CONF_FAIL, line, "\"%s\" result %zu: %s", field_of(cmd), i, why);
      return;
    }
  }
  report(fs, CONF_PASS, line, NULL);
}

static void cmd_assert_trap(file_state *fs, const json_value *cmd, int line) {
  action_result r;
  char why[256];
  const char *text = json_get_str(cmd, "text");
  if (!text) text = "";
  if (!run_action(fs, json_get(cmd, "action"), &r, why, sizeof why)) {
    report(fs, CONF_FAIL, line, "%s", why);
    return;
  }
  if (r.status == TOVA_OK) {
    report(fs, CONF_FAIL, line, "\"%s\": returned, expected trap \"%s\"", field_of(cmd), text);
  } else if (r.status != TOVA_ERR_TRAP || !strstr(r.err.message, text)) {
    report(fs, CONF_FAIL, line, "\"%s\": expected trap \"%s\", got %s: %s", field_of(cmd), text,
           tova_status_code(r.status), r.err.message);
  } else {
    report(fs, CONF_PASS, line, NULL);
  }
}

/* assert_invalid / assert_malformed (binary): compiling must fail. */
static void cmd_assert_invalid(file_state *fs, const json_value *cmd, int line, const char *kind) {
  tova_module *m;
  tova_error err = {0};
  const char *text = json_get_str(cmd, "text");
  tova_status st = compile_file(fs, cmd, &m, &err);
  if (st == TOVA_OK) {
    tova_module_release(m);
    report(fs, CONF_FAIL, line, "%s %s: compiled, expected \"%s\"", kind,
           json_get_str(cmd, "filename"), text ? text : "");
    return;
  }
  if (st == TOVA_ERR_NOT_FOUND && !strncmp(err.message, "cannot read", 11)) {
    report(fs, CONF_FAIL, line, "%s", err.message);
    return;
  }
  report(fs, CONF_PASS, line, NULL);
  if (text && !strstr(err.message, text))
    report(fs, CONF_MISMATCH, line, "%s %s: expected \"%s\", got \"%s\"", kind,
           json_get_str(cmd, "filename"), text, err.message);
}

/* assert_unlinkable / assert_uninstantiable: compiles, instantiation fails. */
static void cmd_assert_instantiate_fails(file_state *fs, const json_value *cmd, int line,
                                         tova_status want) {
  tova_module *m;
  tova_error err = {0};
  const char *text = json_get_str(cmd, "text");
  if (!text) text = "";
  tova_status st = compile_file(fs, cmd, &m, &err);
  if (st != TOVA_OK) {
    report(fs, CONF_FAIL, line, "%s: compile: %s: %s", json_get_str(cmd, "filename"),
           tova_status_code(st), err.message);
    return;
  }
  tova_instance *inst;
  st = instantiate(fs, m, &inst, &err);
  tova_module_release(m);
  if (st == TOVA_OK) {
    report(fs, CONF_FAIL, line, "%s: instantiated, expected \"%s\"", json_get_str(cmd, "filename"),
           text);
  } else if (st != want || !strstr(err.message, text)) {
    report(fs, CONF_FAIL, line, "%s: expected %s \"%s\", got %s: %s", json_get_str(cmd, "filename"),
           tova_status_code(want), text, tova_status_code(st), err.message);
  } else {
    report(fs, CONF_PASS, line, NULL);
  }
}

static void run_command(file_state *fs, const json_value *cmd) {
  const char *type = json_get_str(cmd, "type");
  const json_value *jl = json_get(cmd, "line");
  int line = jl && jl->type == JSON_NUMBER ? (int)jl->number : 0;
  const char *mt = json_get_str(cmd, "module_type");
  if (!type) {
    report(fs, CONF_FAIL, line, "command without type");
  } else if (!strcmp(type, "module")) {
    cmd_module(fs, cmd, line);
  } else if (!strcmp(type, "register")) {
    cmd_register(fs, cmd, line);
  } else if (!strcmp(type, "action")) {
    cmd_assert_return(fs, cmd, line, false);
  } else if (!strcmp(type, "assert_return")) {
    cmd_assert_return(fs, cmd, line, true);
  } else if (!strcmp(type, "assert_trap") || !strcmp(type, "assert_exhaustion")) {
    cmd_assert_trap(fs, cmd, line);
  } else if (mt && !strcmp(mt, "text")) {
    report(fs, CONF_SKIP, line, NULL); /* text-format modules: no text parser here */
  } else if (!strcmp(type, "assert_invalid")) {
    cmd_assert_invalid(fs, cmd, line, "invalid");
  } else if (!strcmp(type, "assert_malformed")) {
    cmd_assert_invalid(fs, cmd, line, "malformed");
  } else if (!strcmp(type, "assert_unlinkable")) {
    cmd_assert_instantiate_fails(fs, cmd, line, TOVA_ERR_UNLINKABLE);
  } else if (!strcmp(type, "assert_uninstantiable")) {
    cmd_assert_instantiate_fails(fs, cmd, line, TOVA_ERR_TRAP);
  } else {
    report(fs, CONF_FAIL, line, "unknown command type %s", type);
  }
}

/* ---- files ---- */

unsigned conf_command_count(const json_value *root) {
  const json_value *cmds = json_get(root, "commands");
  return cmds && cmds->type == JSON_ARRAY ? (unsigned)cmds->count : 0;
}

bool conf_file_skipped(const char *file_name) { return strstr(file_name, "simd") != NULL; }

void conf_run_file(const char *json_path, const json_value *root, const conf_options *opt,
                   int progress_fd, conf_counts *out) {
  memset(out, 0, sizeof *out);
  file_state fs = {.opt = opt, .progress_fd = progress_fd, .counts = out};
  const char *slash = strrchr(json_path, '/');
  fs.file = slash ? slash + 1 : json_path;
  fs.dir = slash ? strndup(json_path, (size_t)(slash - json_path)) : strdup(".");
  const json_value *cmds = json_get(root, "commands");
  unsigned n = conf_command_count(root);

  if (conf_file_skipped(fs.file)) {
    for (unsigned i = 0; i < n; i++) report(&fs, CONF_SKIP, 0, NULL);
    free(fs.dir);
    return;
  }
  fs.store = tova_store_new(NULL);
  fs.linker = tova_linker_new();
  fs.exec = tova_exec_new(0);
  fs.dog = watchdog_start();
  bool ready = fs.dir && fs.store && fs.linker && fs.exec && fs.dog &&
               spectest_define(fs.store, fs.linker, opt->verbose) == TOVA_OK;
  for (unsigned i = 0; i < n; i++) {
    if (ready) run_command(&fs, &cmds->items[i]);
    else report(&fs, CONF_FAIL, 0, "cannot set up store/linker/spectest");
  }
  watchdog_stop(fs.dog);
  if (fs.exec) tova_exec_free(fs.exec);
  tova_linker_free(fs.linker);
  tova_store_free(fs.store);
  for (size_t i = 0; i < fs.nnamed; i++) free(fs.named[i].name);
  free(fs.named);
  free(fs.dir);
}
