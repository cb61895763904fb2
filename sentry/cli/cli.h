#ifndef SENTRY_CLI_CLI_H
#define SENTRY_CLI_CLI_H

/* One subcommand: argv[0] is the subcommand's name. Returns the exit status. */
int cmd_run(int argc, char **argv);

#endif
