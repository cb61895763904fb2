/*
 * The line discipline (Linux's n_tty): input processing of what the master
 * writes (ISTRIP, IGNCR/ICRNL/INLCR, IXON, ISIG, canonical line editing with
 * ERASE/WERASE/KILL/EOF/EOL/LNEXT/REPRINT, echo with ECHOCTL/ECHOE/ECHOK/
 * ECHOKE/ECHONL) and output processing of what the slave writes (OPOST:
 * ONLCR, OCRNL, ONOCR, ONLRET, OLCUC, XTABS). Every function here runs with
 * tty->lock held.
 *
 * The input queue is one array: bytes [0, canon_len) are complete lines,
 * [canon_len, ilen) the line being edited (canonical mode) or simply more
 * input (non-canonical mode, where everything is readable). A byte flagged
 * TTYF_EOL ends a line for a canonical read; an EOF (VEOF) is a flagged
 * marker byte that ends a line and is never copied out.
 */

#include <ctype.h>
#include <signal.h>
#include <string.h>
#include <termios.h>

#include "fs/tty.h"

#define CC(t, i) ((t)->termios.c_cc[i])
#define IF(t, f) (((t)->termios.c_iflag & (f)) != 0)
#define OF(t, f) (((t)->termios.c_oflag & (f)) != 0)
#define LF(t, f) (((t)->termios.c_lflag & (f)) != 0)

void ldisc_default_termios(struct ktermios *k)
{
	/* tty_std_termios as a devpts slave starts with (pty.c, tty_io.c). */
	static const uint8_t cc[KNCCS] = {3,  28, 127, 21, 4,  0,  1, 0, 17, 19,
					  26, 0,  18,  15, 23, 22, 0, 0, 0};
	memset(k, 0, sizeof(*k));
	k->c_iflag = ICRNL | IXON;
	k->c_oflag = OPOST | ONLCR;
	k->c_cflag = B38400 | CS8 | CREAD;
	k->c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
	memcpy(k->c_cc, cc, sizeof(cc));
	k->c_ispeed = k->c_ospeed = 38400;
}

/* A special character matches only when it is enabled (_POSIX_VDISABLE 0). */
static bool is_char(struct tty *tty, unsigned char c, int idx)
{
	return CC(tty, idx) != 0 && c == CC(tty, idx);
}

static bool is_continuation(struct tty *tty, unsigned char c)
{
	return IF(tty, IUTF8) && (c & 0xc0) == 0x80;
}

/* --- output ----------------------------------------------------------------- */

static bool oroom(struct tty *tty, size_t n)
{
	return TTY_OBUF - tty->olen >= n;
}

static void oput_raw(struct tty *tty, unsigned char c)
{
	if (tty->olen < TTY_OBUF)
		tty->obuf[tty->olen++] = c;
}

/* One byte through OPOST; false when obuf cannot take its expansion. */
static bool output_char(struct tty *tty, unsigned char c)
{
	if (!OF(tty, OPOST)) {
		if (!oroom(tty, 1))
			return false;
		oput_raw(tty, c);
		return true;
	}
	switch (c) {
	case '\n':
		if (OF(tty, ONLRET))
			tty->column = 0;
		if (OF(tty, ONLCR)) {
			if (!oroom(tty, 2))
				return false;
			tty->column = 0;
			oput_raw(tty, '\r');
			oput_raw(tty, '\n');
			return true;
		}
		break;
	case '\r':
		if (OF(tty, ONOCR) && tty->column == 0)
			return true;
		if (OF(tty, OCRNL)) {
			c = '\n';
			if (OF(tty, ONLRET))
				tty->column = 0;
			break;
		}
		tty->column = 0;
		break;
	case '\t': {
		unsigned spaces = 8 - (tty->column & 7);
		if ((tty->termios.c_oflag & TABDLY) == XTABS) {
			if (!oroom(tty, spaces))
				return false;
			tty->column += spaces;
			while (spaces--)
				oput_raw(tty, ' ');
			return true;
		}
		tty->column += spaces;
		break;
	}
	case '\b':
		if (tty->column > 0)
			tty->column--;
		break;
	default:
		if (!iscntrl(c)) {
			if (OF(tty, OLCUC))
				c = (unsigned char)toupper(c);
			if (!is_continuation(tty, c))
				tty->column++;
		}
		break;
	}
	if (!oroom(tty, 1))
		return false;
	oput_raw(tty, c);
	return true;
}

size_t ldisc_output(struct tty *tty, const unsigned char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!output_char(tty, buf[i]))
			break;
	return i;
}

/* Echo a byte as typed: control characters as ^X with ECHOCTL. Echo that
 * does not fit is dropped, as Linux drops echo when the output is full. */
static void echo_char(struct tty *tty, unsigned char c)
{
	if (LF(tty, ECHOCTL) && (iscntrl(c) || c == 0x7f) && c != '\t' && c != '\n') {
		if (oroom(tty, 2)) {
			oput_raw(tty, '^');
			oput_raw(tty, c ^ 0x40);
			tty->column += 2;
		}
		return;
	}
	output_char(tty, c);
}

