/* test_wasm_task.c: WebAssembly tasks of the runtime: parking on channels,
 * sleeps, selects, cancellation of every kind, deadlines, deadlock reports,
 * shutdown. Each test reads like the behaviour it specifies. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "check.h"
#include "maps_count.h"
#include "platform/platform.h" /* the memory pool's count */
#include "rt_test_util.h"
#include "wasm_task_modules.h"

static tova_module *M; /* channel_module() */

/* ---- helpers --------------------------------------------------------------- */

static int64_t result_i64(tova_wasm_task *t) {
  tova_error err;
  tova_status st = tova_wasm_task_status(t, &err);
  if (st != TOVA_OK) {
    fprintf(stderr, "task %s failed: %s\n", t ? "" : "(null)", err.message);
    return INT64_MIN + 1;
  }
  return tova_wasm_task_results(t, NULL)[0].i64;
}

/* Linear memories alive in the process (the memory pool's count). */
static size_t pool_live(void) {
  tova_vslot_stats st;
  tova_vslot_stats_get(&st);
  return st.live;
}

/* ---- tests ------------------------------------------------------------------ */

static void producer_consumer(uint32_t capacity) {
  tova_runtime *rt = new_rt(2);
  tova_chan_id ch;
  CHECK(tova_chan_create(capacity, &ch) == TOVA_OK);
  int64_t n = 20000;
  latch done;
  latch_init(&done);
  tova_val args[2] = {{.i32 = (int32_t)ch}, {.i64 = n}};
  tova_wasm_task *c = spawn_wasm(rt, M, "consumer", args, 2, 0, &done);
  tova_wasm_task *p = spawn_wasm(rt, M, "producer", args, 2, 0, &done);
  latch_wait(&done, 2);
  CHECK_EQ_I64(result_i64(p), n);
  CHECK_EQ_I64(result_i64(c), n * (n - 1) / 2);
  tova_wasm_task_release(p);
  tova_wasm_task_release(c);
  tova_runtime_free(rt);
  latch_destroy(&done);
}

static void test_producer_consumer_capacity_1(void) { producer_consumer(1); }
static void test_producer_consumer_unbuffered(void) { producer_consumer(0); }

/* 10,000 tasks each parked on its own channel, on 2 workers, released one by
 * one in reverse order: each gets exactly its own value. */
static void test_many_parked_released_in_reverse(void) {
  tova_runtime *rt = new_rt(2);
  size_t n = 10000;
  tova_chan_id *ch = calloc(n, sizeof *ch);
  tova_wasm_task **t = calloc(n, sizeof *t);
  latch done;
  latch_init(&done);
  for (size_t i = 0; i < n; i++) {
    CHECK(tova_chan_create(0, &ch[i]) == TOVA_OK);
    tova_val a = {.i32 = (int32_t)ch[i]};
    t[i] = spawn_wasm(rt, M, "recv_one", &a, 1, 0, &done);
  }
  wait_all_blocked(rt);
  CHECK_EQ_I64(latch_get(&done), 0);
  for (size_t i = n; i-- > 0;) {
    /* Unbuffered: the try-send succeeds only because the task is parked. */
    CHECK(tova_chan_try_send(ch[i], (int64_t)i * 3) == TOVA_OK);
  }
  latch_wait(&done, (int64_t)n);
  for (size_t i = 0; i < n; i++) {
    CHECK_EQ_I64(result_i64(t[i]), (int64_t)i * 3);
    tova_wasm_task_release(t[i]);
  }
  tova_runtime_free(rt);
  latch_destroy(&done);
  free(ch);
  free(t);
}

/* A ring of 1,000 tasks passes a token 100 times round: each hop adds one. */
static void test_ring_of_tasks(void) {
  tova_runtime *rt = new_rt(2);
  size_t n = 1000;
  int32_t rounds = 100;
  tova_chan_id *ch = calloc(n, sizeof *ch);
  tova_wasm_task **t = calloc(n, sizeof *t);
  latch done;
  latch_init(&done);
  for (size_t i = 0; i < n; i++) CHECK(tova_chan_create(i == 0 ? 1 : 0, &ch[i]) == TOVA_OK);
  for (size_t i = 0; i < n; i++) {
    tova_val a[3] = {{.i32 = (int32_t)ch[i]}, {.i32 = (int32_t)ch[(i + 1) % n]}, {.i32 = rounds}};
    t[i] = spawn_wasm(rt, M, "relay", a, 3, 0, &done);
  }
  CHECK(tova_chan_try_send(ch[0], 0) == TOVA_OK);
  latch_wait(&done, (int64_t)n);
  int64_t token = -1;
  CHECK(tova_chan_try_recv(ch[0], &token) == TOVA_OK);
  CHECK_EQ_I64(token, (int64_t)n * rounds);
  for (size_t i = 0; i < n; i++) {
    CHECK_EQ_I64(tova_wasm_task_results(t[i], NULL)[0].i32, rounds);
    tova_wasm_task_release(t[i]);
  }
  tova_runtime_free(rt);
  latch_destroy(&done);
  free(ch);
  free(t);
}

/* `trials` selects receiving from the n channels ch[] (each value sent is
 * its channel's number), hits[k] counting how often case k fired. */
