/*
 * decode.c: WebAssembly 2.0 binary -> tova_module (spec chapter 5).
 *
 * This file reads the header, walks the sections in their required order and
 * decodes the simple ones (custom, type, import, function, table, memory,
 * global, export, start, data count). Element, data and code sections and
 * constant expressions are in decode_segments.c. Index-space rules (type
 * indices, limits, ...) are the validator's job; the decoder only checks the
 * binary syntax, so malformed modules are always reported before invalid ones.
 */
#include <stdlib.h>
#include <string.h>

#include "decode.h"

/* Section ids in binary order and the rank they must appear in. */
enum {
  SEC_CUSTOM = 0, SEC_TYPE, SEC_IMPORT, SEC_FUNCTION, SEC_TABLE, SEC_MEMORY, SEC_GLOBAL,
  SEC_EXPORT, SEC_START, SEC_ELEMENT, SEC_CODE, SEC_DATA, SEC_DATACOUNT, SEC_COUNT
};

static const char *const section_names[SEC_COUNT] = {
    "custom", "type", "import", "function", "table", "memory", "global",
    "export", "start", "element", "code", "data", "datacount"};

/* The data count section (12) sits between element (9) and code (10). */
static const uint8_t section_rank[SEC_COUNT] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};

void *wasm_decoder_alloc(wasm_decoder *d, size_t n, size_t size) {
  if (n == 0) n = 1; /* always return a distinct pointer so NULL means failure */
  if (size && n > SIZE_MAX / size) {
    d->nomem = true;
    rd_fail(&d->r, "out of memory");
    return NULL;
  }
  void *p = calloc(n, size);
  if (!p) {
    d->nomem = true;
    rd_fail(&d->r, "out of memory");
  }
  return p;
}

bool wasm_decode_count(wasm_decoder *d, uint32_t *n, size_t min_size) {
  if (!rd_u32(&d->r, n)) return false;
  if ((uint64_t)*n * min_size > rd_left(&d->r)) return rd_fail(&d->r, WASM_MSG_EOF);
  return true;
}

/* Strict UTF-8 (no overlong forms, no surrogates, at most U+10FFFF). */
static bool utf8_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) { i++; continue; }
    size_t len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
    else return false;
    if (n - i < len) return false;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

/* A name: u32 length, UTF-8 bytes. */
static bool read_name(wasm_decoder *d, const char **name, uint32_t *len) {
  wasm_reader *r = &d->r;
  const uint8_t *at = r->p;
  if (!rd_u32(r, len)) return false;
  if (*len > rd_left(r)) return rd_fail_at(r, at, "length out of bounds");
  const uint8_t *s = NULL;
  rd_bytes(r, *len, &s);
  if (!utf8_valid(s, *len)) return rd_fail_at(r, at, "malformed UTF-8 encoding");
  *name = (const char *)s;
  return true;
}

static bool read_limits(wasm_decoder *d, wasm_limits *l) {
  uint64_t flag;
  /* The flag is a 1-bit LEB128 (so 0x81 0x00 is "too long", 0x02 "too large"). */
  if (!rd_uleb(&d->r, 1, &flag)) return false;
  l->has_max = flag == 1;
  if (!rd_u32(&d->r, &l->min)) return false;
  l->max = 0;
  if (l->has_max && !rd_u32(&d->r, &l->max)) return false;
  return true;
}

static bool read_tabletype(wasm_decoder *d, wasm_tabletype *t) {
  return wasm_read_reftype(&d->r, &t->elem) && read_limits(d, &t->limits);
}

static bool read_globaltype(wasm_decoder *d, wasm_globaltype *g) {
  if (!wasm_read_valtype(&d->r, &g->type)) return false;
  const uint8_t *at = d->r.p;
  uint8_t mut;
  if (!rd_byte(&d->r, &mut)) return false;
  if (mut > 1) return rd_fail_at(&d->r, at, "malformed mutability");
  g->mutable_ = mut == 1;
  return true;
}

