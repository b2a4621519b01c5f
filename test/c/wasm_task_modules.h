/* wasm_task_modules.h: the WebAssembly modules the task tests run, built with
 * test_interp_builder.h. Each function documents what its module does. */
#ifndef TOVA_TEST_WASM_TASK_MODULES_H
#define TOVA_TEST_WASM_TASK_MODULES_H

#include "test_interp_builder.h"

/* Every channel/timer export of one module:
 *   producer(ch i32, n i64) -> i64      sends 0..n-1, returns n
 *   consumer(ch i32, n i64) -> i64      receives n values, returns their sum
 *   recv_one(ch i32) -> i64             one chan_receive
 *   send_one(ch i32, v i64) -> i32      one chan_send (its status)
 *   send_spin(ch i32, v i64) -> i32     one chan_send, then spins for ever
 *   relay(in i32, out i32, rounds i32) -> i32
 *                                       rounds times: receive v from in, send v+1 to out
 *   sleeper(ms i64) -> i32              sleep(ms), then 7
 *   yielder(n i32) -> i32               yields n times, returns n
 *   select3(a i32, b i32, c i32, timeout i64) -> i64
 *                                       select receiving on a, b, c (cases at address 0):
 *                                       -1 on timeout, else (index+1) * 1000000 + value,
 *                                       plus 500000 when the fired channel was closed
 *   spin() -> i32                       loop br 0 for ever
 *   deep(n i32) -> i32                  recurses n deep, then spins */
