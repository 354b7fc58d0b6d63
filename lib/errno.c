/*
 * lib/errno.c: turns error numbers back into their names for log messages.
 */
#include "lib/errno.h"
#include "lib/util.h"

/*
 * One entry per known error. The name is stored inline rather than as a pointer, which keeps
 * the table free of relocations and about half the size. NAME() writes each name only once,
 * so a name can never disagree with its number.
 */
struct error_name {
	unsigned char number;
	char name[16];
};

#define NAME(error) { error, #error }

static const struct error_name error_names[] = {
	NAME(EPERM), NAME(ENOENT), NAME(ESRCH), NAME(EINTR), NAME(EIO), NAME(ENXIO),
	NAME(E2BIG), NAME(ENOEXEC), NAME(EBADF), NAME(ECHILD), NAME(EAGAIN), NAME(ENOMEM),
	NAME(EACCES), NAME(EFAULT), NAME(EBUSY), NAME(EEXIST), NAME(EXDEV), NAME(ENODEV),
	NAME(ENOTDIR), NAME(EISDIR), NAME(EINVAL), NAME(ENFILE), NAME(EMFILE), NAME(ENOTTY),
	NAME(EFBIG), NAME(ENOSPC), NAME(ESPIPE), NAME(EROFS), NAME(EMLINK), NAME(EPIPE),
	NAME(EDOM), NAME(ERANGE), NAME(EDEADLK), NAME(ENAMETOOLONG), NAME(ENOLCK),
	NAME(ENOSYS), NAME(ENOTEMPTY), NAME(ELOOP), NAME(ENOMSG), NAME(ENODATA), NAME(ETIME),
	NAME(EPROTO), NAME(EBADMSG), NAME(EOVERFLOW), NAME(EILSEQ), NAME(ENOTSOCK),
	NAME(EDESTADDRREQ), NAME(EMSGSIZE), NAME(EPROTOTYPE), NAME(ENOPROTOOPT),
	NAME(EPROTONOSUPPORT), NAME(EOPNOTSUPP), NAME(EAFNOSUPPORT), NAME(EADDRINUSE),
	NAME(EADDRNOTAVAIL), NAME(ENETDOWN), NAME(ENETUNREACH), NAME(ENETRESET),
	NAME(ECONNABORTED), NAME(ECONNRESET), NAME(ENOBUFS), NAME(EISCONN), NAME(ENOTCONN),
	NAME(ESHUTDOWN), NAME(ETIMEDOUT), NAME(ECONNREFUSED), NAME(EHOSTDOWN),
	NAME(EHOSTUNREACH), NAME(EALREADY), NAME(EINPROGRESS), NAME(ECANCELED),
};

const char *strerror(int errnum)
{
	/*
	 * Callers pass what a function returned, which is the negated number. Negating in
	 * unsigned arithmetic keeps INT_MIN well defined (it just matches nothing).
	 */
	unsigned number = errnum < 0 ? 0u - (unsigned)errnum : (unsigned)errnum;

	if (number == 0)
		return "OK";
	for (size_t i = 0; i < ARRAY_SIZE(error_names); i++) {
		if (error_names[i].number == number)
			return error_names[i].name;
	}
	return "E?";
}
