// net_memdomain's devargs: domain=NAME is all both ends need; the rest have
// defaults. Parsed with DPDK's rte_kvargs; every value is checked here, so a
// bad one refuses the probe with a message that names it.
#include <rte_kvargs.h>

#include <cstdlib>
#include <string>

#include "memdomain/common/names.h"
#include "pmd_internal.h"

namespace memdomain::dpdk::pmd {
namespace {

constexpr const char* kDomain = "domain";
constexpr const char* kLink = "link";
constexpr const char* kSocketDir = "socket-dir";
constexpr const char* kZeroCopy = "zero-copy";
constexpr const char* kRingSize = "ring-size";
constexpr const char* kArenaSize = "arena-size";
const char* const kKeys[] = {kDomain, kLink, kSocketDir, kZeroCopy, kRingSize, kArenaSize, nullptr};

bool valid_link(const std::string& s) {
    if (s.empty() || s.size() > 32) return false;
    for (char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                        c == '-';
        if (!ok) return false;
    }
    return true;
}

bool parse_u64(const char* s, std::uint64_t& out) {
    if (s == nullptr || *s == '\0') return false;
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || s[0] == '-') return false;
    out = v;
    return true;
}

// Collects one value per key; rte_kvargs_process calls this per occurrence.
int take(const char* key, const char* value, void* opaque) {
    auto* out = static_cast<std::string*>(opaque);
    if (!out->empty()) return -1;  // given twice
    *out = value != nullptr ? value : "";
    (void)key;
    return 0;
}

}  // namespace

const char* const kDevargsHelp =
    "domain=<name> link=<name> socket-dir=<dir> zero-copy=<yes|no> ring-size=<2..32768, power of 2> "
    "arena-size=<MiB>";

Result<Devargs> parse_devargs(const char* args) {
    rte_kvargs* kv = rte_kvargs_parse(args != nullptr ? args : "", kKeys);
    if (kv == nullptr)
        return make_error(std::string("cannot parse devargs '") + (args ? args : "") + "' (known: " + kDevargsHelp + ")",
                          EINVAL);
    std::string values[6];
    const char* keys[6] = {kDomain, kLink, kSocketDir, kZeroCopy, kRingSize, kArenaSize};
    for (int i = 0; i < 6; ++i) {
        if (rte_kvargs_process(kv, keys[i], take, &values[i]) != 0) {
            rte_kvargs_free(kv);
            return make_error(std::string(keys[i]) + " is given more than once", EINVAL);
        }
    }
    rte_kvargs_free(kv);

    Devargs d;
    if (values[0].empty()) return make_error("domain=NAME is required", EINVAL);
    if (auto ok = validate_domain_name(values[0]); !ok) return make_error("domain=" + ok.error().message, EINVAL);
    d.domain = values[0];
    if (!values[1].empty()) {
        if (!valid_link(values[1]))
            return make_error("link='" + values[1] + "': 1..32 characters of [A-Za-z0-9_-]", EINVAL);
        d.link = values[1];
    }
    d.socket_dir = values[2];
    if (!values[3].empty()) {
        if (values[3] == "yes") d.zero_copy = true;
        else if (values[3] == "no") d.zero_copy = false;
        else return make_error("zero-copy='" + values[3] + "': yes or no", EINVAL);
    }
    if (!values[4].empty()) {
        std::uint64_t v = 0;
        if (!parse_u64(values[4].c_str(), v) || v < 2 || v > kChannelMaxSlots || (v & (v - 1)) != 0)
            return make_error("ring-size='" + values[4] + "': a power of two in 2.." + std::to_string(kChannelMaxSlots),
                              EINVAL);
        d.ring_size = static_cast<std::uint32_t>(v);
    }
    if (!values[5].empty()) {
        std::uint64_t v = 0;
        if (!parse_u64(values[5].c_str(), v) || v == 0 || v > (1u << 20))
            return make_error("arena-size='" + values[5] + "': MiB, 1..1048576", EINVAL);
        d.arena_bytes = v << 20;
    }
    return d;
}

}  // namespace memdomain::dpdk::pmd