static inline tova_module *channel_module(void) {
  mod m = {0};
  uint32_t t_send = mod_type(&m, "iI", "i");
  uint32_t t_recv = mod_type(&m, "i", "I");
  uint32_t t_sleep = mod_type(&m, "I", "");
  uint32_t t_void = mod_type(&m, "", "");
  uint32_t t_select = mod_type(&m, "iiI", "i");
  uint32_t f_send = mod_import_func(&m, "tova", "chan_send", t_send);
  uint32_t f_recv = mod_import_func(&m, "tova", "chan_receive", t_recv);
  uint32_t f_sleep = mod_import_func(&m, "tova", "sleep", t_sleep);
  uint32_t f_yield = mod_import_func(&m, "tova", "yield", t_void);
  uint32_t f_select = mod_import_func(&m, "tova", "select", t_select);
  mod_memory(&m, 1, 1);
  wb b = {0};

  /* producer: local 2 = i */
  e_block(&b, WASM_OP_BLOCK, 0);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 2); e_get(&b, 1); e_op(&b, WASM_OP_I64_GE_S); e_opu(&b, WASM_OP_BR_IF, 1);
  e_get(&b, 0); e_get(&b, 2); e_opu(&b, WASM_OP_CALL, f_send); e_op(&b, WASM_OP_DROP);
  e_get(&b, 2); e_i64(&b, 1); e_op(&b, WASM_OP_I64_ADD); e_set(&b, 2);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END); e_op(&b, WASM_OP_END);
  e_get(&b, 1);
  mod_func(&m, mod_type(&m, "iI", "I"), "I", &b, "producer");
  wb_free(&b);

  /* consumer: local 2 = k, local 3 = sum */
  e_block(&b, WASM_OP_BLOCK, 0);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 2); e_get(&b, 1); e_op(&b, WASM_OP_I64_GE_S); e_opu(&b, WASM_OP_BR_IF, 1);
  e_get(&b, 3); e_get(&b, 0); e_opu(&b, WASM_OP_CALL, f_recv); e_op(&b, WASM_OP_I64_ADD); e_set(&b, 3);
  e_get(&b, 2); e_i64(&b, 1); e_op(&b, WASM_OP_I64_ADD); e_set(&b, 2);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END); e_op(&b, WASM_OP_END);
  e_get(&b, 3);
  mod_func(&m, mod_type(&m, "iI", "I"), "II", &b, "consumer");
  wb_free(&b);

  e_get(&b, 0); e_opu(&b, WASM_OP_CALL, f_recv);
  mod_func(&m, t_recv, "", &b, "recv_one");
  wb_free(&b);

  e_get(&b, 0); e_get(&b, 1); e_opu(&b, WASM_OP_CALL, f_send);
  mod_func(&m, t_send, "", &b, "send_one");
  wb_free(&b);

  /* send_spin(ch, v): sends v, then loops for ever (a waker that never parks) */
  e_get(&b, 0); e_get(&b, 1); e_opu(&b, WASM_OP_CALL, f_send); e_op(&b, WASM_OP_DROP);
  e_block(&b, WASM_OP_LOOP, 0); e_opu(&b, WASM_OP_BR, 0); e_op(&b, WASM_OP_END);
  e_i32(&b, 0);
  mod_func(&m, t_send, "", &b, "send_spin");
  wb_free(&b);

  /* relay: local 3 = r */
  e_block(&b, WASM_OP_BLOCK, 0);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 3); e_get(&b, 2); e_op(&b, WASM_OP_I32_GE_S); e_opu(&b, WASM_OP_BR_IF, 1);
  e_get(&b, 1);
  e_get(&b, 0); e_opu(&b, WASM_OP_CALL, f_recv); e_i64(&b, 1); e_op(&b, WASM_OP_I64_ADD);
  e_opu(&b, WASM_OP_CALL, f_send); e_op(&b, WASM_OP_DROP);
  e_get(&b, 3); e_i32(&b, 1); e_op(&b, WASM_OP_I32_ADD); e_set(&b, 3);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END); e_op(&b, WASM_OP_END);
  e_get(&b, 2);
  mod_func(&m, mod_type(&m, "iii", "i"), "i", &b, "relay");
  wb_free(&b);

  e_get(&b, 0); e_opu(&b, WASM_OP_CALL, f_sleep); e_i32(&b, 7);
  mod_func(&m, mod_type(&m, "I", "i"), "", &b, "sleeper");
  wb_free(&b);

  /* yielder: local 1 = k */
  e_block(&b, WASM_OP_BLOCK, 0);
  e_block(&b, WASM_OP_LOOP, 0);
  e_get(&b, 1); e_get(&b, 0); e_op(&b, WASM_OP_I32_GE_S); e_opu(&b, WASM_OP_BR_IF, 1);
  e_opu(&b, WASM_OP_CALL, f_yield);
  e_get(&b, 1); e_i32(&b, 1); e_op(&b, WASM_OP_I32_ADD); e_set(&b, 1);
  e_opu(&b, WASM_OP_BR, 0);
  e_op(&b, WASM_OP_END); e_op(&b, WASM_OP_END);
  e_get(&b, 0);
  mod_func(&m, mod_type(&m, "i", "i"), "i", &b, "yielder");
  wb_free(&b);

  /* select3: cases at 0, 16, 32: {ch, op = 0 (recv), value}; local 4 = index */
  for (uint32_t k = 0; k < 3; k++) {
    e_i32(&b, (int32_t)(16 * k)); e_get(&b, k); e_mem(&b, WASM_OP_I32_STORE, 2, 0);
    e_i32(&b, (int32_t)(16 * k)); e_i32(&b, 0); e_mem(&b, WASM_OP_I32_STORE, 2, 4);
  }
  e_i32(&b, 0); e_i32(&b, 3); e_get(&b, 3); e_opu(&b, WASM_OP_CALL, f_select); e_tee(&b, 4);
  e_i32(&b, 0); e_op(&b, WASM_OP_I32_LT_S);
  e_block(&b, WASM_OP_IF, 0); e_i64(&b, -1); e_op(&b, WASM_OP_RETURN); e_op(&b, WASM_OP_END);
  /* (index+1)*1e6 + value + 500000 * ((op >> 1) & 1) */
  e_get(&b, 4); e_i32(&b, 1); e_op(&b, WASM_OP_I32_ADD); e_op(&b, WASM_OP_I64_EXTEND_I32_S);
  e_i64(&b, 1000000); e_op(&b, WASM_OP_I64_MUL);
  e_get(&b, 4); e_i32(&b, 16); e_op(&b, WASM_OP_I32_MUL); e_mem(&b, WASM_OP_I64_LOAD, 3, 8);
  e_op(&b, WASM_OP_I64_ADD);
  e_get(&b, 4); e_i32(&b, 16); e_op(&b, WASM_OP_I32_MUL); e_mem(&b, WASM_OP_I32_LOAD, 2, 4);
  e_i32(&b, 1); e_op(&b, WASM_OP_I32_SHR_U); e_i32(&b, 1); e_op(&b, WASM_OP_I32_AND);
  e_op(&b, WASM_OP_I64_EXTEND_I32_U); e_i64(&b, 500000); e_op(&b, WASM_OP_I64_MUL);
  e_op(&b, WASM_OP_I64_ADD);
  mod_func(&m, mod_type(&m, "iiiI", "I"), "i", &b, "select3");
  wb_free(&b);

  e_block(&b, WASM_OP_LOOP, 0); e_opu(&b, WASM_OP_BR, 0); e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_UNREACHABLE);
  uint32_t t_spin = mod_type(&m, "", "i");
  mod_func(&m, t_spin, "", &b, "spin");
  wb_free(&b);

  /* deep(n): n == 0 ? spin : deep(n - 1) */
  uint32_t f_deep = m.nimport_funcs + m.nfunc;
  e_get(&b, 0); e_op(&b, WASM_OP_I32_EQZ);
  e_block(&b, WASM_OP_IF, 0);
  e_block(&b, WASM_OP_LOOP, 0); e_opu(&b, WASM_OP_BR, 0); e_op(&b, WASM_OP_END);
  e_op(&b, WASM_OP_END);
  e_get(&b, 0); e_i32(&b, 1); e_op(&b, WASM_OP_I32_SUB); e_opu(&b, WASM_OP_CALL, f_deep);
  mod_func(&m, mod_type(&m, "i", "i"), "", &b, "deep");
  wb_free(&b);
  return compile_mod(&m);
}

