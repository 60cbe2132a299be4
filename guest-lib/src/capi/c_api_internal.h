// What the C API's parts share: the thread-local error of md_last_error()
// and the Domain behind an md_domain handle (the data path's C API,
// src/datapath/c_datapath.cpp, builds on them). Internal.
#pragma once

#include <string>

#include "memdomain/common/result.h"
#include "memdomain/domain.h"

struct md_domain;

namespace memdomain::capi {

// Records `message` for md_last_error() and returns -err.
int fail(int err, std::string message);
// The same for an Error (EINVAL when it carries no errno).
int fail(const memdomain::Error& e);
// The Domain of a handle, or nullptr for NULL.
memdomain::Domain* domain_of(struct md_domain* d);

}  // namespace memdomain::capi
