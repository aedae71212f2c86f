/* Waiting, as a person sees it: one status line on a terminal, updated in
 * place from the library's progress callback, and Ctrl-C that stops the wait
 * (the callback returns non-zero, the library returns BREV_ECANCELLED). */
#ifndef BREV_CLI_PROGRESS_H
#define BREV_CLI_PROGRESS_H

#include <brev/nebius.h>

/* Installs the SIGINT handler: the first Ctrl-C sets the cancel flag, a
 * second one ends the process the default way. */
void cli_signals_install(void);

/* Commands that change resources or wait call this first: from then on
 * Ctrl-C cancels the wait (exit 7) instead of ending the process at once,
 * so what exists can be reported. Other commands just end on Ctrl-C. */
void cli_guard_ctrl_c(void);

/* Non-zero after Ctrl-C. */
int cli_cancelled(void);

/* Non-zero after a Ctrl-C that no wait has acted on: it came too late to
 * stop anything (during the last operation's last poll), so the library call
 * ran to its end. The command then reports what exists and exits 7 (a
 * second Ctrl-C would have ended the process; the first one is not lost). */
int cli_cancel_pending(void);

/* Shows the line only when stderr is a terminal and show is non-zero. */
void cli_progress_init(int show);

/* The brev_progress_fn given to the client. After Ctrl-C it returns
 * non-zero exactly once, so the library's clean-up after the cancelled wait
 * is not cancelled too; never on a "done" report, which cannot stop
 * anything. */
int cli_progress_report(const brev_progress *progress, void *payload);

/* Clears the status line (before printing results or errors). */
void cli_progress_clear(void);

#endif