static void echo_str(struct tty *tty, const char *s)
{
	while (*s)
		output_char(tty, (unsigned char)*s++);
}

/* --- input ------------------------------------------------------------------ */

static void iput(struct tty *tty, unsigned char c, unsigned char flags)
{
	if (tty->ilen >= TTY_IBUF) /* callers make room first; never overflow */
		return;
	tty->ibuf[tty->ilen] = c;
	tty->iflags[tty->ilen] = flags;
	tty->ilen++;
}

/* End the line being edited: it becomes readable. */
static void end_line(struct tty *tty)
{
	if (tty->ilen)
		tty->iflags[tty->ilen - 1] |= TTYF_EOL;
	tty->canon_len = tty->ilen;
	tty->canon_column = tty->column;
}

void ldisc_flush_input(struct tty *tty)
{
	tty->ilen = tty->canon_len = 0;
	tty->lnext = false;
}

/* Column where the cursor would be after echoing the line being edited
 * up to (not including) byte end. */
static unsigned line_column(struct tty *tty, size_t end)
{
	unsigned col = tty->canon_column;
	for (size_t i = tty->canon_len; i < end; i++) {
		unsigned char c = tty->ibuf[i];
		if (c == '\t')
			col = (col | 7) + 1;
		else if (iscntrl(c) || c == 0x7f)
			col += LF(tty, ECHOCTL) ? 2 : 0;
		else if (!is_continuation(tty, c))
			col++;
	}
	return col;
}

enum erase_kind { ERASE_CHAR, ERASE_WORD, ERASE_LINE };

/* n_tty's eraser(): remove bytes of the line being edited and show it. */
static void eraser(struct tty *tty, unsigned char c, enum erase_kind kind)
{
	bool echo = LF(tty, ECHO);
	int seen_alnums = 0;

	if (tty->ilen == tty->canon_len)
		return; /* nothing to erase */
	if (kind == ERASE_LINE &&
	    (!echo || !LF(tty, ECHOK) || !LF(tty, ECHOKE) || !LF(tty, ECHOE))) {
		tty->ilen = tty->canon_len;
		if (echo) {
			echo_char(tty, c);
			if (LF(tty, ECHOK))
				output_char(tty, '\n');
		}
		return;
	}
	while (tty->ilen > tty->canon_len) {
		size_t end = tty->ilen;
		size_t start = end - 1;
		/* A UTF-8 character goes as a whole. */
		while (start > tty->canon_len && is_continuation(tty, tty->ibuf[start]))
			start--;
		unsigned char e = tty->ibuf[start];
		if (kind == ERASE_WORD) {
			if (isalnum(e) || e == '_')
				seen_alnums++;
			else if (seen_alnums)
				break;
		}
		tty->ilen = start;
		if (echo) {
			if (kind == ERASE_CHAR && !LF(tty, ECHOE)) {
				echo_char(tty, CC(tty, VERASE));
			} else if (e == '\t') {
				unsigned col = line_column(tty, start);
				while (tty->column > col && oroom(tty, 1)) {
					oput_raw(tty, '\b');
					tty->column--;
				}
			} else {
				int n = (iscntrl(e) || e == 0x7f) ? (LF(tty, ECHOCTL) ? 2 : 0) : 1;
				while (n-- > 0)
					echo_str(tty, "\b \b");
			}
		}
		if (kind == ERASE_CHAR)
			break;
	}
}

/* Show the line being edited again (VREPRINT). */
static void reprint(struct tty *tty, unsigned char c)
{
	echo_char(tty, c);
	output_char(tty, '\n');
	for (size_t i = tty->canon_len; i < tty->ilen; i++)
		echo_char(tty, tty->ibuf[i]);
}

/* Room for one more input byte of this kind (false: the writer waits). */
static bool iroom(struct tty *tty, bool terminator, bool *discard)
{
	*discard = false;
	if (!LF(tty, ICANON))
		return tty->ilen < TTY_IBUF;
	/* Canonical: the last slot is kept for a line end; a line that fills
	 * the queue loses further bytes (Linux beeps with IMAXBEL). */
	if (tty->ilen < TTY_IBUF - 1)
		return true;
	if (terminator && tty->ilen < TTY_IBUF)
		return true;
	if (tty->canon_len > 0)
		return false;
	*discard = true;
	return true;
}

static void isig(struct tty *tty, unsigned char c, int sig, uint64_t *sigs)
{
	if (!LF(tty, NOFLSH)) {
		ldisc_flush_input(tty);
		tty->olen = 0;
	}
	if (IF(tty, IXON))
		tty->stopped = false;
	if (LF(tty, ECHO))
		echo_char(tty, c);
	*sigs |= 1ULL << sig;
}