static void select_many(const tova_chan_id *ch, int n, int trials, int *hits) {
  for (int i = 0; i < trials; i++) {
    tova_select_case c[4];
    for (int k = 0; k < n; k++) c[k] = (tova_select_case){ch[k], TOVA_SELECT_RECV, -1, TOVA_PENDING};
    int index = -2;
    CHECK(tova_select_start(NULL, c, (size_t)n, 0, NULL, NULL, &index, NULL) == TOVA_OK);
    if (index < 0 || index >= n) {
      CHECK(index >= 0 && index < n);
      return;
    }
    CHECK_EQ_I64(c[index].value, index);
    hits[index]++;
  }
}

/* hits within 6 standard deviations of a binomial's mean (trials, p): a
 * bound that fails only when the choice is biased. */
static void check_binomial(int hits, int trials, double p, int k) {
  double mean = trials * p, sd = sqrt(trials * p * (1 - p));
  if (hits < mean - 6 * sd || hits > mean + 6 * sd)
    fprintf(stderr, "select picked case %d %d times of %d (expected about %.0f)\n", k, hits, trials, mean);
  CHECK(hits >= mean - 6 * sd && hits <= mean + 6 * sd);
}

/* Select over 3 always-ready channels picks each about a third of the time;
 * over two ready among four, not next to each other, each of the two half
 * the time (a random starting point, scanning on to the first ready case,
 * would pick case 0 three times in four). */
static void test_select_fairness(void) {
  int trials = 30000;
  tova_chan_id ch[4];
  int hits[4] = {0, 0, 0, 0};
  for (int k = 0; k < 3; k++) CHECK(tova_chan_create((uint32_t)trials, &ch[k]) == TOVA_OK);
  for (int i = 0; i < trials; i++)
    for (int k = 0; k < 3; k++) CHECK(tova_chan_try_send(ch[k], k) == TOVA_OK);
  select_many(ch, 3, trials, hits);
  for (int k = 0; k < 3; k++) check_binomial(hits[k], trials, 1.0 / 3, k);
  for (int k = 0; k < 3; k++) tova_chan_close(ch[k]);

  memset(hits, 0, sizeof hits);
  for (int k = 0; k < 4; k++) CHECK(tova_chan_create((uint32_t)trials, &ch[k]) == TOVA_OK);
  for (int i = 0; i < trials; i++) {
    CHECK(tova_chan_try_send(ch[0], 0) == TOVA_OK);
    CHECK(tova_chan_try_send(ch[2], 2) == TOVA_OK);
  }
  select_many(ch, 4, trials, hits);
  CHECK_EQ_I64(hits[1] + hits[3], 0);
  check_binomial(hits[0], trials, 0.5, 0);
  for (int k = 0; k < 4; k++) tova_chan_close(ch[k]);
}

/* A receive that completed before a cancel is not undone by it: the value
 * was handed to the task (the sender saw it taken), so the task resumes with
 * it and returns it. One worker, kept busy by a spinning task, so that the
 * woken receiver cannot run before the cancel. */
static void test_cancel_after_a_completed_receive(void) {
  tova_runtime *rt = new_rt(1);
  latch done;
  latch_init(&done);
  tova_chan_id ch;
  CHECK(tova_chan_create(0, &ch) == TOVA_OK);
  tova_val a = {.i32 = (int32_t)ch};
  tova_wasm_task *recv = spawn_wasm(rt, M, "recv_one", &a, 1, 0, &done);
  wait_all_blocked(rt); /* parked in chan_receive */
  tova_wasm_task *spin = spawn_wasm(rt, M, "spin", NULL, 0, 0, &done);
  nap_ms(20); /* the spinner holds the only worker */
  CHECK(tova_chan_try_send(ch, 42) == TOVA_OK); /* handed to the parked receiver */
  tova_wasm_task_cancel(recv, TOVA_ERR_CANCELLED); /* too late to withdraw the receive */
  tova_wasm_task_cancel(spin, TOVA_ERR_CANCELLED);
  latch_wait(&done, 2);
  CHECK_EQ_I64(tova_wasm_task_status(spin, NULL), TOVA_ERR_CANCELLED);
  CHECK_EQ_I64(tova_wasm_task_status(recv, NULL), TOVA_OK);
  CHECK_EQ_I64(tova_wasm_task_results(recv, NULL)[0].i64, 42);
  tova_wasm_task_release(recv);
  tova_wasm_task_release(spin);
  tova_chan_close(ch);
  tova_runtime_free(rt);
  latch_destroy(&done);
}

static void on_select_done(tova_select *sel, void *userdata, int index, tova_status status) {
  (void)sel;
  (void)status;
  *(int *)userdata = index;
}

/* A select that sends and receives on the same unbuffered channel never
 * meets itself (as in Go): it waits, with a waiter in both of the channel's
 * queues, and a peer completes exactly one of its cases. Debug builds check
 * the channel's invariants at every unlock. */
