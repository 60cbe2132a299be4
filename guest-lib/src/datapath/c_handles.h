// The handles of the data path's C API and the helpers its files share.
// Internal.
#pragma once

#include <cerrno>
#include <optional>
#include <string>

#include "../capi/c_api_internal.h"
#include "memdomain/arena.h"
#include "memdomain/channel.h"
#include "memdomain/data_area.h"
#include "memdomain/datapath.h"
#include "memdomain/directory.h"

struct md_area {
    memdomain::DataArea area;
};
struct md_arena {
    memdomain::Arena arena;
};
struct md_chan {
    std::optional<memdomain::ChannelProducer> tx;
    std::optional<memdomain::ChannelConsumer> rx;
};

namespace memdomain::capi {

inline int null_arg(const char* fn) { return fail(EINVAL, std::string(fn) + ": a required argument is NULL"); }

template <class T>
int count_or_fail(const memdomain::Result<T>& r) {
    if (!r) return fail(r.error());
    return static_cast<int>(*r);
}

}  // namespace memdomain::capi
