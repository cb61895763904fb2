/* The line discipline (sentry/fs/tty_ldisc.c) driven directly: edge cases
 * the conformance test cannot reach easily, and random input with random
 * termios flags keeping the queues' invariants. */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>

#include "fs/tty.h"

static struct tty *new_tty(void)
{
	int err = 0;
	struct tty *tty = tty_create(0, &err);
	ck_assert_ptr_nonnull(tty);
	return tty;
}

static size_t feed(struct tty *tty, const char *s, uint64_t *sigs)
{
	uint64_t dummy = 0;
	return ldisc_receive(tty, (const unsigned char *)s, strlen(s), sigs ? sigs : &dummy);
}

/* Take the master's pending output as a string. */
static const char *take_output(struct tty *tty)
{
	static char buf[TTY_OBUF + 1];
	memcpy(buf, tty->obuf, tty->olen);
	buf[tty->olen] = 0;
	tty->olen = 0;
	return buf;
}

static const char *read_line(struct tty *tty)
{
	static char buf[TTY_IBUF + 1];
	size_t n = ldisc_read(tty, (unsigned char *)buf, TTY_IBUF);
	buf[n] = 0;
	return buf;
}

START_TEST(canonical_full_line_keeps_room_for_newline)
{
	struct tty *tty = new_tty();
	char big[TTY_IBUF + 100];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	tty->termios.c_lflag &= ~ECHO;
	/* Every byte is taken, the excess discarded, and the newline still ends
	 * the line. */
	ck_assert_uint_eq(feed(tty, big, NULL), sizeof(big) - 1);
	ck_assert_uint_eq(tty->ilen, TTY_IBUF - 1);
	ck_assert_uint_eq(feed(tty, "\n", NULL), 1);
	ck_assert_uint_eq(tty->canon_len, TTY_IBUF);
	ck_assert_uint_eq(ldisc_readable(tty), TTY_IBUF);
	/* A complete line fills the queue: the writer must wait now. */
	ck_assert_uint_eq(feed(tty, "b", NULL), 0);
	tty_put(tty);
}
END_TEST

START_TEST(utf8_erase_takes_the_whole_character)
{
	struct tty *tty = new_tty();
	tty->termios.c_iflag |= IUTF8;
	feed(tty, "x\xc3\xa9", NULL); /* x, e-acute */
	take_output(tty);
	feed(tty, "\x7f", NULL);
	ck_assert_str_eq(take_output(tty), "\b \b");
	feed(tty, "\n", NULL);
	ck_assert_str_eq(read_line(tty), "x\n");
	tty_put(tty);
}
END_TEST

START_TEST(tab_expansion_and_tab_erase)
{
	struct tty *tty = new_tty();
	tty->termios.c_oflag |= XTABS;
	const unsigned char out[] = "ab\tc";
	ck_assert_uint_eq(ldisc_output(tty, out, 4), 4);
	ck_assert_str_eq(take_output(tty), "ab      c");
	tty->termios.c_oflag &= ~XTABS;
	tty->column = 0;
	tty->canon_column = 0;
	feed(tty, "ab\t", NULL); /* echo moves to column 8 */
	take_output(tty);
	ck_assert_uint_eq(tty->column, 8);
	feed(tty, "\x7f", NULL); /* back to column 2 */
	ck_assert_str_eq(take_output(tty), "\b\b\b\b\b\b");
	tty_put(tty);
}
END_TEST

START_TEST(lnext_quotes_special_characters)
{
	struct tty *tty = new_tty();
	tty->termios.c_lflag &= ~ECHO;
	uint64_t sigs = 0;
	feed(tty, "\x16\x03\x16\x7f\n", &sigs); /* ^V^C ^V^? */
	ck_assert_uint_eq(sigs, 0);
	ck_assert_str_eq(read_line(tty), "\x03\x7f\n");
	tty_put(tty);
}
END_TEST

