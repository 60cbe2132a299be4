// Test fixtures for placement/: a temporary directory removed on
// destruction, a fake sysfs tree shaped like /sys/devices/system/node, and a
// fake /proc/self/pagemap. The fake topology is the one the topology and
// placement tests share:
//   node0 = 0-3, node1 = 4-7, (no node2), node3 = 8-11,16, node4 = memory only
// plus the non-node entries a real node directory has (has_cpu, online,
// possible, power/), and devices/system/cpu/online = 0-11,16.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace memdomain::placement::fakes {

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// Writes `text` to root/relative, creating the directories on the way.
void write_file(const std::string& root, const std::string& relative, const std::string& text);

// Builds the fake sysfs tree above under `root` (which then stands for /sys).
void make_fake_sysfs(const std::string& root);

// Writes a fake pagemap: for each (vaddr, entry), the 64-bit entry at offset
// (vaddr / 4096) * 8 (the file is sparse; unwritten entries read as 0).
void write_fake_pagemap(const std::string& path, const std::vector<std::pair<std::uint64_t, std::uint64_t>>& entries);

}  // namespace memdomain::placement::fakes
