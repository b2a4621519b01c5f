/*
 * elf_format.h: the parts of the ELF-64 format (the System V gABI, little
 * endian) that the engine reads (elf_reader.h) and patches: the stencil
 * tier's object (stencil/library.c, stencil/reloc.c) and the native tier's
 * compiled units (native/objlink.c). The stencils are an ELF object also
 * where the system's own objects are not (macOS), so the format is spelled
 * out here instead of taken from a system <elf.h> some systems lack.
 */
#ifndef TOVA_ENGINE_ELF_FORMAT_H
#define TOVA_ENGINE_ELF_FORMAT_H

#include <stdint.h>

typedef struct wasm_elf_ehdr {
  unsigned char ident[16]; /* magic, class, data encoding, version, ABI */
  uint16_t type, machine;
  uint32_t version;
  uint64_t entry, phoff, shoff;
  uint32_t flags;
  uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} wasm_elf_ehdr;

typedef struct wasm_elf_shdr {
  uint32_t name, type;
  uint64_t flags, addr, offset, size;
  uint32_t link, info;
  uint64_t addralign, entsize;
} wasm_elf_shdr;

typedef struct wasm_elf_sym {
  uint32_t name;
  unsigned char info, other;
  uint16_t shndx;
  uint64_t value, size;
} wasm_elf_sym;

typedef struct wasm_elf_rela {
  uint64_t offset, info;
  int64_t addend;
} wasm_elf_rela;

#define WASM_ELF_CLASS64 2  /* ident[4] */
#define WASM_ELF_DATA_LSB 1 /* ident[5] */
#define WASM_ELF_REL 1      /* type: a relocatable object */
#define WASM_ELF_X86_64 62  /* machine */
#define WASM_ELF_AARCH64 183

#define WASM_ELF_SHT_NULL 0
#define WASM_ELF_SHT_PROGBITS 1
#define WASM_ELF_SHT_SYMTAB 2
#define WASM_ELF_SHT_STRTAB 3
#define WASM_ELF_SHT_RELA 4
#define WASM_ELF_SHT_NOBITS 8
#define WASM_ELF_SHT_REL 9
#define WASM_ELF_SHT_X86_64_UNWIND 0x70000001u
#define WASM_ELF_SHF_WRITE 0x1u
#define WASM_ELF_SHF_ALLOC 0x2u
#define WASM_ELF_SHF_EXECINSTR 0x4u
#define WASM_ELF_SHF_TLS 0x400u
#define WASM_ELF_SHN_UNDEF 0
#define WASM_ELF_SHN_ABS 0xfff1u
#define WASM_ELF_SHN_COMMON 0xfff2u
#define WASM_ELF_STB_LOCAL 0
#define WASM_ELF_STT_OBJECT 1
#define WASM_ELF_STT_FUNC 2

#define WASM_ELF_SYM_TYPE(info) ((info) & 0xfu)
#define WASM_ELF_SYM_BIND(info) ((info) >> 4)
#define WASM_ELF_RELA_SYM(info) ((uint32_t)((info) >> 32))
#define WASM_ELF_RELA_TYPE(info) ((uint32_t)(info))

/* Relocation types (the psABIs of the two machines). */
#define WASM_R_X86_64_NONE 0
#define WASM_R_X86_64_64 1
#define WASM_R_X86_64_PC32 2
#define WASM_R_X86_64_PLT32 4
#define WASM_R_X86_64_GOTPCREL 9
#define WASM_R_X86_64_32 10
#define WASM_R_X86_64_32S 11
#define WASM_R_X86_64_PC64 24
#define WASM_R_X86_64_GOTPCRELX 41
#define WASM_R_X86_64_REX_GOTPCRELX 42

#define WASM_R_AARCH64_ABS64 257
#define WASM_R_AARCH64_MOVW_UABS_G0 263
#define WASM_R_AARCH64_ADR_PREL_PG_HI21 275
#define WASM_R_AARCH64_ADD_ABS_LO12_NC 277
#define WASM_R_AARCH64_LDST8_ABS_LO12_NC 278
#define WASM_R_AARCH64_TSTBR14 279
#define WASM_R_AARCH64_CONDBR19 280
#define WASM_R_AARCH64_JUMP26 282
#define WASM_R_AARCH64_CALL26 283
#define WASM_R_AARCH64_LDST16_ABS_LO12_NC 284
#define WASM_R_AARCH64_LDST32_ABS_LO12_NC 285
#define WASM_R_AARCH64_LDST64_ABS_LO12_NC 286
#define WASM_R_AARCH64_LDST128_ABS_LO12_NC 299

#endif /* TOVA_ENGINE_ELF_FORMAT_H */
