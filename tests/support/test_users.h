// The users and group that tests run processes as, to check decisions made
// from the kernel's credentials (SO_PEERCRED): md-test-rw, md-test-ro (a
// member of md-test-readers) and md-test-none (in no group of ours). Shared
// by the security, control and restart tests, which all grant or refuse
// these same names.
#pragma once

#include <string>

namespace memdomain::test {

inline constexpr const char* kUserRw = "md-test-rw";
inline constexpr const char* kUserRo = "md-test-ro";          // in kGroupReaders
inline constexpr const char* kUserNone = "md-test-none";      // in no group of ours
inline constexpr const char* kGroupReaders = "md-test-readers";

// Creates the users and the group where missing with useradd/groupadd/usermod
// (root only; idempotent). Each step is retried a while, because other test
// processes (ctest -j) may hold the lock on /etc/passwd or /etc/group. True
// when all of them exist afterwards; false when not root.
bool ensure_test_users();

// The config text of domain "Guarded" (1MB of 4K pages) granting root and
// kUserRw R/W and, when `readers`, kGroupReaders R/O; `extra` goes into the
// domain block after the access block (e.g. a socket block).
std::string guarded_domain_config(bool readers = true, const std::string& extra = "");

}  // namespace memdomain::test
