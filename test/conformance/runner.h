/* runner.h: executes the commands of one wast2json .json file. */
#ifndef TOVA_CONF_RUNNER_H
#define TOVA_CONF_RUNNER_H

#include <stdbool.h>

#include "json.h"

typedef struct conf_options {
  bool verbose;          /* print every failure and message mismatch, and spectest prints */
  unsigned max_details;  /* failure lines per file when not verbose */
  unsigned timeout_sec;  /* per command */
} conf_options;

typedef struct conf_counts {
  unsigned passed, failed, skipped;
  unsigned mismatches; /* assert_invalid/malformed that failed with another message */
} conf_counts;

/* Progress bytes written to progress_fd (if >= 0) as commands finish, so a
 * parent process can account for a child that crashes half-way. */
#define CONF_PASS 'P'
#define CONF_FAIL 'F'
#define CONF_SKIP 'S'
#define CONF_MISMATCH 'M'

/* Number of commands in a parsed file (each counts once). */
unsigned conf_command_count(const json_value *root);
/* Whether all of a file's commands are skipped (SIMD, which this engine does not run). */
bool conf_file_skipped(const char *file_name);

/* Run every command; json_path locates the .wasm files named inside. */
void conf_run_file(const char *json_path, const json_value *root, const conf_options *opt,
                   int progress_fd, conf_counts *out);

#endif