static void test_select_on_one_channel_both_ways(void) {
  for (int peer_sends = 0; peer_sends < 2; peer_sends++) {
    tova_chan_id ch;
    CHECK(tova_chan_create(0, &ch) == TOVA_OK);
    tova_select_case c[2] = {{ch, TOVA_SELECT_RECV, 0, TOVA_PENDING},
                             {ch, TOVA_SELECT_SEND, 7, TOVA_PENDING}};
    int index = -2, fired = -2;
    tova_select *sel = NULL;
    CHECK(tova_select_start(NULL, c, 2, -1, on_select_done, &fired, &index, &sel) == TOVA_PENDING);
    CHECK_EQ_I64(fired, -2); /* it did not rendezvous with itself */
    if (peer_sends) {
      CHECK(tova_chan_try_send(ch, 5) == TOVA_OK); /* taken by the receive case */
      CHECK_EQ_I64(fired, 0);
      CHECK_EQ_I64(c[0].value, 5);
    } else {
      int64_t v = 0;
      CHECK(tova_chan_try_recv(ch, &v) == TOVA_OK); /* from the send case */
      CHECK_EQ_I64(fired, 1);
      CHECK_EQ_I64(v, 7);
    }
    /* The other case was withdrawn: nothing is left waiting. */
    int64_t v = 0;
    CHECK(tova_chan_try_send(ch, 1) == TOVA_ERR_FULL);
    CHECK(tova_chan_try_recv(ch, &v) == TOVA_ERR_EMPTY);
    tova_select_release(sel);
    tova_chan_close(ch);
  }
}

/* A WebAssembly select: parks until one channel is ready, gets that value;
 * times out with -1; sees a closed channel as ready, flagged. */
static void test_wasm_select(void) {
  tova_runtime *rt = new_rt(2);
  tova_chan_id a, b, c;
  CHECK(tova_chan_create(0, &a) == TOVA_OK);
  CHECK(tova_chan_create(0, &b) == TOVA_OK);
  CHECK(tova_chan_create(0, &c) == TOVA_OK);
  latch done;
  latch_init(&done);
  tova_val args[4] = {{.i32 = (int32_t)a}, {.i32 = (int32_t)b}, {.i32 = (int32_t)c}, {.i64 = -1}};
  tova_wasm_task *t = spawn_wasm(rt, M, "select3", args, 4, 0, &done);
  wait_all_blocked(rt);
  CHECK(tova_chan_try_send(b, 42) == TOVA_OK); /* the parked select takes it */
  latch_wait(&done, 1);
  CHECK_EQ_I64(result_i64(t), 2 * 1000000 + 42);
  tova_wasm_task_release(t);
  /* Its other cases were withdrawn: nobody is left receiving on a or c. */
  CHECK(tova_chan_try_send(a, 1) == TOVA_ERR_FULL);
  CHECK(tova_chan_try_send(c, 1) == TOVA_ERR_FULL);

  args[3].i64 = 20; /* nothing will come: timeout */
  t = spawn_wasm(rt, M, "select3", args, 4, 0, &done);
  latch_wait(&done, 2);
  CHECK_EQ_I64(result_i64(t), -1);
  tova_wasm_task_release(t);

  args[3].i64 = -1;
  t = spawn_wasm(rt, M, "select3", args, 4, 0, &done);
  wait_all_blocked(rt);
  CHECK(tova_chan_close(c) == TOVA_OK);
  latch_wait(&done, 3);
  CHECK_EQ_I64(result_i64(t), 3 * 1000000 + 500000);
  tova_wasm_task_release(t);
  tova_chan_close(a);
  tova_chan_close(b);
  tova_runtime_free(rt);
  latch_destroy(&done);
}

static void test_sleep_and_yield(void) {
  tova_runtime *rt = new_rt(2);
  latch done;
  latch_init(&done);
  tova_val ms = {.i64 = 30};
  int64_t t0 = tova_now_ms();
  tova_wasm_task *s = spawn_wasm(rt, M, "sleeper", &ms, 1, 0, &done);
  tova_val n = {.i32 = 1000};
  tova_wasm_task *y = spawn_wasm(rt, M, "yielder", &n, 1, 0, &done);
  latch_wait(&done, 2);
  CHECK_EQ_I64(tova_wasm_task_results(s, NULL)[0].i32, 7);
  CHECK_EQ_I64(tova_wasm_task_results(y, NULL)[0].i32, 1000);
  /* A sleep never ends early (a lower bound, not a timing assertion). */
  CHECK(tova_now_ms() - t0 >= 30);
  tova_wasm_task_release(s);
  tova_wasm_task_release(y);
  tova_runtime_free(rt);
  latch_destroy(&done);
}

/* The process's threads (Linux: /proc/self/task), or -1 where unknown. */
static int count_threads(void) {
#if defined(__linux__)
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  int n = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "Threads: %d", &n) == 1) break;
  fclose(f);
  return n;
#else
  return -1;
#endif
}

/* Sleeps and select timeouts share the runtime's one timer structure: many
 * sleeping tasks start no thread of their own (at most the timer's, once,
 * and the native tier's compiler, which a hot function may start). */
