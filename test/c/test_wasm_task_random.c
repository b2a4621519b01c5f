/* test_wasm_task_random.c: WebAssembly tasks under random concurrent use.
 * Hundreds of tasks on 2 workers send, receive and select on three channels
 * (capacities 0, 1, 2), some with deadlines, some cancelled from this
 * thread at random moments, while this thread also sends and receives;
 * at the end every task still waiting is cancelled. Checked: every task ends
 * (OK, CANCELLED or TIMEOUT, never anything else), no value is received
 * twice, none is received that was never sent, and the channels are still
 * usable and empty of waiters. Debug builds check the channel invariants at
 * every unlock; the TSan build runs it too. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "rt_test_util.h"
#include "wasm_task_modules.h"

#define NCH 3
#define NTASKS 400
#define MAXV 100000 /* values stay below select3's 500000 "closed" flag */

static _Atomic uint8_t sent[MAXV], got[MAXV];
static atomic_int dups, bogus;

static void note_recv(int64_t v) {
  if (v <= 0 || v >= MAXV) {
    atomic_fetch_add(&bogus, 1);
    return;
  }
  if (!atomic_load(&sent[v])) atomic_fetch_add(&bogus, 1);
  if (atomic_exchange(&got[v], 1)) atomic_fetch_add(&dups, 1);
}

static int received(void) {
  int n = 0;
  for (int v = 0; v < MAXV; v++) n += atomic_load(&got[v]);
  return n;
}

static uint32_t rnd(uint32_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 17;
  *x ^= *x << 5;
  return *x;
}

typedef enum { K_SEND, K_RECV, K_SELECT, K_SLEEP } kind;

static void test_random_tasks(void) {
  tova_module *m = channel_module();
  tova_runtime *rt = new_rt(2);
  latch done;
  latch_init(&done);
  tova_chan_id ch[NCH];
  for (int k = 0; k < NCH; k++) CHECK(tova_chan_create((uint32_t)k, &ch[k]) == TOVA_OK);
  tova_wasm_task *t[NTASKS];
  kind kinds[NTASKS];
  uint32_t r = 0x9e3779b9u;
  int64_t nextv = 1;
  for (int i = 0; i < NTASKS; i++) {
    int k = (int)(rnd(&r) % 4);
    kinds[i] = (kind)k;
    int64_t deadline = rnd(&r) % 4 == 0 ? 1 + rnd(&r) % 20 : 0;
    tova_chan_id c = ch[rnd(&r) % NCH];
    tova_val a[4];
    switch (kinds[i]) {
      case K_SEND:
        a[0].i32 = (int32_t)c;
        a[1].i64 = nextv;
        atomic_store(&sent[nextv++], 1);
        t[i] = spawn_wasm(rt, m, "send_one", a, 2, deadline, &done);
        break;
      case K_RECV:
        a[0].i32 = (int32_t)c;
        t[i] = spawn_wasm(rt, m, "recv_one", a, 1, deadline, &done);
        break;
      case K_SELECT:
        for (int j = 0; j < 3; j++) a[j].i32 = (int32_t)ch[rnd(&r) % NCH];
        a[3].i64 = rnd(&r) % 3 == 0 ? (int64_t)(rnd(&r) % 10) : -1; /* timeout */
        t[i] = spawn_wasm(rt, m, "select3", a, 4, deadline, &done);
        break;
      case K_SLEEP:
        a[0].i64 = rnd(&r) % 5;
        t[i] = spawn_wasm(rt, m, "sleeper", a, 1, deadline, &done);
        break;
    }
    /* Now and then: this thread sends, receives, or cancels an earlier task. */
    switch (rnd(&r) % 8) {
      case 0: {
        atomic_store(&sent[nextv], 1);
        if (tova_chan_try_send(ch[rnd(&r) % NCH], nextv) == TOVA_OK) nextv++;
        break;
      }
      case 1: {
        int64_t v;
        if (tova_chan_try_recv(ch[rnd(&r) % NCH], &v) == TOVA_OK) note_recv(v);
        break;
      }
      case 2: {
        tova_wasm_task *victim = t[rnd(&r) % (uint32_t)(i + 1)];
        if (victim) tova_wasm_task_cancel(victim, TOVA_ERR_CANCELLED);
        break;
      }
      case 3:
        if (rnd(&r) % 8 == 0) nap_ms(1);
        break;
      default: break;
    }
  }
  nap_ms(30);
  /* Drain what is buffered or offered, then end everything still waiting. */
  for (int round = 0; round < 3; round++) {
    int64_t v;
    for (int k = 0; k < NCH; k++)
      while (tova_chan_try_recv(ch[k], &v) == TOVA_OK) note_recv(v);
    nap_ms(5);
  }
  for (int i = 0; i < NTASKS; i++)
    if (t[i]) tova_wasm_task_cancel(t[i], TOVA_ERR_CANCELLED);
  latch_wait(&done, NTASKS);
  int odd = 0, ok = 0;
  for (int i = 0; i < NTASKS; i++) {
    if (!t[i]) continue;
    tova_status st = tova_wasm_task_status(t[i], NULL);
    if (st == TOVA_OK) {
      ok++;
      int64_t res = tova_wasm_task_results(t[i], NULL)[0].i64;
      if (kinds[i] == K_RECV && res != INT64_MIN) note_recv(res);
      if (kinds[i] == K_SELECT && res >= 1000000) {
        int64_t v = res % 1000000;
        if (v < 500000) note_recv(v); /* not the "closed" flag */
      }
    } else if (st != TOVA_ERR_CANCELLED && st != TOVA_ERR_TIMEOUT) {
      odd++;
    }
    tova_wasm_task_release(t[i]);
  }
  if (getenv("TOVA_TEST_VERBOSE"))
    fprintf(stderr, "%d of %d tasks ended OK, %d values received\n", ok, NTASKS, received());
  CHECK_EQ_I64(odd, 0);
  CHECK(ok > 0);
  CHECK_EQ_I64(atomic_load(&dups), 0);
  CHECK_EQ_I64(atomic_load(&bogus), 0);
  /* Nothing is left waiting on the channels, and they still work. */
  for (int k = 0; k < NCH; k++) {
    int64_t v;
    while (tova_chan_try_recv(ch[k], &v) == TOVA_OK) note_recv(v);
    CHECK(tova_chan_try_recv(ch[k], &v) == TOVA_ERR_EMPTY);
    if (k > 0) {
      CHECK(tova_chan_try_send(ch[k], 1) == TOVA_OK);
      CHECK(tova_chan_try_recv(ch[k], &v) == TOVA_OK && v == 1);
    } else {
      CHECK(tova_chan_try_send(ch[k], 1) == TOVA_ERR_FULL); /* no parked receiver left */
    }
    tova_chan_close(ch[k]);
  }
  CHECK_EQ_I64(atomic_load(&dups), 0);
  tova_runtime_free(rt);
  tova_module_release(m);
  latch_destroy(&done);
}

int main(void) {
  RUN(test_random_tasks);
  return CHECK_DONE();
}
