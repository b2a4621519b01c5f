# cmake -DIN=file -DOUT=file.c -P embed_object.cmake: IN's bytes as a C array
# (the stencil tier's object file, src/engine/stencil/library.c).
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR bytes "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" body "${body}")
file(WRITE ${OUT} "/* Generated from ${IN} by src/engine/stencil/embed_object.cmake. */\n#include <stddef.h>\n"
  "_Alignas(64) const unsigned char wasm_stencil_object[] = {\n${body}\n};\n"
  "const size_t wasm_stencil_object_len = ${bytes};\n")
