/*
 * LD_PRELOAD shim for vsftpd under `mptcpize run`.
 *
 * vsftpd sets SO_OOBINLINE on its control socket and treats failure as fatal
 * ("500 OOPS: setsockopt: oobinline"). MPTCP sockets reject SO_OOBINLINE (Linux 6.18:
 * EOPNOTSUPP), so stock vsftpd dies on every MPTCP connection. FTP's urgent-data ABOR
 * does not need it to work for our tests, so we pretend success for exactly that option
 * when the real call fails, and pass everything else through untouched.
 *
 * Built by test/lab/shim.ts: gcc -shared -fPIC -O2 -o oobinline-shim.so oobinline-shim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/socket.h>

typedef int (*setsockopt_fn)(int, int, int, const void *, socklen_t);

int setsockopt(int fd, int level, int name, const void *value, socklen_t length)
{
	static setsockopt_fn real;
	int saved;
	int rc;

	if (!real)
		real = (setsockopt_fn)dlsym(RTLD_NEXT, "setsockopt");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	saved = errno;
	rc = real(fd, level, name, value, length);
	if (rc != 0 && level == SOL_SOCKET && name == SO_OOBINLINE) {
		errno = saved;
		return 0;
	}
	return rc;
}
