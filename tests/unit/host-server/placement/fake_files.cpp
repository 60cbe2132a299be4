#include "fake_files.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace memdomain::placement::fakes {

namespace fs = std::filesystem;

TempDir::TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "memdomain-placement-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

void write_file(const std::string& root, const std::string& relative, const std::string& text) {
    const fs::path p = fs::path(root) / relative;
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + p.string());
}

void make_fake_sysfs(const std::string& root) {
    const std::string node = "devices/system/node/";
    write_file(root, node + "node0/cpulist", "0-3\n");
    write_file(root, node + "node1/cpulist", "4-7\n");
    write_file(root, node + "node3/cpulist", "8-11,16\n");
    write_file(root, node + "node4/cpulist", "\n");
    write_file(root, node + "has_cpu", "0-1,3\n");
    write_file(root, node + "online", "0-1,3-4\n");
    write_file(root, node + "possible", "0-7\n");
    write_file(root, node + "power/async", "disabled\n");
    write_file(root, "devices/system/cpu/online", "0-11,16\n");
}

void write_fake_pagemap(const std::string& path,
                        const std::vector<std::pair<std::uint64_t, std::uint64_t>>& entries) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + path);
    for (const auto& [vaddr, entry] : entries) {
        const off_t off = static_cast<off_t>(vaddr / 4096 * sizeof entry);
        if (::pwrite(fd, &entry, sizeof entry, off) != static_cast<ssize_t>(sizeof entry)) {
            ::close(fd);
            throw std::runtime_error("cannot write " + path);
        }
    }
    ::close(fd);
}

}  // namespace memdomain::placement::fakes
