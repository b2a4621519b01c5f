/*
 * pack_install.c: installs the packed form of the concurrentWasm* batch
 * calls on the addon's own exports (lib/pack-tasks.js, embedded at build
 * time as TOVA_PACK_TASKS_JS by CMake), so a caller of the .node file (Tova's
 * runtime bridge calls it directly) gets the same fast path as the package.
 *
 * The JS source is the one file the package's index.js would otherwise have
 * its own copy of: written once, in JS, where packing a batch is a tight loop
 * rather than one N-API property read per task and argument.
 *
 * Installing is an optimisation only: if the engine cannot run the script
 * (napi_run_script unsupported, or a pending exception), the exports stay
 * the plain functions, which take every input the wrapped ones take.
 */
#include <stdlib.h>
#include <string.h>

#include "addon.h"
#include "pack_tasks_js.h" /* generated: static const unsigned char TOVA_PACK_TASKS_JS[] */

#define PREFIX "(function (module) {\n"
#define SUFFIX "\n;return module.exports;})({ exports: {} })"

napi_status tova_napi_install_packing(napi_env env, napi_value exports) {
  static const char prefix[] = PREFIX, suffix[] = SUFFIX;
  size_t n = sizeof prefix - 1 + sizeof TOVA_PACK_TASKS_JS + sizeof suffix - 1;
  char *src = malloc(n + 1);
  if (!src) return napi_generic_failure;
  size_t at = 0;
  memcpy(src + at, prefix, sizeof prefix - 1);
  at += sizeof prefix - 1;
  memcpy(src + at, TOVA_PACK_TASKS_JS, sizeof TOVA_PACK_TASKS_JS);
  at += sizeof TOVA_PACK_TASKS_JS;
  memcpy(src + at, suffix, sizeof suffix - 1);
  at += sizeof suffix - 1;
  src[at] = 0;
  napi_value script, lib, install, ignored;
  napi_status s = napi_create_string_utf8(env, src, at, &script);
  free(src);
  if (s == napi_ok) s = napi_run_script(env, script, &lib);
  if (s == napi_ok) s = napi_get_named_property(env, lib, "installPacking", &install);
  if (s == napi_ok) s = napi_call_function(env, exports, install, 1, &exports, &ignored);
  if (s != napi_ok) {
    /* Leave no exception behind: the plain exports work on their own. */
    bool pending = false;
    napi_value e;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending)
      napi_get_and_clear_last_exception(env, &e);
  }
  return napi_ok;
}
