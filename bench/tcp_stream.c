/*
 * bench_tcp_stream [MIB] - TCP loopback stream throughput (stream.h): the
 * pair is a connection on 127.0.0.1:<ephemeral>, made before the fork.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "stream.h"

static void tcp_pair(int sv[2])
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int lsn = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (lsn < 0)
		die("socket");
	if (bind(lsn, (struct sockaddr *)&a, sizeof(a)) || listen(lsn, 1) ||
	    getsockname(lsn, (struct sockaddr *)&a, &al))
		die("bind/listen");
	sv[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sv[1] < 0 || connect(sv[1], (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	sv[0] = accept(lsn, NULL, NULL);
	if (sv[0] < 0)
		die("accept");
	close(lsn);
}

int main(int argc, char **argv)
{
	return stream_main(argc, argv, "tcp_stream", tcp_pair);
}
