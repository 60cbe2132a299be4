#include "placement/physical_memory.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>

#include "memdomain/sys/fd.h"

namespace memdomain::placement {

namespace {

constexpr std::uint64_t kPagemapUnit = 4096;

std::string hex(std::uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%#" PRIx64, v);
    return buf;
}

std::string page_name(std::size_t index, std::uintptr_t vaddr) {
    return "page " + std::to_string(index) + " at " + hex(vaddr);
}

Status check_page_size(std::uint64_t page_size, const char* who) {
    if (page_size == 0 || page_size % kPagemapUnit != 0) {
        return make_error(std::string(who) + ": page size " + std::to_string(page_size) +
                              " is not a multiple of 4096",
                          EINVAL);
    }
    return {};
}

// The pagemap entry of the 4 KiB page holding vaddr.
Result<std::uint64_t> read_entry(int fd, const std::string& path, std::uintptr_t vaddr) {
    std::uint64_t entry = 0;
    const off_t offset = static_cast<off_t>(vaddr / kPagemapUnit * sizeof entry);
    const ssize_t n = ::pread(fd, &entry, sizeof entry, offset);
    if (n < 0) return sys_error("pread " + path + " at offset " + hex(static_cast<std::uint64_t>(offset)));
    if (n != static_cast<ssize_t>(sizeof entry)) {
        return make_error(path + ": no entry for address " + hex(vaddr) + " (file ends before offset " +
                              hex(static_cast<std::uint64_t>(offset)) + ")",
                          EIO);
    }
    return entry;
}

}  // namespace

Result<std::vector<std::uint64_t>> physical_frames(const void* addr, std::size_t len, std::uint64_t page_size,
                                                   const std::string& pagemap_path) {
    MD_TRY(check_page_size(page_size, "physical_frames"));
    sys::UniqueFd fd(::open(pagemap_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return sys_error("open " + pagemap_path);
    const std::size_t n = (len + page_size - 1) / page_size;
    const auto base = reinterpret_cast<std::uintptr_t>(addr);
    std::vector<std::uint64_t> frames;
    frames.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::uintptr_t vaddr = base + i * page_size;
        MD_ASSIGN_OR_RETURN(const std::uint64_t entry, read_entry(fd.get(), pagemap_path, vaddr));
        if ((entry & kPagemapPresent) == 0) {
            return make_error(pagemap_path + ": " + page_name(i, vaddr) +
                                  " is not present in memory: prefault first (write each page)",
                              ENOENT);
        }
        const std::uint64_t pfn = entry & kPagemapPfnMask;
        if (pfn == 0) {
            return make_error(pagemap_path + ": " + page_name(i, vaddr) +
                                  " is present but its frame number reads as 0: the kernel shows "
                                  "physical frames only to CAP_SYS_ADMIN (run as root)",
                              EPERM);
        }
        frames.push_back(pfn);
    }
    return frames;
}

Status check_contiguous(const std::vector<std::uint64_t>& frames, std::uint64_t page_size) {
    MD_TRY(check_page_size(page_size, "check_contiguous"));
    const std::uint64_t step = page_size / kPagemapUnit;
    for (std::size_t i = 1; i < frames.size(); ++i) {
        if (frames[i] != frames[i - 1] + step) {
            return make_error("not physically contiguous: page " + std::to_string(i) + " is at PFN " +
                              hex(frames[i]) + " but page " + std::to_string(i - 1) + " is at PFN " +
                              hex(frames[i - 1]) + " (expected PFN " + hex(frames[i - 1] + step) + ")");
        }
    }
    return {};
}

}  // namespace memdomain::placement