/* A vector of value types; the bytes stay in the module copy, so the functype
 * points at them directly. */
static bool read_valtypes(wasm_decoder *d, uint32_t *n, const uint8_t **types) {
  const uint8_t *at = d->r.p;
  if (!wasm_decode_count(d, n, 1)) return false;
  if (*n > WASM_MAX_TYPE_ARITY)
    return rd_failf(&d->r, at, "function type with %u parameters or results (implementation limit %u)",
                    *n, WASM_MAX_TYPE_ARITY);
  *types = d->r.p;
  uint8_t t;
  for (uint32_t i = 0; i < *n; i++)
    if (!wasm_read_valtype(&d->r, &t)) return false;
  return true;
}

static bool decode_types(wasm_decoder *d) {
  tova_module *m = d->m;
  if (!wasm_decode_count(d, &m->ntypes, 1)) return false;
  if (!(m->types = wasm_decoder_alloc(d, m->ntypes, sizeof *m->types))) return false;
  for (uint32_t i = 0; i < m->ntypes; i++) {
    const uint8_t *at = d->r.p;
    int64_t form; /* encoded as a 7-bit signed LEB128: 0x60 is -0x20 */
    if (!rd_sleb(&d->r, 7, &form)) return false;
    if (form != -0x20) return rd_fail_at(&d->r, at, "malformed function type (0x60 expected)");
    tova_functype *ft = &m->types[i];
    if (!read_valtypes(d, &ft->nparams, &ft->params)) return false;
    if (!read_valtypes(d, &ft->nresults, &ft->results)) return false;
  }
  return true;
}

static bool decode_imports(wasm_decoder *d) {
  tova_module *m = d->m;
  if (!wasm_decode_count(d, &m->nimports, 1)) return false;
  if (!(m->imports = wasm_decoder_alloc(d, m->nimports, sizeof *m->imports))) return false;
  for (uint32_t i = 0; i < m->nimports; i++) {
    wasm_import *im = &m->imports[i];
    if (!read_name(d, &im->module, &im->module_len)) return false;
    if (!read_name(d, &im->name, &im->name_len)) return false;
    const uint8_t *at = d->r.p;
    if (!rd_byte(&d->r, &im->kind)) return false;
    switch (im->kind) {
      case TOVA_EXTERN_FUNC:
        if (!rd_u32(&d->r, &im->desc.type_index)) return false;
        m->nimported_funcs++;
        break;
      case TOVA_EXTERN_TABLE:
        if (!read_tabletype(d, &im->desc.table)) return false;
        m->nimported_tables++;
        break;
      case TOVA_EXTERN_MEMORY:
        if (!read_limits(d, &im->desc.memory)) return false;
        m->nimported_memories++;
        break;
      case TOVA_EXTERN_GLOBAL:
        if (!read_globaltype(d, &im->desc.global)) return false;
        m->nimported_globals++;
        break;
      default:
        return rd_fail_at(&d->r, at, "malformed import kind");
    }
  }
  return true;
}

static bool decode_functions(wasm_decoder *d) {
  tova_module *m = d->m;
  uint32_t n;
  if (!wasm_decode_count(d, &n, 1)) return false;
  m->nfuncs = m->nimported_funcs + n;
  if (m->nfuncs < n) return rd_fail(&d->r, "too many functions");
  if (!(m->func_types = wasm_decoder_alloc(d, m->nfuncs, sizeof *m->func_types))) return false;
  if (!(m->func_defs = wasm_decoder_alloc(d, n, sizeof *m->func_defs))) return false;
  for (uint32_t i = 0; i < n; i++) {
    if (!rd_u32(&d->r, &m->func_types[m->nimported_funcs + i])) return false;
    m->func_defs[i].type_index = m->func_types[m->nimported_funcs + i];
  }
  d->has_func_section = true;
  d->ndefined_funcs = n;
  return true;
}

