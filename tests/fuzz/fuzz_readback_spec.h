// The domain fuzz_server_readback serves, shared with make_header_seeds so
// the seeds' valid headers have that domain's shape: 64 KiB of 4K pages, 64
// peers (a 4 KiB mailbox), 8 vectors. The generation is drawn when the
// server creates the instance, so a seed's "valid" header differs from the
// live one in that field only.
#pragma once

namespace memdomain::fuzz {

inline constexpr const char* kReadbackConfig =
    "memdomain Fuzz {\n"
    "    vectors = 8\n"
    "    max_peers = 64\n"
    "    size {\n"
    "        huge 4K = 64KB R/W\n"
    "    }\n"
    "}\n";
inline constexpr const char* kReadbackDomain = "Fuzz";
inline constexpr unsigned kReadbackVectors = 8;
inline constexpr unsigned kReadbackMaxPeers = 64;
inline constexpr unsigned long kReadbackSize = 64 * 1024;

}  // namespace memdomain::fuzz
