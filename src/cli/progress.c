#include "progress.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t cancel_requested;
static int show_line;
static int line_shown;
static int cancel_delivered;

static volatile sig_atomic_t guarded;

static void on_sigint(int sig)
{
    if (!guarded) {
        /* Nothing to finish cleanly: end the way Ctrl-C always does. */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    cancel_requested = 1;
}

void cli_guard_ctrl_c(void)
{
    guarded = 1;
}

void cli_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    /* The second Ctrl-C finds the default action back and ends the process. */
    sa.sa_flags = (int)SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
}

int cli_cancelled(void)
{
    return cancel_requested != 0;
}

int cli_cancel_pending(void)
{
    return cancel_requested != 0 && !cancel_delivered;
}

void cli_progress_init(int show)
{
    show_line = show && isatty(STDERR_FILENO);
}

int cli_progress_report(const brev_progress *p, void *payload)
{
    (void)payload;
    if (show_line && p) {
        const char *id = p->resource_id && *p->resource_id ? p->resource_id : "";
        fprintf(stderr, "\r\033[K%s%s%s: %s (%.0fs)%s", p->what ? p->what : "waiting", *id ? " " : "", id,
                p->state && *p->state ? p->state : "...", p->elapsed_s,
                cancel_requested ? " - cancelling" : "");
        fflush(stderr);
        line_shown = 1;
    }
    /* Cancel once: the wait that sees it stops; the library's own clean-up
     * waits after that must run to the end, or they would leave half-made
     * resources behind (a second Ctrl-C still ends the process).
     * Not on an operation's "done" report: that operation is over and the
     * library ignores the answer, so delivering it there would lose the
     * Ctrl-C. It stays pending for the next report (the library reports
     * "starting" before each new operation) or, if none comes, for the
     * command (cli_cancel_pending). */
    if (cancel_requested && !cancel_delivered && !(p && p->state && strcmp(p->state, "done") == 0)) {
        cancel_delivered = 1;
        return 1;
    }
    return 0;
}

void cli_progress_clear(void)
{
    if (line_shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        line_shown = 0;
    }
}