static bool decode_tables(wasm_decoder *d) {
  tova_module *m = d->m;
  uint32_t n;
  if (!wasm_decode_count(d, &n, 1)) return false;
  m->ntables = m->nimported_tables + n;
  if (m->ntables < n) return rd_fail(&d->r, "too many tables");
  if (!(m->tables = wasm_decoder_alloc(d, m->ntables, sizeof *m->tables))) return false;
  for (uint32_t i = 0; i < n; i++)
    if (!read_tabletype(d, &m->tables[m->nimported_tables + i])) return false;
  return true;
}

static bool decode_memories(wasm_decoder *d) {
  tova_module *m = d->m;
  uint32_t n;
  if (!wasm_decode_count(d, &n, 1)) return false;
  m->nmemories = m->nimported_memories + n;
  if (m->nmemories < n) return rd_fail(&d->r, "too many memories");
  if (!(m->memories = wasm_decoder_alloc(d, m->nmemories, sizeof *m->memories))) return false;
  for (uint32_t i = 0; i < n; i++)
    if (!read_limits(d, &m->memories[m->nimported_memories + i])) return false;
  return true;
}

static bool decode_globals(wasm_decoder *d) {
  tova_module *m = d->m;
  uint32_t n;
  if (!wasm_decode_count(d, &n, 1)) return false;
  m->nglobals = m->nimported_globals + n;
  if (m->nglobals < n) return rd_fail(&d->r, "too many globals");
  if (!(m->global_types = wasm_decoder_alloc(d, m->nglobals, sizeof *m->global_types))) return false;
  if (!(m->global_defs = wasm_decoder_alloc(d, n, sizeof *m->global_defs))) return false;
  for (uint32_t i = 0; i < n; i++) {
    wasm_global_def *g = &m->global_defs[i];
    if (!read_globaltype(d, &g->type)) return false;
    if (!wasm_decode_constexpr(d, &g->init)) return false;
    m->global_types[m->nimported_globals + i] = g->type;
  }
  return true;
}

static bool decode_exports(wasm_decoder *d) {
  tova_module *m = d->m;
  if (!wasm_decode_count(d, &m->nexports, 1)) return false;
  if (!(m->exports = wasm_decoder_alloc(d, m->nexports, sizeof *m->exports))) return false;
  for (uint32_t i = 0; i < m->nexports; i++) {
    wasm_export *ex = &m->exports[i];
    if (!read_name(d, &ex->name, &ex->name_len)) return false;
    const uint8_t *at = d->r.p;
    if (!rd_byte(&d->r, &ex->kind)) return false;
    if (ex->kind > TOVA_EXTERN_GLOBAL) return rd_fail_at(&d->r, at, "malformed export kind");
    if (!rd_u32(&d->r, &ex->index)) return false;
  }
  return true;
}

/* Custom sections: the name must be valid UTF-8 and fit in the section; the
 * payload is skipped. Unlike other sections this one is read within its own
 * bounds (the spec tests expect "unexpected end" for a name past its end). */
static bool decode_custom(wasm_decoder *d, const uint8_t *section_end) {
  const uint8_t *saved_end = d->r.end;
  d->r.end = section_end;
  const char *name;
  uint32_t len;
  bool ok = read_name(d, &name, &len);
  d->r.end = saved_end;
  if (!ok) {
    /* A name longer than the section is cut short by the section's end. */
    if (d->r.error && !strcmp(d->r.error, "length out of bounds") && section_end < saved_end)
      d->r.error = WASM_MSG_EOF;
    return false;
  }
  d->r.p = section_end;
  return true;
}

/* Allocate whatever index space the module's sections did not: imported
 * entities only, then copy the imports' types in front. */