static void test_sleeps_start_no_threads(void) {
  tova_runtime *rt = new_rt(2);
  latch done;
  latch_init(&done);
  int n = 2000, before = count_threads();
  tova_val ms = {.i64 = 200};
  tova_wasm_task **t = calloc((size_t)n, sizeof *t);
  for (int i = 0; i < n; i++) t[i] = spawn_wasm(rt, M, "sleeper", &ms, 1, 0, &done);
  nap_ms(50); /* most are asleep by now (the assertion holds either way) */
  int during = count_threads();
  if (before >= 0) CHECK(during - before <= 2);
  latch_wait(&done, (unsigned)n);
  for (int i = 0; i < n; i++) {
    CHECK_EQ_I64(tova_wasm_task_results(t[i], NULL)[0].i32, 7);
    tova_wasm_task_release(t[i]);
  }
  free(t);
  tova_runtime_free(rt);
  latch_destroy(&done);
}

/* Every kind of task stops when cancelled, with TOVA_ERR_CANCELLED. */
static void test_cancel_every_kind(void) {
  size_t live_before = pool_live();
  tova_runtime *rt = new_rt(2);
  tova_module *start_spin = spinning_start_module();
  tova_chan_id ch, sel_ch;
  CHECK(tova_chan_create(0, &ch) == TOVA_OK);
  CHECK(tova_chan_create(0, &sel_ch) == TOVA_OK);
  latch done;
  latch_init(&done);
  tova_val a_ch = {.i32 = (int32_t)ch};
  tova_val a_deep = {.i32 = 5000};
  tova_val a_sleep = {.i64 = 1000000000};
  tova_val a_sel[4] = {{.i32 = (int32_t)sel_ch}, {.i32 = (int32_t)sel_ch}, {.i32 = (int32_t)sel_ch}, {.i64 = -1}};
  tova_wasm_task *t[6];
  /* The two that park on channels first: wait_all_blocked sees them parked. */
  t[2] = spawn_wasm(rt, M, "recv_one", &a_ch, 1, 0, &done);
  t[4] = spawn_wasm(rt, M, "select3", a_sel, 4, 0, &done);
  wait_all_blocked(rt);
  t[0] = spawn_wasm(rt, M, "spin", NULL, 0, 0, &done);
  t[1] = spawn_wasm(rt, M, "deep", &a_deep, 1, 0, &done);
  t[3] = spawn_wasm(rt, M, "sleeper", &a_sleep, 1, 0, &done);
  t[5] = spawn_wasm(rt, start_spin, "f", NULL, 0, 0, &done);
  nap_ms(50); /* let them start, spin, recurse and park (no assertion depends on it) */
  CHECK_EQ_I64(latch_get(&done), 0);
  for (int i = 0; i < 6; i++) tova_wasm_task_cancel(t[i], TOVA_ERR_CANCELLED);
  latch_wait(&done, 6);
  for (int i = 0; i < 6; i++) {
    tova_error err;
    CHECK(tova_wasm_task_status(t[i], &err) == TOVA_ERR_CANCELLED);
    CHECK_STR_CONTAINS(err.message, "cancelled");
    tova_wasm_task_release(t[i]);
  }
  /* The channels stay consistent: the withdrawn receivers take nothing. */
  CHECK(tova_chan_try_send(ch, 1) == TOVA_ERR_FULL);
  CHECK(tova_chan_try_send(sel_ch, 1) == TOVA_ERR_FULL);
  /* done runs just before a task stops counting as active: poll briefly. */
  for (int i = 0; i < 5000 && tova_runtime_wasm_active(rt); i++) nap_ms(1);
  CHECK(!tova_runtime_wasm_active(rt));
  tova_module_release(start_spin);
  tova_runtime_free(rt);
  latch_destroy(&done);
  /* Each released its instance and its memory. */
  CHECK_EQ_I64((int64_t)pool_live(), (int64_t)live_before);
}

static void test_deadline(void) {
  tova_runtime *rt = new_rt(2);
  latch done;
  latch_init(&done);
  tova_chan_id ch;
  CHECK(tova_chan_create(0, &ch) == TOVA_OK);
  tova_val a_ch = {.i32 = (int32_t)ch};
  tova_wasm_task *spin = spawn_wasm(rt, M, "spin", NULL, 0, 20, &done);
  tova_wasm_task *parked = spawn_wasm(rt, M, "recv_one", &a_ch, 1, 20, &done);
  tova_wasm_task *quick = spawn_wasm(rt, M, "send_one", (tova_val[]){{.i32 = 999999}, {.i64 = 0}}, 2, 10000, &done);
  /* Every other kind of task of test_cancel_every_kind, under a deadline:
   * deep in recursion, sleeping, in a select, in a start function. */
  tova_module *start_spin = spinning_start_module();
  tova_val a_deep = {.i32 = 5000}, a_sleep = {.i64 = 1000000000};
  tova_val a_sel[4] = {{.i32 = (int32_t)ch}, {.i32 = (int32_t)ch}, {.i32 = (int32_t)ch}, {.i64 = -1}};
  tova_wasm_task *more[4] = {
      spawn_wasm(rt, M, "deep", &a_deep, 1, 20, &done),
      spawn_wasm(rt, M, "sleeper", &a_sleep, 1, 20, &done),
      spawn_wasm(rt, M, "select3", a_sel, 4, 20, &done),
      spawn_wasm(rt, start_spin, "f", NULL, 0, 20, &done),
  };
  latch_wait(&done, 7);
  tova_error err;
  CHECK(tova_wasm_task_status(spin, &err) == TOVA_ERR_TIMEOUT);
  CHECK_STR_CONTAINS(err.message, "timed out");
  CHECK(tova_wasm_task_status(parked, &err) == TOVA_ERR_TIMEOUT);
  for (int i = 0; i < 4; i++) {
    CHECK_EQ_I64(tova_wasm_task_status(more[i], &err), TOVA_ERR_TIMEOUT);
    tova_wasm_task_release(more[i]);
  }
  tova_module_release(start_spin);
  /* The channel stays consistent: the withdrawn receivers take nothing. */
  CHECK(tova_chan_try_send(ch, 1) == TOVA_ERR_FULL);
  /* An unknown channel: chan_send gives -1, and a finished task's deadline
   * never fires. */
  CHECK(tova_wasm_task_status(quick, &err) == TOVA_OK);
  CHECK_EQ_I64(tova_wasm_task_results(quick, NULL)[0].i32, -1);
  tova_wasm_task_release(spin);
  tova_wasm_task_release(parked);
  tova_wasm_task_release(quick);
  tova_runtime_free(rt);
  latch_destroy(&done);
}

