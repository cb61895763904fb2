/* creds_exec(): what exec does to credentials (security/commoncap.c). */
#include <check.h>
#include <sys/stat.h>

#include "kernel/creds.h"

static struct creds user(uint32_t uid)
{
	struct creds c = {0};
	c.uid = c.euid = c.suid = c.fsuid = uid;
	c.gid = c.egid = c.sgid = c.fsgid = uid;
	c.cap_bounding = CAP_FULL_SET;
	if (uid == 0)
		c.cap_effective = c.cap_permitted = CAP_FULL_SET;
	return c;
}

static const struct creds_exec_file plain = {.mode = S_IFREG | 0755, .uid = 0, .gid = 0};

START_TEST(root_keeps_full_set)
{
	struct creds o = user(0), n;
	o.cap_bounding = CAP_FULL_SET & ~(1ULL << CAP_SYS_ADMIN);
	ck_assert_int_eq(creds_exec(&o, &plain, &n), 0);
	ck_assert_uint_eq(n.cap_permitted, o.cap_bounding); /* pI | bounding */
	ck_assert_uint_eq(n.cap_effective, n.cap_permitted);
}
END_TEST

START_TEST(noroot_securebit_drops_root_caps)
{
	struct creds o = user(0), n;
	o.securebits = CREDS_SECBIT_NOROOT;
	ck_assert_int_eq(creds_exec(&o, &plain, &n), 0);
	ck_assert_uint_eq(n.cap_permitted, 0);
	ck_assert_uint_eq(n.cap_effective, 0);
}
END_TEST

START_TEST(user_loses_caps_but_keeps_ambient)
{
	struct creds o = user(1000), n;
	o.cap_permitted = o.cap_inheritable = o.cap_ambient = 1ULL << CAP_KILL;
	o.cap_permitted |= 1ULL << CAP_CHOWN;
	o.securebits = CREDS_SECBIT_KEEP_CAPS;
	ck_assert_int_eq(creds_exec(&o, &plain, &n), 0);
	ck_assert_uint_eq(n.cap_permitted, 1ULL << CAP_KILL);
	ck_assert_uint_eq(n.cap_effective, 1ULL << CAP_KILL);
	ck_assert_uint_eq(n.securebits, 0); /* keep-caps does not survive exec */
}
END_TEST

START_TEST(setuid_sets_euid_suid_fsuid_and_clears_ambient)
{
	struct creds o = user(1000), n;
	struct creds_exec_file f = {.mode = S_IFREG | S_ISUID | 0755, .uid = 1234, .gid = 5};
	o.cap_permitted = o.cap_inheritable = o.cap_ambient = 1ULL << CAP_KILL;
	ck_assert_int_eq(creds_exec(&o, &f, &n), 1);
	ck_assert_uint_eq(n.uid, 1000);
	ck_assert_uint_eq(n.euid, 1234);
	ck_assert_uint_eq(n.suid, 1234);
	ck_assert_uint_eq(n.fsuid, 1234);
	ck_assert_uint_eq(n.egid, 1000); /* no S_ISGID */
	ck_assert_uint_eq(n.cap_ambient, 0);
	ck_assert_uint_eq(n.cap_permitted, 0);
}
END_TEST

START_TEST(setgid_needs_group_exec)
{
	struct creds o = user(1000), n;
	struct creds_exec_file f = {.mode = S_IFREG | S_ISGID | 0745, .uid = 0, .gid = 77};
	ck_assert_int_eq(creds_exec(&o, &f, &n), 0);
	ck_assert_uint_eq(n.egid, 1000);
	f.mode |= S_IXGRP;
	ck_assert_int_eq(creds_exec(&o, &f, &n), 1);
	ck_assert_uint_eq(n.egid, 77);
	ck_assert_uint_eq(n.sgid, 77);
	ck_assert_uint_eq(n.fsgid, 77);
}
END_TEST

START_TEST(setuid_root_gives_full_set)
{
	struct creds o = user(1000), n;
	struct creds_exec_file f = {.mode = S_IFREG | S_ISUID | 0755, .uid = 0, .gid = 0};
	ck_assert_int_eq(creds_exec(&o, &f, &n), 1);
	ck_assert_uint_eq(n.euid, 0);
	ck_assert_uint_eq(n.cap_permitted, CAP_FULL_SET);
	ck_assert_uint_eq(n.cap_effective, CAP_FULL_SET);
}
END_TEST

START_TEST(nosuid_and_no_new_privs_keep_ids)
{
	struct creds o = user(1000), n;
	struct creds_exec_file f = {.mode = S_IFREG | S_ISUID | S_ISGID | 0755, .uid = 0, .gid = 0,
				    .nosuid = true};
	ck_assert_int_eq(creds_exec(&o, &f, &n), 0);
	ck_assert_uint_eq(n.euid, 1000);
	ck_assert_uint_eq(n.cap_permitted, 0);
	f.nosuid = false;
	o.no_new_privs = true;
	ck_assert_int_eq(creds_exec(&o, &f, &n), 0);
	ck_assert_uint_eq(n.euid, 1000);
	ck_assert_uint_eq(n.egid, 1000);
	ck_assert_uint_eq(n.cap_permitted, 0);
	ck_assert(n.no_new_privs);
}
END_TEST

START_TEST(setuid_leftover_euid_is_secure)
{
	/* ruid 1000, euid 1234 (from an earlier set-user-ID exec) runs a plain
	 * binary: euid stays, and the exec is still set-ID (AT_SECURE). */
	struct creds o = user(1000), n;
	o.euid = o.suid = o.fsuid = 1234;
	ck_assert_int_eq(creds_exec(&o, &plain, &n), 1);
	ck_assert_uint_eq(n.euid, 1234);
}
END_TEST

Suite *creds_exec_suite(void)
{
	Suite *s = suite_create("creds_exec");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, root_keeps_full_set);
	tcase_add_test(tc, noroot_securebit_drops_root_caps);
	tcase_add_test(tc, user_loses_caps_but_keeps_ambient);
	tcase_add_test(tc, setuid_sets_euid_suid_fsuid_and_clears_ambient);
	tcase_add_test(tc, setgid_needs_group_exec);
	tcase_add_test(tc, setuid_root_gives_full_set);
	tcase_add_test(tc, nosuid_and_no_new_privs_keep_ids);
	tcase_add_test(tc, setuid_leftover_euid_is_secure);
	suite_add_tcase(s, tc);
	return s;
}