static bool finish_index_spaces(wasm_decoder *d) {
  tova_module *m = d->m;
  if (!m->func_types) {
    m->nfuncs = m->nimported_funcs;
    if (!(m->func_types = wasm_decoder_alloc(d, m->nfuncs, sizeof *m->func_types))) return false;
    if (!(m->func_defs = wasm_decoder_alloc(d, 0, sizeof *m->func_defs))) return false;
  }
  if (!m->tables) {
    m->ntables = m->nimported_tables;
    if (!(m->tables = wasm_decoder_alloc(d, m->ntables, sizeof *m->tables))) return false;
  }
  if (!m->memories) {
    m->nmemories = m->nimported_memories;
    if (!(m->memories = wasm_decoder_alloc(d, m->nmemories, sizeof *m->memories))) return false;
  }
  if (!m->global_types) {
    m->nglobals = m->nimported_globals;
    if (!(m->global_types = wasm_decoder_alloc(d, m->nglobals, sizeof *m->global_types))) return false;
    if (!(m->global_defs = wasm_decoder_alloc(d, 0, sizeof *m->global_defs))) return false;
  }
  uint32_t f = 0, t = 0, mem = 0, g = 0;
  for (uint32_t i = 0; i < m->nimports; i++) {
    const wasm_import *im = &m->imports[i];
    switch (im->kind) {
      case TOVA_EXTERN_FUNC: m->func_types[f++] = im->desc.type_index; break;
      case TOVA_EXTERN_TABLE: m->tables[t++] = im->desc.table; break;
      case TOVA_EXTERN_MEMORY: m->memories[mem++] = im->desc.memory; break;
      case TOVA_EXTERN_GLOBAL: m->global_types[g++] = im->desc.global; break;
    }
  }
  if (!m->elems && !(m->elems = wasm_decoder_alloc(d, 0, sizeof *m->elems))) return false;
  if (!m->datas && !(m->datas = wasm_decoder_alloc(d, 0, sizeof *m->datas))) return false;
  if (!m->imports && !(m->imports = wasm_decoder_alloc(d, 0, sizeof *m->imports))) return false;
  if (!m->exports && !(m->exports = wasm_decoder_alloc(d, 0, sizeof *m->exports))) return false;
  if (!m->types && !(m->types = wasm_decoder_alloc(d, 0, sizeof *m->types))) return false;
  return true;
}

static void declare_ref(tova_module *m, const wasm_constexpr *e) {
  if (e->kind == WASM_CONST_REF_FUNC && e->index < m->nfuncs) m->func_declared[e->index] = 1;
}

/* C.refs: functions referenced outside function bodies (exports, globals,
 * element segments) may be used by ref.func inside bodies. */
static bool collect_declared_refs(wasm_decoder *d) {
  tova_module *m = d->m;
  if (!(m->func_declared = wasm_decoder_alloc(d, m->nfuncs, 1))) return false;
  for (uint32_t i = 0; i < m->nglobals - m->nimported_globals; i++)
    declare_ref(m, &m->global_defs[i].init);
  for (uint32_t i = 0; i < m->nexports; i++)
    if (m->exports[i].kind == TOVA_EXTERN_FUNC && m->exports[i].index < m->nfuncs)
      m->func_declared[m->exports[i].index] = 1;
  for (uint32_t i = 0; i < m->nelems; i++)
    for (uint32_t k = 0; k < m->elems[i].count; k++) declare_ref(m, &m->elems[i].items[k]);
  return true;
}

