/* stdio_env.c: reads stdin to the end (word, line and byte counts, a
 * letter histogram), reads the environment, writes to stderr, and exits
 * through exit() with a status of its own. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  long bytes = 0, lines = 0, words = 0;
  int in_word = 0, c;
  long hist[26] = {0};
  while ((c = getchar()) != EOF) {
    bytes++;
    if (c == '\n') lines++;
    if (isspace(c)) in_word = 0;
    else if (!in_word) { in_word = 1; words++; }
    if (isalpha(c)) hist[tolower(c) - 'a']++;
  }
  printf("stdin: %ld lines, %ld words, %ld bytes\n", lines, words, bytes);
  for (int i = 0; i < 26; i++)
    if (hist[i]) printf("%c%ld ", 'a' + i, hist[i]);
  printf("\n");
  const char *g = getenv("GREETING");
  printf("GREETING=%s, UNSET=%s\n", g ? g : "(unset)", getenv("UNSET_VARIABLE") ? "set" : "(unset)");
  /* argv[1] is the data directory, whose name differs between the runs. */
  printf("%d arguments after the directory:", argc - 2);
  for (int i = 2; i < argc; i++) printf(" [%s]", argv[i]);
  printf("\n");
  fprintf(stderr, "this line goes to stderr\n");
  fflush(stdout);
  exit((int)(words % 200) + 3);
}