/* A module whose start function spins for ever; exports f() -> i32. */
static inline tova_module *spinning_start_module(void) {
  mod m = {0};
  wb b = {0};
  e_block(&b, WASM_OP_LOOP, 0); e_opu(&b, WASM_OP_BR, 0); e_op(&b, WASM_OP_END);
  uint32_t start = mod_func(&m, mod_type(&m, "", ""), "", &b, NULL);
  wb_free(&b);
  e_i32(&b, 1);
  mod_func(&m, mod_type(&m, "", "i"), "", &b, "f");
  wb_free(&b);
  /* mod_finish has no start section: splice one in after the export section. */
  size_t len;
  uint8_t *bytes = mod_finish(&m, &len);
  /* Sections are in id order; insert section 8 before section 10 (code). */
  size_t pos = 8;
  while (pos < len && bytes[pos] != 10) {
    size_t p = pos + 1, sz = 0, shift = 0;
    uint8_t c;
    do {
      c = bytes[p++];
      sz |= (size_t)(c & 0x7F) << shift;
      shift += 7;
    } while (c & 0x80);
    pos = p + sz;
  }
  uint8_t *out = malloc(len + 3);
  memcpy(out, bytes, pos);
  out[pos] = 8;
  out[pos + 1] = 1;
  out[pos + 2] = (uint8_t)start;
  memcpy(out + pos + 3, bytes + pos, len - pos);
  free(bytes);
  tova_module *mm = NULL;
  tova_error err;
  if (tova_module_compile(out, len + 3, &mm, &err) != TOVA_OK) {
    fprintf(stderr, "compile failed: %s\n", err.message);
    abort();
  }
  free(out);
  return mm;
}

#endif