/* All tasks asleep on channels: reported, each task named with its channel. */
static void test_deadlock_report(void) {
  tova_runtime *rt = new_rt(2);
  latch done;
  latch_init(&done);
  tova_chan_id ch;
  CHECK(tova_chan_create(0, &ch) == TOVA_OK);
  tova_val args[2] = {{.i32 = (int32_t)ch}, {.i64 = 3}};
  tova_wasm_task *c = spawn_wasm(rt, M, "consumer", args, 2, 0, &done);
  wait_all_blocked(rt);
  char report[512];
  CHECK_EQ_I64(tova_runtime_deadlock(rt, report, sizeof report), 1);
  CHECK_STR_CONTAINS(report, "consumer");
  latch_wait(&done, 1);
  tova_error err;
  CHECK(tova_wasm_task_status(c, &err) == TOVA_ERR_DEADLOCK);
  CHECK_STR_CONTAINS(err.message, "consumer");
  CHECK_STR_CONTAINS(err.message, "receive");
  char chname[32], task[48];
  snprintf(chname, sizeof chname, "channel %u", (unsigned)ch);
  CHECK_STR_CONTAINS(err.message, chname);
  /* The task by its id, in the message and in the report. */
  snprintf(task, sizeof task, "task %llu", (unsigned long long)tova_wasm_task_id(c));
  CHECK(tova_wasm_task_id(c) != 0);
  CHECK_STR_CONTAINS(err.message, task);
  CHECK_STR_CONTAINS(report, task);
  tova_wasm_task_release(c);

  /* A sleeping task is not asleep on channels: no deadlock. */
  tova_val ms = {.i64 = 50};
  tova_wasm_task *s = spawn_wasm(rt, M, "sleeper", &ms, 1, 0, &done);
  CHECK_EQ_I64(tova_runtime_deadlock(rt, NULL, 0), 0);
  latch_wait(&done, 2);
  CHECK(tova_wasm_task_status(s, NULL) == TOVA_OK);
  tova_wasm_task_release(s);
  tova_runtime_free(rt);
  latch_destroy(&done);
}

/* Close racing with parked senders and receivers: every value taken by a
 * receiver was sent by exactly one sender that saw success, none twice. */
static void test_close_races_parked_tasks(void) {
  tova_runtime *rt = new_rt(2);
  int n = 400;
  for (int round = 0; round < 5; round++) {
    tova_chan_id ch;
    CHECK(tova_chan_create((uint32_t)(round % 2), &ch) == TOVA_OK);
    latch done;
    latch_init(&done);
    tova_wasm_task **snd = calloc((size_t)n, sizeof *snd), **rcv = calloc((size_t)n, sizeof *rcv);
    for (int i = 0; i < n; i++) {
      tova_val s[2] = {{.i32 = (int32_t)ch}, {.i64 = i + 1}};
      snd[i] = spawn_wasm(rt, M, "send_one", s, 2, 0, &done);
      tova_val r = {.i32 = (int32_t)ch};
      if (i % 2 == 0) rcv[i] = spawn_wasm(rt, M, "recv_one", &r, 1, 0, &done);
    }
    nap_ms(round); /* vary how much has happened when the close lands */
    CHECK(tova_chan_close(ch) == TOVA_OK);
    int expected = n + (n + 1) / 2;
    latch_wait(&done, expected);
    char *seen = calloc((size_t)n + 1, 1);
    int sent_ok = 0, received = 0;
    for (int i = 0; i < n; i++) {
      int32_t s = tova_wasm_task_results(snd[i], NULL)[0].i32;
      CHECK(s == 0 || s == -1);
      sent_ok += s == 0;
      tova_wasm_task_release(snd[i]);
      if (rcv[i]) {
        int64_t v = tova_wasm_task_results(rcv[i], NULL)[0].i64;
        if (v != INT64_MIN) {
          CHECK(v >= 1 && v <= n);
          if (v >= 1 && v <= n) {
            CHECK(!seen[v]);
            seen[v] = 1;
          }
          received++;
        }
        tova_wasm_task_release(rcv[i]);
      }
    }
    /* What is still buffered was sent too. */
    int64_t v;
    while (tova_chan_try_recv(ch, &v) == TOVA_OK) {
      CHECK(v >= 1 && v <= n && !seen[v]);
      if (v >= 1 && v <= n) seen[v] = 1;
      received++;
    }
    CHECK_EQ_I64(sent_ok, received);
    free(seen);
    free(snd);
    free(rcv);
    latch_destroy(&done);
  }
  tova_runtime_free(rt);
}

