/*
 * ctl.h - tokengatectl subcommands. Exit codes: 0 valid / done,
 * 1 rejected (one-line reason code on stderr), 2 usage or config error.
 */
#ifndef TG_CTL_H
#define TG_CTL_H

#define CTL_OK 0
#define CTL_REJECTED 1
#define CTL_USAGE 2

int ctl_validate(int argc, char **argv);
int ctl_mint(int argc, char **argv);
int ctl_jwks(int argc, char **argv);
int ctl_status(int argc, char **argv);
int ctl_refresh(int argc, char **argv);
int ctl_revoke(int argc, char **argv);
int ctl_cleanup(int argc, char **argv);
int ctl_metrics(int argc, char **argv);
/* Reads a token from a file descriptor (for "-"), up to max bytes, without
 * the final newline. */
char *ctl_read_token(int fd, size_t max);

#endif
