// SPDX-License-Identifier: GPL-2.0
/*
 * Linked only into the sanitized test builds (build/san/kvm-rootcheck and
 * the unit tests), never into the analyzer itself.
 *
 * libtracecmd 1.3.1 (trace-cmd 3.1.6) leaks the trace clock name (its
 * sscanf("%ms")) when a v6 file carries the clock twice, as trace-cmd
 * convert writes it. Tell LeakSanitizer that this library leak is known
 * (nothing in the analyzer uses "%ms").
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:isoc99_vsscanf\n";
}