/* Freeing the runtime ends parked and spinning tasks with TOVA_ERR_SHUTDOWN. */
static void test_shutdown_ends_everything(void) {
  tova_runtime *rt = new_rt(2);
  latch done;
  latch_init(&done);
  tova_chan_id ch;
  CHECK(tova_chan_create(0, &ch) == TOVA_OK);
  tova_val a = {.i32 = (int32_t)ch};
  tova_wasm_task *t[4];
  t[0] = spawn_wasm(rt, M, "spin", NULL, 0, 0, &done);
  t[1] = spawn_wasm(rt, M, "spin", NULL, 0, 0, &done);
  t[2] = spawn_wasm(rt, M, "recv_one", &a, 1, 0, &done);
  t[3] = spawn_wasm(rt, M, "spin", NULL, 0, 0, &done); /* queued behind two spinners */
  nap_ms(20);
  tova_runtime_free(rt);
  CHECK_EQ_I64(latch_get(&done), 4);
  for (int i = 0; i < 4; i++) {
    CHECK(tova_wasm_task_status(t[i], NULL) == TOVA_ERR_SHUTDOWN);
    tova_wasm_task_release(t[i]);
  }
  CHECK(tova_chan_try_send(ch, 1) == TOVA_ERR_FULL); /* the receiver was withdrawn */
  latch_destroy(&done);
}

static void test_spawn_errors(void) {
  tova_runtime *rt = new_rt(1);
  tova_error err;
  tova_wasm_task_config cfg = {.module = M, .func = "nope", .func_len = 4};
  CHECK(tova_wasm_task_spawn(rt, &cfg, NULL, &err) == TOVA_ERR_NOT_FOUND);
  CHECK_STR_CONTAINS(err.message, "nope");
  cfg.func = "producer";
  cfg.func_len = 8;
  CHECK(tova_wasm_task_spawn(rt, &cfg, NULL, &err) == TOVA_ERR_BAD_ARGUMENT);
  /* A NUL inside the name is part of it. */
  cfg.func = "spin\0x";
  cfg.func_len = 6;
  CHECK(tova_wasm_task_spawn(rt, &cfg, NULL, &err) == TOVA_ERR_NOT_FOUND);
  /* A wrong signature for any tova import: unlinkable, naming it (each
   * wrong type differs from the right one, docs/host-imports.md, in a
   * parameter or a result). */
  static const struct { const char *name, *params, *results; } wrong[] = {
      {"chan_send", "ii", "i"},  {"chan_receive", "i", "i"}, {"chan_close", "i", ""},
      {"chan_try_send", "iI", "I"}, {"chan_try_receive", "i", "i"}, {"sleep", "i", ""},
      {"yield", "", "i"},        {"now_ms", "", "i"},        {"select", "iiI", "I"},
  };
  wb b = {0};
  tova_module *mm = NULL;
  tova_wasm_task_config c2 = {.func = "f", .func_len = 1};
  for (size_t k = 0; k < sizeof wrong / sizeof *wrong; k++) {
    mod m = {0};
    mod_import_func(&m, "tova", wrong[k].name, mod_type(&m, wrong[k].params, wrong[k].results));
    e_i32(&b, 0);
    mod_func(&m, mod_type(&m, "", "i"), "", &b, "f");
    wb_free(&b);
    mm = compile_mod(&m);
    c2.module = mm;
    memset(&err, 0, sizeof err);
    CHECK_EQ_I64(tova_wasm_task_spawn(rt, &c2, NULL, &err), TOVA_ERR_UNLINKABLE);
    CHECK_STR_CONTAINS(err.message, wrong[k].name);
    tova_module_release(mm);
  }
  mod m2 = {0};
  mod_import_func(&m2, "env", "thing", mod_type(&m2, "", ""));
  e_i32(&b, 0);
  mod_func(&m2, mod_type(&m2, "", "i"), "", &b, "f");
  wb_free(&b);
  mm = compile_mod(&m2);
  c2.module = mm;
  CHECK(tova_wasm_task_spawn(rt, &c2, NULL, &err) == TOVA_ERR_UNLINKABLE);
  CHECK_STR_CONTAINS(err.message, "env.thing");
  tova_module_release(mm);
  tova_runtime_free(rt);
}

