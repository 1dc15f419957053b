/*
 * asan_swift_shim.c — lets a preloaded AddressSanitizer runtime start inside
 * Debian's postgres (built by test/lib/cluster.sh for SCHEMATA_SANITIZE=1).
 *
 * The ASan runtime initializes lazily, on the first malloc.  In postgres that
 * first malloc comes from libgpg-error's constructor, inside bindtextdomain()
 * while glibc's gettext lock is write-held.  ASan's initialization then looks
 * up "swift_demangle" with dlsym() and, the symbol missing, calls dlerror(),
 * which translates its message through gettext and releases that lock from
 * under bindtextdomain(); postgres later hangs on it.  Defining the symbol
 * makes the lookup succeed, so no message is translated.  Returning NULL
 * tells ASan that a name is not a Swift name, so reports are symbolized as
 * usual.
 */
#include <stddef.h>
#include <stdint.h>

char	   *swift_demangle(const char *mangled, size_t length, char *buffer,
						   size_t *buffer_size, uint32_t flags);

char *
swift_demangle(const char *mangled, size_t length, char *buffer,
			   size_t *buffer_size, uint32_t flags)
{
	return NULL;
}
