/*
 * fuzz_proto - the module <-> helper frame parser (lib/proto.c), both sides.
 *
 * The input is the byte stream one side reads from the other: frames are
 * received with tg_msg_recv from a memfd (as from the socket) until it
 * fails, up to 64 frames (a login's prompts, then its result). Each frame
 * is read as the helper reads a request or an answer (pam/helper_main.c,
 * helper_prompt.c) and as the module reads a prompt or a result
 * (pam/module_helper.c): every getter on every tag. Checked on the way:
 *   - a field returned lies inside the payload; a string has its field's
 *     length and no NUL; a number only from a field of its exact size;
 *   - a received frame, rebuilt field by field with tg_msg_add and sent
 *     with tg_msg_send, is byte for byte the frame that was read;
 *   - a stream the parser refused is not acknowledged as a frame: what was
 *     accepted is exactly a prefix of the input.
 * Seeds: tests/fuzz/corpus/proto (tests/fuzz/proto_seeds.py writes them).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "proto.h"

#define MAX_FRAMES 64

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int mem_fd(const unsigned char *data, size_t size)
{
	int fd = memfd_create("fuzz_proto", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	size_t off = 0;
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);
		if (w <= 0)
			abort();
		off += (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

/* The helper's and the module's reads: every getter, every tag. */
static void read_fields(const struct tg_msg *m)
{
	for (unsigned tag = 0; tag < 256; tag++) {
		const unsigned char *p;
		size_t len;
		bool have = tg_msg_get(m, (uint8_t)tag, &p, &len);
		if (have && (p < m->buf || len > m->len || (size_t)(p - m->buf) > m->len - len))
			abort();
		char *s = tg_msg_get_str(m, (uint8_t)tag);
		if (s != NULL && (!have || strlen(s) != len || memcmp(s, p, len) != 0))
			abort();
		if (s == NULL && have && memchr(p, '\0', len) == NULL)
			abort(); /* malloc does not fail here */
		free(s);
		uint32_t v32;
		if (tg_msg_get_u32(m, (uint8_t)tag, &v32) != (have && len == 4))
			abort();
		if (have && len == 4 && v32 != be32(p))
			abort();
		uint64_t v64;
		if (tg_msg_get_u64(m, (uint8_t)tag, &v64) != (have && len == 8))
			abort();
		if (have && len == 8 && v64 != ((uint64_t)be32(p) << 32 | be32(p + 4)))
			abort();
	}
}

/* The frame rebuilt with the writer's calls, as the bytes tg_msg_send writes. */
static void rebuild(const struct tg_msg *m, const unsigned char *frame, size_t frame_len)
{
	struct tg_msg c;
	tg_msg_init(&c, m->type);
	size_t off = 0;
	while (off < m->len) {
		if (m->len - off < 5)
			abort(); /* tg_msg_recv let a torn field through */
		uint32_t n = be32(m->buf + off + 1);
		if (n > m->len - off - 5)
			abort();
		if (!tg_msg_add(&c, m->buf[off], m->buf + off + 5, n))
			abort();
		off += 5 + n;
	}
	if (c.len != m->len || (c.len && memcmp(c.buf, m->buf, c.len) != 0))
		abort();
	int fd = memfd_create("fuzz_proto_out", MFD_CLOEXEC);
	if (fd < 0 || tg_msg_send(fd, &c, 0) != 0)
		abort();
	off_t end = lseek(fd, 0, SEEK_CUR);
	if (end < 0 || (size_t)end != frame_len)
		abort();
	unsigned char *back = malloc(frame_len);
	if (back == NULL || pread(fd, back, frame_len, 0) != (ssize_t)frame_len ||
	    memcmp(back, frame, frame_len) != 0)
		abort();
	free(back);
	close(fd);
	tg_msg_free(&c);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	int fd = mem_fd(data, size);
	size_t done = 0;
	for (int i = 0; i < MAX_FRAMES; i++) {
		struct tg_msg m;
		if (tg_msg_recv(fd, &m, 0) != 0) {
			if (errno != EPROTO && errno != EPIPE && errno != ENOMEM)
				abort();
			if (m.buf != NULL || m.len != 0)
				abort(); /* a refused frame leaves nothing behind */
			break;
		}
		size_t frame_len = 6 + m.len;
		if (frame_len > size - done || data[done] != TG_PROTO_VERSION ||
		    data[done + 1] != m.type || be32(data + done + 2) != m.len)
			abort();
		read_fields(&m);
		rebuild(&m, data + done, frame_len);
		done += frame_len;
		tg_msg_free(&m);
	}
	close(fd);
	return 0;
}
