/*
 * logsink - a syslog sink for tests: binds a Unix datagram socket (e.g. a
 * private /dev/log) and appends every record it receives, one per line, to
 * a file. Prints "ready" once bound; stops on SIGTERM or after 15 minutes.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: logsink SOCKET OUTFILE\n");
		return 2;
	}
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(argv[1]) >= sizeof(sa.sun_path))
		return 2;
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("logsink: bind");
		return 1;
	}
	chmod(argv[1], 0666);
	FILE *out = fopen(argv[2], "a");
	if (out == NULL) {
		perror("logsink: open");
		return 1;
	}
	struct sigaction act = { .sa_handler = on_term };
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	alarm(15 * 60);
	printf("ready\n");
	fflush(stdout);
	char buf[65536];
	while (!stop) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			continue;
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
			n--;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\n')
				buf[i] = ' ';
		buf[n] = '\0';
		fprintf(out, "%s\n", buf);
		fflush(out);
	}
	unlink(argv[1]);
	return 0;
}
