/*
 * proto.c - framing for the module <-> helper protocol (see proto.h).
 * Used on both sides; depends on libc only. Writes use send(MSG_NOSIGNAL)
 * when the descriptor is a socket, so a dead peer never raises SIGPIPE
 * inside sshd or sudo.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

#define HDR_LEN 6u
#define FIELD_HDR 5u

uint64_t tg_monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t tg_monotonic_ms(void)
{
	return tg_monotonic_ns() / 1000000u;
}

void tg_msg_init(struct tg_msg *m, uint8_t type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
}

void tg_msg_free(struct tg_msg *m)
{
	if (m->buf != NULL)
		explicit_bzero(m->buf, m->cap);
	free(m->buf);
	memset(m, 0, sizeof(*m));
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Grows the buffer; the old one is wiped (it may hold a secret). */
static bool reserve(struct tg_msg *m, size_t need)
{
	if (need <= m->cap)
		return true;
	if (need > TG_PROTO_MAX_FRAME)
		return false;
	size_t cap = m->cap ? m->cap : 256;
	while (cap < need)
		cap *= 2;
	unsigned char *nb = malloc(cap);
	if (nb == NULL)
		return false;
	if (m->buf != NULL) {
		memcpy(nb, m->buf, m->len);
		explicit_bzero(m->buf, m->cap);
		free(m->buf);
	}
	m->buf = nb;
	m->cap = cap;
	return true;
}

bool tg_msg_add(struct tg_msg *m, uint8_t tag, const void *data, size_t len)
{
	if (len > TG_PROTO_MAX_FRAME || !reserve(m, m->len + FIELD_HDR + len))
		return false;
	m->buf[m->len] = tag;
	put_be32(m->buf + m->len + 1, (uint32_t)len);
	if (len > 0)
		memcpy(m->buf + m->len + FIELD_HDR, data, len);
	m->len += FIELD_HDR + len;
	return true;
}

bool tg_msg_add_str(struct tg_msg *m, uint8_t tag, const char *s)
{
	return s == NULL || tg_msg_add(m, tag, s, strlen(s));
}

bool tg_msg_add_u32(struct tg_msg *m, uint8_t tag, uint32_t v)
{
	unsigned char b[4];
	put_be32(b, v);
	return tg_msg_add(m, tag, b, sizeof(b));
}

bool tg_msg_add_u64(struct tg_msg *m, uint8_t tag, uint64_t v)
{
	unsigned char b[8];
	put_be32(b, (uint32_t)(v >> 32));
	put_be32(b + 4, (uint32_t)v);
	return tg_msg_add(m, tag, b, sizeof(b));
}

bool tg_msg_get(const struct tg_msg *m, uint8_t tag, const unsigned char **p,
		size_t *len)
{
	size_t off = 0;
	while (off + FIELD_HDR <= m->len) {
		uint32_t n = get_be32(m->buf + off + 1);
		if (n > m->len - off - FIELD_HDR)
			return false;
		if (m->buf[off] == tag) {
			*p = m->buf + off + FIELD_HDR;
			*len = n;
			return true;
		}
		off += FIELD_HDR + n;
	}
	return false;
}

char *tg_msg_get_str(const struct tg_msg *m, uint8_t tag)
{
	const unsigned char *p;
	size_t len;
	if (!tg_msg_get(m, tag, &p, &len) || memchr(p, '\0', len) != NULL)
		return NULL;
	char *s = malloc(len + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

bool tg_msg_get_u32(const struct tg_msg *m, uint8_t tag, uint32_t *v)
{
	const unsigned char *p;
	size_t len;
	if (!tg_msg_get(m, tag, &p, &len) || len != 4)
		return false;
	*v = get_be32(p);
	return true;
}

bool tg_msg_get_u64(const struct tg_msg *m, uint8_t tag, uint64_t *v)
{
	const unsigned char *p;
	size_t len;
	if (!tg_msg_get(m, tag, &p, &len) || len != 8)
		return false;
	*v = (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
	return true;
}

/* Every field must fit the frame exactly. */
static bool well_formed(const struct tg_msg *m)
{
	size_t off = 0;
	while (off < m->len) {
		if (m->len - off < FIELD_HDR)
			return false;
		uint32_t n = get_be32(m->buf + off + 1);
		if (n > m->len - off - FIELD_HDR)
			return false;
		off += FIELD_HDR + n;
	}
	return true;
}

/* Waits until fd is ready for events, within the deadline. */
static int wait_fd(int fd, short events, uint64_t deadline_ms)
{
	for (;;) {
		int timeout = -1;
		if (deadline_ms != 0) {
			uint64_t now = tg_monotonic_ms();
			if (now >= deadline_ms) {
				errno = ETIMEDOUT;
				return -1;
			}
			timeout = (int)(deadline_ms - now);
		}
		struct pollfd pfd = { .fd = fd, .events = events };
		int r = poll(&pfd, 1, timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		return 0;
	}
}

static int write_all(int fd, const unsigned char *p, size_t n,
		     uint64_t deadline_ms)
{
	while (n > 0) {
		if (wait_fd(fd, POLLOUT, deadline_ms) < 0)
			return -1;
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == ENOTSOCK)
			w = write(fd, p, n);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, unsigned char *p, size_t n, uint64_t deadline_ms)
{
	while (n > 0) {
		if (wait_fd(fd, POLLIN, deadline_ms) < 0)
			return -1;
		ssize_t r = read(fd, p, n);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = EPIPE;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int tg_msg_send(int fd, const struct tg_msg *m, uint64_t deadline_ms)
{
	unsigned char hdr[HDR_LEN];
	hdr[0] = TG_PROTO_VERSION;
	hdr[1] = m->type;
	put_be32(hdr + 2, (uint32_t)m->len);
	if (write_all(fd, hdr, sizeof(hdr), deadline_ms) < 0)
		return -1;
	return m->len ? write_all(fd, m->buf, m->len, deadline_ms) : 0;
}

int tg_msg_recv(int fd, struct tg_msg *m, uint64_t deadline_ms)
{
	unsigned char hdr[HDR_LEN];
	tg_msg_init(m, 0);
	if (read_all(fd, hdr, sizeof(hdr), deadline_ms) < 0)
		return -1;
	uint32_t len = get_be32(hdr + 2);
	if (hdr[0] != TG_PROTO_VERSION || len > TG_PROTO_MAX_FRAME) {
		errno = EPROTO;
		return -1;
	}
	m->type = hdr[1];
	if (len > 0) {
		if (!reserve(m, len)) {
			errno = ENOMEM;
			return -1;
		}
		if (read_all(fd, m->buf, len, deadline_ms) < 0) {
			tg_msg_free(m);
			return -1;
		}
		m->len = len;
	}
	if (!well_formed(m)) {
		tg_msg_free(m);
		errno = EPROTO;
		return -1;
	}
	return 0;
}
