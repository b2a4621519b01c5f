/* test_stateless.c: tova_module_export_is_stateless (src/engine/stateless.c),
 * the rule that lets a packed batch run many tasks on one instance. Each
 * export below either leaves its instance as instantiated or changes it in
 * one way (each kind of write, an import call, call_indirect, a callee that
 * writes), and a module with a start function is never stateless. */
#include <stdbool.h>

#include "check.h"
#include "test_interp_builder.h"

/* One module with one export per case. */
static tova_module *build_cases(void) {
  mod m = {0};
  uint32_t t_iii = mod_type(&m, "ii", "i");
  uint32_t t_v = mod_type(&m, "", "");
  uint32_t t_i = mod_type(&m, "", "i");
  uint32_t imp = mod_import_func(&m, "tova", "yield", t_v);
  mod_memory(&m, 1, 2);
  mod_table(&m, 1);
  uint32_t g = mod_global_i32(&m, true, 7);
  wb b = {0};

  e_get(&b, 0); /* add(a, b) */
  e_get(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  uint32_t add = mod_func(&m, t_iii, "", &b, "add");
  wb_free(&b);

  e_get(&b, 0); /* reads(a, b) = mem[a] + global + memory.size */
  e_mem(&b, WASM_OP_I32_LOAD, 2, 0);
  e_opu(&b, WASM_OP_GLOBAL_GET, g);
  e_op(&b, WASM_OP_I32_ADD);
  e_opu(&b, WASM_OP_MEMORY_SIZE, 0);
  e_op(&b, WASM_OP_I32_ADD);
  mod_func(&m, t_iii, "", &b, "reads");
  wb_free(&b);

  e_get(&b, 0); /* calls_add(a, b) = add(a, b): a stateless callee */
  e_get(&b, 1);
  e_opu(&b, WASM_OP_CALL, add);
  mod_func(&m, t_iii, "", &b, "calls_add");
  wb_free(&b);

  e_get(&b, 0); /* store(a, b): mem[a] = b */
  e_get(&b, 1);
  e_mem(&b, WASM_OP_I32_STORE8, 0, 0);
  e_i32(&b, 0);
  uint32_t store = mod_func(&m, t_iii, "", &b, "store");
  wb_free(&b);

  e_get(&b, 0); /* calls_store: stateless itself, its callee is not */
  e_get(&b, 1);
  e_opu(&b, WASM_OP_CALL, store);
  mod_func(&m, t_iii, "", &b, "calls_store");
  wb_free(&b);

  e_get(&b, 0); /* set_global */
  e_opu(&b, WASM_OP_GLOBAL_SET, g);
  e_i32(&b, 0);
  mod_func(&m, t_iii, "", &b, "set_global");
  wb_free(&b);

  e_i32(&b, 1); /* grow */
  e_opu(&b, WASM_OP_MEMORY_GROW, 0);
  mod_func(&m, t_iii, "", &b, "grow");
  wb_free(&b);

  e_get(&b, 0); /* fill: memory.fill(a, b, 1) */
  e_get(&b, 1);
  e_i32(&b, 1);
  e_fc(&b, WASM_FC_MEMORY_FILL);
  wb_byte(&b, 0x00);
  e_i32(&b, 0);
  mod_func(&m, t_iii, "", &b, "fill");
  wb_free(&b);

  e_opu(&b, WASM_OP_CALL, imp); /* calls_import */
  e_i32(&b, 0);
  mod_func(&m, t_iii, "", &b, "calls_import");
  wb_free(&b);

  e_i32(&b, 0); /* indirect: call_indirect (type i) through table 0 */
  e_opu(&b, WASM_OP_CALL_INDIRECT, t_i);
  wb_byte(&b, 0x00);
  mod_func(&m, t_iii, "", &b, "indirect");
  wb_free(&b);

  mod_export(&m, "glob", 3, g);
  return compile_mod(&m);
}

static bool is_stateless(tova_module *mod, const char *name) {
  return tova_module_export_is_stateless(mod, name, strlen(name));
}

static void test_each_kind(void) {
  tova_module *mod = build_cases();
  CHECK(is_stateless(mod, "add"));
  CHECK(is_stateless(mod, "reads"));
  CHECK(is_stateless(mod, "calls_add"));
  static const char *const changing[] = {"store", "calls_store", "set_global", "grow",
                                         "fill", "calls_import", "indirect"};
  for (size_t i = 0; i < sizeof changing / sizeof *changing; i++) {
    if (is_stateless(mod, changing[i])) fprintf(stderr, "  %s counted as stateless\n", changing[i]);
    CHECK(!is_stateless(mod, changing[i]));
  }
  /* Asked again: the kept answers are the same. */
  CHECK(is_stateless(mod, "add"));
  CHECK(!is_stateless(mod, "calls_store"));
  /* Not a function, not an export, no module. */
  CHECK(!is_stateless(mod, "glob"));
  CHECK(!is_stateless(mod, "mem"));
  CHECK(!is_stateless(mod, "nope"));
  CHECK(!tova_module_export_is_stateless(NULL, "add", 3));
  tova_module_release(mod);
}

static void test_start_function(void) {
  mod m = {0};
  uint32_t t_iii = mod_type(&m, "ii", "i");
  uint32_t t_v = mod_type(&m, "", "");
  wb b = {0};
  e_get(&b, 0);
  e_get(&b, 1);
  e_op(&b, WASM_OP_I32_ADD);
  mod_func(&m, t_iii, "", &b, "add");
  wb_free(&b);
  uint32_t start = mod_func(&m, t_v, "", &b, NULL); /* an empty start function */
  mod_start(&m, start);
  tova_module *mod = compile_mod(&m);
  CHECK(!is_stateless(mod, "add")); /* each instance runs its start function */
  tova_module_release(mod);
}

int main(void) {
  RUN(test_each_kind);
  RUN(test_start_function);
  return CHECK_DONE();
}
