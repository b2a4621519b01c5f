'use strict';
// Where prebuilt binaries live inside the package, and which of them fit the
// running process. The layout is prebuildify's, so node-gyp-build would pick
// the same file:
//   prebuilds/<platform>-<arch>/tova_runtime.napi[.glibc|.musl].node  (addon)
//   prebuilds/<platform>-<arch>/tova_llvm[.glibc|.musl].so             (its native tier:
//                                LLVM, loaded by the addon on first use; optional)
//   prebuilds/<platform>-<arch>/tova                                   (CLI)
// A file name is dot-separated tags; `napi` means "any Node-API runtime"
// (Node and Bun alike), `glibc`/`musl` name the C library of a Linux build.
// Tags this code does not know (the leading `tova_runtime`) are ignored.

const fs = require('fs');
const path = require('path');

const ADDON_BASE = 'tova_runtime';

/** prebuilds/<platform>-<arch> under root. */
function prebuildDir(root) {
  return path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
}

/** The C library of this Linux process ('glibc' or 'musl'), or null elsewhere.
 * Alpine (musl) is recognised the way node-gyp-build does it. */
function libc() {
  if (process.platform !== 'linux') return null;
  return fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc';
}

/** The file name `npm run prebuild` gives the addon built here. */
function addonFileName() {
  const c = libc();
  return `${ADDON_BASE}.napi${c ? '.' + c : ''}.node`;
}

/** The file name of the addon's LLVM backend in a prebuild folder: the
 * addon looks for tova_llvm.so, then tova_llvm.<libc>.so, beside itself
 * (src/engine/native/backend/loader.c). */
function backendFileName() {
  const c = libc();
  return `tova_llvm${c ? '.' + c : ''}.so`;
}

function parseTags(file) {
  const parts = file.split('.');
  if (parts.pop() !== 'node') return null;
  const tags = { file, napi: false, libc: null, specificity: 0 };
  for (const t of parts) {
    if (t === 'napi') tags.napi = true;
    else if (t === 'glibc' || t === 'musl') tags.libc = t;
    else continue;
    tags.specificity++;
  }
  return tags;
}

/** Addon prebuilds under root that fit this process, most specific first. */
function matchingAddons(root) {
  const dir = prebuildDir(root);
  let names;
  try {
    names = fs.readdirSync(dir);
  } catch (_) {
    return [];
  }
  const mine = libc();
  return names
    .map(parseTags)
    .filter((t) => t && t.napi && (!t.libc || t.libc === mine))
    .sort((a, b) => b.specificity - a.specificity || (a.file < b.file ? -1 : 1))
    .map((t) => path.join(dir, t.file));
}

/** The prebuilt CLI for this platform under root (may not exist). */
function cliPath(root) {
  return path.join(prebuildDir(root), process.platform === 'win32' ? 'tova.exe' : 'tova');
}

module.exports = { prebuildDir, libc, addonFileName, backendFileName, matchingAddons, cliPath };