/* Bulk rows: one instance, many calls; stops at the first failing row. */
static void test_bulk_rows(void) {
  tova_runtime *rt = new_rt(2);
  latch done;
  latch_init(&done);
  tova_chan_id ch;
  CHECK(tova_chan_create(1000, &ch) == TOVA_OK);
  size_t n = 500;
  tova_val *args = calloc(n * 2, sizeof *args), *res = calloc(n, sizeof *res);
  for (size_t r = 0; r < n; r++) {
    args[2 * r].i32 = (int32_t)ch;
    args[2 * r + 1].i64 = (int64_t)r;
  }
  tova_wasm_task_config cfg = {.module = M, .func = "send_one", .func_len = 8, .done = task_done_count,
                              .userdata = &done, .nrows = n, .rows_args = args, .rows_results = res};
  tova_wasm_task *t = NULL;
  CHECK(tova_wasm_task_spawn(rt, &cfg, &t, NULL) == TOVA_OK);
  latch_wait(&done, 1);
  CHECK(tova_wasm_task_status(t, NULL) == TOVA_OK);
  CHECK_EQ_I64(tova_wasm_task_rows_done(t), n);
  for (size_t r = 0; r < n; r++) {
    int64_t v = -1;
    CHECK_EQ_I64(res[r].i32, 0);
    CHECK(tova_chan_try_recv(ch, &v) == TOVA_OK);
    CHECK_EQ_I64(v, (int64_t)r);
  }
  tova_wasm_task_release(t);
  /* Row 3 parks (the channel is full after 3 values) and resumes when the
   * consumer drains: rows keep going after a park. */
  tova_chan_id small;
  CHECK(tova_chan_create(3, &small) == TOVA_OK);
  for (size_t r = 0; r < 10; r++) args[2 * r].i32 = (int32_t)small;
  cfg.nrows = 10;
  CHECK(tova_wasm_task_spawn(rt, &cfg, &t, NULL) == TOVA_OK);
  wait_all_blocked(rt);
  int64_t sum = 0, v;
  for (int k = 0; k < 10; k++) {
    while (tova_chan_try_recv(small, &v) != TOVA_OK) nap_ms(1);
    sum += v;
  }
  latch_wait(&done, 2);
  CHECK_EQ_I64(sum, 45);
  CHECK_EQ_I64(tova_wasm_task_rows_done(t), 10);
  tova_wasm_task_release(t);
  free(args);
  free(res);
  tova_runtime_free(rt);
  latch_destroy(&done);
}

/* A task woken by a waker that keeps running (never parks) still runs: on 2
 * workers the idle one takes it (woken tasks wait in the waker's runnext,
 * and the runtime kicks an idle worker when one waits there too long). If
 * this regressed, the test would hang until ctest's timeout. */
static void test_woken_task_not_starved_by_spinning_waker(void) {
  tova_runtime *rt = new_rt(2);
  latch done;
  latch_init(&done);
  tova_chan_id ch;
  CHECK(tova_chan_create(0, &ch) == TOVA_OK);
  tova_val a = {.i32 = (int32_t)ch};
  tova_wasm_task *r = spawn_wasm(rt, M, "recv_one", &a, 1, 0, &done);
  wait_all_blocked(rt);
  nap_ms(20); /* let the idle worker go to sleep */
  tova_val s[2] = {{.i32 = (int32_t)ch}, {.i64 = 99}};
  tova_wasm_task *w = spawn_wasm(rt, M, "send_spin", s, 2, 0, &done);
  latch_wait(&done, 1); /* the receiver ran while its waker spins */
  CHECK_EQ_I64(result_i64(r), 99);
  tova_wasm_task_cancel(w, TOVA_ERR_CANCELLED);
  latch_wait(&done, 2);
  CHECK(tova_wasm_task_status(w, NULL) == TOVA_ERR_CANCELLED);
  tova_wasm_task_release(r);
  tova_wasm_task_release(w);
  tova_runtime_free(rt);
  latch_destroy(&done);
}

/* 100,000 tasks parked at once, each with its own instance of a module
 * with a one-page memory, all waiting on one unbuffered channel: the
 * memories come from the pool's reservations (the kernel's mappings grow by
 * far less than one per memory), and every value sent reaches exactly one
 * of them. */
static void test_100k_parked_with_memories(void) {
  enum { N = TEST_HEAVY(100000) };
  tova_runtime *rt = new_rt(2);
  tova_chan_id ch;
  CHECK(tova_chan_create(0, &ch) == TOVA_OK);
  tova_wasm_task **t = calloc(N, sizeof *t);
  latch done;
  latch_init(&done);
  long maps_before = kernel_mappings();
  tova_val a = {.i32 = (int32_t)ch};
  for (size_t i = 0; i < N; i++) t[i] = spawn_wasm(rt, M, "recv_one", &a, 1, 0, &done);
  wait_all_blocked(rt);
  CHECK_EQ_I64(latch_get(&done), 0);
  long maps_parked = kernel_mappings();
  if (maps_before >= 0) CHECK(maps_parked - maps_before < 1000);
  for (int64_t v = 1; v <= N; v++) CHECK(tova_chan_try_send(ch, v) == TOVA_OK); /* a parked receiver each */
  CHECK(tova_chan_try_send(ch, 0) == TOVA_ERR_FULL);                             /* and no more */
  latch_wait(&done, N);
  char *seen = calloc(N + 1, 1);
  for (size_t i = 0; i < N; i++) {
    int64_t v = result_i64(t[i]);
    CHECK(v >= 1 && v <= N && !seen[v]);
    if (v >= 1 && v <= N) seen[v] = 1;
    tova_wasm_task_release(t[i]);
  }
  tova_runtime_free(rt);
  latch_destroy(&done);
  free(seen);
  free(t);
}