/* One input byte; false when it must wait for the reader. */
static bool receive_char(struct tty *tty, unsigned char c, uint64_t *sigs)
{
	bool canon = LF(tty, ICANON), discard;

	if (IF(tty, ISTRIP))
		c &= 0x7f;
	if (tty->lnext) {
		if (!iroom(tty, false, &discard))
			return false;
		tty->lnext = false;
		if (LF(tty, ECHO) && LF(tty, ECHOCTL) && oroom(tty, 2)) {
			oput_raw(tty, '\b'); /* over the '^' shown for VLNEXT */
			if (tty->column)
				tty->column--;
		}
		goto normal;
	}
	if (IF(tty, IXON)) {
		if (is_char(tty, c, VSTART)) {
			tty->stopped = false;
			return true;
		}
		if (is_char(tty, c, VSTOP)) {
			tty->stopped = true;
			return true;
		}
		if (tty->stopped && IF(tty, IXANY))
			tty->stopped = false;
	}
	if (LF(tty, ISIG)) {
		if (is_char(tty, c, VINTR)) {
			isig(tty, c, SIGINT, sigs);
			return true;
		}
		if (is_char(tty, c, VQUIT)) {
			isig(tty, c, SIGQUIT, sigs);
			return true;
		}
		if (is_char(tty, c, VSUSP)) {
			isig(tty, c, SIGTSTP, sigs);
			return true;
		}
	}
	if (c == '\r') {
		if (IF(tty, IGNCR))
			return true;
		if (IF(tty, ICRNL))
			c = '\n';
	} else if (c == '\n' && IF(tty, INLCR)) {
		c = '\r';
	}
	if (canon) {
		bool iext = LF(tty, IEXTEN);
		if (is_char(tty, c, VERASE) || is_char(tty, c, VKILL) ||
		    (iext && is_char(tty, c, VWERASE))) {
			eraser(tty, c,
			       is_char(tty, c, VERASE)	? ERASE_CHAR
			       : is_char(tty, c, VKILL) ? ERASE_LINE
							: ERASE_WORD);
			return true;
		}
		if (iext && is_char(tty, c, VLNEXT)) {
			tty->lnext = true;
			if (LF(tty, ECHO) && LF(tty, ECHOCTL) && oroom(tty, 1)) {
				oput_raw(tty, '^');
				tty->column++;
			}
			return true;
		}
		if (iext && LF(tty, ECHO) && is_char(tty, c, VREPRINT)) {
			reprint(tty, c);
			return true;
		}
		if (c == '\n') {
			if (!iroom(tty, true, &discard))
				return false;
			if (LF(tty, ECHO) || LF(tty, ECHONL))
				output_char(tty, '\n');
			iput(tty, c, 0);
			end_line(tty);
			return true;
		}
		if (is_char(tty, c, VEOF)) {
			if (!iroom(tty, true, &discard))
				return false;
			iput(tty, 0, TTYF_EOF);
			end_line(tty);
			return true;
		}
		if (is_char(tty, c, VEOL) || (iext && is_char(tty, c, VEOL2))) {
			if (!iroom(tty, true, &discard))
				return false;
			if (LF(tty, ECHO))
				echo_char(tty, c);
			iput(tty, c, 0);
			end_line(tty);
			return true;
		}
	}
	if (!iroom(tty, false, &discard))
		return false;
normal:
	if (discard)
		return true;
	if (LF(tty, ECHO))
		echo_char(tty, c);
	iput(tty, c, 0);
	return true;
}

size_t ldisc_receive(struct tty *tty, const unsigned char *buf, size_t n, uint64_t *sigs)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!receive_char(tty, buf[i], sigs))
			break;
	return i;
}

void ldisc_termios_changed(struct tty *tty, const struct ktermios *old)
{
	bool was = (old->c_lflag & ICANON) != 0, now = LF(tty, ICANON);

	if (was != now) {
		if (now) {
			/* Pending input becomes a line of its own (n_tty's push). */
			end_line(tty);
		} else {
			tty->canon_len = 0;
		}
	}
	if (!IF(tty, IXON))
		tty->stopped = false;
}

size_t ldisc_readable(struct tty *tty)
{
	size_t n = 0, lim = LF(tty, ICANON) ? tty->canon_len : tty->ilen;

	for (size_t i = 0; i < lim; i++)
		if (!(tty->iflags[i] & TTYF_EOF))
			n++;
	return n;
}

static void consume(struct tty *tty, size_t k)
{
	memmove(tty->ibuf, tty->ibuf + k, tty->ilen - k);
	memmove(tty->iflags, tty->iflags + k, tty->ilen - k);
	tty->ilen -= k;
	tty->canon_len = tty->canon_len > k ? tty->canon_len - k : 0;
}

size_t ldisc_read(struct tty *tty, unsigned char *buf, size_t n)
{
	size_t got = 0, k = 0;

	if (LF(tty, ICANON)) {
		/* One line at most; an EOF marker ends it unseen. */
		while (k < tty->canon_len && got < n) {
			unsigned char fl = tty->iflags[k];
			if (!(fl & TTYF_EOF))
				buf[got++] = tty->ibuf[k];
			k++;
			if (fl & (TTYF_EOL | TTYF_EOF))
				break;
		}
	} else {
		while (k < tty->ilen && got < n) {
			if (!(tty->iflags[k] & TTYF_EOF))
				buf[got++] = tty->ibuf[k];
			k++;
		}
	}
	consume(tty, k);
	return got;
}
