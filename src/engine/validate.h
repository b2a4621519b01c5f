/*
 * validate.h: internals shared by the module validator (validate.c) and the
 * function body validator (validate_code.c).
 */
#ifndef TOVA_ENGINE_VALIDATE_H
#define TOVA_ENGINE_VALIDATE_H

#include "module.h"

/* Reusable state (operand and control stacks) for validating bodies. */
typedef struct wasm_code_validator wasm_code_validator;
wasm_code_validator *wasm_code_validator_new(void);
void wasm_code_validator_free(wasm_code_validator *v);

/* Validate the body of defined function func_index (index space incl.
 * imports). Needs the module-level parts already checked (types of
 * functions in range). Errors: "function N at offset O: rule". */
tova_status wasm_validate_function(wasm_code_validator *v, const tova_module *m,
                                   uint32_t func_index, tova_error *err);

#endif /* TOVA_ENGINE_VALIDATE_H */