START_TEST(isig_flushes_unless_noflsh)
{
	struct tty *tty = new_tty();
	uint64_t sigs = 0;
	tty->termios.c_lflag &= ~ECHO;
	feed(tty, "done\nhalf", NULL);
	feed(tty, "\x1c", &sigs); /* ^\ */
	ck_assert(sigs & (1ULL << SIGQUIT));
	ck_assert_uint_eq(tty->ilen, 0);
	tty->termios.c_lflag |= NOFLSH;
	sigs = 0;
	feed(tty, "keep\x1a", &sigs); /* ^Z */
	ck_assert(sigs & (1ULL << SIGTSTP));
	ck_assert_uint_eq(tty->ilen, 4);
	tty_put(tty);
}
END_TEST

START_TEST(ixon_stops_and_starts_output)
{
	struct tty *tty = new_tty();
	feed(tty, "\x13", NULL);
	ck_assert(tty->stopped);
	ck_assert_uint_eq(tty->ilen, 0);
	feed(tty, "\x11", NULL);
	ck_assert(!tty->stopped);
	tty_put(tty);
}
END_TEST

START_TEST(canonical_switch_pushes_pending_input)
{
	struct tty *tty = new_tty();
	struct ktermios old = tty->termios;
	tty->termios.c_lflag &= ~(ICANON | ECHO);
	ldisc_termios_changed(tty, &old);
	feed(tty, "raw", NULL);
	old = tty->termios;
	tty->termios.c_lflag |= ICANON;
	ldisc_termios_changed(tty, &old);
	ck_assert_uint_eq(tty->canon_len, 3);
	ck_assert_str_eq(read_line(tty), "raw");
	tty_put(tty);
}
END_TEST

START_TEST(random_input_keeps_invariants)
{
	struct tty *tty = new_tty();
	unsigned seed = 12345;
	unsigned char buf[512];
	for (int round = 0; round < 2000; round++) {
		struct ktermios old = tty->termios;
		tty->termios.c_iflag = (unsigned)rand_r(&seed);
		tty->termios.c_oflag = (unsigned)rand_r(&seed);
		tty->termios.c_lflag = (unsigned)rand_r(&seed);
		for (int i = 0; i < KNCCS; i++)
			tty->termios.c_cc[i] = (uint8_t)rand_r(&seed);
		ldisc_termios_changed(tty, &old);
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (unsigned char)rand_r(&seed);
		uint64_t sigs = 0;
		size_t n = ldisc_receive(tty, buf, (size_t)rand_r(&seed) % sizeof(buf), &sigs);
		ck_assert_uint_le(n, sizeof(buf));
		ldisc_output(tty, buf, (size_t)rand_r(&seed) % sizeof(buf));
		ck_assert_uint_le(tty->ilen, TTY_IBUF);
		ck_assert_uint_le(tty->canon_len, tty->ilen);
		ck_assert_uint_le(tty->olen, TTY_OBUF);
		if (rand_r(&seed) % 3 == 0) {
			unsigned char out[TTY_IBUF];
			ck_assert_uint_le(ldisc_read(tty, out, (size_t)rand_r(&seed) % TTY_IBUF),
					  TTY_IBUF);
		}
		if (rand_r(&seed) % 4 == 0)
			tty->olen = 0;
	}
	tty_put(tty);
}
END_TEST

Suite *tty_ldisc_suite(void)
{
	Suite *s = suite_create("tty_ldisc");
	TCase *tc = tcase_create("ldisc");
	tcase_add_test(tc, canonical_full_line_keeps_room_for_newline);
	tcase_add_test(tc, utf8_erase_takes_the_whole_character);
	tcase_add_test(tc, tab_expansion_and_tab_erase);
	tcase_add_test(tc, lnext_quotes_special_characters);
	tcase_add_test(tc, isig_flushes_unless_noflsh);
	tcase_add_test(tc, ixon_stops_and_starts_output);
	tcase_add_test(tc, canonical_switch_pushes_pending_input);
	tcase_add_test(tc, random_input_keeps_invariants);
	suite_add_tcase(s, tc);
	return s;
}
