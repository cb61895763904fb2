/*
 * bench_unix_stream [MIB] - AF_UNIX stream throughput (stream.h): the same
 * measurement as bench_tcp_stream through a SOCK_STREAM socketpair, without
 * the TCP/IP stack.
 */
#include "stream.h"

static void unix_pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
}

int main(int argc, char **argv)
{
	return stream_main(argc, argv, "unix_stream", unix_pair);
}