static bool decode_sections(wasm_decoder *d) {
  wasm_reader *r = &d->r;
  tova_module *m = d->m;
  int last_rank = 0;
  while (!rd_eof(r)) {
    d->section = NULL;
    const uint8_t *at = r->p;
    uint8_t id;
    rd_byte(r, &id);
    if (id >= SEC_COUNT) return rd_fail_at(r, at, "malformed section id");
    d->section = section_names[id];
    uint32_t size;
    if (!rd_u32(r, &size)) return false;
    if (size > rd_left(r)) return rd_fail_at(r, at, "length out of bounds");
    const uint8_t *section_end = r->p + size;
    if (id != SEC_CUSTOM) {
      if (section_rank[id] <= last_rank)
        return rd_fail_at(r, at, "unexpected content after last section");
      last_rank = section_rank[id];
    }
    bool ok = true;
    switch (id) {
      case SEC_CUSTOM: ok = decode_custom(d, section_end); break;
      case SEC_TYPE: ok = decode_types(d); break;
      case SEC_IMPORT: ok = decode_imports(d); break;
      case SEC_FUNCTION: ok = decode_functions(d); break;
      case SEC_TABLE: ok = decode_tables(d); break;
      case SEC_MEMORY: ok = decode_memories(d); break;
      case SEC_GLOBAL: ok = decode_globals(d); break;
      case SEC_EXPORT: ok = decode_exports(d); break;
      case SEC_START:
        m->has_start = true;
        ok = rd_u32(r, &m->start);
        break;
      case SEC_ELEMENT: ok = wasm_decode_elem_section(d); break;
      case SEC_CODE: ok = wasm_decode_code_section(d); break;
      case SEC_DATA: ok = wasm_decode_data_section(d); break;
      case SEC_DATACOUNT:
        m->has_data_count = true;
        ok = rd_u32(r, &m->data_count);
        break;
    }
    if (!ok) return false;
    if (r->p != section_end) return rd_fail(r, "section size mismatch");
  }
  d->section = NULL;
  if (d->ndefined_funcs != d->ncode)
    return rd_fail(r, "function and code section have inconsistent lengths");
  if (m->has_data_count && m->data_count != m->ndatas)
    return rd_fail(r, "data count and data section have inconsistent lengths");
  if (d->data_index_use && !m->has_data_count && d->has_data_section) {
    d->section = section_names[SEC_CODE];
    d->in_body = false;
    return rd_fail_at(r, d->data_index_use, "data count section required (memory.init/data.drop)");
  }
  return true;
}

tova_status wasm_decode(const uint8_t *bytes, size_t len, tova_module **out, tova_error *err) {
  *out = NULL;
  tova_module *m = calloc(1, sizeof *m);
  if (!m) return tova_error_set(err, TOVA_ERR_NOMEM, "out of memory decoding module");
  atomic_init(&m->refcount, 1);
  m->bytes = malloc(len ? len : 1);
  if (!m->bytes) {
    free(m);
    return tova_error_set(err, TOVA_ERR_NOMEM, "out of memory decoding module");
  }
  if (len) memcpy(m->bytes, bytes, len);
  m->len = len;

  wasm_decoder d;
  memset(&d, 0, sizeof d);
  d.m = m;
  wasm_reader_init(&d.r, m->bytes, m->bytes, m->bytes + len);
  wasm_reader *r = &d.r;

  static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6D};
  static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
  const uint8_t *p;
  bool ok = false;
  if (len < 4) {
    rd_fail_at(r, r->end, "unexpected end (magic header)");
  } else if (rd_bytes(r, 4, &p), memcmp(p, magic, 4) != 0) {
    rd_fail_at(r, p, "magic header not detected");
  } else if (rd_left(r) < 4) {
    rd_fail_at(r, r->end, "unexpected end (binary version)");
  } else if (rd_bytes(r, 4, &p), memcmp(p, version, 4) != 0) {
    rd_fail_at(r, p, "unknown binary version");
  } else {
    ok = decode_sections(&d) && finish_index_spaces(&d) && collect_declared_refs(&d);
  }
  free(d.blocks);
  if (ok) {
    *out = m;
    return TOVA_OK;
  }
  tova_status st = d.nomem ? TOVA_ERR_NOMEM : r->status;
  if (d.section && d.in_body)
    tova_error_set(err, st, "section %s, function %u at offset %zu: %s", d.section, d.func_index,
                   r->error_at, r->error);
  else if (d.section)
    tova_error_set(err, st, "section %s at offset %zu: %s", d.section, r->error_at, r->error);
  else
    tova_error_set(err, st, "at offset %zu: %s", r->error_at, r->error);
  wasm_module_free(m);
  return st;
}
