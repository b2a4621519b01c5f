/* tier.c: the public face of the execution tiers (tova_set_tier,
 * tova_runtime_info), with or without the LLVM native tier compiled in. */
#include <stdio.h>
#include <string.h>

#include "tova.h"
#ifdef TOVA_HAVE_STENCILS
#include "engine/stencil/stencil.h"
#endif
#ifdef TOVA_HAVE_NATIVE
#include "engine/native/backend.h"
#include "engine/native/cache.h"
#include "engine/native/native.h"
#endif

tova_status tova_set_tier(tova_tier tier) {
#ifdef TOVA_HAVE_NATIVE
  switch (tier) {
    case TOVA_TIER_INTERP: wasm_native_set_tier(WASM_TIER_INTERP); return TOVA_OK;
    /* These need LLVM: a build whose backend cannot be loaded (backend.h)
     * has none, as a build without it. */
    case TOVA_TIER_NATIVE:
    case TOVA_TIER_TIERED:
      if (!wasm_backend_load(NULL, 0)) return TOVA_ERR_UNSUPPORTED;
      wasm_native_set_tier(tier == TOVA_TIER_NATIVE ? WASM_TIER_NATIVE : WASM_TIER_TIERED);
      return TOVA_OK;
    case TOVA_TIER_AUTO: wasm_native_set_tier(WASM_TIER_AUTO); return TOVA_OK;
  }
  return TOVA_ERR_BAD_ARGUMENT;
#else
  /* Only the interpreter is built in. */
  return tier == TOVA_TIER_INTERP || tier == TOVA_TIER_AUTO ? TOVA_OK : TOVA_ERR_UNSUPPORTED;
#endif
}

tova_status tova_set_code_cache(tova_code_cache where, const char *dir) {
  if (where != TOVA_CODE_CACHE_NONE && where != TOVA_CODE_CACHE_USER && where != TOVA_CODE_CACHE_DIR)
    return TOVA_ERR_BAD_ARGUMENT;
  if (where == TOVA_CODE_CACHE_DIR && (!dir || !*dir)) return TOVA_ERR_BAD_ARGUMENT;
#ifdef TOVA_HAVE_NATIVE
  return wasm_native_cache_choose((int)where, dir) ? TOVA_OK : TOVA_ERR_BAD_ARGUMENT;
#else
  (void)dir;
  return TOVA_OK; /* no native code to keep */
#endif
}

void tova_runtime_info(char *buf, size_t len) {
  if (!buf || !len) return;
#ifdef TOVA_HAVE_NATIVE
  wasm_native_describe(buf, len);
#else
  snprintf(buf, len, "tiers: interp (built without LLVM: no native tier); policy interp");
#endif
  /* The interpreter's code compiled by copy-and-patch (stencil/stencil.h). */
  size_t used = strlen(buf);
#ifdef TOVA_HAVE_STENCILS
  const char *st = wasm_stencil_available() ? "; stencils on" : "; stencils off";
#else
  const char *st = "; stencils not built";
#endif
  if (used < len) snprintf(buf + used, len - used, "%s", st);
}

bool tova_native_loading(void) {
#ifdef TOVA_HAVE_NATIVE
  return wasm_backend_loading();
#else
  return false;
#endif
}

tova_status tova_module_precompile(tova_module *m, uint32_t *units, tova_error *err) {
  uint32_t none;
  if (!units) units = &none;
  *units = 0;
  if (!m) return tova_error_set(err, TOVA_ERR_BAD_ARGUMENT, "precompile: no module");
#ifdef TOVA_HAVE_NATIVE
  char why[300];
  if (!wasm_backend_load(why, sizeof why)) return tova_error_set(err, TOVA_ERR_UNSUPPORTED, "precompile: %s", why);
  if (!wasm_native_precompile(m, units, why, sizeof why))
    return tova_error_set(err, TOVA_ERR_UNSUPPORTED, "precompile: %s", why);
  return TOVA_OK;
#else
  return tova_error_set(err, TOVA_ERR_UNSUPPORTED, "precompile: built without LLVM: no native tier");
#endif
}