/* unref / ref: an unreferenced task stops counting for
 * tova_runtime_wasm_active at once (the addon then lets the JS event loop
 * exit) but still counts against a deadlock report; ref() undoes it; after
 * the end neither changes anything. */
static void test_unref(void) {
  tova_runtime *rt = new_rt(2);
  latch done;
  latch_init(&done);
  tova_wasm_task *spin = spawn_wasm(rt, M, "spin", NULL, 0, 0, &done);
  CHECK(tova_runtime_wasm_active(rt));
  tova_wasm_task_unref(spin);
  CHECK(!tova_runtime_wasm_active(rt));
  tova_wasm_task_unref(spin); /* twice: still once */
  tova_wasm_task_ref(spin);
  CHECK(tova_runtime_wasm_active(rt));
  tova_wasm_task_ref(spin);
  tova_wasm_task_unref(spin);
  CHECK(!tova_runtime_wasm_active(rt));

  /* A receiver nobody feeds, beside the unreferenced spinner: the spinner
   * could still send, so that is no deadlock. */
  tova_chan_id ch;
  CHECK(tova_chan_create(0, &ch) == TOVA_OK);
  tova_val a_ch = {.i32 = (int32_t)ch};
  tova_wasm_task *recv = spawn_wasm(rt, M, "recv_one", &a_ch, 1, 0, &done);
  wait_all_blocked(rt); /* the receiver parked; the spinner does not count */
  CHECK_EQ_I64(tova_runtime_deadlock(rt, NULL, 0), 0);
  tova_wasm_task_cancel(spin, TOVA_ERR_CANCELLED);
  latch_wait(&done, 1);
  /* the spinner's end, then its uncounting: poll for the deadlock */
  size_t ended = 0;
  for (int i = 0; i < 5000 && !(ended = tova_runtime_deadlock(rt, NULL, 0)); i++) nap_ms(1);
  CHECK_EQ_I64((int64_t)ended, 1);
  latch_wait(&done, 2);
  CHECK(tova_wasm_task_status(recv, NULL) == TOVA_ERR_DEADLOCK);
  for (int i = 0; i < 5000 && tova_runtime_wasm_active(rt); i++) nap_ms(1); /* done, then uncounted */
  CHECK(!tova_runtime_wasm_active(rt));
  tova_wasm_task_ref(spin); /* ended: no effect */
  tova_wasm_task_unref(recv);
  tova_wasm_task_ref(recv);
  CHECK(!tova_runtime_wasm_active(rt));
  tova_wasm_task_release(spin);
  tova_wasm_task_release(recv);

  /* unref and ref racing with parks, wakes and the end of two tasks that
   * park on about every value: once both have ended, nothing counts. */
  CHECK(tova_chan_create(1, &ch) == TOVA_OK);
  int64_t n = 20000;
  tova_val args[2] = {{.i32 = (int32_t)ch}, {.i64 = n}};
  latch_init(&done);
  tova_wasm_task *c = spawn_wasm(rt, M, "consumer", args, 2, 0, &done);
  tova_wasm_task *p = spawn_wasm(rt, M, "producer", args, 2, 0, &done);
  for (uint64_t i = 0; latch_get(&done) < 2; i++) {
    tova_wasm_task *t = i & 1 ? c : p;
    if (i & 2) tova_wasm_task_ref(t);
    else tova_wasm_task_unref(t);
  }
  CHECK_EQ_I64(result_i64(c), n * (n - 1) / 2);
  for (int i = 0; i < 5000 && tova_runtime_wasm_active(rt); i++) nap_ms(1);
  CHECK(!tova_runtime_wasm_active(rt));
  CHECK_EQ_I64(tova_runtime_deadlock(rt, NULL, 0), 0); /* nothing live */
  /* a new task counts from 1, not from a drifted count */
  tova_wasm_task *again = spawn_wasm(rt, M, "spin", NULL, 0, 0, &done);
  CHECK(tova_runtime_wasm_active(rt));
  tova_wasm_task_unref(again);
  CHECK(!tova_runtime_wasm_active(rt));
  tova_wasm_task_cancel(again, TOVA_ERR_CANCELLED);
  latch_wait(&done, 3);
  tova_wasm_task_release(again);
  tova_wasm_task_release(p);
  tova_wasm_task_release(c);
  tova_runtime_free(rt);
  latch_destroy(&done);
}

int main(void) {
  M = channel_module();
  RUN(test_producer_consumer_capacity_1);
  RUN(test_producer_consumer_unbuffered);
  RUN(test_many_parked_released_in_reverse);
  RUN(test_100k_parked_with_memories);
  RUN(test_ring_of_tasks);
  RUN(test_select_fairness);
  RUN(test_select_on_one_channel_both_ways);
  RUN(test_cancel_after_a_completed_receive);
  RUN(test_wasm_select);
  RUN(test_sleep_and_yield);
  RUN(test_sleeps_start_no_threads);
  RUN(test_cancel_every_kind);
  RUN(test_deadline);
  RUN(test_deadlock_report);
  RUN(test_close_races_parked_tasks);
  RUN(test_shutdown_ends_everything);
  RUN(test_spawn_errors);
  RUN(test_bulk_rows);
  RUN(test_woken_task_not_starved_by_spinning_waker);
  RUN(test_unref);
  tova_module_release(M);
  return CHECK_DONE();
}
