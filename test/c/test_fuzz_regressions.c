/* test_fuzz_regressions.c: replays every input in test/fuzz/regressions/
 * through the fuzz harness itself (the same code libFuzzer runs), so a crash
 * the fuzzer once found stays fixed. Run it under ASan+UBSan to catch what a
 * plain build would not. */
#include <dirent.h>

#include "../fuzz/fuzz_module.c"
#include "check.h"

static int replayed;

static void replay_dir(const char *dir) {
  DIR *d = opendir(dir);
  CHECK(d != NULL);
  if (!d) return;
  struct dirent *ent;
  while ((ent = readdir(d)) != NULL) {
    if (ent->d_name[0] == '.') continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f) continue;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;
    uint8_t chunk[4096];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
      if (len + n > cap) {
        cap = (len + n) * 2;
        buf = realloc(buf, cap);
        if (!buf) break;
      }
      memcpy(buf + len, chunk, n);
      len += n;
    }
    fclose(f);
    CHECK(LLVMFuzzerTestOneInput(buf ? buf : chunk, len) == 0);
    free(buf);
    replayed++;
  }
  closedir(d);
}

int main(void) {
  replay_dir(TOVA_SOURCE_DIR "/test/fuzz/regressions");
  fprintf(stderr, "replayed %d regression input(s)\n", replayed);
  CHECK(replayed > 0);
  return CHECK_DONE();
}
