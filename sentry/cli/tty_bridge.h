/*
 * The console bridge of `sentry run` on a terminal: the sandbox gets its own
 * pty pair (fs/tty.h's console) whose slave is the program's stdio and
 * controlling terminal; a sentry thread copies between its master and the
 * caller's terminal, which stays in raw mode meanwhile.
 */
#ifndef SENTRY_CLI_TTY_BRIDGE_H
#define SENTRY_CLI_TTY_BRIDGE_H

/* Call after confinement (it starts a thread), before kernel_run: when
 * stdin is a terminal,
 * create the console (with the terminal's termios and size), put the
 * terminal in raw mode (restored at exit and on fatal signals) and start
 * the bridge thread. 0 also without a terminal (nothing done). */
int tty_bridge_start(void);
/* After kernel_run: copy what is left of the program's output, stop the
 * thread, restore the terminal. Idempotent; harmless without a bridge. */
void tty_bridge_finish(void);

#endif
